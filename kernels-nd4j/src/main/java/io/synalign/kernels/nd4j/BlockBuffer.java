package io.synalign.kernels.nd4j;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.Op;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMin;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;

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
    /** Per view length: ND4J's clamp and exp on that view, made at its first use. */
    private final Map<Long, Op[]> kernelOps = new HashMap<>();
    /** How many pairs of ops were made (tests). */
    private int opsMade;

    /**
     * @param capacity floats in the block
     * @param lengths the element counts {@link #view} will be asked for (each at most capacity)
     */
    BlockBuffer(long capacity, long... lengths) {
        this.capacity = Math.max(1, capacity);
        try (NativeScope scope = new NativeScope()) { // the buffer goes where a view fails
            this.buffer = scope.own(Buffers.scratchFloats(this.capacity));
            this.pointer = Buffers.floatPointer(buffer);
            for (long length : lengths) {
                if (length > 0 && length <= this.capacity) {
                    views.computeIfAbsent(length, l -> Buffers.range(buffer, 0, l));
                }
            }
            scope.transfer();
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

    /**
     * {@link DistanceGemm#kernelValues} on {@code exponents}, in place: {@code exp(min(e, 0))}.
     * On one of this buffer's own views the two ND4J ops are made once per view and run again
     * at every call; any other view takes {@link DistanceGemm#kernelValues}, which makes them
     * anew. Why: a tiled product runs this once a block (about 60 blocks a product at n =
     * 6,000), and each fresh pair of ops (ND4J's {@code Transforms.min} and {@code exp}) cost
     * about 3.5 KB of heap garbage, their extra-argument buffers and JavaCPP pointers included,
     * where a pair run again costs about 1 KB (the executioner's own per call): the most of a
     * tiled product's heap garbage, which stays touched memory until G1 collects (rarely during
     * a fit: docs/PERFORMANCE.md, kept31). The same ops on the same memory: the same bits.
     * Not thread-safe, like the buffer (one worker's).
     */
    void kernelValues(INDArray exponents) {
        long length = exponents.length();
        if (views.get(length) != exponents) {
            DistanceGemm.kernelValues(exponents);
            return;
        }
        Op[] ops = kernelOps.get(length);
        if (ops == null) {
            ops = new Op[] {new ScalarMin(exponents, null, exponents, 0.0),
                new Exp(exponents, exponents)};
            kernelOps.put(length, ops);
            opsMade++;
        }
        Nd4j.getExecutioner().exec(ops[0]);
        Nd4j.getExecutioner().exec(ops[1]);
    }

    /** Pairs of ops made by {@link #kernelValues} so far (tests). */
    int opsMade() {
        return opsMade;
    }

    @Override
    public void close() {
        kernelOps.clear(); // their views' memory goes with the buffer
        Buffers.close(buffer);
    }
}
