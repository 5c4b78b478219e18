package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chunk grid's bookkeeping, against the rule of {@link ChunkedFeatureOperator}'s class
 * comment: {@code ceil(n / C)} chunks, the first {@code min(chunks, max(0, keep) / (4 C D))}
 * kept, the others recomputed in every pass (and only then reported as "features" progress),
 * {@link ChunkedFeatureOperator#streams} true exactly when some chunk is recomputed; the kept
 * chunks closed with the operator; the shape checks' messages. Products are bit-identical
 * whatever is kept (checked against every chunk kept).
 */
class ChunkedFeatureOperatorEdgesTest {

    private static final int D = 6;
    private static final int DIM = 4;
    private static final int CHUNK = 10;

    static List<String> backends() {
        return TestBackends.available();
    }

    @AfterEach
    void clearChunkSize() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    private static double[] products(ChunkedFeatureOperator op, double[] w, double[] z) {
        double[] t = new double[op.features()];
        op.transposeTimes(w, t);
        double[] u = new double[op.rows()];
        op.times(z, u);
        double[] out = new double[t.length + u.length];
        System.arraycopy(t, 0, out, 0, t.length);
        System.arraycopy(u, 0, out, t.length, u.length);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keptChunksAndStreamsFollowTheByteBudgetAtEveryBoundary(String name) {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        long chunkBytes = 4L * CHUNK * D;
        assertEquals(chunkBytes, ChunkedFeatureOperator.chunkBytes(CHUNK, D));
        Random random = new Random(2917);
        try (KernelBackend backend = TestBackends.create(name)) {
            assertEquals(chunkBytes, ChunkedFeatureOperator.chunkBytes(backend, D, DIM));
            FourierFeatures map = FourierFeatures.sample(DIM, D, 1.1, 5);
            for (int n : new int[] {1, 7, 10, 103}) {
                FloatMatrix x = TestBackends.gaussian(n, DIM, random, 1.0, 0.0);
                int chunks = (n + CHUNK - 1) / CHUNK;
                double[] w = TestBackends.randomSimplexPoint(n, random);
                double[] z = new double[D];
                for (int f = 0; f < D; f++) {
                    z[f] = random.nextGaussian();
                }
                double[] expected;
                try (ChunkedFeatureOperator all = new ChunkedFeatureOperator(backend,
                        RowSource.of(x), map, Long.MAX_VALUE, null)) {
                    expected = products(all, w, z);
                }
                // The n rows' own features: a lone or last short chunk is kept where they fit,
                // though the grid's full chunk would not (counted at the grid's rows before).
                long rowsBytes = 4L * n * D;
                long[] budgets = {-chunkBytes, -1, Long.MIN_VALUE, 0, chunkBytes - 1, chunkBytes,
                    chunkBytes + 1, chunks * chunkBytes - 1, chunks * chunkBytes,
                    (chunks + 1) * chunkBytes, Long.MAX_VALUE, rowsBytes - 1, rowsBytes};
                for (long keep : budgets) {
                    String what = name + ", n = " + n + ", keep " + keep + " bytes";
                    int wantKept = Math.max(0, keep) >= rowsBytes ? chunks
                            : (int) Math.min(chunks, Math.max(0, keep) / chunkBytes);
                    assertEquals(wantKept < chunks, ChunkedFeatureOperator.streams(backend, n, D,
                            DIM, keep, backend.featureRowsInPieces()), what);
                    try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend,
                            RowSource.ofBlocks(List.of(x)), map, keep, null)) {
                        assertEquals(chunks, op.chunks(), what);
                        assertEquals(wantKept, op.keptChunks(), what);
                        assertArrayEquals(expected, products(op, w, z), what);
                        // Two passes (Phi^T w, Phi z): each recomputed chunk rebuilt in each.
                        assertEquals(2L * (chunks - wantKept), op.recomputedChunks(), what);
                    }
                }
            }
        }
    }

    @Test
    void onlyPassesOverRecomputedChunksReportProgress() {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        Random random = new Random(2918);
        int n = 33; // 4 chunks, the last of 3 rows
        FloatMatrix x = TestBackends.gaussian(n, DIM, random, 1.0, 0.0);
        FourierFeatures map = FourierFeatures.sample(DIM, D, 1.1, 6);
        double[] w = TestBackends.randomSimplexPoint(n, random);
        double[] z = new double[D];
        try (KernelBackend backend = TestBackends.create("reference")) {
            List<String> events = new ArrayList<>();
            ProgressListener listener = (stage, done, total, detail) -> events.add(stage + " "
                    + done + "/" + total + " " + detail);
            try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(x),
                    map, Long.MAX_VALUE, listener)) {
                assertEquals(List.of("features 0/4 kept chunk 1/4", "features 1/4 kept chunk 2/4",
                        "features 2/4 kept chunk 3/4", "features 3/4 kept chunk 4/4"), events);
                events.clear();
                products(op, w, z);
                assertEquals(List.of(), events, "every chunk kept: the passes say nothing");
            }
            events.clear();
            try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(x),
                    map, ChunkedFeatureOperator.chunkBytes(CHUNK, D), listener)) {
                assertEquals(List.of("features 0/1 kept chunk 1/1"), events);
                events.clear();
                products(op, w, z);
                List<String> expected = new ArrayList<>();
                for (String what : new String[] {"Phi^T w", "Phi z"}) {
                    for (int c = 0; c < 4; c++) {
                        expected.add("features " + c + "/4 " + what);
                    }
                }
                assertEquals(expected, events);
            }
        }
    }

    @Test
    void keptChunksAreClosedWithTheOperator() {
        System.setProperty("synalign.rff.chunkRows", Integer.toString(CHUNK));
        Random random = new Random(2919);
        FloatMatrix x = TestBackends.gaussian(25, DIM, random, 1.0, 0.0);
        try (KernelBackend backend = TestBackends.create("reference")) {
            RowFeatureMap fourier = RowFeatureMap.fourier(backend,
                    FourierFeatures.sample(DIM, D, 1.1, 7));
            AtomicInteger open = new AtomicInteger();
            RowFeatureMap counting = new OpenCountingFeatureMap(fourier, open,
                    new AtomicInteger());
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(x),
                    counting, 2 * ChunkedFeatureOperator.chunkBytes(CHUNK, D), null);
            assertEquals(2, open.get(), "two chunks kept");
            assertEquals("test features T 25 x 6 fp32 in 3 chunks of 10 rows, 2 kept (480 B),"
                    + " 1 recomputed from in memory in every pass", op.describe());
            products(op, TestBackends.randomSimplexPoint(25, random), new double[D]);
            op.close();
            assertEquals(0, open.get(), "every operator closed with the chunked one");
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> op.transposeTimes(new double[25], new double[D]));
            assertEquals("feature operator is closed", e.getMessage());
        }
    }

    @Test
    void rowsThatDoNotFitTheMapOrOneWeightVectorAreRefusedByName() {
        try (KernelBackend backend = TestBackends.create("reference")) {
            FourierFeatures map = FourierFeatures.sample(DIM, D, 1.0, 8);
            IllegalArgumentException cols = assertThrows(IllegalArgumentException.class,
                    () -> new ChunkedFeatureOperator(backend,
                            RowSource.of(FloatMatrix.zeros(3, DIM + 1)), map, 0, null));
            assertEquals("dimension mismatch: rows have 5 columns, the feature map expects 4",
                    cols.getMessage());
            RowSource huge = new RowSource() {
                @Override
                public long rows() {
                    return Integer.MAX_VALUE - 7L;
                }

                @Override
                public int cols() {
                    return DIM;
                }

                @Override
                public String name() {
                    return "huge.npy";
                }

                @Override
                public void read(long start, int count, float[] out) {
                    throw new AssertionError("no row should be read");
                }
            };
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> new ChunkedFeatureOperator(backend, huge, map, 0, null));
            assertEquals("huge.npy: 2147483640 rows are more than one weight vector holds"
                    + " (2147483639)", rows.getMessage());
        }
    }
}
