package io.synalign.kernels.nd4j;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The GEMM output buffers of a walk over {@code totalRows} rows in tiles of {@code tileRows}:
 * one {@code tileRows x cols} matrix and, when the last tile is shorter, one for it. Made once,
 * so a walk allocates nothing per tile; separate arrays rather than views of one because
 * {@code Nd4j.gemm} wants a whole array as its output.
 */
final class PortableTiles implements AutoCloseable {

    private final INDArray full;
    private final INDArray last;

    PortableTiles(int totalRows, int tileRows, int cols) {
        int rows = Math.max(1, Math.min(tileRows, totalRows));
        int rest = totalRows % rows;
        try (NativeScope scope = new NativeScope()) { // the full tile goes where the last fails
            this.full = scope.own(Buffers.allocate(() -> Nd4j.createUninitialized(DataType.FLOAT,
                    rows, Math.max(1, cols))));
            this.last = rest == 0 ? null : scope.own(Buffers.allocate(() ->
                    Nd4j.createUninitialized(DataType.FLOAT, rest, Math.max(1, cols))));
            scope.transfer();
        }
    }

    /** The buffer for a tile of {@code count} rows (the full height or the last one's). */
    INDArray tile(int count) {
        if (count == full.rows()) {
            return full;
        }
        if (last != null && count == last.rows()) {
            return last;
        }
        throw new IllegalArgumentException("no tile buffer of " + count + " rows (have "
                + full.rows() + (last == null ? "" : " and " + last.rows()) + ")");
    }

    @Override
    public void close() {
        Buffers.close(full, last);
    }
}
