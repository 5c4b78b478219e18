package io.synalign.kernels;

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

    @Override
    KernelBackend backend() {
        return gemm;
    }

    @Override
    List<KernelBackend> operatorBackends() {
        return List.of(gemm, fused);
    }

    /** The contract's shapes plus 65 x 63, d = 17 (a block edge off by one each way). */
    @Override
    Stream<Arguments> pairShapes() {
        return Stream.concat(super.pairShapes(), Stream.of(arguments(65, 63, 17)));
    }

    @Override
    Stream<Arguments> selfShapes() {
        return Stream.of(
                arguments(1, 384),
                arguments(7, 384),
                arguments(257, 384),
                arguments(1000, 384));
    }

    /** The contract's shapes plus 2,500 x 384 with 1,000 features (several device tiles). */
    @Override
    Stream<Arguments> featureShapes() {
        return Stream.concat(super.featureShapes(), Stream.of(arguments(2500, 384, 1000)));
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
