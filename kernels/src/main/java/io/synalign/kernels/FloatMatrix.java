package io.synalign.kernels;

import java.util.Arrays;

/**
 * A dense row-major single-precision matrix: the one data type the kernel SPI speaks.
 *
 * <p>Kept deliberately small (no arithmetic) so that a backend for any device can accept it
 * without depending on a tensor library. Rows are embeddings; {@code data[i * cols + j]} is
 * coordinate {@code j} of row {@code i}. The array is shared, not copied: callers must not
 * mutate it while a backend operator built from it is alive.
 *
 * @param rows number of rows, {@code >= 0}
 * @param cols number of columns, {@code >= 1}
 * @param data row-major values, {@code data.length == rows * cols}
 */
public record FloatMatrix(int rows, int cols, float[] data) {

    public FloatMatrix {
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        if (cols < 1) {
            throw new IllegalArgumentException("cols must be >= 1, got " + cols);
        }
        if (data == null) {
            throw new IllegalArgumentException("data must not be null");
        }
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values but a "
                    + rows + " x " + cols + " matrix needs " + (long) rows * cols);
        }
    }

    /** A zero matrix. */
    public static FloatMatrix zeros(int rows, int cols) {
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows + " x " + cols + " exceeds one Java array");
        }
        return new FloatMatrix(rows, cols, new float[(int) n]);
    }

    /** Copies a rectangular {@code double[][]} into single precision. */
    public static FloatMatrix of(double[][] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("need at least one row to infer the column count");
        }
        int cols = values[0].length;
        FloatMatrix m = zeros(values.length, cols);
        for (int i = 0; i < values.length; i++) {
            if (values[i].length != cols) {
                throw new IllegalArgumentException("row " + i + " has " + values[i].length
                        + " values, row 0 has " + cols);
            }
            for (int j = 0; j < cols; j++) {
                m.data[i * cols + j] = (float) values[i][j];
            }
        }
        return m;
    }

    /**
     * This matrix, once every value is known to be finite: the kernel SPI's inputs are (see
     * "Finite inputs" on {@link KernelBackend}), so each entry of the engine checks the rows it is
     * given with this before a backend sees them. One pass over the values, O(rows cols): small
     * beside a kernel matrix's O(rows^2 cols) or random features' O(rows cols D), but not beside
     * a search of a few queries, O(queries rows cols), where checking a 20,000 x 384 corpus is
     * about a fifth of a one-query search on nd4j. A caller that searches one corpus many times
     * checks it once ({@code FiniteCorpus} in the engine).
     *
     * @param name what the rows are, for the message ("real", "the corpus")
     * @throws IllegalArgumentException naming the first non-finite value's row and column:
     *     "real row 7 column 2 is NaN"
     */
    public FloatMatrix requireFinite(String name) {
        for (int k = 0; k < data.length; k++) {
            if (!Float.isFinite(data[k])) {
                throw new IllegalArgumentException(name + " row " + k / cols + " column "
                        + k % cols + " is " + data[k]);
            }
        }
        return this;
    }

    /** Value at row {@code i}, column {@code j}. */
    public float get(int i, int j) {
        return data[i * cols + j];
    }

    /** Copies rows {@code [from, to)} into a new matrix. */
    public FloatMatrix rowRange(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("row range [" + from + ", " + to + ") of " + rows);
        }
        return new FloatMatrix(to - from, cols,
                Arrays.copyOfRange(data, from * cols, to * cols));
    }

    /** Copies the given rows, in the given order, into a new matrix. */
    public FloatMatrix selectRows(int[] indices) {
        FloatMatrix m = zeros(indices.length, cols);
        for (int r = 0; r < indices.length; r++) {
            int i = indices[r];
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException("row " + i + " of " + rows);
            }
            System.arraycopy(data, i * cols, m.data, r * cols, cols);
        }
        return m;
    }

    /** Bytes this matrix occupies as float32 values. */
    public long bytes() {
        return 4L * rows * cols;
    }

    @Override
    public String toString() {
        return "FloatMatrix[" + rows + " x " + cols + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FloatMatrix m && m.rows == rows && m.cols == cols
                && Arrays.equals(m.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * rows + cols) + Arrays.hashCode(data);
    }
}
