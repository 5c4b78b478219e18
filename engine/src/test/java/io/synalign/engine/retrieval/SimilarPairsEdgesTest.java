package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What {@link SimilarPairsTest}'s brute-force comparison leaves open (helper pit32's mutation
 * run): one list per row and no more, the blocks of the lower triangle each asked for once
 * (none empty, none above the diagonal) where the rows are a whole number of blocks, and the
 * public scan with its own block size.
 */
class SimilarPairsEdgesTest {

    private static FloatMatrix integers(int n, int d, Random r) {
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(5) - 2;
        }
        return new FloatMatrix(n, d, v);
    }

    /** For each row, the earlier rows whose product in double reaches the threshold. */
    private static List<List<String>> bruteForce(FloatMatrix x, double threshold) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < x.rows(); i++) {
            List<String> row = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                double s = 0;
                for (int t = 0; t < x.cols(); t++) {
                    s += (double) x.get(i, t) * x.get(j, t);
                }
                if (s >= threshold) {
                    row.add(j + ":" + s);
                }
            }
            out.add(row);
        }
        return out;
    }

    private static List<List<String>> asStrings(List<List<SimilarPairs.Match>> pairs) {
        List<List<String>> out = new ArrayList<>();
        for (List<SimilarPairs.Match> row : pairs) {
            List<String> have = new ArrayList<>();
            for (SimilarPairs.Match m : row) {
                have.add(m.row() + ":" + (double) m.score());
            }
            out.add(have);
        }
        return out;
    }

    /**
     * Rows of 128 and 130 in blocks of 64, and 1, 63 and 64 rows: the pairs are the brute
     * force's (so exactly one list per row), and the blocks asked for are the lower triangle's,
     * row block by row block, each once: for b row blocks, b (b + 1) / 2 of them.
     */
    @Test
    void oneListPerRowAndEachBlockOfTheLowerTriangleOnce() {
        Random r = new Random(13);
        int tile = 64;
        try (KernelBackend backend = KernelBackends.create("reference")) {
            for (int n : new int[] {128, 130, 1, 63, 64, 192}) {
                FloatMatrix x = integers(n, 4, r);
                RecordingBackend rec = RecordingBackend.recording();
                List<List<SimilarPairs.Match>> got = SimilarPairs.earlierAtLeast(rec.wrap(backend),
                        x, 3, tile);
                assertEquals(bruteForce(x, 3), asStrings(got), n + " rows");
                List<String> want = new ArrayList<>();
                for (int is = 0; is < n; is += tile) {
                    for (int js = 0; js <= is; js += tile) {
                        want.add(Math.min(tile, n - is) + "x" + Math.min(tile, n - js));
                    }
                }
                List<String> blocks = new ArrayList<>();
                for (int[] b : rec.blocks()) {
                    blocks.add(b[0] + "x" + b[1]);
                }
                assertEquals(want, blocks, n + " rows");
            }
        }
    }

    /** The public scan (blocks of {@link SimilarPairs#TILE_ROWS}) gives the brute force's pairs. */
    @Test
    void thePublicScanGivesTheBruteForcePairs() {
        Random r = new Random(14);
        FloatMatrix x = integers(77, 3, r);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            for (double threshold : new double[] {-1e30, 2, 4.5, 12, 13}) {
                assertEquals(bruteForce(x, threshold),
                        asStrings(SimilarPairs.earlierAtLeast(backend, x, threshold)),
                        "threshold " + threshold);
            }
        }
    }
}
