package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.engine.exploration.SelectionResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.KernelStorage;
import java.util.HashSet;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * End to end on a GPU: {@code align} (every method) and {@code select} on the cuda backend give
 * the CPU backend's results within float32 tolerance: nd4j where it loads, else (on the device
 * package, which leaves ND4J's natives out) the double-precision reference. (Every other engine test also runs
 * on cuda where it is available, through {@link AvailableBackends}.) Skipped, with the cuda
 * provider's reason, where no device is present.
 */
class CudaMatchesCpuTest {

    private static final Optional<String> UNAVAILABLE = KernelBackends.providers().stream()
            .filter(p -> p.name().equals("cuda")).findFirst()
            .map(KernelBackendProvider::unavailableReason)
            .orElse(Optional.of("no cuda provider on the class path"));

    /** The CPU backend compared against: nd4j where it loads, else reference. */
    private static final String CPU = AvailableBackends.names().contains("nd4j") ? "nd4j"
            : AvailableBackends.REFERENCE;

    @BeforeEach
    void needsADevice() {
        UNAVAILABLE.ifPresent(r -> System.out.println("[CudaMatchesCpuTest] skipped: " + r));
        Assumptions.assumeTrue(UNAVAILABLE.isEmpty(), () -> "cuda unavailable: "
                + UNAVAILABLE.orElse(""));
    }

