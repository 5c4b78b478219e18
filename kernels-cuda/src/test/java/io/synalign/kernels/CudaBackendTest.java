package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.synalign.kernels.cuda.CudaBackend;
import io.synalign.kernels.cuda.CudaBackendProvider;
import io.synalign.kernels.cuda.CudaSettings;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The {@link BackendContractTest} (every primitive, operator and the GP variance tracker against
 * the double-precision reference, on awkward shapes, with the same error measures and the same
 * 1e-5 bound as the ND4J backend; see {@link Errors}) on the cuda backend, plus larger shapes and
 * a tracker sequence that cross the GPU's reduction blocks. Needs a CUDA device: without one
 * every test is skipped with the provider's reason, which is printed. Both tiled-product paths
 * are covered by the operator tests: cuBLAS GEMM plus the fused epilogue (default) and the single
 * fused kernel ({@code synalign.cuda.fused}).
 */
class CudaBackendTest extends BackendContractTest {

    private static KernelBackend gemm;
    private static KernelBackend fused;

    @TempDir
    static Path cache;

    private static final Optional<String> UNAVAILABLE =
            new CudaBackendProvider().unavailableReason();

    /**
     * The compiled-module cache: the one {@code synalign.cuda.cacheDir} names (the device script
     * sets it, so the GPU test runs reuse one NVRTC compilation: 3 to 6 s of device time for
     * each test class and run), else a fresh folder.
     */
    private static Path moduleCache() {
        return System.getProperty("synalign.cuda.cacheDir") != null
                ? CudaSettings.fromSystem().cacheDir() : cache;
    }

    /**
     * FP32 GEMMs on device 0 with the module cache above; the tile, staging and flat-sum
     * diagnostics as this JVM's properties set them ({@code run-on-device.sh}'s small-tile run
     * sets the first two), read once here into the settings the backend plans with.
     */
    private static CudaSettings settings(boolean fusedKernel) {
        CudaSettings s = CudaSettings.fromSystem();
        return new CudaSettings(false, fusedKernel, moduleCache(), 0, s.maxTileBytes(),
                s.stagingChunkBytes(), s.flatSums());
    }

