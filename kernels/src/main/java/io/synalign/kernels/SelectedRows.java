package io.synalign.kernels;

/**
 * Some rows of another {@link RowSource}, in a given order ({@link RowSource#select}): row
 * {@code k} of the view is row {@code indices[k]} of the source. A read copies each run of
 * consecutive indices with one read of the source, so a view of rows that lie together (one
 * label's rows of a file sorted by label, or every row) costs what the source's own read costs;
 * scattered rows cost one read each. A bad value is reported by the source, under its own row
 * number (the row of the file, not of the view). Holds no rows itself; closing the view leaves
 * the source open.
 */
final class SelectedRows implements RowSource {

    private final RowSource source;
    private final long[] indices;
    private final String name;
    private float[] row;

    SelectedRows(RowSource source, long[] indices) {
        long n = source.rows();
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= n) {
                throw new IndexOutOfBoundsException("row " + indices[k] + " selected from "
                        + source.name() + ", which has " + n + " rows");
            }
        }
        this.source = source;
        this.indices = indices.clone();
        this.name = source.name() + " (" + indices.length + " of " + n + " rows)";
    }

    @Override
    public long rows() {
        return indices.length;
    }

    @Override
    public int cols() {
        return source.cols();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int bytesPerStoredValue() {
        return source.bytesPerStoredValue();
    }

    @Override
    public void read(long start, int count, float[] out) {
        RowSource.checkRead(this, start, count, out);
        int cols = source.cols();
        int k = 0;
        while (k < count) {
            long first = indices[(int) start + k];
            int run = 1;
            while (k + run < count && indices[(int) start + k + run] == first + run) {
                run++;
            }
            if (k == 0) {
                source.read(first, run, out);
            } else {
                // The source writes from index 0: read into scratch, then copy into place.
                float[] scratch = scratch((long) run * cols);
                source.read(first, run, scratch);
                System.arraycopy(scratch, 0, out, k * cols, run * cols);
            }
            k += run;
        }
    }

    private float[] scratch(long floats) {
        if (row == null || row.length < floats) {
            row = new float[(int) floats];
        }
        return row;
    }
}
