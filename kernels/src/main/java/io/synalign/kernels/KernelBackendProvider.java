package io.synalign.kernels;

import java.util.Optional;

/**
 * Service-provider interface through which {@link KernelBackends} discovers backends
 * ({@code META-INF/services/io.synalign.kernels.KernelBackendProvider}). A provider must be cheap
 * to instantiate: native libraries are touched only by {@link #unavailableReason()} and
 * {@link #create()}.
 */
public interface KernelBackendProvider {

    /** The backend's name, as accepted by {@code --backend}. */
    String name();

    /** Higher wins under {@code --backend auto}. The reference backend is lowest. */
    int priority();

    /**
     * Empty when this backend can run here; otherwise why not (missing native library, no
     * device, ...), phrased for a log line.
     */
    Optional<String> unavailableReason();

    /** Creates the backend. Called only when {@link #unavailableReason()} is empty. */
    KernelBackend create();
}
