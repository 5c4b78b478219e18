package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;

/**
 * The augmented rows that turn pairwise squared distances into one GEMM (see
 * {@link DistanceGemm}), taken about a common centre:
 * {@code left_i = [x_i - c, -||x_i - c||^2 / 2, 1]}, {@code right_j = [y_j - c, 1,
 * -||y_j - c||^2 / 2]}, so {@code left_i . right_j = -||x_i - y_j||^2 / 2} for any c.
 *
 * <p>Why a centre: the float32 GEMM form errs by a few {@code eps (||x||^2 + ||y||^2)} from
 * cancellation, whatever the distance. About the origin, rows that share a large offset (norms
 * of 3,000 with distances of 40) get kernel values off by 1e-3, and duplicate rows get exponents
 * of either sign far from 0 once divided by a small sigma^2. About the mean of the two row sets
 * the norms are the rows' spread, so the error is relative to the distances themselves.
 * Distances do not change under a common translation; every operand pair of one product must
 * use the same c. The centre is summed in double and the centred values rounded once, and the
 * norms are summed in double from those rounded values (so the identity holds to float32
 * rounding of the GEMM alone). Cost O((n + m) d), against the GEMM's O(n m d).
 */
final class AugmentedRows {

    private AugmentedRows() {
    }

    /** Columns of an augmented row for input dimension {@code dim}. */
    static int depthFor(int dim) {
        return dim + 2;
    }

    /**
     * The mean of the rows of {@code x} and {@code y} together ({@code x} once when they are the
     * same matrix), in double; zeros when both are empty.
     */
    static double[] centre(FloatMatrix x, FloatMatrix y) {
        int d = x.cols();
        double[] sum = new double[d];
        long count = add(x, sum);
        if (y != x) {
            count += add(y, sum);
        }
        if (count > 0) {
            for (int k = 0; k < d; k++) {
                sum[k] /= count;
            }
        }
        return sum;
    }

    private static long add(FloatMatrix m, double[] sum) {
        int d = m.cols();
        float[] data = m.data();
        for (int i = 0; i < m.rows(); i++) {
            int base = i * d;
            for (int k = 0; k < d; k++) {
                sum[k] += data[base + k];
            }
        }
        return m.rows();
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
