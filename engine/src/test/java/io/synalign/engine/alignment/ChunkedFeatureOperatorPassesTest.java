package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.VectorOps;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link ChunkedFeatureOperator} across passes: the one scratch operator that full recomputed
 * chunks are reloaded into (and its close), the array products against the definition's
 * features in double, the checks of a closed operator and of vector lengths, an interrupt while
 * kept chunks are built, the largest row count one weight vector holds, and the plan line's
 * figures.
 */
class ChunkedFeatureOperatorPassesTest {

    private static final String CHUNK_ROWS = "synalign.rff.chunkRows";

    @AfterEach
    void clear() {
        System.clearProperty(CHUNK_ROWS);
        Thread.interrupted();
    }

    static List<String> backendNames() {
        return TestBackends.available();
    }

    /**
     * rff's map with operators that reload in place (each reload builds the inner operator
     * anew), counting the map's builds, the reloads and the operators open (a reloaded one
     * counts as one).
     */
    private static final class ReloadingMap implements RowFeatureMap {
        final RowFeatureMap inner;
        int builds;
        int reloads;
        int open;

        ReloadingMap(RowFeatureMap inner) {
            this.inner = inner;
        }

        @Override
        public int dim() {
            return inner.dim();
        }

        @Override
        public int features() {
            return inner.features();
        }

        @Override
        public FeatureOperator build(FloatMatrix rows) {
            builds++;
            open++;
            FeatureOperator[] current = {inner.build(rows)};
            return new FeatureOperator() {
                @Override
                public int rows() {
                    return current[0].rows();
                }

                @Override
                public int features() {
                    return current[0].features();
                }

                @Override
                public void transposeTimes(double[] w, double[] out) {
                    current[0].transposeTimes(w, out);
                }

                @Override
                public void times(double[] z, double[] out) {
                    current[0].times(z, out);
                }

                @Override
                public void transposeTimes(DeviceVector w, DeviceVector out) {
                    current[0].transposeTimes(w, out);
                }

                @Override
                public void times(DeviceVector z, DeviceVector out) {
                    current[0].times(z, out);
                }

                @Override
                public boolean reload(FloatMatrix x) {
                    reloads++;
                    current[0].close();
                    current[0] = inner.build(x);
                    return true;
                }

                @Override
                public void close() {
                    open--;
                    current[0].close();
                }
            };
        }

        @Override
        public String symbol() {
            return "T";
        }

        @Override
        public String kind() {
            return "test features";
        }
    }

