package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.synalign.kernels.cuda.CudaBackend;
import io.synalign.kernels.cuda.CudaBackendProvider;
import io.synalign.kernels.cuda.CudaSettings;
import io.synalign.kernels.reference.ReferenceBackend;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every cuda primitive against the double-precision reference, on awkward shapes, with the same
 * error measures and the same 1e-5 bound as the ND4J backend (see {@link Errors}). Needs a CUDA
 * device: without one every test is skipped with the provider's reason, which is printed.
 * Both tiled-product paths are covered: cuBLAS GEMM plus the fused epilogue (default) and the
 * single fused kernel ({@code synalign.cuda.fused}).
 */
class CudaBackendTest {

    private static final double TOLERANCE = 1e-5;
    private static final KernelBackend REFERENCE = new ReferenceBackend();

    private static KernelBackend gemm;
    private static KernelBackend fused;

    @TempDir
    static Path cache;

    private static final Optional<String> UNAVAILABLE =
            new CudaBackendProvider().unavailableReason();

    @BeforeAll
    static void open() {
        UNAVAILABLE.ifPresent(r -> System.out.println("[CudaBackendTest] skipped: cuda backend "
                + "unavailable: " + r));
        if (UNAVAILABLE.isPresent()) {
            return;
        }
        gemm = new CudaBackend(new CudaSettings(false, false, cache, 0));
        fused = new CudaBackend(new CudaSettings(false, true, cache, 0));
        System.out.println("[CudaBackendTest] " + gemm.description());
    }

    /** Every test is reported as skipped, with the reason, where no device is present. */
    @BeforeEach
    void needsADevice() {
        Assumptions.assumeTrue(UNAVAILABLE.isEmpty(), () -> "cuda backend unavailable: "
                + UNAVAILABLE.orElse(""));
    }

    @AfterAll
    static void close() {
        if (gemm != null) {
            gemm.close();
        }
        if (fused != null) {
            fused.close();
        }
    }

    static Stream<Arguments> pairShapes() {
        return Stream.of(
                arguments(1, 1, 1),
                arguments(7, 1, 3),
                arguments(1, 1000, 384),
                arguments(7, 257, 3),
                arguments(65, 63, 17),
                arguments(257, 7, 384),
                arguments(257, 1000, 1),
                arguments(1000, 257, 384),
                arguments(1000, 1000, 3));
    }

    static Stream<Arguments> featureShapes() {
        return Stream.of(
                arguments(1, 1, 1),
                arguments(7, 3, 257),
                arguments(257, 384, 7),
                arguments(1000, 3, 384),
                arguments(2500, 384, 1000));
    }

    private static FloatMatrix x(int rows, int dim) {
        return TestRows.clustered(rows, dim, 1000L * rows + dim);
    }

    private static FloatMatrix y(int rows, int dim) {
        return TestRows.clustered(rows, dim, 7 + 1000L * rows + dim);
    }

    @ParameterizedTest(name = "{0} x {1}, d = {2}")
    @MethodSource("pairShapes")
    void squaredDistancesAndKernelBlocksMatchReference(int n, int m, int d) {
        FloatMatrix x = x(n, d);
        FloatMatrix y = y(m, d);
        float[] got = new float[n * m];
        float[] ref = new float[n * m];
        gemm.squaredDistances(x, y, got);
        REFERENCE.squaredDistances(x, y, ref);
        assertTrue(Errors.distanceError(got, ref, x, y) <= TOLERANCE, "distance error");
        for (float v : got) {
            assertTrue(v >= 0, "distances are clamped at 0, got " + v);
        }
        double sigma = TestRows.medianBandwidth(x, y);
        gemm.rbfBlock(x, y, sigma, got);
        REFERENCE.rbfBlock(x, y, sigma, ref);
        double error = Errors.normwise(got, Errors.widen(ref));
        assertTrue(error <= TOLERANCE, "kernel block error " + error);
    }

    @Test
    void blocksLargerThanOneTileMatchReference() {
        // Several output tiles stream through both buffers when device memory is tight; with a
        // large GPU this is one tile, and still checks the double-buffered path end to end.
        int n = 2900;
        int m = 3001;
        FloatMatrix x = x(n, 1);
        FloatMatrix y = y(m, 1);
        float[] got = new float[n * m];
        float[] ref = new float[n * m];
        double sigma = TestRows.medianBandwidth(x, y);
        gemm.rbfBlock(x, y, sigma, got);
        REFERENCE.rbfBlock(x, y, sigma, ref);
        assertTrue(Errors.normwise(got, Errors.widen(ref)) <= TOLERANCE);
    }

    @ParameterizedTest(name = "{0} x {1}, d = {2}")
    @MethodSource("pairShapes")
    void kernelOperatorsMatchReference(int n, int m, int d) {
        assertOperatorsMatchReference(x(n, d), y(m, d), 11);
    }

    @ParameterizedTest(name = "{0} rows, self kernel")
    @ValueSource(ints = {1, 7, 257, 1000})
    void selfKernelOperatorsMatchReference(int n) {
        FloatMatrix x = x(n, 384);
        assertOperatorsMatchReference(x, x, 17);
    }