    private static FloatMatrix rows(int n, int d, double shift, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            double c = r.nextInt(3) + shift;
            for (int k = 0; k < d; k++) {
                data[i * d + k] = (float) (c + 0.5 * r.nextGaussian());
            }
        }
        return new FloatMatrix(n, d, data);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = AlignmentMethod.class, names = {"EXACT", "TILED", "RFF", "NYSTROM"})
    void alignMatchesTheCpuBackend(AlignmentMethod method) {
        FloatMatrix real = rows(200, 32, 0.3, 1);
        FloatMatrix synthetic = rows(800, 32, 0.0, 2);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method).withSeed(5)
                .withFeatures(256).withIterations(200, 1e-9);
        AlignmentResult cpu;
        AlignmentResult gpu;
        try (KernelBackend b = KernelBackends.create(CPU)) {
            cpu = new MmdWeightLearner(b, config).fit(real, synthetic, null);
        }
        try (KernelBackend b = KernelBackends.create("cuda")) {
            gpu = new MmdWeightLearner(b, config).fit(real, synthetic, null);
        }
        assertEquals("cuda", gpu.backend());
        assertEquals(cpu.bandwidth(), gpu.bandwidth(), 1e-5 * cpu.bandwidth());
        assertEquals(cpu.mmd2Uniform(), gpu.mmd2Uniform(), 1e-4 * Math.abs(cpu.mmd2Uniform()));
        assertWeightsMatch(cpu, gpu, method);
    }

    /** Weighted MMD^2 within 1e-3 of the uniform one, weights within 0.05 in L1. */
    private static void assertWeightsMatch(AlignmentResult cpu, AlignmentResult gpu,
            AlignmentMethod method) {
        assertEquals(cpu.mmd2Weighted(), gpu.mmd2Weighted(),
                1e-3 * Math.abs(cpu.mmd2Uniform()), method + ": weighted MMD^2");
        double l1 = 0;
        for (int i = 0; i < cpu.weights().length; i++) {
            l1 += Math.abs(cpu.weights()[i] - gpu.weights()[i]);
        }
        assertTrue(l1 <= 0.05, method + ": weights differ by " + l1 + " in L1 (of total 1)");
    }

    /**
     * rff and nystrom streamed on the device (a forced grid of 97-row chunks, none kept, so
     * every chunk is rebuilt on the device in every pass, with the read-ahead) give the CPU
     * backend's whole-set result.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = AlignmentMethod.class, names = {"RFF", "NYSTROM"})
    void streamedChunksOnTheDeviceMatchTheCpuBackend(AlignmentMethod method) {
        FloatMatrix real = rows(200, 32, 0.3, 1);
        FloatMatrix synthetic = rows(800, 32, 0.0, 2);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method).withSeed(5)
                .withFeatures(256).withIterations(200, 1e-9);
        AlignmentResult cpu;
        AlignmentResult gpu;
        try (KernelBackend b = KernelBackends.create(CPU)) {
            cpu = new MmdWeightLearner(b, config).fit(real, synthetic, null);
        }
        System.setProperty("synalign.rff.chunkRows", "97");
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, "0");
        try (KernelBackend b = KernelBackends.create("cuda")) {
            gpu = new MmdWeightLearner(b, config).fit(real, synthetic, null);
        } finally {
            System.clearProperty("synalign.rff.chunkRows");
            System.clearProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY);
        }
        assertWeightsMatch(cpu, gpu, method);
    }

    /**
     * Half-precision storage of the kept K_SS (the cuda default) reaches the float64 MMD^2 of
     * float32 storage within 1 % (or lower), and both that of the CPU backend.
     */
    @Test
    void exactInHalfPrecisionScoresLikeSinglePrecision() {
        FloatMatrix real = rows(300, 48, 0.3, 11);
        FloatMatrix synthetic = rows(1200, 48, 0.0, 12);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT)
                .withSeed(5).withIterations(300, 1e-9);
        double[] scores = new double[3];
        AlignmentResult half;
        try (KernelBackend b = KernelBackends.create("cuda")) {
            half = new MmdWeightLearner(b, config.withKernelStorage(KernelStorage.FLOAT16))
                    .fit(real, synthetic, null);
            scores[0] = directMmd2(synthetic, real, half.weights(), half.bandwidth());
            AlignmentResult single = new MmdWeightLearner(b,
                    config.withKernelStorage(KernelStorage.FLOAT32)).fit(real, synthetic, null);
            scores[1] = directMmd2(synthetic, real, single.weights(), single.bandwidth());
            assertTrue(half.kernelStorage().contains("fp16"), half.kernelStorage());
            assertTrue(single.kernelStorage().contains("fp32"), single.kernelStorage());
        }
        try (KernelBackend b = KernelBackends.create(CPU)) {
            AlignmentResult cpu = new MmdWeightLearner(b, config).fit(real, synthetic, null);
            scores[2] = directMmd2(synthetic, real, cpu.weights(), cpu.bandwidth());
        }
        assertTrue(scores[0] <= 1.01 * scores[1], "fp16 " + scores[0] + " vs fp32 " + scores[1]);
        assertTrue(scores[1] <= 1.01 * scores[2], "fp32 " + scores[1] + " vs cpu " + scores[2]);
    }

    /** The weighted biased V-statistic from its definition, in double. */
    private static double directMmd2(FloatMatrix s, FloatMatrix r, double[] w, double sigma) {
        double ss = 0;
        double sr = 0;
        double rr = 0;
        for (int i = 0; i < s.rows(); i++) {
            for (int j = 0; j < s.rows(); j++) {
                ss += w[i] * w[j] * k(s, i, s, j, sigma);
            }
            for (int j = 0; j < r.rows(); j++) {
                sr += w[i] * k(s, i, r, j, sigma);
            }
        }
        for (int i = 0; i < r.rows(); i++) {
            for (int j = 0; j < r.rows(); j++) {
                rr += k(r, i, r, j, sigma);
            }
        }
        int m = r.rows();
        return ss - 2 * sr / m + rr / ((double) m * m);
    }

    private static double k(FloatMatrix x, int i, FloatMatrix y, int j, double sigma) {
        double d2 = 0;
        for (int c = 0; c < x.cols(); c++) {
            double d = (double) x.get(i, c) - y.get(j, c);
            d2 += d * d;
        }
        return Math.exp(-d2 / (2 * sigma * sigma));
    }

    @Test
    void selectMatchesTheCpuBackend() {
        FloatMatrix x = rows(1500, 64, 0.0, 3);
        SelectionConfig config = SelectionConfig.defaults();
        SelectionResult cpu;
        SelectionResult gpu;
        try (KernelBackend b = KernelBackends.create(CPU)) {
            cpu = new ExplorationSelector(b, config).select(x, 40, ProgressListener.NONE);
        }
        try (KernelBackend b = KernelBackends.create("cuda")) {
            gpu = new ExplorationSelector(b, config).select(x, 40, ProgressListener.NONE);
        }
        assertEquals(cpu.picks()[0], gpu.picks()[0]);
        Set<Integer> a = new HashSet<>();
        Set<Integer> common = new HashSet<>();
        for (int p : cpu.picks()) {
            a.add(p);
        }
        for (int p : gpu.picks()) {
            if (a.contains(p)) {
                common.add(p);
            }
        }
        // Near-ties may break differently in float32; nearly all picks must agree.
        assertTrue(common.size() >= 36, "only " + common.size() + " of 40 picks agree");
        for (int k = 0; k < 40; k++) {
            assertEquals(cpu.pickVariances()[k], gpu.pickVariances()[k], 1e-4, "pick " + k);
        }
    }
}
