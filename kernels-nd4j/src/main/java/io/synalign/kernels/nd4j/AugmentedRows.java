package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.host.OrderStatistics;

/**
 * The augmented rows that turn pairwise squared distances into one GEMM (see
 * {@link DistanceGemm}), taken about a common centre:
 * {@code left_i = [x_i - c, -||x_i - c||^2 / 2, 1]}, {@code right_j = [y_j - c, 1,
 * -||y_j - c||^2 / 2]}, so {@code left_i . right_j = -||x_i - y_j||^2 / 2} for any c.
 *
 * <p>Why a centre: the float32 GEMM form errs by a few {@code eps (||x||^2 + ||y||^2)} from
 * cancellation, whatever the distance. About the origin, rows that share a large offset (norms
 * of 3,000 with distances of 40) get kernel values off by 1e-3, and duplicate rows get exponents
 * of either sign far from 0 once divided by a small sigma^2. About the middle of the two row sets
 * the norms are the rows' spread, so the error is relative to the distances themselves (rows in
 * clusters far apart, each far from any one centre, still lose digits: see docs/RELIABILITY.md).
 * Distances do not change under a common translation; every operand pair of one product must
 * use the same c. The centre is taken in double and the centred values rounded once, and the
 * norms are summed in double from those rounded values (so the identity holds to float32
 * rounding of the GEMM alone). The centre is a coordinate-wise median ({@link #centre}), which
 * an outlier row does not drag away from the others. Cost O((n + m) d), against the GEMM's
 * O(n m d).
 */
final class AugmentedRows {

    private AugmentedRows() {
    }

    /** Columns of an augmented row for input dimension {@code dim}. */
    static int depthFor(int dim) {
        return dim + 2;
    }

    /** Rows a centre is taken from at most: a strided sample beyond it. */
    static final int CENTRE_SAMPLE = 2_048;

    /**
     * Columns of the sample held at once while the centre is taken: 64 x 2,048 doubles, 1 MiB,
     * whatever d is.
     */
    static final int CENTRE_COLUMNS = 64;

    /**
     * The coordinate-wise median of the rows of {@code x} and {@code y} together ({@code x} once
     * when they are the same matrix), over a strided sample of at most {@link #CENTRE_SAMPLE}
     * rows, in double; zeros when both are empty.
     *
     * <p>A median, not the mean: one outlier row (1e5 in one coordinate among N(0, 1) rows)
     * pulled the mean 2,900 away from every other row, so every centred norm was about 8e6 and
     * the float32 distances lost every digit: exit 0 with MMD^2 reported as 0.0356 -> 0 where
     * the weights gave 0.0457, worse than uniform. The median stays among the bulk of the rows
     * (an outlier's own distances are then far off, but its kernel values are 0 either way). Cost
     * O(s d) expected for s sampled rows (a selection per column, {@link OrderStatistics}, not a
     * sort); heap O(s min(d, {@value #CENTRE_COLUMNS})) doubles, one block of columns at a time.
     */
    static double[] centre(FloatMatrix x, FloatMatrix y) {
        int d = x.cols();
        long total = (long) x.rows() + (y == x ? 0 : y.rows());
        if (total == 0) {
            return new double[d];
        }
        long stride = (total + CENTRE_SAMPLE - 1) / CENTRE_SAMPLE;
        int count = (int) ((total + stride - 1) / stride);
        // The sample is gathered CENTRE_COLUMNS columns at a time into one reused block: the
        // whole d x count sample in double was 128 MB at d = 8,000 and ran a small heap out of
        // memory before anything else of the fit was allocated (helper heap33's Open item);
        // the medians are of the same values, so the centre is the same bits.
        int width = Math.max(1, Math.min(d, CENTRE_COLUMNS));
        double[][] columns = new double[width][count];
        double[] centre = new double[d];
        for (int k0 = 0; k0 < d; k0 += width) {
            int w = Math.min(width, d - k0);
            int s = 0;
            for (long r = 0; r < total; r += stride) {
                FloatMatrix m = r < x.rows() ? x : y;
                int i = (int) (r < x.rows() ? r : r - x.rows());
                float[] data = m.data();
                int base = i * d + k0;
                for (int k = 0; k < w; k++) {
                    columns[k][s] = data[base + k];
                }
                s++;
            }
            for (int k = 0; k < w; k++) {
                centre[k0 + k] = OrderStatistics.median(columns[k], count);
            }
        }
        return centre;
    }

    /**
     * Writes row {@code i} of {@code m}, augmented about {@code centre}, into
     * {@code out[at .. at + d + 2)}: the left form when {@code left}, else the right form.
     */
    static void row(FloatMatrix m, int i, double[] centre, boolean left, float[] out, int at) {
        int d = m.cols();
        float[] data = m.data();
        int base = i * d;
        double norm2 = 0;
        for (int k = 0; k < d; k++) {
            float v = (float) (data[base + k] - centre[k]);
            out[at + k] = v;
            norm2 += (double) v * v;
        }
        float half = (float) (-norm2 / 2);
        out[at + d] = left ? half : 1f;
        out[at + d + 1] = left ? 1f : half;
    }

    /**
     * Row {@code i} of {@code m} in the left form, in double and unrounded:
     * {@code out[0 .. d + 2) = [x_i - c, -||x_i - c||^2 / 2, 1]} (the GP tracker's column,
     * whose errors a small pivot amplifies, needs more than float).
     */
    static void leftRow(FloatMatrix m, int i, double[] centre, double[] out) {
        int d = m.cols();
        float[] data = m.data();
        int base = i * d;
        double norm2 = 0;
        for (int k = 0; k < d; k++) {
            double v = data[base + k] - centre[k];
            out[k] = v;
            norm2 += v * v;
        }
        out[d] = -norm2 / 2;
        out[d + 1] = 1;
    }

    /** Every row of {@code m} augmented about {@code centre}, row-major {@code n x (d + 2)}. */
    static float[] host(FloatMatrix m, double[] centre, boolean left) {
        int depth = depthFor(m.cols());
        float[] out = new float[Math.multiplyExact(m.rows(), depth)];
        for (int i = 0; i < m.rows(); i++) {
            row(m, i, centre, left, out, i * depth);
        }
        return out;
    }
}
