package io.synalign.io;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;

/**
 * One float64 point, a value per column, subtracted from every value of a problem's rows
 * before they are narrowed to the float32 the engine computes in: the readers
 * ({@link NpyReader#readMatrix(java.nio.file.Path, NarrowingCentre)},
 * {@link NpyRowSource#open(java.nio.file.Path, NarrowingCentre)}) take it and narrow
 * {@code (float) (x - c_j)} in place of {@code (float) x}; or {@link #NONE}, which narrows as
 * before.
 *
 * <p>Why: float32 keeps 24 bits of a value, so rows far from the origin lose what lies below
 * that: rows near 1e6 with a spread of 0.01 land on float32's grid of 0.0625 there, and the
 * median-heuristic bandwidth and MMD² came from the grid (0.0625 and 5.9e-4 against 2.9e-2 in
 * float64). Subtracting a centre in float64 first leaves float32 the rows' spread, not their
 * distance from the origin. The RBF kernel, its median-distance bandwidth and Nystrom depend
 * only on differences of rows, so the problem is the same after the shift, provided every input
 * of the problem shifts by the same point: real and synthetic rows, float32 and float64 files
 * alike. Random Fourier features {@code cos(w.(x - c) + b)} are the same in distribution (a
 * uniform phase shifted by {@code w.c} is uniform) but another draw for a fixed seed, so rff
 * results change with the centre within rff's own approximation error. When a centre is taken
 * is {@link CentreEstimate#narrowingCentre}'s rule: only where float32 would lose resolution.
 *
 * <p>Immutable; the values are copied in and out.
 */
public final class NarrowingCentre {

    /** No shift: values are narrowed as they are. */
    public static final NarrowingCentre NONE = new NarrowingCentre(null);

    /** The centre, or null for {@link #NONE}. Never exposed: readers only read it. */
    private final double[] columns;

    private NarrowingCentre(double[] columns) {
        this.columns = columns;
    }

    /**
     * The centre {@code c}: column j's values are narrowed as {@code (float) (x - c[j])}.
     *
     * @throws IllegalArgumentException when c is empty or holds a value that is not finite
     */
    public static NarrowingCentre at(double[] c) {
        if (c == null || c.length == 0) {
            throw new IllegalArgumentException("a centre needs at least one column");
        }
        for (int j = 0; j < c.length; j++) {
            if (!Double.isFinite(c[j])) {
                throw new IllegalArgumentException("centre column " + j + " is " + c[j]);
            }
        }
        return new NarrowingCentre(c.clone());
    }

    /** Whether this is {@link #NONE}. */
    public boolean isNone() {
        return columns == null;
    }

    /** A copy of the centre, or null for {@link #NONE}. */
    public double[] values() {
        return columns == null ? null : columns.clone();
    }

    /** The centre for readers of this package (not copied; never written), null for none. */
    double[] columns() {
        return columns;
    }

    /**
     * Fails unless this centre fits rows of {@code cols} columns ({@link #NONE} fits any).
     *
     * @throws IllegalArgumentException naming {@code what} and both column counts
     */
    void requireColumns(int cols, String what) {
        if (columns != null && columns.length != cols) {
            throw new IllegalArgumentException("a centre of " + columns.length + " columns for "
                    + what + ", which has " + cols);
        }
    }

    /**
     * {@code m} shifted: {@code (float) ((double) v - c_j)} for each value (a new matrix), or
     * {@code m} itself for {@link #NONE}. For rows already in float32 (embedded in memory) that
     * share a problem with a float64 file; the float32 values are widened exactly, so this is
     * the narrowing a float32 file read with this centre gets.
     */
    public FloatMatrix shift(FloatMatrix m) {
        if (columns == null) {
            return m;
        }
        requireColumns(m.cols(), "a matrix");
        float[] from = m.data();
        float[] to = new float[from.length];
        int cols = m.cols();
        for (int i = 0; i < from.length; i += cols) {
            for (int j = 0; j < cols; j++) {
                to[i + j] = (float) ((double) from[i + j] - columns[j]);
            }
        }
        return new FloatMatrix(m.rows(), cols, to);
    }

    @Override
    public String toString() {
        return columns == null ? "no centre" : "centre " + Arrays.toString(columns);
    }
}
