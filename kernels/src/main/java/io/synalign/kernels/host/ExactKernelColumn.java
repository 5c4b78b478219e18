package io.synalign.kernels.host;

import io.synalign.kernels.FloatMatrix;

/**
 * One column of the RBF kernel, {@code k(x_i, x_p) = exp(-||x_i - x_p||^2 / (2 l^2))} for every
 * row i of X, in double by the difference form {@code sum_k (x_ik - x_pk)^2}: what a GP variance
 * tracker conditions on.
 *
 * <p>Why not the GEMM form {@code ||x_i||^2 + ||x_p||^2 - 2 x_i . x_p} in float32, as the
 * kernel products use: its rounding is a few {@code eps (||x_i||^2 + ||x_p||^2)} whatever the
 * distance, and the tracker divides each new column by {@code sqrt(var_p + s^2)}, which is
 * small exactly when p is nearly determined by the rows already conditioned on (a near-copy of
 * one). Measured on 200 rows of N(0, 9), d = 16, a row and its copy jittered by 1e-3: the float32
 * column put the variances 9.5e-5 off the float64 reference at the default noise 1e-6, and with
 * noise 0 the copy's variance came out exactly 0 (the reference: 5.2e-8) or, over a selection,
 * as low as -13. The difference form has no cancellation: each term is exact in double (a
 * difference of two floats, squared) up to one rounding, so the column is accurate to a few ulps
 * of each distance.
 *
 * <p>Cost O(N d) per column, the same as the GEMV it replaces; rows are split over the cores
 * when N d is large. The partial sums run over four interleaved lanes (k mod 4), so the values
 * differ from a plain left-to-right sum by rounding only.
 */
public final class ExactKernelColumn {

    /** Below this many multiply-adds one thread does the whole column. */
    static final long MIN_TASK_WORK = 1L << 18;

    private ExactKernelColumn() {
    }

    /**
     * {@code out[i] = exp(-||x_i - x_p||^2 / (2 l^2))}, with {@code out[p] = 1} exactly.
     *
     * @param x the rows, N x d
     * @param p the row the column is of, {@code 0 <= p < N}
     * @param lengthScale l, positive and finite
     * @param out N values, overwritten
     */
    public static void compute(FloatMatrix x, int p, double lengthScale, double[] out) {
        int n = x.rows();
        if (p < 0 || p >= n) {
            throw new IndexOutOfBoundsException("row " + p + " of " + n);
        }
        if (out.length != n) {
            throw new IllegalArgumentException("column of " + n + " rows, got " + out.length
                    + " values");
        }
        int d = x.cols();
        float[] data = x.data();
        double scale = -1.0 / (2 * lengthScale * lengthScale);
        int tasks = ParallelRanges.tasks((long) n * Math.max(1, d),
                Runtime.getRuntime().availableProcessors(), MIN_TASK_WORK);
        int base = p * d;
        ParallelRanges.run(n, tasks, (from, to) -> {
            for (int i = from; i < to; i++) {
                out[i] = Math.exp(scale * distance2(data, i * d, base, d));
            }
        });
        out[p] = 1.0;
    }

    /**
     * {@code ||x_i - x_j||^2} in double by the difference form, exactly as {@link #compute} sums
     * it (a column's entries recomputed one by one equal the column's).
     */
    public static double squaredDistance(FloatMatrix x, int i, int j) {
        int d = x.cols();
        return distance2(x.data(), i * d, j * d, d);
    }

    /** {@code sum_k (a[i + k] - a[j + k])^2} in double, four interleaved partial sums. */
    static double distance2(float[] a, int i, int j, int d) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < d; k += 4) {
            double e0 = (double) a[i + k] - a[j + k];
            double e1 = (double) a[i + k + 1] - a[j + k + 1];
            double e2 = (double) a[i + k + 2] - a[j + k + 2];
            double e3 = (double) a[i + k + 3] - a[j + k + 3];
            s0 += e0 * e0;
            s1 += e1 * e1;
            s2 += e2 * e2;
            s3 += e3 * e3;
        }
        for (; k < d; k++) {
            double e = (double) a[i + k] - a[j + k];
            s0 += e * e;
        }
        return (s0 + s1) + (s2 + s3);
    }
}
