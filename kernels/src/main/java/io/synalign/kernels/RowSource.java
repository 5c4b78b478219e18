package io.synalign.kernels;

import java.util.List;

/**
 * Rows of a matrix too large, possibly, for one Java array (a {@link FloatMatrix} holds fewer
 * than 2^31 floats: 5.59 M rows at d = 384): {@code long} rows, {@code int} columns, read in
 * blocks of at most 2^31 floats. Backed by in-memory blocks ({@link #of(FloatMatrix)},
 * {@link #ofBlocks}) or by a file read block by block (an {@code .npy} read positionally in the
 * CLI).
 *
 * <p>Reading is the only operation, so a source can stream rows it never holds; how the rows are
 * stored (one array, many blocks, a file) never changes a result: the engine's blocked
 * computations follow a grid of row chunks fixed by the global row index, not by the source's
 * own blocks. Sources are read by one thread at a time; close to release files.
 */
public interface RowSource extends AutoCloseable {

    /** The number of rows. */
    long rows();

    /** The number of columns, {@code >= 1}. */
    int cols();

    /** What the rows are, for messages (a file path, "in memory"). */
    String name();

    /**
     * Copies rows {@code [start, start + count)} into {@code out} (row-major,
     * {@code count * cols()} floats from index 0).
     *
     * @throws IndexOutOfBoundsException when the range leaves the source
     * @throws IllegalArgumentException when the rows hold a value the engine cannot take (NaN or
     *     an infinity), naming the row and column, or out is too short
     * @throws java.io.UncheckedIOException when a file cannot be read
     */
    void read(long start, int count, float[] out);

    /**
     * Copies rows {@code indices[from], ..., indices[from + count - 1]} into {@code out}
     * (row-major, {@code count * cols()} floats from index 0), as {@link #read} of each would:
     * what a view of some rows ({@link #select}) reads through. This default reads each run of
     * consecutive indices with one {@link #read}; a source stored in a file overrides it to read
     * nearby rows together (one label's rows scattered through a file).
     *
     * @throws IndexOutOfBoundsException when an index is not a row
     */
    default void readRows(long[] indices, int from, int count, float[] out) {
        int cols = cols();
        float[] scratch = null;
        int k = 0;
        while (k < count) {
            long first = indices[from + k];
            int run = 1;
            while (k + run < count && indices[from + k + run] == first + run) {
                run++;
            }
            if (k == 0) {
                read(first, run, out);
            } else {
                // read writes from index 0: read into scratch, then copy into place.
                if (scratch == null || scratch.length < run * cols) {
                    scratch = new float[Math.multiplyExact(run, cols)];
                }
                read(first, run, scratch);
                System.arraycopy(scratch, 0, out, k * cols, run * cols);
            }
            k += run;
        }
    }

    /**
     * The most bytes one value takes where the rows are stored: 4 for floats (in memory, a
     * float32 file), 8 for a float64 file; for a concatenation the largest of its parts'. What a
     * plan multiplies by to say how much a pass reads.
     */
    default int bytesPerStoredValue() {
        return Float.BYTES;
    }

    /**
     * The one in-memory matrix behind this source, or null: lets a consumer that needs a matrix
     * (and checks its values up front) use it without a copy.
     */
    default FloatMatrix inMemory() {
        return null;
    }

    /** Rows {@code [start, start + count)} as a new matrix. */
    default FloatMatrix block(long start, int count) {
        FloatMatrix m = FloatMatrix.zeros(count, cols());
        read(start, count, m.data());
        return m;
    }

    /**
     * All rows as one matrix (a copy unless the source is one in-memory matrix).
     *
     * @throws IllegalArgumentException when they exceed one Java array
     */
    default FloatMatrix toMatrix() {
        long values = rows() * (long) cols();
        if (values > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name() + ": " + rows() + " x " + cols() + " = "
                    + values + " values are more than one Java array holds");
        }
        return block(0, (int) rows());
    }

    @Override
    default void close() {
    }

    /** The rows of one in-memory matrix (shared, not copied). */
    static RowSource of(FloatMatrix m) {
        return new MatrixRows(List.of(m), "in memory");
    }

    /**
     * The rows {@code indices} of this source, in that order, as a source of their own (a view:
     * nothing is copied until it is read). Runs of consecutive indices are read with one read of
     * this source each.
     *
     * @throws IndexOutOfBoundsException when an index is not a row of this source
     */
    default RowSource select(long[] indices) {
        return new SelectedRows(this, indices);
    }

    /** {@link #select(long[])} for int indices. */
    default RowSource select(int[] indices) {
        long[] wide = new long[indices.length];
        for (int k = 0; k < indices.length; k++) {
            wide[k] = indices[k];
        }
        return select(wide);
    }

    /**
     * The checks every {@link #read} makes first, with its messages: the range lies in the
     * source, and {@code out} holds its rows.
     *
     * @throws IndexOutOfBoundsException naming the range, the row count and the source
     * @throws IllegalArgumentException when out is too short
     */
    static void checkRead(RowSource source, long start, int count, float[] out) {
        if (start < 0 || count < 0 || start > source.rows() - count) { // no overflow
            String end = count >= 0 && start <= Long.MAX_VALUE - count
                    ? Long.toString(start + count) : start + " + " + count;
            throw new IndexOutOfBoundsException("rows [" + start + ", " + end + ") of "
                    + source.rows() + " (" + source.name() + ")");
        }
        if ((long) count * source.cols() > out.length) {
            throw new IllegalArgumentException("out holds " + out.length + " floats, " + count
                    + " rows need " + (long) count * source.cols());
        }
    }

    /**
     * Several sources of one column count, one after another, as one source (shards of one
     * set of rows). A read spanning parts reads each part it touches; closing closes all parts.
     * A single part is returned as it is.
     *
     * @throws IllegalArgumentException when there is no part or a part's column count differs
     *     from the first's, naming both
     */
    static RowSource concat(List<? extends RowSource> parts) {
        if (parts != null && parts.size() == 1) {
            return parts.get(0);
        }
        return new ConcatenatedRows(parts);
    }

    /** The rows of several in-memory matrices of one column count, one after another. */
    static RowSource ofBlocks(List<FloatMatrix> blocks) {
        return new MatrixRows(blocks, "in memory (" + blocks.size() + " blocks)");
    }
}
