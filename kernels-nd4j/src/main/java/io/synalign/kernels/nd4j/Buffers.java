package io.synalign.kernels.nd4j;

import java.util.function.Supplier;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.indexer.FloatIndexer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Flat off-heap ND4J buffers and the host copies in and out of them.
 *
 * <p>Every buffer in this package is a rank-1 INDArray holding a row-major matrix: BLAS calls take
 * its address, and elementwise epilogues run ND4J ops on contiguous {@link #range} views of it, so
 * no shape bookkeeping (and no {@code 'c'}/{@code 'f'} copies) can sneak in.
 */
final class Buffers {

    /**
     * The Java heap of one ND4J array of ours with its JavaCPP pointer: the {@code INDArray},
     * its data buffer and shape information, the pointer objects and their deallocators
     * (JavaCPP's {@code DeallocatorReference}, one an allocation). Measured, not derived: Spark's
     * {@code SizeEstimator} walk of an {@link Nd4jFeatureOperator} (four such arrays) less its
     * own arrays, its shell, its feature map and JavaCPP's JVM-wide list of allocations came
     * to 4,136 bytes at n = 1, 25, 256, 300 and 1,000 rows, D = 1,024, on ND4J 1.0.0-M2.1 and
     * JavaCPP 1.5.13 with compressed pointers (helper spare33): independent of the array's
     * length, which is native. For {@link io.synalign.kernels.FeatureOperator#heapBytes}.
     */
    static final long ARRAY_HEAP_BYTES = 1_034;


    private Buffers() {
    }

    /**
     * A test seam on this package's native allocations (those made through {@link #allocate}:
     * every method here that allocates, and the portable path's shaped arrays): told before
     * each one on the thread that set it, where it may throw to stand for a failed allocation
     * (JavaCPP's {@link OutOfMemoryError}, ND4J's allocation exceptions, neither reproducible
     * on demand), and told of each allocation made, so that a test can see which are closed.
     * Per thread, so that other threads' allocations are neither failed nor counted. Never set
     * outside tests.
     */
    interface AllocationWatch {
        /** Before an allocation; throws to make it fail. */
        void before();

        /** An allocation made: an {@link INDArray} or a JavaCPP pointer. */
        void made(Object allocation);
    }

    /** The calling thread's {@link AllocationWatch}, or none (tests only). */
    static final ThreadLocal<AllocationWatch> WATCH = new ThreadLocal<>();

    /**
     * {@code allocate}'s native allocation, told to the calling thread's
     * {@link AllocationWatch} if it has one (a thread-local read beside an allocation).
     */
    static <T> T allocate(Supplier<T> allocate) {
        AllocationWatch watch = WATCH.get();
        if (watch == null) {
            return allocate.get();
        }
        watch.before();
        T made = allocate.get();
        watch.made(made);
        return made;
    }

    /** A zeroed float32 buffer of {@code length} values (at least one: ND4J has no empty one). */
    static INDArray floats(long length) {
        return allocate(() -> Nd4j.create(DataType.FLOAT, Math.max(1, length)));
    }

    /**
     * {@code max(1, floats)} floats of plain JavaCPP memory, not zero-filled and not touched
     * (ND4J's buffers touch every page as they are allocated; docs/PERFORMANCE.md, helper
     * carried31), counted under JavaCPP's {@code maxbytes}.
     */
    static FloatPointer pointer(long floats) {
        return allocate(() -> new FloatPointer(Math.max(1, floats)));
    }

    /**
     * An uninitialised float32 buffer, for large scratch that is always written before it is
     * read: skipping the zero fill saves a pass, and pages never written are never committed.
     */
    static INDArray scratchFloats(long length) {
        return allocate(() -> Nd4j.createUninitialized(DataType.FLOAT, Math.max(1, length)));
    }

    /** An uninitialised float64 buffer (see {@link #scratchFloats}). */
    static INDArray scratchDoubles(long length) {
        return allocate(() -> Nd4j.createUninitialized(DataType.DOUBLE, Math.max(1, length)));
    }

    /**
     * An ND4J view of {@code length} floats of {@code memory}, without a copy and without
     * touching its pages: closing the view frees nothing of {@code memory} (ND4J's buffer over
     * an outside pointer does not own it), which its owner closes after the view.
     */
    static INDArray view(FloatPointer memory, long length) {
        return allocate(() -> {
            DataBuffer buffer = Nd4j.createBuffer(memory, DataType.FLOAT, length,
                    FloatIndexer.create(memory));
            return Nd4j.create(buffer, new long[] {length}, new long[] {1}, 0, 'c',
                    DataType.FLOAT);
        });
    }

    /** The address of a float buffer, as a pointer this caller may reposition freely. */
    static FloatPointer floatPointer(INDArray buffer) {
        return new FloatPointer(buffer.data().addressPointer());
    }

    /** The address of a double buffer, as a pointer this caller may reposition freely. */
    static DoublePointer doublePointer(INDArray buffer) {
        return new DoublePointer(buffer.data().addressPointer());
    }

    /** The contiguous view of elements {@code [from, to)} of a flat buffer (no copy). */
    static INDArray range(INDArray buffer, long from, long to) {
        if (from == 0 && to == buffer.length()) {
            return buffer;
        }
        return buffer.get(NDArrayIndex.interval(from, to));
    }

    /** Rounds {@code src[0, length)} to float32 via {@code scratch} into {@code dst}. */
    static void putRounded(double[] src, int length, float[] scratch, FloatPointer dst) {
        for (int i = 0; i < length; i++) {
            scratch[i] = (float) src[i];
        }
        dst.put(scratch, 0, length);
    }

    /** Widens {@code length} floats from {@code src} via {@code scratch} into {@code dst}. */
    static void getWidened(FloatPointer src, int length, float[] scratch, double[] dst) {
        src.get(scratch, 0, length);
        for (int i = 0; i < length; i++) {
            dst[i] = scratch[i];
        }
    }

    /** Frees the off-heap memory of each non-null buffer now rather than at garbage collection. */
    static void close(INDArray... buffers) {
        for (INDArray b : buffers) {
            if (b != null && !b.wasClosed() && b.closeable()) {
                b.close();
            }
        }
    }
}
