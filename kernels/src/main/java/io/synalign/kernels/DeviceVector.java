package io.synalign.kernels;

/**
 * A vector of doubles held where its backend computes: a Java array for the host backends
 * ({@code reference}, {@code nd4j}), device memory for {@code cuda}. The optimiser of the MMD
 * weight learner keeps all of its per-row state (weights, momentum point, gradient step, the
 * products with H) in such vectors, so that on a GPU nothing of length n crosses the bus while it
 * runs: only the few scalars of {@link VectorOps}' reductions are read back.
 *
 * <p>Made only by the {@link VectorOps} of a backend ({@link KernelBackend#vectors()}) and used
 * only with that backend's operations; passing one to another backend is an
 * {@link IllegalArgumentException}. Closing frees device memory (a host vector has none to free);
 * a closed vector must not be used again, and a device vector must be closed before its backend
 * (see {@link KernelBackend}). Not thread-safe.
 */
public interface DeviceVector extends AutoCloseable {

    /** The number of values. */
    long length();

    @Override
    void close();
}
