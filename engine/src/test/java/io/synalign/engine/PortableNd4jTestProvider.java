package io.synalign.engine;

import io.synalign.kernels.ForwardingKernelBackend;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.nd4j.Nd4jBackend;
import io.synalign.kernels.nd4j.Nd4jBackendProvider;
import io.synalign.kernels.nd4j.Nd4jPath;
import java.util.Optional;

/**
 * Test-only backend {@code nd4j-portable}: the {@code nd4j} backend forced onto its portable path
 * ({@link Nd4jPath#PORTABLE}, INDArray operations only: what runs on an ND4J CUDA backend), so
 * every engine test parameterised by {@link AvailableBackends} covers that path too, here on the
 * CPU. Registered in this module's test resources only; priority below the reference, so
 * {@code auto} never picks it. The backend reports its name as {@value #NAME} (results record the
 * backend's name, and tests compare it with the one they asked for).
 */
public final class PortableNd4jTestProvider implements KernelBackendProvider {

    /** The test backend's name. */
    public static final String NAME = "nd4j-portable";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return -1;
    }

    @Override
    public Optional<String> unavailableReason() {
        return new Nd4jBackendProvider().unavailableReason();
    }

    @Override
    public KernelBackend create() {
        return new Named(new Nd4jBackend(Nd4jPath.PORTABLE));
    }

    /**
     * The portable nd4j backend under this provider's name; every other call, the interface's
     * default methods included, is the backend's ({@link ForwardingKernelBackend}), so a
     * budget, storage or vector answer of nd4j's own is not replaced by the interface's default.
     */
    private static final class Named extends ForwardingKernelBackend {

        Named(Nd4jBackend backend) {
            super(backend);
        }

        @Override
        public String name() {
            return NAME;
        }
    }
}