    private static void assertOperatorsMatchReference(FloatMatrix x, FloatMatrix y, long seed) {
        int n = x.rows();
        int m = y.rows();
        double sigma = TestRows.medianBandwidth(x, y);
        double[] w = TestRows.vector(m, seed);
        double[] want = new double[n];
        double[] scale = new double[n];
        double[] wantSums = new double[n];
        try (KernelOperator ref = REFERENCE.rbfOperator(x, y, sigma, TilePlan.tiled(1))) {
            ref.multiply(w, want);
            ref.multiply(Errors.abs(w), scale);
            ref.rowSums(wantSums);
        }
        for (KernelBackend backend : new KernelBackend[] {gemm, fused}) {
            for (TilePlan plan : new TilePlan[] {TilePlan.tiled(n / 3 + 1),
                    new TilePlan(true, n / 3 + 1)}) {
                try (KernelOperator op = backend.rbfOperator(x, y, sigma, plan)) {
                    assertEquals(n, op.rows());
                    assertEquals(m, op.cols());
                    assertEquals(plan.materialise(), op.materialised());
                    double[] kw = new double[n];
                    double[] sums = new double[n];
                    op.multiply(w, kw);
                    op.rowSums(sums);
                    String what = backend.description() + " " + plan;
                    assertTrue(Errors.normwise(kw, want, scale) <= TOLERANCE, what + " K w error "
                            + Errors.normwise(kw, want, scale));
                    assertTrue(Errors.normwise(sums, wantSums, wantSums) <= TOLERANCE, what
                            + " row sum error " + Errors.normwise(sums, wantSums, wantSums));
                    double[] again = new double[n];
                    op.multiply(w, again);
                    assertTrue(Arrays.equals(kw, again), what + " repeated product differs");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} rows, d = {1}, D = {2}")
    @MethodSource("featureShapes")
    void fourierFeaturesAndTheirProductsMatchReference(int n, int d, int features) {
        FloatMatrix x = x(n, d);
        FourierFeatures map = FourierFeatures.sample(d, features, TestRows.medianBandwidth(x, x),
                42);
        float[] got = new float[n * features];
        float[] ref = new float[n * features];
        gemm.randomFourierFeatures(x, map, got);
        REFERENCE.randomFourierFeatures(x, map, ref);
        assertTrue(Errors.normwise(got, Errors.widen(ref)) <= TOLERANCE, "feature error "
                + Errors.normwise(got, Errors.widen(ref)));
        double[] w = TestRows.vector(n, 3);
        double[] z = TestRows.vector(features, 4);
        try (FeatureOperator want = REFERENCE.fourierFeatureOperator(x, map);
                FeatureOperator op = gemm.fourierFeatureOperator(x, map)) {
            double[] wantT = new double[features];
            double[] gotT = new double[features];
            double[] scaleT = new double[features];
            want.transposeTimes(w, wantT);
            op.transposeTimes(w, gotT);
            double[] wantZ = new double[n];
            double[] gotZ = new double[n];
            double[] scaleZ = new double[n];
            want.times(z, wantZ);
            op.times(z, gotZ);
            // |Phi|^T |w| and |Phi| |z|: the float32 error scale of the products (see Errors).
            for (int i = 0; i < n; i++) {
                for (int f = 0; f < features; f++) {
                    double a = Math.abs(ref[i * features + f]);
                    scaleT[f] += a * Math.abs(w[i]);
                    scaleZ[i] += a * Math.abs(z[f]);
                }
            }
            assertTrue(Errors.normwise(gotT, wantT, scaleT) <= TOLERANCE, "Phi^T w error");
            assertTrue(Errors.normwise(gotZ, wantZ, scaleZ) <= TOLERANCE, "Phi z error");
        }
    }

    @Test
    void gpVariancesMatchReferenceAlongAGreedySequence() {
        int n = 1000;
        int steps = 30;
        double noise = 1e-3;
        FloatMatrix x = TestRows.clustered(n, 384, 31);
        double lengthScale = TestRows.medianBandwidth(x, x);
        try (GpVarianceTracker ref = REFERENCE.gpVarianceTracker(x, lengthScale, noise, steps);
                GpVarianceTracker got = gemm.gpVarianceTracker(x, lengthScale, noise, steps)) {
            BitSet chosen = new BitSet();
            double[] want = new double[n];
            double[] have = new double[n];
            for (int step = 0; step < steps; step++) {
                int p = ref.argmax(chosen);
                int q = got.argmax(chosen);
                assertTrue(ref.variance(q) >= ref.variance(p) - 1e-5, "step " + step);
                chosen.set(p);
                ref.condition(p);
                got.condition(p);
                ref.variances(want);
                got.variances(have);
                for (int i = 0; i < n; i++) {
                    assertEquals(want[i], have[i], 1e-5, "step " + step + ", row " + i);
                }
                assertEquals(have[p], got.variance(p));
            }
            assertThrows(IllegalStateException.class, () -> got.condition(0));
            got.reset();
            assertEquals(0, got.rank());
            assertEquals(1.0, got.variance(n - 1));
        }
    }

    @Test
    void argmaxBreaksTiesToTheLowestIndexAndHonoursExclusions() {
        FloatMatrix x = TestRows.clustered(3000, 3, 5);
        try (GpVarianceTracker t = gemm.gpVarianceTracker(x, 1.0, 1e-3, 4)) {
            assertEquals(0, t.argmax(null));
            BitSet excluded = new BitSet();
            excluded.set(0, 2049);
            assertEquals(2049, t.argmax(excluded));
            excluded.set(0, 3000);
            assertEquals(-1, t.argmax(excluded));
        }
    }

    @Test
    void closedOperatorsRefuseWorkAndBadInputsNameTheValue() {
        FloatMatrix x = x(7, 3);
        KernelOperator op = gemm.rbfOperator(x, x, 1.0, TilePlan.tiled(3));
        op.close();
        op.close();
        assertThrows(IllegalStateException.class, () -> op.rowSums(new double[7]));
        IllegalArgumentException sigma = assertThrows(IllegalArgumentException.class,
                () -> gemm.rbfBlock(x, x, -0.5, new float[49]));
        assertTrue(sigma.getMessage().contains("-0.5"));
        assertFalse(gemm.description().isBlank());
    }
}
