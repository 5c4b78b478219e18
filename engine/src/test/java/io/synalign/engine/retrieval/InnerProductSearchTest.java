package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.AvailableBackends;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Exact top-k search against a brute-force double-precision ranking, on every backend: small
 * integer entries make every float32 product exact, so the hits must equal the reference's
 * exactly, ties (frequent with integers) broken by the lower corpus row whatever the tiling.
 */
class InnerProductSearchTest {

    static List<String> backends() {
        return AvailableBackends.names();
    }

    static FloatMatrix integers(int rows, int cols, Random r) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt(7) - 3;
        }
        return new FloatMatrix(rows, cols, v);
    }

    /** Brute force: every eligible corpus row scored in double, best first, ties by lower row. */
    static int[] bruteForce(FloatMatrix q, int i, FloatMatrix c, int k, int[] skip) {
        List<Integer> rows = new ArrayList<>();
        double[] s = new double[c.rows()];
        for (int j = 0; j < c.rows(); j++) {
            int jj = j;
            if (skip != null && IntStream.of(skip).anyMatch(x -> x == jj)) {
                continue;
            }
            for (int t = 0; t < q.cols(); t++) {
                s[j] += (double) q.get(i, t) * c.get(j, t);
            }
            rows.add(j);
        }
        rows.sort(Comparator.<Integer>comparingDouble(j -> -s[j]).thenComparingInt(j -> j));
        int[] out = new int[k];
        java.util.Arrays.fill(out, -1);
        for (int r = 0; r < Math.min(k, rows.size()); r++) {
            out[r] = rows.get(r);
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void hitsEqualTheBruteForceRankingAcrossTileBoundaries(String backendName) {
        Random r = new Random(7);
        int[][] shapes = {{1, 1, 1, 1}, {37, 1001, 7, 5}, {5, 130, 384, 10}, {64, 257, 3, 300}};
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int[] shape : shapes) {
                int nq = shape[0];
                int nc = shape[1];
                int k = shape[3];
                FloatMatrix q = integers(nq, shape[2], r);
                FloatMatrix c = integers(nc, shape[2], r);
                int[][] skip = new int[nq][];
                for (int i = 0; i < nq; i++) {
                    skip[i] = i % 3 == 0 ? null : r.ints(i % 4, 0, nc).toArray();
                }
                // Default tiles, and tiles small enough to split both sides (uneven last tiles).
                for (int[] tiling : new int[][] {{InnerProductSearch.CORPUS_TILE_ROWS, 0}, {64, 5}}) {
                    long tileBytes = tiling[1] == 0 ? InnerProductSearch.TILE_BYTES : 4L * tiling[0] * tiling[1];
                    String where = backendName + " " + java.util.Arrays.toString(shape) + " tiles "
                            + tiling[0];
                    // The corpus as a matrix (checked on the call) and made once as a
                    // FiniteCorpus (checked when made): the same search either way.
                    assertBruteForce(InnerProductSearch.search(backend, q, c, k, skip,
                            ProgressListener.NONE, tiling[0], tileBytes), q, c, k, skip,
                            where + " matrix");
                    assertBruteForce(InnerProductSearch.search(backend, q, FiniteCorpus.of(c), k,
                            skip, ProgressListener.NONE, tiling[0], tileBytes), q, c, k, skip,
                            where + " FiniteCorpus");
                }
            }
        }
    }

    /** Each query's hits are the brute-force ranking's, with its double-precision scores. */
    private static void assertBruteForce(InnerProductSearch.Hits hits, FloatMatrix q, FloatMatrix c,
            int k, int[][] skip, String where) {
        for (int i = 0; i < q.rows(); i++) {
            int[] want = bruteForce(q, i, c, k, skip[i]);
            int[] got = java.util.Arrays.copyOfRange(hits.indices(), i * k, i * k + k);
            assertArrayEquals(want, got, where + " query " + i);
            for (int rank = 0; rank < k; rank++) {
                if (want[rank] < 0) {
                    assertTrue(Float.isNaN(hits.score(i, rank)));
                    continue;
                }
                double s = 0;
                for (int t = 0; t < q.cols(); t++) {
                    s += (double) q.get(i, t) * c.get(want[rank], t);
                }
                assertEquals(s, hits.score(i, rank), 0.0);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void unitRowsGetTheirTopScoresWithinFloatRounding(String backendName) {
        Random r = new Random(11);
        int nq = 23;
        int nc = 9001;
        int d = 384;
        FloatMatrix q = unit(nq, d, r);
        FloatMatrix c = unit(nc, d, r);
        int k = 10;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            InnerProductSearch.Hits hits = InnerProductSearch.search(backend, q, c, k, null,
                    ProgressListener.NONE);
            for (int i = 0; i < nq; i++) {
                double[] s = new double[nc];
                for (int j = 0; j < nc; j++) {
                    for (int t = 0; t < d; t++) {
                        s[j] += (double) q.get(i, t) * c.get(j, t);
                    }
                }
                double[] sorted = s.clone();
                java.util.Arrays.sort(sorted);
                double kth = sorted[nc - k];
                for (int rank = 0; rank < k; rank++) {
                    int j = hits.index(i, rank);
                    assertEquals(s[j], hits.score(i, rank), 1e-5, "score of hit " + rank);
                    assertTrue(s[j] >= kth - 1e-5, "hit " + rank + " is among the top " + k);
                    if (rank > 0) {
                        assertTrue(hits.score(i, rank) <= hits.score(i, rank - 1), "best first");
                    }
                }
            }
        }
    }

    private static FloatMatrix unit(int rows, int d, Random r) {
        float[] v = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            double n = 0;
            for (int t = 0; t < d; t++) {
                double g = r.nextGaussian();
                v[i * d + t] = (float) g;
                n += g * g;
            }
            for (int t = 0; t < d; t++) {
                v[i * d + t] /= (float) Math.sqrt(n);
            }
        }
        return new FloatMatrix(rows, d, v);
    }

    @org.junit.jupiter.api.Test
    void badArgumentsAreRefusedNamingTheValue() {
        try (KernelBackend backend = KernelBackends.create("reference")) {
            FloatMatrix q = FloatMatrix.zeros(2, 3);
            assertEquals("k must be at least 1: 0", assertThrows(IllegalArgumentException.class,
                    () -> InnerProductSearch.search(backend, q, q, 0, null, ProgressListener.NONE)).getMessage());
            assertEquals("queries have 3 dimensions, the corpus 4", assertThrows(IllegalArgumentException.class,
                    () -> InnerProductSearch.search(backend, q, FloatMatrix.zeros(2, 4), 1, null,
                            ProgressListener.NONE)).getMessage());
            assertEquals("excluded rows given for 1 queries, not 2", assertThrows(IllegalArgumentException.class,
                    () -> InnerProductSearch.search(backend, q, q, 1, new int[1][], ProgressListener.NONE))
                    .getMessage());
            assertEquals("queries have 3 dimensions, the corpus 4", assertThrows(IllegalArgumentException.class,
                    () -> InnerProductSearch.search(backend, q, FiniteCorpus.of(FloatMatrix.zeros(2, 4)),
                            1, null, ProgressListener.NONE)).getMessage());
            // q * k beyond one array: refused up front (the product wrapped to a bad size).
            FloatMatrix many = FloatMatrix.zeros(2_200_000, 1);
            assertEquals("2200000 queries x k = 1000 hits is 2200000000, more than one array"
                    + " holds; search fewer queries at once or ask for fewer hits",
                    assertThrows(IllegalArgumentException.class, () -> InnerProductSearch.search(
                            backend, many, FloatMatrix.zeros(3, 1), 1000, null,
                            ProgressListener.NONE)).getMessage());
        }
    }
}
