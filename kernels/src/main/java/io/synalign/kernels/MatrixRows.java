package io.synalign.kernels;

import java.util.List;

/** A {@link RowSource} over in-memory {@link FloatMatrix} blocks, one after another. */
final class MatrixRows implements RowSource {

    private final List<FloatMatrix> blocks;
    private final long[] starts;
    private final int cols;
    private final String name;

    MatrixRows(List<FloatMatrix> blocks, String name) {
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("a row source needs at least one block");
        }
        this.blocks = List.copyOf(blocks);
        this.cols = blocks.get(0).cols();
        this.starts = new long[blocks.size() + 1];
        for (int b = 0; b < blocks.size(); b++) {
            FloatMatrix m = blocks.get(b);
            if (m.cols() != cols) {
                throw new IllegalArgumentException("block " + b + " has " + m.cols()
                        + " columns, block 0 has " + cols);
            }
            starts[b + 1] = starts[b] + m.rows();
        }
        this.name = name;
    }

    /** The single matrix behind a one-block source, else null. */
    @Override
    public FloatMatrix inMemory() {
        return single();
    }

    /** The single matrix behind a one-block source, else null. */
    FloatMatrix single() {
        return blocks.size() == 1 ? blocks.get(0) : null;
    }

    @Override
    public long rows() {
        return starts[starts.length - 1];
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void read(long start, int count, float[] out) {
        RowSource.checkRead(this, start, count, out);
        int b = 0;
        while (starts[b + 1] <= start && b < blocks.size() - 1) {
            b++;
        }
        long row = start;
        int written = 0;
        while (written < count) {
            while (starts[b + 1] <= row) {
                b++;
            }
            FloatMatrix m = blocks.get(b);
            int local = (int) (row - starts[b]);
            int take = Math.min(count - written, m.rows() - local);
            float[] data = m.data();
            int from = local * cols;
            for (int k = 0; k < take * cols; k++) {
                if (!Float.isFinite(data[from + k])) {
                    long r = row + k / cols;
                    throw new IllegalArgumentException(name + " row " + r + " column " + k % cols
                            + " is " + data[from + k]);
                }
            }
            System.arraycopy(data, from, out, written * cols, take * cols);
            written += take;
            row += take;
        }
    }

    @Override
    public FloatMatrix toMatrix() {
        FloatMatrix m = single();
        return m != null ? m : RowSource.super.toMatrix();
    }
}
