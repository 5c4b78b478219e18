package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * rff over rows streamed in blocks gives the weights of the whole-array path: for every backend,
 * with the chunk grid forced small (many chunks, a ragged last one), with the rows stored as one
 * matrix or as blocks of several sizes (ragged too), and with the features kept or recomputed in
 * every pass. Within 1e-12 of the largest weight (by construction the products are bit for bit
 * the same: the arithmetic follows the chunk grid, not the storage).
 */
class StreamedRowsTest {

    static List<String> backends() {
        return TestBackends.available();
    }

    @AfterEach
    void clearChunkSize() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    private static List<FloatMatrix> blocks(FloatMatrix m, int size) {
        List<FloatMatrix> out = new ArrayList<>();
        for (int start = 0; start < m.rows(); start += size) {
            out.add(m.rowRange(start, Math.min(m.rows(), start + size)));
        }
        return out;
    }

    /** Ignores progress; keeps the plans stated. */
    private static final class PlanRecorder implements ProgressListener {
        final List<String> plans = new ArrayList<>();

        @Override
        public void onProgress(String stage, long done, long total, String detail) {
        }

        @Override
        public void onPlan(String plan) {
            plans.add(plan);
        }
    }

    /** The streamed weights equal the whole path's within 1e-12 of its largest weight. */
    private static void assertSameWeights(AlignmentResult whole, AlignmentResult streamed,
            String what) {
        double largest = 0;
        for (double w : whole.weights()) {
            largest = Math.max(largest, w);
        }
        assertEquals(whole.weights().length, streamed.weights().length, what);
        for (int i = 0; i < whole.weights().length; i++) {
            assertEquals(whole.weights()[i], streamed.weights()[i], 1e-12 * largest,
                    what + ", row " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void streamedRffEqualsTheWholeArrayPath(String backendName) {
        boolean slow = TestBackends.isDouble(backendName);
        int n = slow ? 233 : 1301;
        Random random = new Random(4);
        FloatMatrix real = MmdWeightLearnerTest.mixture(slow ? 60 : 300, 12, 0, random);
        FloatMatrix synthetic = MmdWeightLearnerTest.halfShifted(n, 12, random);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withFeatures(slow ? 32 : 256).withSeed(3).withIterations(slow ? 25 : 60, 1e-9);
        System.setProperty("synalign.rff.chunkRows", slow ? "50" : "128");
        try (KernelBackend backend = TestBackends.create(backendName)) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, config);
            AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
            assertTrue(whole.mmd2Weighted() < 0.5 * whole.mmd2Uniform(), "the fit must work");
            // The double-precision reference is slow: one blocked layout, streamed, is enough.
            for (int size : slow ? new int[] {97} : new int[] {97, 128, 1000}) {
                for (long keep : slow ? new long[] {0} : new long[] {0, Long.MAX_VALUE}) {
                    PlanRecorder listener = new PlanRecorder();
                    List<String> plans = listener.plans;
                    AlignmentResult streamed = learner.withFeatureBudget(keep).fit(real,
                            RowSource.ofBlocks(blocks(synthetic, size)), listener);
                    assertSameWeights(whole, streamed, "blocks of " + size + ", keep " + keep);
                    assertEquals(whole.iterations(), streamed.iterations());
                    assertEquals(keep == 0, !plans.isEmpty(), "a streamed plan is stated: "
                            + plans);
                    if (keep == 0) {
                        assertTrue(plans.get(0).contains("recomputed"), plans.get(0));
                    }
                }
            }
        }
    }

    /**
     * nystrom over a stream gives the weights of the whole-matrix nystrom: the same landmarks
     * (read from the source), K_SL over a forced small chunk grid with a ragged last chunk, rows
     * stored as blocks of several sizes, kept or recomputed in every pass; within 1e-12 of the
     * largest weight (in fact bit for bit), and the plan is stated when chunks are recomputed.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void streamedNystromEqualsTheWholeMatrixPath(String backendName) {
        boolean slow = TestBackends.isDouble(backendName);
        int n = slow ? 233 : 1301;
        Random random = new Random(14);
        FloatMatrix real = MmdWeightLearnerTest.mixture(slow ? 60 : 300, 12, 0, random);
        FloatMatrix synthetic = MmdWeightLearnerTest.halfShifted(n, 12, random);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.NYSTROM)
                .withFeatures(slow ? 30 : 120).withSeed(8).withIterations(slow ? 25 : 60, 1e-9);
        System.setProperty("synalign.rff.chunkRows", slow ? "50" : "128");
        try (KernelBackend backend = TestBackends.create(backendName)) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, config);
            AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
            assertEquals(AlignmentMethod.NYSTROM, whole.method());
            assertTrue(whole.mmd2Weighted() < 0.5 * whole.mmd2Uniform(), "the fit must work");
            for (int size : slow ? new int[] {97} : new int[] {97, 128, 1000}) {
                // Kept, all recomputed, and kept in part (3 chunks of r = 120 floats a row).
                for (long keep : slow ? new long[] {0} : new long[] {0, 3L * 128 * 120 * 4,
                        Long.MAX_VALUE}) {
                    PlanRecorder listener = new PlanRecorder();
                    List<String> plans = listener.plans;
                    AlignmentResult streamed = learner.withFeatureBudget(keep).fit(real,
                            RowSource.ofBlocks(blocks(synthetic, size)), listener);
                    assertEquals(AlignmentMethod.NYSTROM, streamed.method());
                    assertSameWeights(whole, streamed, "blocks of " + size + ", keep " + keep);
                    assertEquals(whole.iterations(), streamed.iterations());
                    assertEquals(whole.mmd2Weighted(), streamed.mmd2Weighted(), 0.0);
                    assertEquals(keep != Long.MAX_VALUE, !plans.isEmpty(),
                            "a streamed plan is stated: " + plans);
                    if (!plans.isEmpty()) {
                        assertTrue(plans.get(0).startsWith("nystrom K_SL " + String.format(
                                java.util.Locale.ROOT, "%,d", n) + " x " + (slow ? 30 : 120)),
                                plans.get(0));
                        assertTrue(plans.get(0).contains("recomputed"), plans.get(0));
                    }
                    assertTrue(streamed.kernelStorage().contains("recomputed")
                            == (keep != Long.MAX_VALUE), streamed.kernelStorage());
                }
            }
        }
    }

    /**
     * Without a budget of its own, nystrom keeps no more K_SL than the backend says it can hold
     * (here a backend that can hold three chunks' worth under a 2 GiB memory budget): the rest is
     * recomputed, the plan says so, and the weights are the whole path's.
     */
    @org.junit.jupiter.api.Test
    void nystromKeepsNoMoreThanTheBackendCanHold() {
        int n = 700;
        Random random = new Random(21);
        FloatMatrix real = MmdWeightLearnerTest.mixture(150, 8, 0, random);
        FloatMatrix synthetic = MmdWeightLearnerTest.halfShifted(n, 8, random);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.NYSTROM)
                .withFeatures(60).withSeed(3).withIterations(40, 1e-9);
        System.setProperty("synalign.rff.chunkRows", "100");
        long threeChunks = 2L * 3 * 100 * 60 * 4;
        try (KernelBackend inner = TestBackends.create(TestBackends.available().get(0))) {
            KernelBackend limited = (KernelBackend) java.lang.reflect.Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("featureBudgetBytes")) {
                            return threeChunks;
                        }
                        try {
                            return method.invoke(inner, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            AlignmentResult whole = new MmdWeightLearner(inner, config).fit(real,
                    RowSource.ofBlocks(blocks(synthetic, 97)), ProgressListener.NONE);
            assertTrue(!whole.kernelStorage().contains("recomputed"), whole.kernelStorage());
            PlanRecorder listener = new PlanRecorder();
            AlignmentResult capped = new MmdWeightLearner(limited, config).fit(real,
                    RowSource.ofBlocks(blocks(synthetic, 97)), listener);
            assertTrue(capped.kernelStorage().contains("recomputed"), capped.kernelStorage());
            assertEquals(1, listener.plans.size(), "the plan is stated");
            assertSameWeights(whole, capped, "kept within the backend's budget");
        }
    }

    /**
     * nystrom's landmarks from a source are those of the whole matrix for the same seed, and
     * only the picked rows of S are read (consecutive picks in one read).
     */
    @ParameterizedTest(name = "r={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 17, 40, 95, 500})
    void landmarksFromASourceAreTheWholeMatrixOnesReadingOnlyThePickedRows(int count) {
        Random random = new Random(count);
        FloatMatrix real = TestBackends.gaussian(31, 3, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(64, 3, random, 1.0, 50.0);
        long[] rowsRead = new long[1];
        RowSource blocked = RowSource.ofBlocks(blocks(synthetic, 7));
        RowSource counting = ObservedRows.of(blocked, "counting",
                (start, rows) -> rowsRead[0] += rows);
        for (long seed = 1; seed <= 4; seed++) {
            rowsRead[0] = 0;
            FloatMatrix expected = MmdObjectives.landmarkRows(real, synthetic, count, seed);
            FloatMatrix fromSource = MmdObjectives.landmarkRows(real, counting, count, seed);
            assertEquals(expected, fromSource, "seed " + seed);
            int fromSynthetic = 0;
            for (int i = 0; i < expected.rows(); i++) {
                fromSynthetic += expected.get(i, 0) > 25 ? 1 : 0;
            }
            assertEquals(fromSynthetic, rowsRead[0], "only the picked synthetic rows are read");
        }
    }

    /**
     * Every method takes a blocked source (exact and tiled gather it into one matrix, nystrom
     * streams it): the same weights as the matrix itself.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void blockedSourcesGiveTheWholeMatrixWeightsForEveryMethod(String backendName) {
        Random random = new Random(9);
        FloatMatrix real = MmdWeightLearnerTest.mixture(70, 7, 0, random);
        FloatMatrix synthetic = MmdWeightLearnerTest.halfShifted(211, 7, random);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.TILED, AlignmentMethod.NYSTROM}) {
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(method).withFeatures(40).withSeed(5)
                        .withIterations(30, 1e-9));
                AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
                AlignmentResult blocked = learner.fit(real,
                        RowSource.ofBlocks(blocks(synthetic, 59)), ProgressListener.NONE);
                assertEquals(method, blocked.method());
                for (int i = 0; i < synthetic.rows(); i++) {
                    assertEquals(whole.weights()[i], blocked.weights()[i], 0.0,
                            method + " row " + i);
                }
            }
        }
    }

    /**
     * Beyond one Java array only rff and nystrom run; exact and tiled say so before any work,
     * naming both.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void methodsThatNeedOneArrayRefuseLargerSourcesByName(String backendName) {
        RowSource huge = new RowSource() {
            @Override
            public long rows() {
                return 6_000_000L;
            }

            @Override
            public int cols() {
                return 384;
            }

            @Override
            public String name() {
                return "huge.npy";
            }

            @Override
            public void read(long start, int count, float[] out) {
                java.util.Arrays.fill(out, 0, count * 384, 0.25f);
            }
        };
        FloatMatrix real = MmdWeightLearnerTest.mixture(20, 384, 0, new Random(1));
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.TILED}) {
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(method).withBandwidth(Bandwidth.of(1.0)));
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class,
                        () -> learner.fit(real, huge, ProgressListener.NONE));
                assertTrue(e.getMessage().startsWith("huge.npy: 6000000 x 384 synthetic values"
                        + " are more than one Java array holds, and method " + method.cliName()
                        + " needs them in one; methods rff and nystrom stream"), e.getMessage());
            }
        }
    }

    /**
     * The plan's bytes read per pass are the rows actually recomputed: the kept chunks come
     * first, and the last chunk is short (1,000 rows in chunks of 64: 3 kept, 808 rows read).
     */
    @org.junit.jupiter.api.Test
    void thePlanCountsTheRowsOfTheShortLastChunkOnly() {
        System.setProperty("synalign.rff.chunkRows", "64");
        FloatMatrix s = FloatMatrix.zeros(1000, 7);
        FloatMatrix r = FloatMatrix.zeros(5, 7);
        try (KernelBackend backend = io.synalign.kernels.KernelBackends.create("reference")) {
            long chunk = ChunkedFeatureOperator.chunkBytes(backend, 16, 7);
            String plan = ChunkedFeatureOperator.plan(backend, RowSource.ofBlocks(blocks(s, 300)),
                    "Phi_S", 16, 1, 3 * chunk, r, 0, true);
            assertTrue(plan.contains("in 16 chunks of 64 rows: 3 kept, 13 recomputed"), plan);
            assertTrue(plan.contains("(" + MethodSelector.human(4L * 808 * 7)
                    + " of rows read per pass)"), plan);
            assertTrue(plan.contains("up to " + MethodSelector.human(4L * 1000 * 7)), plan);
        }
    }

    /**
     * The plan's bytes read are the file's: 8 per value for a float64 source (it said 4), and
     * the largest of the parts' for a concatenation.
     */
    @org.junit.jupiter.api.Test
    void thePlanCountsTheBytesAFloat64SourceStores() {
        System.setProperty("synalign.rff.chunkRows", "64");
        FloatMatrix s = FloatMatrix.zeros(1000, 7);
        FloatMatrix r = FloatMatrix.zeros(5, 7);
        RowSource inMemory = RowSource.ofBlocks(blocks(s, 300));
        RowSource float64 = ObservedRows.of(inMemory, "a float64 file", (start, count) -> { })
                .storingBytesPerValue(8);
        try (KernelBackend backend = io.synalign.kernels.KernelBackends.create("reference")) {
            long chunk = ChunkedFeatureOperator.chunkBytes(backend, 16, 7);
            for (RowSource source : List.of(float64, RowSource.concat(List.of(
                    RowSource.ofBlocks(blocks(s.rowRange(0, 10), 10)), float64.select(
                            java.util.stream.LongStream.range(10, 1000).toArray()))))) {
                String plan = ChunkedFeatureOperator.plan(backend, source, "Phi_S", 16, 1,
                        3 * chunk, r, 0, true);
                assertTrue(plan.contains("(" + MethodSelector.human(8L * 808 * 7)
                        + " of rows read per pass)"), plan);
                assertTrue(plan.contains("up to " + MethodSelector.human(8L * 1000 * 7)), plan);
            }
        }
    }

    /**
     * nystrom's plan counts its landmarks' r x r matrices: K_LL's decomposition (about 28 r^2
     * bytes) before the chunks, G^T (8 r^2) through the fit. At r = 4,096 the plan said 131 MiB
     * where the run peaked near 0.5 GiB above the JVM's own.
     */
    @org.junit.jupiter.api.Test
    void nystromsPlanCountsItsLandmarkMatrices() {
        System.setProperty("synalign.rff.chunkRows", "64");
        FloatMatrix s = FloatMatrix.zeros(1000, 7);
        FloatMatrix r = FloatMatrix.zeros(5, 7);
        try (KernelBackend backend = io.synalign.kernels.KernelBackends.create("reference")) {
            String plan = ChunkedFeatureOperator.nystromPlan(backend,
                    RowSource.ofBlocks(blocks(s, 300)), 4096, 0, r);
            assertTrue(plan.contains("landmark matrices " + MethodSelector.human(28L * 4096 * 4096)
                    + " while decomposed, " + MethodSelector.human(8L * 4096 * 4096) + " kept"),
                    plan);
            String peak = plan.replaceAll(".*expected peak ([^(]*) \\(.*", "$1");
            assertTrue(peak.equals(MethodSelector.human(28L * 4096 * 4096 + 14L * 8 * 1000
                    + r.bytes())), plan);
            assertFalse(ChunkedFeatureOperator.plan(backend, RowSource.ofBlocks(blocks(s, 300)),
                    16, 0, r).contains("landmark"));
            // The peak is live data; the heap's limit stands beside it (the 10^7-row run planned
            // 1.3 GiB and its process peaked at 3.93 GiB under -Xmx8g).
            assertTrue(plan.contains("live data; the JVM's heap may grow toward its limit, "
                    + MethodSelector.human(Runtime.getRuntime().maxMemory()) + ", before it collects"),
                    plan);
        }
    }
}
