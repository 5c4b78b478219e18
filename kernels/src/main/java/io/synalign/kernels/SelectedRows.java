package io.synalign.kernels;

/**
 * Some rows of another {@link RowSource}, in a given order ({@link RowSource#select}): row
 * {@code k} of the view is row {@code indices[k]} of the source. A read is the source's
 * {@link RowSource#readRows}: runs of consecutive indices with one read each, so a view of rows
 * that lie together (one label's rows of a file sorted by label, or every row) costs what the
 * source's own read costs; a file source reads scattered rows that lie near each other
 * together. A bad value is reported by the source, under its own row
 * number (the row of the file, not of the view). Holds no rows itself; closing the view leaves
 * the source open.
 */
final class SelectedRows implements RowSource {

    private final RowSource source;
    private final long[] indices;
    private final String name;

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
        source.readRows(indices, (int) start, count, out);
    }
}
