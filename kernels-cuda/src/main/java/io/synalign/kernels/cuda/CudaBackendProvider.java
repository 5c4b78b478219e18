package io.synalign.kernels.cuda;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR;
import static org.bytedeco.cuda.global.cudart.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR;
import static org.bytedeco.cuda.global.cudart.cuDeviceGet;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetCount;
import static org.bytedeco.cuda.global.cudart.cuInit;

import io.synalign.kernels.BackendUnavailableException;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides the {@code cuda} backend (priority 200, above {@code nd4j}). Instantiating the provider
 * touches no CUDA class; {@link #unavailableReason()} loads the JavaCPP CUDA bindings once per JVM
 * (which needs {@code libcuda}, {@code libcudart.so.13}, {@code libcublas.so.13} and
 * {@code libnvrtc.so.13} on the library path), calls {@code cuInit} and
 * {@code cuDeviceGetCount}, and checks the device's compute capability, catching every error
 * ({@code UnsatisfiedLinkError}, CUDA error codes) into a one-line reason. So {@code auto} falls
 * back to the CPU and logs why, and {@code --backend cuda} fails with that reason.
 */
public final class CudaBackendProvider implements KernelBackendProvider {

    /** The backend's name on the command line. */
    public static final String NAME = "cuda";

    /** CUDA 13 supports Turing (7.5) and newer. */
    static final int MIN_COMPUTE_CAPABILITY = 75;

    private static final Logger LOG = LoggerFactory.getLogger(CudaBackendProvider.class);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Probe.REASON;
    }

    @Override
    public KernelBackend create() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            throw new BackendUnavailableException("backend '" + NAME + "' is unavailable: "
                    + reason.get());
        }
        return new CudaBackend(CudaSettings.fromSystem());
    }

    /** Lazy holder: the probe runs on first use, once, and its verdict is kept. */
    private static final class Probe {
        static final Optional<String> REASON = run();

        private static Optional<String> run() {
            if (Boolean.getBoolean("synalign.cuda.disable")) {
                return Optional.of("disabled by -Dsynalign.cuda.disable=true");
            }
            try {
                Loader.load(org.bytedeco.cuda.global.cudart.class);
                int init = cuInit(0);
                if (init != CUDA_SUCCESS) {
                    return Optional.of("cuInit failed: " + Cuda.describe(init));
                }
                int[] count = new int[1];
                int r = cuDeviceGetCount(count);
                if (r != CUDA_SUCCESS) {
                    return Optional.of("cuDeviceGetCount failed: " + Cuda.describe(r));
                }
                if (count[0] == 0) {
                    return Optional.of("no CUDA device");
                }
                int ordinal = CudaSettings.fromSystem().device();
                if (ordinal >= count[0]) {
                    return Optional.of("device " + ordinal + " requested, " + count[0]
                            + " present");
                }
                int[] dev = new int[1];
                Cuda.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
                int[] major = new int[1];
                int[] minor = new int[1];
                Cuda.check(cuDeviceGetAttribute(major,
                        CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev[0]), "cuDeviceGetAttribute");
                Cuda.check(cuDeviceGetAttribute(minor,
                        CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev[0]), "cuDeviceGetAttribute");
                if (major[0] * 10 + minor[0] < MIN_COMPUTE_CAPABILITY) {
                    return Optional.of("device " + ordinal + " has compute capability " + major[0]
                            + "." + minor[0] + "; CUDA 13 needs 7.5 or newer (the nd4j-cuda"
                            + " profile covers older GPUs)");
                }
                Loader.load(org.bytedeco.cuda.global.cublas.class);
                Loader.load(org.bytedeco.cuda.global.nvrtc.class);
                NvrtcCompiler.version();
                LOG.debug("cuda backend available: {} device(s)", count[0]);
                return Optional.empty();
            } catch (Throwable t) {
                // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError,
                // CudaException: report, never propagate.
                String reason = "CUDA 13 libraries failed to load: " + oneLine(t);
                LOG.debug(reason, t);
                return Optional.of(reason);
            }
        }
    }

    /** The innermost cause as {@code Type: message}, on one line, at most 300 characters. */
    static String oneLine(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage());
        text = text.replaceAll("\\s+", " ").trim();
        return text.length() <= 300 ? text : text.substring(0, 297) + "...";
    }
}
