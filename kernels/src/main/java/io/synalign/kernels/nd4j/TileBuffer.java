package io.synalign.kernels.nd4j;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One reusable off-heap tile of {@code tileRows x cols} floats (row-major) for walking a
 * {@code totalRows x cols} result in row tiles, with the element views the epilogue ops need for a
 * full tile and for the last, partial one built once, so the per-tile loop allocates nothing.
 */
final class TileBuffer implements AutoCloseable {

    private final int tileRows;
    private final int cols;
    private final int tailRows;
    private final INDArray buffer;
    private final INDArray tail;
    private final FloatPointer pointer;

    /**
     * @param totalRows rows of the whole result
     * @param tileRows requested tile height; clipped to {@code totalRows}
     * @param cols columns of the result
     */
    TileBuffer(int totalRows, int tileRows, int cols) {
        this.tileRows = Math.max(1, Math.min(tileRows, totalRows));
        this.cols = cols;
        this.tailRows = totalRows % this.tileRows;
        this.buffer = Buffers.floats((long) this.tileRows * cols);
        this.tail = tailRows == 0 || cols == 0 ? null : Buffers.range(buffer, 0, (long) tailRows * cols);
        this.pointer = Buffers.floatPointer(buffer);
    }

    int tileRows() {
        return tileRows;
    }

    FloatPointer pointer() {
        return pointer;
    }

    /** The first {@code count x cols} elements, as a contiguous ND4J view. */
    INDArray rows(int count) {
        if (count == tileRows) {
            return buffer;
        }
        if (count == tailRows) {
            return tail;
        }
        return Buffers.range(buffer, 0, (long) count * cols);
    }

    @Override
    public void close() {
        Buffers.close(buffer);
    }
}
