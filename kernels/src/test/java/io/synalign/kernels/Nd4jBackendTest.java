package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.synalign.kernels.nd4j.Nd4jBackend;
import io.synalign.kernels.nd4j.Nd4jPath;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every ND4J primitive against the double-precision reference, on awkward shapes, on the CPU
 * (OpenBLAS) path; {@link Nd4jPortableBackendTest} runs the same tests on the portable path.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Nd4jBackendTest {

    /** Float32 results must match the float64 reference to this (see {@link Errors}). */
    private static final double TOLERANCE = 1e-5;

    private KernelBackend nd4j;
    private static final KernelBackend REFERENCE = new ReferenceBackend();

    /** The execution path under test; {@link Nd4jPortableBackendTest} runs the portable one. */
    Nd4jPath path() {
        return Nd4jPath.CPU_BLAS;
    }

    @BeforeAll
    void open() {
        nd4j = new Nd4jBackend(path());
        assertEquals(path(), ((Nd4jBackend) nd4j).path());
    }

    @AfterAll
    void close() {
        nd4j.close();
    }

    /** (rows of X, rows of Y, dimension): singletons, primes, non-square pairs, d up to 384. */
    static Stream<Arguments> pairShapes() {
        return Stream.of(
                arguments(1, 1, 1),
                arguments(7, 1, 3),
                arguments(1, 1000, 384),
                arguments(7, 257, 3),
                arguments(257, 7, 384),
                arguments(257, 1000, 1),
                arguments(1000, 257, 384),
                arguments(1000, 1000, 3));
    }

    /** (rows, dimension, features). */
    static Stream<Arguments> featureShapes() {
        return Stream.of(
                arguments(1, 1, 1),
                arguments(7, 3, 257),
                arguments(257, 384, 7),
                arguments(1000, 3, 384),
                arguments(257, 384, 1000));
    }

    private static FloatMatrix x(int rows, int dim) {
        return TestRows.clustered(rows, dim, 1000L * rows + dim);
    }

    private static FloatMatrix y(int rows, int dim) {
        return TestRows.clustered(rows, dim, 7 + 1000L * rows + dim);
    }

    @ParameterizedTest(name = "{0} x {1}, d = {2}")
    @MethodSource("pairShapes")
    void squaredDistancesMatchReference(int n, int m, int d) {
        FloatMatrix x = x(n, d);
        FloatMatrix y = y(m, d);
        float[] got = new float[n * m];
        float[] ref = new float[n * m];
        nd4j.squaredDistances(x, y, got);
        REFERENCE.squaredDistances(x, y, ref);
        double error = Errors.distanceError(got, ref, x, y);
        assertTrue(error <= TOLERANCE, "distance error " + error);
        for (float v : got) {
            assertTrue(v >= 0, "distances are clamped at 0, got " + v);
        }
    }

    @Test
    void statelessBlocksLargerThanOneTileMatchReference() {
        // n m floats beyond TilePlan.DEFAULT_TILE_BYTES, so the output is written in several
        // row tiles (the last one partial); d = 1 keeps the reference cheap.
        int n = 2900;
        int m = 3001;
        assertTrue(4L * n * m > TilePlan.DEFAULT_TILE_BYTES);
        FloatMatrix x = x(n, 1);
        FloatMatrix y = y(m, 1);
        float[] got = new float[n * m];
        float[] ref = new float[n * m];
        nd4j.squaredDistances(x, y, got);
        REFERENCE.squaredDistances(x, y, ref);
        assertTrue(Errors.distanceError(got, ref, x, y) <= TOLERANCE);
        double sigma = TestRows.medianBandwidth(x, y);
        nd4j.rbfBlock(x, y, sigma, got);
        REFERENCE.rbfBlock(x, y, sigma, ref);
        assertTrue(Errors.normwise(got, Errors.widen(ref)) <= TOLERANCE);
        int features = 3001;
        FourierFeatures map = FourierFeatures.sample(1, features, sigma, 3);
        nd4j.randomFourierFeatures(x, map, got);
        REFERENCE.randomFourierFeatures(x, map, ref);
        assertTrue(Errors.normwise(got, Errors.widen(ref)) <= TOLERANCE);
    }

    @Test
    void distanceOfARowToItselfIsClampedToZeroNotNegative() {
        FloatMatrix x = x(257, 384);
        float[] got = new float[257 * 257];
        nd4j.squaredDistances(x, x, got);
        for (int i = 0; i < 257; i++) {
            double norm2 = 0;
            for (int k = 0; k < 384; k++) {
                norm2 += (double) x.get(i, k) * x.get(i, k);
            }
            float self = got[i * 257 + i];
            assertTrue(self >= 0 && self <= TOLERANCE * 2 * norm2, "self distance " + self);
        }
    }

    @ParameterizedTest(name = "{0} x {1}, d = {2}")
    @MethodSource("pairShapes")
    void rbfBlockMatchesReference(int n, int m, int d) {
        FloatMatrix x = x(n, d);
        FloatMatrix y = y(m, d);
        double sigma = TestRows.medianBandwidth(x, y);
        float[] got = new float[n * m];
        float[] ref = new float[n * m];
        nd4j.rbfBlock(x, y, sigma, got);
        REFERENCE.rbfBlock(x, y, sigma, ref);
        double error = Errors.normwise(got, Errors.widen(ref));
        assertTrue(error <= TOLERANCE, "kernel block error " + error);
        for (float v : got) {
            assertTrue(v >= 0 && v <= 1, "kernel value out of [0, 1]: " + v);
        }
        if (n * m >= 49) {
            assertSpread(ref);
        }
    }

    /** Guards the test itself: kernel values must not all sit near 0 or near 1. */
    private static void assertSpread(float[] kernel) {
        long mid = 0;
        for (float v : kernel) {
            if (v > 0.05 && v < 0.95) {
                mid++;
            }
        }
        assertTrue(mid >= kernel.length / 5, "test bandwidth gives degenerate kernel values: only "
                + mid + " of " + kernel.length + " in (0.05, 0.95)");
    }

    @ParameterizedTest(name = "{0} x {1}, d = {2}")
    @MethodSource("pairShapes")
    void kernelOperatorsMatchReference(int n, int m, int d) {
        assertOperatorsMatchReference(x(n, d), y(m, d), 11);
    }

    /**
     * A kernel of a row set with itself (the MMD learner's K_SS: one matrix object on both
     * sides) must behave exactly like any other kernel operator.
     */
    @ParameterizedTest(name = "{0} rows, d = {1}")
    @CsvSource({"1, 3", "7, 384", "257, 5", "1000, 384"})
    void selfKernelOperatorsMatchReference(int n, int d) {
        FloatMatrix x = x(n, d);
        assertOperatorsMatchReference(x, x, 17);
    }

    /**
     * Tiled (tile height not dividing n, except n = 1) and materialised nd4j operators give the
     * reference's K w and row sums, and a repeated product is bit-identical.
     */
    private void assertOperatorsMatchReference(FloatMatrix x, FloatMatrix y, long seed) {
        int n = x.rows();
        int m = y.rows();
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(m, seed);
        double[] wantKw = new double[n];
        double[] scale = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator ref = REFERENCE.rbfOperator(x, y, sigma, TilePlan.tiled(1))) {
            ref.multiply(w, wantKw);
            ref.multiply(Errors.abs(w), scale);
            ref.rowSums(wantSums);
        }
        int tileRows = n / 3 + 1;
        TilePlan[] plans = {TilePlan.tiled(tileRows), new TilePlan(true, tileRows)};
        for (TilePlan plan : plans) {
            try (KernelOperator op = nd4j.rbfOperator(x, y, sigma, plan)) {
                assertEquals(n, op.rows());
                assertEquals(m, op.cols());
                assertEquals(plan.materialise(), op.materialised());
                double[] kw = new double[n];
                double[] sums = new double[n];
                op.multiply(w, kw);
                op.rowSums(sums);
                assertTrue(Errors.normwise(kw, wantKw, scale) <= TOLERANCE, plan + " K w error "
                        + Errors.normwise(kw, wantKw, scale));
                assertTrue(Errors.normwise(sums, wantSums, wantSums) <= TOLERANCE, plan
                        + " row sum error " + Errors.normwise(sums, wantSums, wantSums));
                // A second product reuses the buffers and must not see the first one's state.
                double[] again = new double[n];
                op.multiply(w, again);
                assertTrue(Arrays.equals(kw, again), plan + " repeated product differs");
            }
        }
    }

    @Test
    void tiledAndMaterialisedOperatorsAgreeForEveryTileHeight() {
        int n = 257;
        FloatMatrix x = x(n, 384);
        FloatMatrix y = y(300, 384);
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(300, 5);
        double[] want = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator full = nd4j.rbfOperator(x, y, sigma, new TilePlan(true, 64))) {
            full.multiply(w, want);
            full.rowSums(wantSums);
        }
        double[] scale = new double[n];
        try (KernelOperator full = nd4j.rbfOperator(x, y, sigma, new TilePlan(true, 64))) {
            full.multiply(Errors.abs(w), scale);
        }
        for (int tileRows : new int[] {1, 2, 100, 256, 257, 1000}) {
            try (KernelOperator tiled = nd4j.rbfOperator(x, y, sigma, TilePlan.tiled(tileRows))) {
                assertFalse(tiled.materialised());
                double[] got = new double[n];
                double[] sums = new double[n];
                tiled.multiply(w, got);
                tiled.rowSums(sums);
                assertTrue(Errors.normwise(got, want, scale) <= 1e-6, "tileRows " + tileRows);
                assertTrue(Errors.normwise(sums, wantSums, wantSums) <= 1e-6,
                        "tileRows " + tileRows);
            }
        }
    }

    @Test
    void operatorSplitIntoColumnBlocksMatchesReference() {
        // A 2-row tile split among the workers leaves blocks narrower than m: several column
        // blocks per row, the last one partial, summed across partial results.
        int n = 7;
        int m = 8300;
        FloatMatrix x = x(n, 3);
        FloatMatrix y = y(m, 3);
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(m, 13);
        double[] want = new double[n];
        double[] scale = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator ref = REFERENCE.rbfOperator(x, y, sigma, TilePlan.tiled(1))) {
            ref.multiply(w, want);
            ref.multiply(Errors.abs(w), scale);
            ref.rowSums(wantSums);
        }
        try (KernelOperator op = nd4j.rbfOperator(x, y, sigma, TilePlan.tiled(2))) {
            double[] got = new double[n];
            double[] sums = new double[n];
            op.multiply(w, got);
            op.rowSums(sums);
            assertTrue(Errors.normwise(got, want, scale) <= TOLERANCE, "K w error "
                    + Errors.normwise(got, want, scale));
            assertTrue(Errors.normwise(sums, wantSums, wantSums) <= TOLERANCE, "row sum error "
                    + Errors.normwise(sums, wantSums, wantSums));
        }
    }

    @Test
    void operatorOnTheSameRowSetIsSymmetric() {
        FloatMatrix x = x(257, 3);
        double sigma = TestRows.medianBandwidth(x, x);
        try (KernelOperator op = nd4j.rbfOperator(x, x, sigma, TilePlan.tiled(50))) {
            // e_i^T K e_j == e_j^T K e_i, and the diagonal is exp(0) = 1.
            double[] ei = new double[257];
            double[] col = new double[257];
            ei[3] = 1;
            op.multiply(ei, col);
            assertEquals(1.0, col[3], 1e-6);
            double[] ej = new double[257];
            double[] col2 = new double[257];
            ej[200] = 1;
            op.multiply(ej, col2);
            assertEquals(col[200], col2[3], 1e-6);
        }
    }

    @ParameterizedTest(name = "{0} rows, d = {1}, D = {2}")
    @MethodSource("featureShapes")
    void randomFourierFeaturesMatchReference(int n, int d, int features) {
        FloatMatrix x = x(n, d);
        FourierFeatures map = FourierFeatures.sample(d, features, TestRows.medianBandwidth(x, x),
                42);
        float[] got = new float[n * features];
        float[] ref = new float[n * features];
        nd4j.randomFourierFeatures(x, map, got);
        REFERENCE.randomFourierFeatures(x, map, ref);
        double error = Errors.normwise(got, Errors.widen(ref));
        assertTrue(error <= TOLERANCE, "feature error " + error);
    }

    @ParameterizedTest(name = "{0} rows, d = {1}, D = {2}")
    @MethodSource("featureShapes")
    void featureOperatorsMatchReference(int n, int d, int features) {
        FloatMatrix x = x(n, d);
        FourierFeatures map = FourierFeatures.sample(d, features, TestRows.medianBandwidth(x, x),
                43);
        double[] w = TestRows.vector(n, 3);
        double[] z = TestRows.vector(features, 4);
        try (FeatureOperator ref = REFERENCE.fourierFeatureOperator(x, map);
                FeatureOperator op = nd4j.fourierFeatureOperator(x, map)) {
            assertEquals(n, op.rows());
            assertEquals(features, op.features());
            double[] want = new double[features];
            double[] scale = new double[features];
            double[] got = new double[features];
            ref.transposeTimes(w, want);
            op.transposeTimes(w, got);
            // The float32 error of Phi^T w scales with |Phi|^T |w| (see Errors).
            boundAbsTransposeTimes(x, map, w, scale);
            assertTrue(Errors.normwise(got, want, scale) <= TOLERANCE, "Phi^T w error "
                    + Errors.normwise(got, want, scale));
            double[] wantZ = new double[n];
            double[] gotZ = new double[n];
            double[] scaleZ = new double[n];
            ref.times(z, wantZ);
            op.times(z, gotZ);
            boundAbsTimes(x, map, z, scaleZ);
            assertTrue(Errors.normwise(gotZ, wantZ, scaleZ) <= TOLERANCE, "Phi z error "
                    + Errors.normwise(gotZ, wantZ, scaleZ));
        }
    }

    /** {@code |Phi|^T |w|} from the reference features. */
    private static void boundAbsTransposeTimes(FloatMatrix x, FourierFeatures map, double[] w,
            double[] out) {
        float[] phi = new float[x.rows() * map.features()];
        REFERENCE.randomFourierFeatures(x, map, phi);
        int features = map.features();
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                out[f] += Math.abs(phi[i * features + f]) * Math.abs(w[i]);
            }
        }
    }

    /** {@code |Phi| |z|} from the reference features. */
    private static void boundAbsTimes(FloatMatrix x, FourierFeatures map, double[] z,
            double[] out) {
        float[] phi = new float[x.rows() * map.features()];
        REFERENCE.randomFourierFeatures(x, map, phi);
        int features = map.features();
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                out[i] += Math.abs(phi[i * features + f]) * Math.abs(z[f]);
            }
        }
    }

    @Test
    void badInputsAreRejectedWithTheBadValue() {
        FloatMatrix x = x(7, 3);
        FloatMatrix y4 = y(5, 4);
        IllegalArgumentException dims = assertThrows(IllegalArgumentException.class,
                () -> nd4j.squaredDistances(x, y4, new float[35]));
        assertTrue(dims.getMessage().contains("3") && dims.getMessage().contains("4"));
        IllegalArgumentException sigma = assertThrows(IllegalArgumentException.class,
                () -> nd4j.rbfBlock(x, x, -0.5, new float[49]));
        assertTrue(sigma.getMessage().contains("-0.5"), sigma.getMessage());
        IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
                () -> nd4j.rbfBlock(x, x, 1.0, new float[48]));
        assertTrue(out.getMessage().contains("48"), out.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> nd4j.rbfOperator(x, x, Double.NaN, TilePlan.tiled(2)));
        try (KernelOperator op = nd4j.rbfOperator(x, x, 1.0, TilePlan.tiled(2))) {
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                    () -> op.multiply(new double[6], new double[7]));
            assertTrue(w.getMessage().contains("6"), w.getMessage());
        }
    }

    @Test
    void closedOperatorsRefuseWork() {
        FloatMatrix x = x(7, 3);
        KernelOperator op = nd4j.rbfOperator(x, x, 1.0, TilePlan.tiled(3));
        op.close();
        op.close();
        assertThrows(IllegalStateException.class, () -> op.rowSums(new double[7]));
        FeatureOperator features = nd4j.fourierFeatureOperator(x,
                FourierFeatures.sample(3, 5, 1, 1));
        features.close();
        assertThrows(IllegalStateException.class,
                () -> features.times(new double[5], new double[7]));
    }

    @Test
    void emptyRowSetsGiveEmptyOrZeroResults() {
        FloatMatrix none = new FloatMatrix(0, 3, new float[0]);
        FloatMatrix x = x(7, 3);
        nd4j.squaredDistances(none, x, new float[0]);
        try (KernelOperator op = nd4j.rbfOperator(x, none, 1.0, TilePlan.tiled(4))) {
            double[] out = new double[7];
            Arrays.fill(out, 9.0);
            op.multiply(new double[0], out);
            assertTrue(Arrays.stream(out).allMatch(v -> v == 0.0));
        }
    }

    @Test
    void describesItself() {
        assertEquals("nd4j", nd4j.name());
        assertTrue(nd4j.description().contains("ND4J"), nd4j.description());
    }
}
