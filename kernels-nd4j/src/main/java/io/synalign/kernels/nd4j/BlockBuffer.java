package io.synalign.kernels.nd4j;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One reusable off-heap scratch block of floats into which a GEMM writes a dense row-major block
 * of a larger result, with the contiguous ND4J views the elementwise epilogue needs. The views of
 * the few block sizes a walk produces (full, last row block, last column block, corner) are made
 * once, at construction, so the per-block loop allocates nothing.
 */
final class BlockBuffer implements AutoCloseable {

    private final long capacity;
    private final INDArray buffer;
    private final FloatPointer pointer;
    private final Map<Long, INDArray> views = new HashMap<>();

    /**
     * @param capacity floats in the block
     * @param lengths the element counts {@link #view} will be asked for (each at most capacity)
     */
    BlockBuffer(long capacity, long... lengths) {
        this.capacity = Math.max(1, capacity);
        this.buffer = Buffers.scratchFloats(this.capacity);
        this.pointer = Buffers.floatPointer(buffer);
        for (long length : lengths) {
            if (length > 0 && length <= this.capacity) {
                views.computeIfAbsent(length, l -> Buffers.range(buffer, 0, l));
            }
        }
    }

    /** Scratch for walking {@code totalRows} rows of {@code cols} in tiles of {@code tileRows}. */
    static BlockBuffer forRowTiles(int totalRows, int tileRows, int cols) {
        return new BlockBuffer((long) tileRows * cols, (long) tileRows * cols,
                (long) (totalRows % tileRows) * cols);
    }

    FloatPointer pointer() {
        return pointer;
    }

    /** The first {@code length} elements as a contiguous view (no copy). */
    INDArray view(long length) {
        if (length <= 0 || length > capacity) {
            throw new IllegalArgumentException("view of " + length + " elements of a block of "
                    + capacity);
        }
        INDArray view = views.get(length);
        return view != null ? view : Buffers.range(buffer, 0, length);
    }

    @Override
    public void close() {
        Buffers.close(buffer);
    }
}
