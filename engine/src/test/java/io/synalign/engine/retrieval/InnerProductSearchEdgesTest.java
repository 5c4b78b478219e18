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
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the brute-force comparison of {@link InnerProductSearchTest} leaves open (helper pit32's
 * mutation run): a NaN score, the progress told, the blocks of scores asked for, the public
 * {@link FiniteCorpus} search with its own tiles, ties among many equal scores, and the checks
 * of {@link InnerProductSearch.Hits} and {@link FiniteCorpus}. Expected values come from the
 * brute-force ranking in double ({@link InnerProductSearchTest#bruteForce}) or from the tiling's
 * arithmetic written out here.
 */
class InnerProductSearchEdgesTest {

    static List<String> backends() {
        return AvailableBackends.names();
    }

    /**
     * A score the backend gives as NaN (a float32 GEMM's {@code inf - inf} for finite rows whose
     * products overflow) is no hit, even while a query's heap has room: the hits are the
     * brute-force ranking without those rows, with k as large as the corpus so that every slot
     * is open, and small, across tile boundaries.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aNaNScoreIsNeverAHit(String backendName) {
        Random r = new Random(31);
        int nq = 13;
        int nc = 83;
        int d = 6;
        FloatMatrix q = InnerProductSearchTest.integers(nq, d, r);
        float[] poison = new float[d];
        Arrays.fill(poison, 9); // outside the integers' -3..3: only the planted rows equal it
        float[] c = InnerProductSearchTest.integers(nc, d, r).data().clone();
        int[] planted = {0, 3, 40, 41, 64, 82};
        for (int j : planted) {
            System.arraycopy(poison, 0, c, j * d, d);
        }
        FloatMatrix corpus = new FloatMatrix(nc, d, c);
        int[][] skip = new int[nq][];
        for (int i = 0; i < nq; i++) {
            skip[i] = planted; // the brute force leaves them out; the search is not told
        }
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int k : new int[] {nc, nc - 3, 7, 1}) {
                for (int[] tiling : new int[][] {{InnerProductSearch.CORPUS_TILE_ROWS, 0}, {16, 5}}) {
                    long tileBytes = tiling[1] == 0 ? InnerProductSearch.TILE_BYTES
                            : 4L * tiling[0] * tiling[1];
                    RecordingBackend nan = RecordingBackend.nanAgainst(poison);
                    InnerProductSearch.Hits hits = InnerProductSearch.search(nan.wrap(backend), q,
                            corpus, k, null, ProgressListener.NONE, tiling[0], tileBytes);
                    for (int i = 0; i < nq; i++) {
                        int[] want = InnerProductSearchTest.bruteForce(q, i, corpus, k, skip[i]);
                        String where = backendName + " k " + k + " tiles " + tiling[0] + " query " + i;
                        assertArrayEquals(want, Arrays.copyOfRange(hits.indices(), i * k, i * k + k),
                                where);
                        for (int rank = 0; rank < k; rank++) {
                            assertEquals(want[rank] < 0, Float.isNaN(hits.score(i, rank)),
                                    where + " rank " + rank + ": NaN exactly in the empty slots");
                        }
                    }
                }
            }
        }
    }

    /**
     * Progress is told once per corpus tile, stage "search", of the corpus rows searched so far
     * out of all of them: 64, 128 of 128 (a corpus that is a whole number of tiles), 64, 128,
     * 130 of 130, and 130 of 130 in one tile.
     */
    @Test
    void progressIsToldOnceForEachCorpusTileOfTheRowsSearched() {
        Random r = new Random(5);
        FloatMatrix q = InnerProductSearchTest.integers(9, 4, r);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            assertEquals(List.of("search 64/128", "search 128/128"),
                    told(backend, q, InnerProductSearchTest.integers(128, 4, r), 64));
            assertEquals(List.of("search 64/130", "search 128/130", "search 130/130"),
                    told(backend, q, InnerProductSearchTest.integers(130, 4, r), 64));
            assertEquals(List.of("search 130/130"),
                    told(backend, q, InnerProductSearchTest.integers(130, 4, r), 8192));
        }
    }

    private static List<String> told(KernelBackend backend, FloatMatrix q, FloatMatrix c,
            int corpusTile) {
        List<String> out = new ArrayList<>();
        InnerProductSearch.search(backend, q, c, 3, null,
                (stage, done, total, detail) -> out.add(stage + " " + done + "/" + total),
                corpusTile, InnerProductSearch.TILE_BYTES);
        return out;
    }

    /**
     * Each (query tile, corpus tile) block of scores is asked for once and none is empty: the
     * blocks are ceil(q / qt) x ceil(c / ct), query tiles within each corpus tile, and their
     * entries add up to q c (an extra, empty, tile where a side is a whole number of tiles
     * would call the backend for nothing).
     */
    @Test
    void eachBlockOfScoresIsAskedForOnceAndNoneIsEmpty() {
        Random r = new Random(6);
        int[][] shapes = {{40, 128, 8, 64}, {37, 130, 8, 64}, {1, 1, 8, 64}, {16, 64, 16, 64}};
        try (KernelBackend backend = KernelBackends.create("reference")) {
            for (int[] shape : shapes) {
                int nq = shape[0];
                int nc = shape[1];
                int qt = shape[2];
                int ct = shape[3];
                FloatMatrix q = InnerProductSearchTest.integers(nq, 3, r);
                FloatMatrix c = InnerProductSearchTest.integers(nc, 3, r);
                RecordingBackend rec = RecordingBackend.recording();
                InnerProductSearch.search(rec.wrap(backend), q, c, 4, null, ProgressListener.NONE,
                        ct, 4L * ct * qt);
                List<String> want = new ArrayList<>();
                for (int cs = 0; cs < nc; cs += ct) {
                    for (int qs = 0; qs < nq; qs += qt) {
                        want.add(Math.min(qt, nq - qs) + "x" + Math.min(ct, nc - cs));
                    }
                }
                List<String> got = new ArrayList<>();
                for (int[] b : rec.blocks()) {
                    got.add(b[0] + "x" + b[1]);
                }
                assertEquals(want, got, Arrays.toString(shape));
            }
        }
    }

    /**
     * The public search of a {@link FiniteCorpus}, with the default tiles, gives the brute-force
     * ranking (the tests above call the package-private one with the tiles given).
     */
    @Test
    void theFiniteCorpusSearchWithItsDefaultTilesGivesTheBruteForceRanking() {
        Random r = new Random(12);
        FloatMatrix q = InnerProductSearchTest.integers(11, 5, r);
        FloatMatrix c = InnerProductSearchTest.integers(203, 5, r);
        int k = 9;
        int[][] skip = new int[11][];
        for (int i = 0; i < skip.length; i++) {
            skip[i] = i % 2 == 0 ? null : r.ints(3, 0, 203).toArray();
        }
        try (KernelBackend backend = KernelBackends.create("reference")) {
            InnerProductSearch.Hits hits = InnerProductSearch.search(backend, q, FiniteCorpus.of(c),
                    k, skip, ProgressListener.NONE);
            assertEquals(11, hits.queries());
            assertEquals(k, hits.k());
            for (int i = 0; i < q.rows(); i++) {
                assertArrayEquals(InnerProductSearchTest.bruteForce(q, i, c, k, skip[i]),
                        Arrays.copyOfRange(hits.indices(), i * k, i * k + k), "query " + i);
            }
        }
    }

    /**
     * Many equal scores (a corpus of repeated rows, as near-duplicate passages give): the hits
     * are the lowest rows among the equal ones, best first, whichever order they reached the
     * heap in and however the tiles split them; with k past the eligible rows the rest are
     * empty. Checked against the brute-force ranking.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void equalScoresKeepTheLowerRowsBestFirst(String backendName) {
        Random r = new Random(44);
        int d = 3;
        int nc = 157;
        float[][] kinds = {{1, 0, 0}, {1, 1, 0}, {0, 0, 1}, {2, 0, 0}};
        float[] c = new float[nc * d];
        for (int j = 0; j < nc; j++) {
            System.arraycopy(kinds[r.nextInt(kinds.length)], 0, c, j * d, d);
        }
        FloatMatrix corpus = new FloatMatrix(nc, d, c);
        FloatMatrix q = new FloatMatrix(3, d, new float[] {1, 0, 0, 0, 0, 1, 1, 1, 1});
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            for (int k : new int[] {1, 2, 5, 16, 33, 100, nc, nc + 4}) {
                for (int tile : new int[] {InnerProductSearch.CORPUS_TILE_ROWS, 7, 64}) {
                    InnerProductSearch.Hits hits = InnerProductSearch.search(backend, q, corpus, k,
                            null, ProgressListener.NONE, tile, InnerProductSearch.TILE_BYTES);
                    for (int i = 0; i < q.rows(); i++) {
                        assertArrayEquals(InnerProductSearchTest.bruteForce(q, i, corpus, k, null),
                                Arrays.copyOfRange(hits.indices(), i * k, i * k + k),
                                backendName + " k " + k + " tile " + tile + " query " + i);
                    }
                }
            }
        }
    }

    @Test
    void hitsOfTheWrongLengthAreRefusedNamingTheLengths() {
        assertEquals("hits of 2 queries x 3 need 6 entries, got 5 and 5",
                assertThrows(IllegalArgumentException.class,
                        () -> new InnerProductSearch.Hits(2, 3, new int[5], new float[5])).getMessage());
        assertEquals("hits of 2 queries x 3 need 6 entries, got 6 and 7",
                assertThrows(IllegalArgumentException.class,
                        () -> new InnerProductSearch.Hits(2, 3, new int[6], new float[7])).getMessage());
        InnerProductSearch.Hits ok = new InnerProductSearch.Hits(2, 3,
                IntStream.range(0, 6).toArray(), new float[6]);
        assertEquals(5, ok.index(1, 2));
    }

    @Test
    void aNullCorpusIsRefused() {
        assertEquals("the corpus must not be null", assertThrows(IllegalArgumentException.class,
                () -> FiniteCorpus.of(null)).getMessage());
        FloatMatrix nan = new FloatMatrix(3, 2, new float[] {0, 1, 2, Float.NaN, 4, 5});
        assertEquals("corpus row 1 column 1 is NaN", assertThrows(IllegalArgumentException.class,
                () -> FiniteCorpus.of(nan)).getMessage());
        assertTrue(FiniteCorpus.of(FloatMatrix.zeros(2, 2)).rows().rows() == 2);
    }
}