    /** Phi (n x D) of the definition, in double from the map's float parameters. */
    private static double[][] features(FloatMatrix x, FourierFeatures map) {
        int big = map.features();
        double scale = Math.sqrt(2.0 / big);
        double[][] phi = new double[x.rows()][big];
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < big; f++) {
                double t = map.phase()[f];
                for (int c = 0; c < map.dim(); c++) {
                    t += (double) x.get(i, c) * map.omega()[c * big + f];
                }
                phi[i][f] = scale * Math.cos(t);
            }
        }
        return phi;
    }

    /**
     * 47 rows in chunks of 10 with one kept: per pass, chunks 2 to 4 (full) go through one
     * scratch operator, built once and reloaded after, and the ragged fifth is built and closed;
     * three passes of each array product against {@code Phi^T w} and {@code Phi z} in double;
     * every operator closed with the chunked one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void fullRecomputedChunksAreReloadedIntoOneScratchOperator(String backendName) {
        int n = 47;
        int d = 4;
        int features = 13;
        System.setProperty(CHUNK_ROWS, "10");
        Random random = new Random(41);
        FloatMatrix rows = TestBackends.gaussian(n, d, random, 1.0, 0.3);
        FourierFeatures fourier = FourierFeatures.sample(d, features, 1.1, 3);
        double[][] phi = features(rows, fourier);
        double tolerance = TestBackends.isDouble(backendName) ? 1e-7 : 5e-6;
        try (KernelBackend backend = TestBackends.create(backendName)) {
            ReloadingMap map = new ReloadingMap(RowFeatureMap.fourier(backend, fourier));
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(rows),
                    map, ChunkedFeatureOperator.chunkBytes(10, features), ProgressListener.NONE);
            assertEquals(5, op.chunks(), "chunks");
            assertEquals(1, op.keptChunks(), "kept");
            assertEquals(1, map.builds, "the kept chunk");
            for (int pass = 1; pass <= 3; pass++) {
                double[] w = new double[n];
                for (int i = 0; i < n; i++) {
                    w[i] = random.nextGaussian();
                }
                double[] out = new double[features];
                java.util.Arrays.fill(out, Double.NaN);
                op.transposeTimes(w, out);
                for (int f = 0; f < features; f++) {
                    double expected = 0;
                    for (int i = 0; i < n; i++) {
                        expected += w[i] * phi[i][f];
                    }
                    assertEquals(expected, out[f], tolerance, "pass " + pass + ", Phi^T w[" + f
                            + "]");
                }
                double[] z = new double[features];
                for (int f = 0; f < features; f++) {
                    z[f] = random.nextGaussian();
                }
                double[] y = new double[n];
                java.util.Arrays.fill(y, Double.NaN);
                op.times(z, y);
                for (int i = 0; i < n; i++) {
                    double expected = 0;
                    for (int f = 0; f < features; f++) {
                        expected += phi[i][f] * z[f];
                    }
                    assertEquals(expected, y[i], tolerance, "pass " + pass + ", Phi z[" + i
                            + "]");
                }
                // Two passes per pass of this loop: kept, scratch, the ragged chunk per pass.
                int passes = 2 * pass;
                assertEquals(2 + passes, map.builds, "builds after " + passes + " passes");
                assertEquals(3 * passes - 1, map.reloads, "reloads after " + passes
                        + " passes");
                assertEquals(2, map.open, "open after " + passes + " passes (kept, scratch)");
            }
            op.close();
            assertEquals(0, map.open, "operators left open by close");
        }
    }

    /**
     * A closed operator refuses both products, and vectors of the wrong length are refused
     * naming both lengths, before any chunk is built.
     */
    @Test
    void closedOperatorsAndWrongLengthsAreRefused() {
        System.setProperty(CHUNK_ROWS, "4");
        Random random = new Random(42);
        FloatMatrix rows = TestBackends.gaussian(9, 2, random, 1.0, 0.0);
        FourierFeatures fourier = FourierFeatures.sample(2, 5, 1.0, 4);
        try (KernelBackend backend = TestBackends.create("reference")) {
            VectorOps vectors = backend.vectors();
            ReloadingMap map = new ReloadingMap(RowFeatureMap.fourier(backend, fourier));
            ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, RowSource.of(rows),
                    map, 0, ProgressListener.NONE);
            try (DeviceVector nine = vectors.zeros(9); DeviceVector five = vectors.zeros(5);
                    DeviceVector eight = vectors.zeros(8); DeviceVector six = vectors.zeros(6)) {
                IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                        () -> op.transposeTimes(eight, five));
                assertEquals("transposeTimes: w has 8 values (expected 9), out has 5"
                        + " (expected 5)", t.getMessage());
                IllegalArgumentException t2 = assertThrows(IllegalArgumentException.class,
                        () -> op.transposeTimes(nine, six));
                assertTrue(t2.getMessage().contains("out has 6 (expected 5)"), t2.getMessage());
                IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                        () -> op.times(six, nine));
                assertTrue(s.getMessage().contains("6") && s.getMessage().contains("5"),
                        s.getMessage());
                IllegalArgumentException s2 = assertThrows(IllegalArgumentException.class,
                        () -> op.times(five, eight));
                assertTrue(s2.getMessage().contains("8") && s2.getMessage().contains("9"),
                        s2.getMessage());
                assertEquals(0, map.builds, "chunks built for a refused product");
                op.close();
                IllegalStateException closed = assertThrows(IllegalStateException.class,
                        () -> op.transposeTimes(nine, five));
                assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
                IllegalStateException closed2 = assertThrows(IllegalStateException.class,
                        () -> op.times(five, nine));
                assertTrue(closed2.getMessage().contains("closed"), closed2.getMessage());
                assertEquals(0, map.builds, "chunks built by a closed operator");
            }
        }
    }

    /**
     * An interrupt while the kept chunks are built (the listener interrupts as the second of
     * three begins) stops the build before the third, status kept, with the chunks built so far
     * closed.
     */
    @Test
    void anInterruptWhileKeptChunksAreBuiltStopsAndClosesThem() {
        System.setProperty(CHUNK_ROWS, "5");
        Random random = new Random(43);
        FloatMatrix rows = TestBackends.gaussian(14, 3, random, 1.0, 0.0);
        FourierFeatures fourier = FourierFeatures.sample(3, 6, 1.0, 5);
        try (KernelBackend backend = TestBackends.create("reference")) {
            ReloadingMap map = new ReloadingMap(RowFeatureMap.fourier(backend, fourier));
            ProgressListener interrupting = (stage, done, total, detail) -> {
                if (detail.equals("kept chunk 2/3")) {
                    Thread.currentThread().interrupt();
                }
            };
            assertThrows(CancellationException.class, () -> new ChunkedFeatureOperator(backend,
                    RowSource.of(rows), map, Long.MAX_VALUE, interrupting));
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            // The listener interrupts just before chunk 2 is built; the check before chunk 3
            // sees it.
            assertEquals(2, map.builds,
                    "chunks built: the two begun before the interrupt was seen");
            assertEquals(0, map.open, "built chunks left open");
        }
    }

    /**
     * {@code Integer.MAX_VALUE - 8} rows (the most one weight vector holds) are taken, one more
     * refused naming the count; nothing is read until a product.
     */
    @Test
    void theMostRowsOneWeightVectorHoldsAreTaken() {
        System.setProperty(CHUNK_ROWS, "10");
        FourierFeatures fourier = FourierFeatures.sample(2, 3, 1.0, 6);
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (long count : new long[] {Integer.MAX_VALUE - 8L, Integer.MAX_VALUE - 7L}) {
                RowSource huge = new RowSource() {
                    @Override
                    public long rows() {
                        return count;
                    }

                    @Override
                    public int cols() {
                        return 2;
                    }

                    @Override
                    public String name() {
                        return "huge";
                    }

                    @Override
                    public void read(long start, int rowCount, float[] out) {
                        throw new AssertionError("read " + rowCount + " rows at " + start);
                    }
                };
                if (count == Integer.MAX_VALUE - 8L) {
                    try (ChunkedFeatureOperator op = new ChunkedFeatureOperator(backend, huge,
                            fourier, 0, ProgressListener.NONE)) {
                        assertEquals(Integer.MAX_VALUE - 8, op.rows());
                        assertEquals(214_748_364, op.chunks());
                    }
                } else {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> new ChunkedFeatureOperator(backend, huge, fourier, 0,
                                    ProgressListener.NONE));
                    assertEquals("huge: 2147483640 rows are more than one weight vector holds"
                            + " (2147483639)", e.getMessage());
                }
            }
        }
    }
    /**
     * Every figure of the plan line, for rff ({@code Phi_S}, one copy a chunk) and nystrom
     * ({@code K_SL}, two copies, r = 3 landmarks), 5 rows of 3 columns in chunks of 2 (the last
     * ragged) under budgets from negative to unbounded: sizes small enough that each figure is
     * printed in whole bytes, each computed here from the plan's javadoc (kept chunks, rows
     * recomputed and read per pass, expected peak as the larger of the chunks' and the landmark
     * decomposition's, the input's bytes).
     */
    @Test
    void thePlansFiguresAreItsDefinitionsInBytes() {
        System.setProperty(CHUNK_ROWS, "2");
        int n = 5;
        int d = 3;
        int chunk = 2;
        int chunks = 3;
        long realBytes = 4L * 2 * d;
        FloatMatrix real = FloatMatrix.zeros(2, d);
        RowSource rows = ObservedRows.of(RowSource.of(FloatMatrix.zeros(n, d)), "S",
                (start, count) -> { });
        String heap = MethodSelector.human(Runtime.getRuntime().maxMemory());
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (int landmarks : new int[] {0, 3}) {
                int features = landmarks == 0 ? 4 : landmarks;
                int copies = landmarks == 0 ? 1 : 2;
                long chunkBytes = 4L * chunk * features;
                long rowsBytes = 4L * n * features;
                for (long keep : new long[] {-5, 0, chunkBytes, rowsBytes - 1, rowsBytes,
                        3 * chunkBytes - 1, Long.MAX_VALUE}) {
                    // All kept where the n rows' features fit (the last chunk is one row, not
                    // the grid's two); else the whole chunks that fit.
                    long kept = Math.max(0, keep) >= rowsBytes ? chunks
                            : Math.min(chunks, Math.max(0, keep) / chunkBytes);
                    long keptBytes = 4L * Math.min(n, kept * chunk) * features * copies;
                    long vectors = 14L * 8 * n;
                    long peak = Math.max(keptBytes + 2 * (chunkBytes * copies + 4L * chunk * d)
                            + vectors + realBytes + 8L * landmarks * landmarks,
                            28L * landmarks * landmarks + vectors + realBytes);
                    long streamedRows = n - Math.min(n, kept * chunk);
                    String expected = (landmarks == 0 ? "Phi_S" : "K_SL") + " 5 x " + features
                            + " fp32 = " + (4L * n * features * copies) + " B"
                            + (copies == 1 ? "" : " (2 copies)") + " in 3 chunks of 2 rows: "
                            + (kept == chunks ? "all kept" : kept + " kept, " + (chunks - kept)
                                    + " recomputed from S in every pass, 2 passes per product ("
                                    + (4L * streamedRows * d) + " B of rows read per pass)")
                            + "; expected peak " + peak + " B (kept features " + keptBytes
                            + " B, optimiser vectors " + vectors + " B"
                            + (landmarks == 0 ? "" : ", landmark matrices "
                                    + (28L * landmarks * landmarks) + " B while decomposed, "
                                    + (8L * landmarks * landmarks) + " B kept")
                            + ": live data; the JVM's heap may grow toward its limit, " + heap
                            + ", before it collects); the input is read through the system's"
                            + " page cache (up to " + (4L * n * d) + " B, not this process's"
                            + " memory)";
                    assertTrue(peak < 1024, "test setup: figures in whole bytes, peak " + peak);
                    String plan = landmarks == 0
                            ? ChunkedFeatureOperator.plan(backend, rows, features, keep, real)
                            : ChunkedFeatureOperator.nystromPlan(backend, rows, landmarks, keep,
                                    real);
                    assertEquals(expected, plan, "landmarks " + landmarks + ", keep " + keep);
                }
            }
        }
    }
}