    @BeforeAll
    static void open() {
        UNAVAILABLE.ifPresent(r -> System.out.println("[CudaBackendTest] skipped: cuda backend "
                + "unavailable: " + r));
        if (UNAVAILABLE.isPresent()) {
            return;
        }
        gemm = new CudaBackend(settings(false));
        fused = new CudaBackend(settings(true));
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

    @Override
    protected KernelBackend backend() {
        return gemm;
    }

    @Override
    protected List<KernelBackend> operatorBackends() {
        return List.of(gemm, fused);
    }

    /** The contract's shapes plus 65 x 63, d = 17 (a block edge off by one each way). */
    @Override
    protected Stream<Arguments> pairShapes() {
        return Stream.concat(super.pairShapes(), Stream.of(arguments(65, 63, 17)));
    }

    @Override
    protected Stream<Arguments> selfShapes() {
        return Stream.of(
                arguments(1, 384),
                arguments(7, 384),
                arguments(257, 384),
                arguments(1000, 384));
    }

    /** The contract's shapes plus 2,500 x 384 with 1,000 features (several device tiles). */
    @Override
    protected Stream<Arguments> featureShapes() {
        return Stream.concat(super.featureShapes(), Stream.of(arguments(2500, 384, 1000)));
    }

    /**
     * The kept self-kernel in half precision: the product keeps the half-precision entries'
     * accuracy (relative spacing 2^-11, so at most 2^-12 per entry, 5e-4 with the float32 rounding
     * of w), and float32 storage the contract's 1e-5; both are exactly symmetric with a unit
     * diagonal, and rows that are not a multiple of the 32-row tile are covered.
     */
    @Test
    void keptSelfKernelInHalfAndSinglePrecisionMatchesReference() {
        for (int n : new int[] {1, 33, 1000, 2049}) {
            FloatMatrix x = TestRows.clustered(n, 384, 40 + n);
            double sigma = TestRows.medianBandwidth(x, x);
            double[] w = TestRows.vector(n, 5);
            double[] want = new double[n];
            double[] scale = new double[n];
            try (KernelOperator ref = REFERENCE.rbfOperator(x, x, sigma, TilePlan.tiled(1))) {
                ref.multiply(w, want);
                ref.multiply(Errors.abs(w), scale);
            }
            for (KernelStorage storage : KernelStorage.values()) {
                double bound = storage == KernelStorage.FLOAT16 ? 5e-4 : TOLERANCE;
                try (KernelOperator op = gemm.rbfOperator(x, x, sigma,
                        new TilePlan(true, 64, storage))) {
                    assertEquals(true, op.materialised());
                    double[] got = new double[n];
                    op.multiply(w, got);
                    double error = Errors.normwise(got, want, scale);
                    assertEquals(true, error <= bound, storage + " n = " + n + ": error " + error);
                    // On device vectors the same product, bit for bit.
                    VectorOps v = gemm.vectors();
                    try (DeviceVector wv = v.of(w); DeviceVector out = v.zeros(n)) {
                        op.multiply(wv, out);
                        assertEquals(java.util.Arrays.toString(got),
                                java.util.Arrays.toString(v.toArray(out)));
                    }
                    // e_0 picks column 0: K[0][0] = 1 exactly.
                    double[] unit = new double[n];
                    unit[0] = 1;
                    op.multiply(unit, got);
                    assertEquals(1.0, got[0], 0.0, "unit diagonal");
                }
            }
        }
    }

    /** One row of d = 384 and large norm: k(x, x) = 1 in every product path (it was exp(-4.9e-4)). */
    @Test
    void selfKernelDiagonalIsExactlyOneInEveryPath() {
        float[] data = new float[384];
        for (int k = 0; k < 384; k++) {
            data[k] = (float) (1.9 + 0.01 * k);
        }
        FloatMatrix x = new FloatMatrix(1, 384, data);
        for (KernelBackend b : operatorBackends()) {
            for (TilePlan plan : new TilePlan[] {TilePlan.tiled(1), new TilePlan(true, 1)}) {
                try (KernelOperator op = b.rbfOperator(x, x, 0.5, plan)) {
                    double[] out = new double[1];
                    op.multiply(new double[] {1.0}, out);
                    assertEquals(1.0, out[0], 0.0, b.description() + " " + plan);
                }
            }
            float[] block = new float[1];
            b.rbfBlock(x, x, 0.5, block);
            assertEquals(1f, block[0], 0f, b.description() + " rbfBlock");
        }
    }

    /** The learner's four operators share one upload of a row set kept resident. */
    @Test
    void keptResidentRowsServeEveryOperator() {
        FloatMatrix x = TestRows.clustered(700, 384, 77);
        double sigma = TestRows.medianBandwidth(x, x);
        double[] w = TestRows.vector(700, 6);
        double[] fresh = new double[700];
        try (KernelOperator op = gemm.rbfOperator(x, x, sigma, TilePlan.tiled(100))) {
            op.multiply(w, fresh);
        }
        try (KernelBackend.Residency kept = gemm.keepResident(x);
                KernelBackend.Residency again = gemm.keepResident(x);
                KernelOperator op = gemm.rbfOperator(x, x, sigma, TilePlan.tiled(100))) {
            double[] shared = new double[700];
            op.multiply(w, shared);
            assertArrayEquals(fresh, shared, 0.0);
        }
    }

    @Test
    void gpVariancesMatchReferenceAlongALongGreedySequence() {
        int n = 1000;
        int steps = 30;
        double noise = 1e-3;
        FloatMatrix x = TestRows.clustered(n, 384, 31);
        double lengthScale = TestRows.medianBandwidth(x, x);
        try (GpVarianceTracker ref = REFERENCE.gpVarianceTracker(x, lengthScale, noise, steps);
                GpVarianceTracker got = gemm.gpVarianceTracker(x, lengthScale, noise, steps)) {
            assertGreedySequenceMatches(ref, got, n, steps);
            assertThrows(IllegalStateException.class, () -> got.condition(0));
            got.reset();
            assertEquals(0, got.rank());
            assertEquals(1.0, got.variance(n - 1));
        }
    }

    @Test
    void argmaxAcrossReductionBlocksBreaksTiesToTheLowestIndexAndHonoursExclusions() {
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
}
