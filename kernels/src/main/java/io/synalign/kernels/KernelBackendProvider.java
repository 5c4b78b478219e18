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

    /**
     * Higher wins under {@code --backend auto}. The reference backend is lowest (0); nd4j is 100,
     * cuda 200. Equal priorities are taken in class-path order, so a third-party backend should
     * pick a priority of its own.
     */
    int priority();

    /**
     * Empty when this backend can run here; otherwise why not (missing native library, no
     * device, ...), phrased for a log line. Should catch its own failures; one that throws
     * anyway ({@code UnsatisfiedLinkError}, a runtime exception) is taken as unavailable, with
     * the failure as the reason.
     */
    Optional<String> unavailableReason();

    /**
     * Creates the backend. Called only when {@link #unavailableReason()} is empty. A failure is
     * reported as {@code backend 'name' failed to start: ...} when the backend was named, and
     * skipped with that reason under {@code auto}.
     */
    KernelBackend create();
}
