package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MmdWeightLearnerTest {

    static List<String> backends() {
        return TestBackends.available();
    }

    /** Three Gaussian blobs in d dimensions; {@code shift} moves every coordinate. */
    static FloatMatrix mixture(int rows, int d, double shift, Random random) {
        float[] data = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            int component = random.nextInt(3);
            for (int k = 0; k < d; k++) {
                double centre = k == component ? 3.0 : 0.0;
                data[i * d + k] = (float) (centre + shift + 0.7 * random.nextGaussian());
            }
        }
        return new FloatMatrix(rows, d, data);
    }

    /** Synthetic rows: even rows from the real mixture, odd rows from it shifted far away. */
    static FloatMatrix halfShifted(int n, int d, Random random) {
        FloatMatrix same = mixture(n, d, 0, random);
        FloatMatrix far = mixture(n, d, 8, random);
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            FloatMatrix source = i % 2 == 0 ? same : far;
            System.arraycopy(source.data(), i * d, data, i * d, d);
        }
        return new FloatMatrix(n, d, data);
    }

    static AlignmentConfig config(AlignmentMethod method) {
        return AlignmentConfig.defaults().withMethod(method).withSeed(11);
    }

    /**
     * Every synthetic row the same: H has no curvature on the simplex's directions, and
     * Lanczos returned a step constant of 1.8e-13 (rounding). Steps of 1e12 then went to a
     * projection that could not place them on the simplex (its sum 0.99885), the optimiser kept
     * that point as its best, and dividing by its sum lifted six weights 1.15 % above the cap,
     * with a reported objective below the true one. With a step constant floored at the
     * products' resolution and the weights put back on the capped simplex, every method and
     * backend keeps the cap and the sum; any feasible weights are optimal here.
     */
    /**
     * Every real and synthetic row one point (an LLM that copied its one demonstration): the
     * median heuristic has no distance, yet any bandwidth gives the same exact fit, so the auto
     * bandwidth is 1 and the fit succeeds (it failed with "give --bandwidth", stopping a
     * per-label run of every label). Rows not all alike still fail as before.
     */
    @Test
    void rowsAllOnePointFitWithAnyBandwidth() {
        try (KernelBackend backend = TestBackends.create("reference")) {
            float[] point = {0.25f, -1.5f, 3f};
            float[] three = new float[9];
            for (int i = 0; i < 9; i++) {
                three[i] = point[i % 3];
            }
            AlignmentResult result = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.EXACT).withSeed(3))
                    .fit(new FloatMatrix(1, 3, point), new FloatMatrix(3, 3, three), null);
            assertEquals(1.0, result.bandwidth(), 0.0);
            for (double w : result.weights()) {
                assertEquals(1.0 / 3, w, 1e-12);
            }
            assertEquals(0.0, result.mmd2Weighted(), 1e-12);
            float[] other = three.clone();
            other[8] = 3.5f; // one coordinate of the last row differs: not one point
            float[] twin = {0.25f, -1.5f, 3f};
            // A sampled set all alike but a row apart is not "one point": the heuristic works.
            AlignmentResult apart = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.EXACT).withSeed(3))
                    .fit(new FloatMatrix(1, 3, twin), new FloatMatrix(3, 3, other), null);
            assertTrue(apart.bandwidth() > 0 && apart.bandwidth() != 1.0, "median of real distances");
        }
    }

    @ParameterizedTest(name = "{0}, {1}")
    @org.junit.jupiter.params.provider.CsvSource({"nd4j, RFF", "nd4j, EXACT", "nd4j, TILED",
        "reference, RFF", "reference, EXACT"})
    void identicalSyntheticRowsKeepTheCapAndTheSum(String backendName, AlignmentMethod method) {
        org.junit.jupiter.api.Assumptions.assumeTrue(backends().contains(backendName));
        int runs = 0;
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (int n : new int[] {5, 17, 64}) {
                for (int m : new int[] {1, 5}) {
                    for (int d : new int[] {1, 3, 7}) {
                        float[] same = new float[n * d];
                        java.util.Arrays.fill(same, 0.3f);
                        FloatMatrix synthetic = new FloatMatrix(n, d, same);
                        Random random = new Random(7 + n * 31L + m * 7L + d);
                        float[] r = new float[m * d];
                        for (int i = 0; i < r.length; i++) {
                            r[i] = (float) random.nextGaussian();
                        }
                        FloatMatrix real = new FloatMatrix(m, d, r);
                        for (double ratio : new double[] {1.5, 2, 10}) {
                            AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                                    .withFeatures(2048).withIterations(500, 1e-6)
                                    .withMaxWeightRatio(ratio).withSeed(5);
                            AlignmentResult result = new MmdWeightLearner(backend, config)
                                    .fit(real, synthetic, null);
                            String where = "n " + n + ", m " + m + ", d " + d + ", B " + ratio;
                            double cap = Math.min(1, ratio / n);
                            double sum = 0;
                            for (double w : result.weights()) {
                                assertTrue(w >= 0 && w <= cap * (1 + 1e-12), where + ": weight "
                                        + w + " against the cap " + cap);
                                sum += w;
                            }
                            assertEquals(1.0, sum, 1e-12, where);
                            assertEquals(result.mmd2Uniform(), result.mmd2Weighted(),
                                    1e-6 * result.mmd2Uniform() + 1e-12, where
                                            + ": every weighting of one row is the same");
                            runs++;
                        }
                    }
                }
            }
        }
        assertEquals(54, runs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void exactMovesTheMassOntoTheMatchingHalf(String backendName) {
        assertShiftIsUndone(backendName, config(AlignmentMethod.EXACT), AlignmentMethod.EXACT);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void tiledMovesTheMassOntoTheMatchingHalf(String backendName) {
        assertShiftIsUndone(backendName, config(AlignmentMethod.TILED), AlignmentMethod.TILED);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rffMovesTheMassOntoTheMatchingHalf(String backendName) {
        assertShiftIsUndone(backendName, config(AlignmentMethod.RFF).withFeatures(1024),
                AlignmentMethod.RFF);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void nystromMovesTheMassOntoTheMatchingHalf(String backendName) {
        assertShiftIsUndone(backendName, config(AlignmentMethod.NYSTROM).withFeatures(40),
                AlignmentMethod.NYSTROM);
    }

    private static void assertShiftIsUndone(String backendName, AlignmentConfig config,
            AlignmentMethod expectedMethod) {
        Random random = new Random(2024);
        int n = 80;
        int d = 4;
        FloatMatrix real = mixture(60, d, 0, random);
        FloatMatrix synthetic = halfShifted(n, d, random);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            AlignmentResult result = new MmdWeightLearner(backend, config).fit(real, synthetic,
                    ProgressListener.NONE);
            assertValidResult(result, synthetic, real, config, backendName);
            assertEquals(expectedMethod, result.method());
            double matching = 0;
            for (int i = 0; i < n; i += 2) {
                matching += result.weights()[i];
            }
            assertTrue(matching >= 0.85, "mass on the matching half: " + matching);
            assertTrue(result.mmd2Weighted() <= 0.15 * result.mmd2Uniform(),
                    "MMD^2 " + result.mmd2Uniform() + " -> " + result.mmd2Weighted());
            assertEquals("exact", result.mmdEstimator());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void exactAndTiledAgree(String backendName) {
        Random random = new Random(99);
        FloatMatrix real = mixture(30, 3, 0, random);
        FloatMatrix synthetic = halfShifted(40, 3, random);
        // A bandwidth well below the median keeps K_SS well conditioned, so the optimal weights
        // are well determined even under float32 rounding (simulated with relative noise 1e-7
        // per product: L1 distance <= 2e-3 between differently perturbed runs).
        AlignmentConfig base = config(AlignmentMethod.EXACT).withIterations(5000, 1e-12)
                .withBandwidth(Bandwidth.of(1.5));
        try (KernelBackend backend = TestBackends.create(backendName)) {
            AlignmentResult exact = new MmdWeightLearner(backend, base).fit(real, synthetic, null);
            AlignmentResult tiled = new MmdWeightLearner(backend,
                    base.withMethod(AlignmentMethod.TILED)).fit(real, synthetic, null);
            boolean dbl = TestBackends.isDouble(backendName);
            assertEquals(exact.mmd2Weighted(), tiled.mmd2Weighted(), dbl ? 1e-12 : 1e-6);
            assertEquals(exact.mmd2Uniform(), tiled.mmd2Uniform(), dbl ? 1e-12 : 1e-6);
            assertTrue(l1(exact.weights(), tiled.weights()) <= (dbl ? 1e-9 : 2e-2),
                    "weights differ by " + l1(exact.weights(), tiled.weights()));
            assertEquals(AlignmentMethod.TILED, tiled.method());
        }
    }

    /**
     * rff approaches exact as D grows: the excess exact MMD^2 of the rff weights over the exact
     * optimum, and their L1 distance to the exact weights, averaged over three feature seeds.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void rffErrorShrinksAsFeaturesGrow(String backendName) {
        Random random = new Random(5);
        FloatMatrix real = mixture(30, 3, 0, random);
        FloatMatrix synthetic = halfShifted(40, 3, random);
        AlignmentConfig base = config(AlignmentMethod.EXACT).withIterations(3000, 1e-10)
                .withBandwidth(Bandwidth.of(2.5));
        try (KernelBackend backend = TestBackends.create(backendName)) {
            AlignmentResult exact = new MmdWeightLearner(backend, base).fit(real, synthetic, null);
            double[] excess = new double[2];
            double[] distance = new double[2];
            int[] features = {64, 4096};
            for (int k = 0; k < 2; k++) {
                for (long seed = 1; seed <= 3; seed++) {
                    AlignmentResult rff = new MmdWeightLearner(backend,
                            base.withMethod(AlignmentMethod.RFF).withFeatures(features[k])
                                    .withSeed(seed)).fit(real, synthetic, null);
                    assertEquals("exact", rff.mmdEstimator()); // small: exact values reported
                    excess[k] += (rff.mmd2Weighted() - exact.mmd2Weighted()) / 3;
                    distance[k] += l1(rff.weights(), exact.weights()) / 3;
                }
            }
            assertTrue(excess[1] < 0.25 * excess[0], "excess MMD^2 D=64: " + excess[0]
                    + ", D=4096: " + excess[1]);
            assertTrue(distance[1] < 0.5 * distance[0], "L1 to exact weights D=64: "
                    + distance[0] + ", D=4096: " + distance[1]);
            // Within the approximation error: at D=4096 the rff weights are nearly optimal.
            assertTrue(excess[1] <= 0.05 * (exact.mmd2Uniform() - exact.mmd2Weighted()),
                    "excess " + excess[1]);
            assertTrue(distance[1] <= 0.3, "L1 distance " + distance[1]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void capIsRespectedAndLargeRatioDisablesIt(String backendName) {
        // Real rows sit in one tight blob that only three synthetic rows come near: uncapped,
        // the optimum puts about a third of the mass on each of them.
        Random random = new Random(17);
        int n = 60;
        int d = 3;
        FloatMatrix real = TestBackends.gaussian(30, d, random, 0.3, 0.0);
        float[] s = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) {
                s[i * d + k] = (float) ((i < 3 ? 0 : 6 + (i % 5)) + 0.3 * random.nextGaussian());
            }
        }
        FloatMatrix synthetic = new FloatMatrix(n, d, s);
        AlignmentConfig base = config(AlignmentMethod.EXACT).withIterations(2000, 1e-10);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (double ratio : new double[] {1.5, 10}) {
                AlignmentConfig capped = base.withMaxWeightRatio(ratio);
                AlignmentResult result = new MmdWeightLearner(backend, capped).fit(real,
                        synthetic, null);
                assertValidResult(result, synthetic, real, capped, backendName);
                double cap = ratio / n;
                int atCap = 0;
                for (double w : result.weights()) {
                    assertTrue(w <= cap + 1e-12, "weight " + w + " above cap " + cap);
                    if (w >= cap * (1 - 1e-6)) {
                        atCap++;
                    }
                }
                assertTrue(atCap >= 3, "the cap should bind here, " + atCap + " weights at it");
            }
            AlignmentResult atN = new MmdWeightLearner(backend, base.withMaxWeightRatio(n))
                    .fit(real, synthetic, null);
            AlignmentResult huge = new MmdWeightLearner(backend, base.withMaxWeightRatio(1e9))
                    .fit(real, synthetic, null);
            assertArrayEquals(huge.weights(), atN.weights(), 0.0);
            double max = 0;
            for (double w : atN.weights()) {
                max = Math.max(max, w);
            }
            assertTrue(max > 10.0 / n, "uncapped max weight " + max);
        }
    }

    @Test
    void autoPicksExactUnderALargeBudgetAndRffUnderATinyOne() {
        Random random = new Random(3);
        FloatMatrix real = mixture(20, 3, 0, random);
        FloatMatrix synthetic = halfShifted(24, 3, random);
        try (KernelBackend backend = TestBackends.create("reference")) {
            AlignmentConfig auto = config(AlignmentMethod.AUTO).withFeatures(128);
            AlignmentResult large = new MmdWeightLearner(backend, auto.withMemoryBudget(1L << 30))
                    .fit(real, synthetic, null);
            assertEquals(AlignmentMethod.EXACT, large.method());
            // The reference keeps K_SS in float64, 8 n^2 = 4608 bytes: a budget one byte short
            // forces rff, an exact one allows exact.
            AlignmentResult tiny = new MmdWeightLearner(backend, auto.withMemoryBudget(4607))
                    .fit(real, synthetic, null);
            assertEquals(AlignmentMethod.RFF, tiny.method());
            AlignmentResult boundary = new MmdWeightLearner(backend, auto.withMemoryBudget(4608))
                    .fit(real, synthetic, null);
            assertEquals(AlignmentMethod.EXACT, boundary.method());
        }
    }

    @Test
    void explicitExactOverBudgetFailsNamingTheBudget() {
        Random random = new Random(3);
        FloatMatrix real = mixture(20, 3, 0, random);
        FloatMatrix synthetic = halfShifted(24, 3, random);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    config(AlignmentMethod.EXACT).withMemoryBudget(1000));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, synthetic, null));
            assertTrue(e.getMessage().contains("1000 bytes"), e.getMessage());
            assertTrue(e.getMessage().contains("4608"), e.getMessage());
            // The library names the setting, not a command-line flag.
            assertTrue(e.getMessage().contains("raise the memory budget"), e.getMessage());
            assertTrue(e.getMessage().contains("tiled") && e.getMessage().contains("rff"),
                    e.getMessage());
        }
    }

    @Test
    void validationNamesBothShapes() {
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, config(AlignmentMethod.EXACT));
            FloatMatrix real = FloatMatrix.zeros(5, 3);
            IllegalArgumentException mismatch = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, FloatMatrix.zeros(4, 2), null));
            assertTrue(mismatch.getMessage().contains("5 x 3")
                    && mismatch.getMessage().contains("4 x 2"), mismatch.getMessage());
            IllegalArgumentException emptyReal = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(FloatMatrix.zeros(0, 3), FloatMatrix.zeros(4, 3), null));
            assertTrue(emptyReal.getMessage().contains("0 x 3")
                    && emptyReal.getMessage().contains("4 x 3"), emptyReal.getMessage());
            IllegalArgumentException emptySynthetic = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, FloatMatrix.zeros(0, 3), null));
            assertTrue(emptySynthetic.getMessage().contains("5 x 3")
                    && emptySynthetic.getMessage().contains("0 x 3"), emptySynthetic.getMessage());
            float[] bad = new float[6];
            bad[4] = Float.NaN;
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> learner.fit(real, new FloatMatrix(2, 3, bad), null));
            assertTrue(nan.getMessage().contains("row 1") && nan.getMessage().contains("NaN"),
                    nan.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void singleSyntheticRowGetsAllTheWeight(String backendName) {
        Random random = new Random(8);
        FloatMatrix real = mixture(9, 3, 0, random);
        FloatMatrix synthetic = mixture(1, 3, 1, random);
        for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                AlignmentMethod.RFF, AlignmentMethod.NYSTROM}) {
            AlignmentConfig config = config(method).withBandwidth(Bandwidth.of(1.3));
            try (KernelBackend backend = TestBackends.create(backendName)) {
                AlignmentResult result = new MmdWeightLearner(backend, config).fit(real, synthetic,
                        null);
                assertArrayEquals(new double[] {1.0}, result.weights(), 0.0);
                double expected = TestBackends.directMmd2(synthetic, real, new double[] {1}, 1.3);
                double tolerance = TestBackends.isDouble(backendName) ? 1e-12 : 1e-5;
                assertEquals(expected, result.mmd2Uniform(), tolerance);
                assertEquals(expected, result.mmd2Weighted(), tolerance);
                assertEquals(0, result.iterations());
                assertTrue(result.converged());
                assertEquals(1.0, result.effectiveSampleSize(), 0.0);
            }
        }
    }

    @Test
    void bandwidthIsTheMedianHeuristicOrTheGivenValue() {
        Random random = new Random(12);
        FloatMatrix real = mixture(15, 3, 0, random);
        FloatMatrix synthetic = mixture(12, 3, 1, random);
        try (KernelBackend backend = TestBackends.create("reference")) {
            AlignmentConfig auto = config(AlignmentMethod.EXACT).withSeed(4);
            AlignmentResult result = new MmdWeightLearner(backend, auto).fit(real, synthetic, null);
            assertEquals(MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE, 4,
                    real, synthetic), result.bandwidth(), 0.0);
            AlignmentResult fixed = new MmdWeightLearner(backend,
                    auto.withBandwidth(Bandwidth.of(0.77))).fit(real, synthetic, null);
            assertEquals(0.77, fixed.bandwidth(), 0.0);
            assertValidResult(fixed, synthetic, real, auto, "reference");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void extremeBandwidthsGiveUniformWeightsAndNoNegativeMmd(String backendName) {
        Random random = new Random(21);
        FloatMatrix real = mixture(40, 16, 0, random);
        FloatMatrix synthetic = mixture(60, 16, 1, random);
        try (KernelBackend backend = TestBackends.create(backendName)) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.TILED}) {
                // A bandwidth far below the spread: K = I on each side, K_SR = 0, and the uniform
                // weights are optimal (float64: MMD^2 = 1/n + 1/m).
                AlignmentResult tiny = new MmdWeightLearner(backend, config(method)
                        .withBandwidth(Bandwidth.of(Bandwidth.MIN))).fit(real, synthetic, null);
                String what = backendName + " " + method;
                assertEquals(1.0 / 60 + 1.0 / 40, tiny.mmd2Uniform(), 1e-6, what);
                assertEquals(60, tiny.effectiveSampleSize(), 1e-6, what);
                // A bandwidth far above it: K close to all ones, MMD^2 rounding near 0, never below.
                AlignmentResult huge = new MmdWeightLearner(backend, config(method)
                        .withBandwidth(Bandwidth.of(Bandwidth.MAX))).fit(real, synthetic, null);
                assertTrue(huge.mmd2Uniform() >= 0 && huge.mmd2Weighted() >= 0, what + ": "
                        + huge.mmd2Uniform() + ", " + huge.mmd2Weighted());
                assertTrue(huge.mmd2Uniform() < 1e-6, what + ": " + huge.mmd2Uniform());
            }
        }
    }

    @Test
    void reportsKernelAndOptimiseProgress() {
        Random random = new Random(13);
        FloatMatrix real = mixture(15, 3, 0, random);
        FloatMatrix synthetic = halfShifted(16, 3, random);
        List<String> stages = new ArrayList<>();
        long[] lastOptimise = {0};
        try (KernelBackend backend = TestBackends.create("reference")) {
            AlignmentConfig config = config(AlignmentMethod.EXACT).withIterations(40, 1e-9);
            AlignmentResult result = new MmdWeightLearner(backend, config).fit(real, synthetic,
                    (stage, done, total, detail) -> {
                        stages.add(stage);
                        if (stage.equals("optimise")) {
                            assertEquals(40, total);
                            assertTrue(detail.startsWith("mmd2="), detail);
                            assertEquals(lastOptimise[0] + 1, done, "iterations in order");
                            lastOptimise[0] = done;
                        }
                    });
            assertEquals("kernel", stages.get(0));
            assertTrue(stages.contains("optimise"));
            assertEquals(result.iterations(), lastOptimise[0]);
        }
    }

    @Test
    void sameSeedSameWeights() {
        Random random = new Random(21);
        FloatMatrix real = mixture(15, 3, 0, random);
        FloatMatrix synthetic = halfShifted(16, 3, random);
        try (KernelBackend backend = TestBackends.create("reference")) {
            AlignmentConfig config = config(AlignmentMethod.RFF).withFeatures(64);
            double[] a = new MmdWeightLearner(backend, config).fit(real, synthetic, null).weights();
            double[] b = new MmdWeightLearner(backend, config).fit(real, synthetic, null).weights();
            assertArrayEquals(a, b, 0.0);
            double[] c = new MmdWeightLearner(backend, config.withSeed(12)).fit(real, synthetic,
                    null).weights();
            assertNotEquals(0.0, l1(a, c));
        }
    }

    /** Invariants every result must satisfy, including an independent check of mmd2Weighted. */
    static void assertValidResult(AlignmentResult result, FloatMatrix synthetic, FloatMatrix real,
            AlignmentConfig config, String backendName) {
        int n = synthetic.rows();
        double[] w = result.weights();
        assertEquals(n, w.length);
        double sum = 0;
        double squares = 0;
        double cap = Math.min(1.0, config.maxWeightRatio() / n);
        for (double value : w) {
            assertTrue(value >= 0 && value <= cap + 1e-12, "weight " + value);
            sum += value;
            squares += value * value;
        }
        assertEquals(1.0, sum, 1e-12);
        assertEquals(1 / squares, result.effectiveSampleSize(), 1e-9 / squares);
        assertNotEquals(AlignmentMethod.AUTO, result.method());
        assertEquals(backendName, result.backend());
        assertTrue(result.seconds() >= 0);
        assertTrue(result.iterations() >= 0 && result.iterations() <= config.maxIterations());
        double tolerance = TestBackends.isDouble(backendName) ? 1e-10 : 2e-5;
        if (result.mmdEstimator().equals("exact")) {
            double[] uniform = new double[n];
            java.util.Arrays.fill(uniform, 1.0 / n);
            assertEquals(TestBackends.directMmd2(synthetic, real, uniform, result.bandwidth()),
                    result.mmd2Uniform(), tolerance);
            assertEquals(TestBackends.directMmd2(synthetic, real, w, result.bandwidth()),
                    result.mmd2Weighted(), tolerance);
        }
        assertTrue(result.mmd2Weighted() <= result.mmd2Uniform() + tolerance);
        assertTraceIsConsistent(result);
    }

    /**
     * The trace has the start point plus one entry per iteration, its times never decrease and
     * stay within the fit's wall time, and for the exact methods it starts at MMD^2 uniform and
     * its lowest entry is MMD^2 weighted (the best iterate is returned).
     */
    static void assertTraceIsConsistent(AlignmentResult result) {
        ConvergenceTrace trace = result.trace();
        if (result.weights().length == 1) {
            assertTrue(trace.size() <= 1);
            return;
        }
        assertEquals(result.iterations() + 1, trace.size(), "start point + one entry per iteration");
        for (int i = 1; i < trace.size(); i++) {
            assertTrue(trace.seconds()[i] >= trace.seconds()[i - 1], "time went backwards at " + i);
        }
        assertTrue(trace.seconds()[trace.size() - 1] <= result.seconds());
        if (result.method() == AlignmentMethod.EXACT || result.method() == AlignmentMethod.TILED) {
            double scale = Math.abs(result.mmd2Uniform()) + 1e-12;
            assertEquals(result.mmd2Uniform(), trace.objective()[0], 1e-6 * scale);
            double lowest = java.util.Arrays.stream(trace.objective()).min().getAsDouble();
            assertEquals(result.mmd2Weighted(), lowest, 1e-6 * scale, "the best iterate is returned");
            assertEquals(trace.seconds()[0], trace.secondsToReach(result.mmd2Uniform() * 2), 0.0);
            assertTrue(Double.isNaN(trace.secondsToReach(-1)));
        }
    }

    static double l1(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s;
    }
}
