package io.synalign.kernels;

import io.synalign.kernels.cuda.CudaBackend;
import io.synalign.kernels.cuda.CudaBackendProvider;
import io.synalign.kernels.cuda.CudaSettings;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link VectorOpsContractTest} on the cuda backend's device vectors, plus lengths that cross
 * many reduction blocks. Needs a CUDA device: without one every test is skipped with the
 * provider's reason, which is printed.
 */
class CudaVectorOpsTest extends VectorOpsContractTest {

    private static final Optional<String> UNAVAILABLE =
            new CudaBackendProvider().unavailableReason();

    @TempDir
    static Path cache;

    private static KernelBackend backend;

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
        UNAVAILABLE.ifPresent(r -> System.out.println("[CudaVectorOpsTest] skipped: cuda backend "
                + "unavailable: " + r));
        if (UNAVAILABLE.isEmpty()) {
            backend = new CudaBackend(settings(false));
        }
    }

    @BeforeEach
    void needsADevice() {
        Assumptions.assumeTrue(UNAVAILABLE.isEmpty(), () -> "cuda backend unavailable: "
                + UNAVAILABLE.orElse(""));
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    @Override
    protected VectorOps ops() {
        return backend.vectors();
    }

    /** The contract's lengths plus ones spanning thousands of blocks of 256 threads. */
    @Override
    protected IntStream lengths() {
        return IntStream.concat(super.lengths(), IntStream.of(65_537, 1_000_003));
    }
}
