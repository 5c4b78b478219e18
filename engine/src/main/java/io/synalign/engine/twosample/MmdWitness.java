package io.synalign.engine.twosample;

import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/**
 * The MMD witness function (Gretton et al. 2012, "A Kernel Two-Sample Test", JMLR, section 2.3)
 * between a real sample X and a weighted synthetic sample Y:
 * {@code f(z) = (1/n) sum_i k(z, x_i) - sum_j v_j k(z, y_j)}, with {@code v = w / sum w} (uniform
 * when no weights are given) and the RBF kernel {@code k(a, b) = exp(-|a - b|^2 / (2 sigma^2))}.
 *
 * <p>f is the direction in the kernel's feature space along which the two samples differ most
 * (the MMD is {@code sqrt} of its mean difference). Where {@code f(z) > 0} the real data has more
 * mass near z than the synthetic data: a real row with a large f is one the synthetic data
 * covers worst. Where {@code f(z) < 0} the synthetic data is over-represented: a synthetic row
 * with the most negative f is one of the rows it has too many of.
 *
 * <p>Evaluated in row blocks of the points (one {@link KernelBackend#rbfBlock} per block and
 * side), each block's sums in double. Cost {@code O(p (n + m) d)} for p points; memory one block
 * of at most {@value #BLOCK_FLOATS} floats. An interrupt of the calling thread stops it before
 * its next block ({@link Cancellation}).
 */
public final class MmdWitness {

    /** Floats in one block of kernel values. */
    static final int BLOCK_FLOATS = 1 << 22;
    /** What an interrupted evaluation names ({@link Cancellation}). */
    private static final String CANCELLED = "MMD witness (block of points)";

    private MmdWitness() {
    }

    /**
     * f at every row of {@code points}.
     *
     * @param yWeights one non-negative weight per row of Y (not all zero), or null for uniform
     * @throws IllegalArgumentException when a sample is empty, the dimensions differ, the
     *     bandwidth is not positive and finite, the weights are invalid, or a row holds a value
     *     that is not finite (naming the set, row and column)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     before the next block of points, the status kept set, nothing returned
     */
    public static double[] values(KernelBackend backend, FloatMatrix points, FloatMatrix x,
            FloatMatrix y, double[] yWeights, double sigma) {
        return values(backend, points, x, y, yWeights, sigma, BLOCK_FLOATS);
    }

    /** {@link #values} in blocks of at most {@code blockFloats} kernel values (tests: small). */
    static double[] values(KernelBackend backend, FloatMatrix points, FloatMatrix x,
            FloatMatrix y, double[] yWeights, double sigma, int blockFloats) {
        if (x.rows() == 0 || y.rows() == 0) {
            throw new IllegalArgumentException("the witness needs rows on both sides, got "
                    + x.rows() + " and " + y.rows());
        }
        if (points.cols() != x.cols() || y.cols() != x.cols()) {
            throw new IllegalArgumentException("dimension mismatch: points " + points.cols()
                    + ", real " + x.cols() + ", synthetic " + y.cols() + " columns");
        }
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be positive and finite, got " + sigma);
        }
        // A NaN row turned every value NaN (in X or Y) or its own (in the points), silently.
        points.requireFinite("points");
        x.requireFinite("real");
        y.requireFinite("synthetic");
        double[] v = io.synalign.engine.alignment.WeightedMmd.normalised(yWeights, y.rows());
        double[] out = new double[points.rows()];
        int widest = Math.max(x.rows(), y.rows());
        int block = Math.max(1, Math.min(points.rows(), blockFloats / widest));
        for (int from = 0; from < points.rows(); from += block) {
            // Once per block of points (two kernel blocks), never per value: see Cancellation.
            Cancellation.stopIfInterrupted(CANCELLED);
            int to = Math.min(points.rows(), from + block);
            FloatMatrix p = points.rowRange(from, to);
            float[] k = new float[(to - from) * x.rows()];
            backend.rbfBlock(p, x, sigma, k);
            int n = x.rows();
            for (int i = 0; i < to - from; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += k[i * n + j];
                }
                out[from + i] = s / n;
            }
            k = new float[(to - from) * y.rows()];
            backend.rbfBlock(p, y, sigma, k);
            int m = y.rows();
            for (int i = 0; i < to - from; i++) {
                double s = 0;
                for (int j = 0; j < m; j++) {
                    s += v[j] * k[i * m + j];
                }
                out[from + i] -= s;
            }
        }
        return out;
    }

    /**
     * The indices of the {@code count} largest values, largest first (ties: lower index first);
     * with {@code eligible} given, only indices where it is true.
     */
    public static int[] largest(double[] values, int count, boolean[] eligible) {
        return java.util.stream.IntStream.range(0, values.length)
                .filter(i -> eligible == null || eligible[i])
                .boxed()
                .sorted((a, b) -> {
                    int c = Double.compare(values[b], values[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .limit(Math.max(0, count))
                .mapToInt(Integer::intValue)
                .toArray();
    }
}
