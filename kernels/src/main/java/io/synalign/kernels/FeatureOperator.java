package io.synalign.kernels;

import io.synalign.kernels.host.HostVector;

/**
 * A stored random-Fourier-feature matrix {@code Phi} (n rows x D features) of a row set, with
 * the two products the RFF-MMD learner needs. Cost per product O(n D); memory O(n D) floats.
 * Not thread-safe; close to free backend memory, before the backend that made it (see
 * {@link KernelBackend}: afterwards every call but {@link #close()} and the shape queries throws
 * {@link IllegalStateException}).
 *
 * <p>Accuracy, against the exact features: {@code ||out - Phi^T w||_2 <= 1e-5
 * || |Phi|^T |w| ||_2} and {@code ||out - Phi z||_2 <= 1e-5 || |Phi| |z| ||_2} (the float32
 * dot-product bound; a product may cancel far below {@code ||Phi|| ||w||}). The products on
 * {@link DeviceVector}s give the same values as the array forms.
 *
 * <p>Cancellation ({@link Cancellation}): the {@code nd4j} backend's build of Phi (O(n d D):
 * 23 s for 250,000 rows at d = 384, D = 1,024 on two cores), its {@link #reload} and both
 * products ask for the calling thread's interrupt before each block of rows and throw a
 * {@link java.util.concurrent.CancellationException}, the status kept set (the factory's
 * memory freed before it throws). After a cancelled product {@code out} is unspecified and must
 * not be read (no caller does: the exception leaves the method that owns {@code out}), the
 * inputs are unchanged and the operator is as it was (the next product has the bits of one never
 * interrupted; the contract checks it). After a cancelled {@link #reload} Phi is partly the new
 * rows': reload again before a product (nd4j's products refuse until then). The engine's
 * streamed passes also ask before each chunk. Backends that do not check (the reference's
 * features, {@code cuda}) run to their end, keeping the status set.
 */
public interface FeatureOperator extends AutoCloseable {

    /** n, the number of rows. */
    int rows();

    /** D, the number of features. */
    int features();

    /** {@code out = Phi^T w}: w has length n, out length D. */
    void transposeTimes(double[] w, double[] out);

    /** {@code out = Phi z}: z has length D, out length n. */
    void times(double[] z, double[] out);

    /** {@code out = Phi^T w} on backend vectors (default: the arrays of host vectors). */
    default void transposeTimes(DeviceVector w, DeviceVector out) {
        transposeTimes(HostVector.array(w), HostVector.array(out));
    }

    /** {@code out = Phi z} on backend vectors (default: the arrays of host vectors). */
    default void times(DeviceVector z, DeviceVector out) {
        times(HostVector.array(z), HostVector.array(out));
    }

    /**
     * Recomputes this operator's {@code Phi} in place from new rows {@code x} (the same number of
     * rows, the same feature map), reusing every buffer; returns false, changing nothing, when
     * this operator cannot (the caller then builds a new one). Streaming callers rebuild one
     * operator per chunk this way: on this 2-core VM fresh memory costs about 3 ms per MiB to
     * fault in, as much as the features' GEMM.
     */
    default boolean reload(FloatMatrix x) {
        return false;
    }

    /**
     * {@link #reload(FloatMatrix)} from rows handed over in pieces ({@link RowPieces}), to the
     * same bits as from the whole block; false, changing nothing and reading no piece, when
     * this operator cannot (the default: the caller then builds a new operator from the pieces).
     */
    default boolean reload(RowPieces x) {
        return false;
    }

    /** What {@link #heapBytes} answers for an operator that cannot tell. */
    long UNKNOWN_HEAP_BYTES = -1;

    /**
     * The bytes of Java heap this operator holds for itself: its own objects and arrays (on the
     * reference backend Phi itself, 8 n D bytes; on nd4j and cuda, where Phi is native or device
     * memory, a few scratch arrays and the library's view objects), not what it shares with
     * others or holds only by reference (the feature map it was built with, the backend, the
     * rows it came from), nor JVM-wide structures its objects happen to reach (JavaCPP's list
     * of every live native allocation, which a walk of an nd4j operator's pointers reaches
     * through their deallocators: 88 bytes an allocation anywhere in the JVM). A caller that
     * sizes what it holds (Spark's estimate of a cached partition) asks this rather than walk
     * the operator, whose walk grows with everything else alive (docs/RELIABILITY.md, helpers
     * spark32 and spare33). Counted, not walked: O(1). {@link #UNKNOWN_HEAP_BYTES} (the default)
     * when the operator cannot say; the caller then walks it.
     */
    default long heapBytes() {
        return UNKNOWN_HEAP_BYTES;
    }

    @Override
    void close();
}
