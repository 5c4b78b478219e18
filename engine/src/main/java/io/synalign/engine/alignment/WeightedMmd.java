package io.synalign.engine.alignment;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;

/**
 * Distribution metrics of a (weighted) sample against a reference sample, on the kernels SPI.
 *
 * <p>{@link #mmd2}: the biased V-statistic MMD^2 of Gretton et al., "A Kernel Two-Sample Test",
 * JMLR 2012, with the first sample reweighted, as in the alignment objective of "Few-shot LLM
 * Synthetic Data with Distribution Matching", WWW 2025:
 * {@code MMD^2 = w^T K_XX w - (2/m) w^T K_XY 1 + (1/m^2) 1^T K_YY 1} for the RBF kernel
 * {@code k(x,y) = exp(-||x-y||^2 / (2 sigma^2))}, weights w on X summing to 1 and Y uniform.
 * Computed as the alignment objective's value ({@code MmdObjectives.kernel} with a tiled plan,
 * the one implementation of the statistic), never holding a kernel matrix: one product
 * {@code K_XX w}, the fused row sums of {@code K_XY} and of {@code K_YY}. Cost
 * O((n^2 + n m + m^2) d) time, O(tile * max(n, m)) memory. Sums are taken in double over float32
 * kernel entries; a result below zero (rounding, when the samples coincide) is reported as 0.
 *
 * <p>An interrupt of the calling thread stops {@link #mmd2}, {@link #values} and
 * {@link #valuesAgainstPopulation} before their next kernel product (the row sums of K_XY, of
 * K_YY, each {@code K_XX w}; one tiled pass each, whose tiles the backend runs to the end) with
 * a {@link java.util.concurrent.CancellationException}, the status kept set, nothing returned
 * ({@link Cancellation}).
 *
 * <p>{@link #effectiveSampleSize}: Kish's {@code (sum w)^2 / sum w^2}, which is the engine's
 * {@code 1 / sum w_i^2} for weights summing to 1.
 *
 * <p>{@link #bandwidth}: the median heuristic as the aligner resolves {@code --bandwidth auto}
 * ({@link MedianHeuristic}, seeded sample of at most {@value MedianHeuristic#DEFAULT_SAMPLE}
 * rows of the union of the given sets).
 */
public final class WeightedMmd {

    /** What an interrupted evaluation names ({@link Cancellation}). */
    private static final String CANCELLED = "MMD^2 (kernel product)";

    private WeightedMmd() {
    }

    /**
     * MMD^2 between X weighted by {@code weights} (normalised here; null means uniform) and Y with
     * uniform weights.
     *
     * @throws IllegalArgumentException when a set is empty, the column counts differ, a weight is
     *     negative or not finite, all weights are zero, or a row holds a value that is not finite
     *     (naming the set, row and column)
     */
    public static double mmd2(KernelBackend backend, FloatMatrix x, double[] weights, FloatMatrix y,
            double sigma) {
        if (x.rows() == 0 || y.rows() == 0) {
            throw new IllegalArgumentException("MMD^2 needs rows on both sides, got " + x.rows()
                    + " and " + y.rows());
        }
        if (x.cols() != y.cols()) {
            throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs "
                    + y.cols() + " columns");
        }
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be positive and finite, got " + sigma);
        }
        return Math.max(0, values(backend, x, y, sigma, normalised(weights, x.rows()))[0]);
    }

    /**
     * The V-statistic MMD^2 of X under each of several weight vectors (each already summing to
     * 1) against uniform Y: the K_XY and K_YY row sums are computed once, then one tiled
     * {@code K_XX w} product per vector, which a tiled backend operator computes in one pass of K_XX
     * for all of them ({@code KernelOperator#multiplyEach}, the same bits). Cost
     * O((n m + m^2 + n^2) d + k n^2) for k vectors on such a backend, O((n m + m^2 + k n^2) d)
     * otherwise. Not
     * clamped: rounding can leave a value a little below zero.
     *
     * @throws IllegalArgumentException when a row holds a value that is not finite
     */
    public static double[] values(KernelBackend backend, FloatMatrix x, FloatMatrix y,
            double sigma, double[]... weights) {
        // A NaN row made MMD^2 NaN, returned as a value.
        x.requireFinite("x");
        y.requireFinite("y");
        int n = x.rows();
        double[] values = new double[weights.length];
        Cancellation.stopIfInterrupted(CANCELLED);
        try (MmdObjective exact = MmdObjectives.kernel(backend, x, y, sigma,
                MmdObjectives.tiledPlan(n, n), ProgressListener.NONE)) {
            // Before the K_XX products (the objective checked between its row sums): one tiled
            // pass for all the vectors where the backend shares it (KernelOperator#multiplyEach).
            Cancellation.stopIfInterrupted(CANCELLED);
            double[] all = exact.valuesAt(weights);
            System.arraycopy(all, 0, values, 0, values.length);
        }
        return values;
    }

    /**
     * The MMD^2 between X under each of several weight vectors (each summing to 1), taken as
     * the discrete distribution it is (what a model trained on the weighted rows sees), and the
     * distribution Y was drawn from, estimated without bias from Y:
     * {@code w^T K_XX w - (2/m) w^T K_XY 1 + (1^T K_YY 1 - m) / (m (m - 1))}, the V-statistic with
     * the pairs of a row of Y with itself left out of Y's term (the diagonal of an RBF kernel
     * being 1). The V-statistic's own Y term adds {@code (1 - mean k) / m}, which dominates
     * against a few rows of Y; X's term is exact, self-pairs included, since X's weighted rows
     * are the distribution itself (so weights that concentrate on fewer rows pay for it, as in
     * the alignment objective). The difference between two weight vectors equals the
     * V-statistics' difference. Can be a little below zero. Same products and cost as
     * {@link #values}.
     *
     * @return every value NaN when Y has fewer than 2 rows
     * @throws IllegalArgumentException when a row holds a value that is not finite
     */
    public static double[] valuesAgainstPopulation(KernelBackend backend, FloatMatrix x,
            FloatMatrix y, double sigma, double[]... weights) {
        return valuesAgainstPopulation(backend, x, y, sigma, ProgressListener.NONE, weights);
    }

    /**
     * {@link #valuesAgainstPopulation(KernelBackend, FloatMatrix, FloatMatrix, double,
     * double[]...)}, reporting to {@code progress} the objective's three "kernel" steps and the
     * "evaluate" step before and after the {@code K_XX w} products (O(n^2 d): minutes at large n,
     * which ran without a sign of life before; one tiled pass for every vector where the backend
     * shares it, {@code KernelOperator#multiplyEach}).
     */
    public static double[] valuesAgainstPopulation(KernelBackend backend, FloatMatrix x,
            FloatMatrix y, double sigma, ProgressListener progress, double[]... weights) {
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        x.requireFinite("x");
        y.requireFinite("y");
        int n = x.rows();
        int m = y.rows();
        double[] values = new double[weights.length];
        if (m < 2) {
            java.util.Arrays.fill(values, Double.NaN);
            return values;
        }
        Cancellation.stopIfInterrupted(CANCELLED);
        try (MmdObjective exact = MmdObjectives.kernel(backend, x, y, sigma,
                MmdObjectives.tiledPlan(n, n), listener)) {
            // The objective's constant c is the mean of K_YY with its diagonal; without it the
            // term is (m c - 1) / (m - 1), which is c + (c - 1) / (m - 1).
            double c = exact.constant();
            // One pass of K_XX for all the vectors where the backend shares it (a tiled nd4j
            // operator: its GEMMs and exps once, not once per vector; the same bits), so the
            // progress says 0 of k, then k of k.
            listener.onProgress("evaluate", 0, weights.length, "MMD^2");
            Cancellation.stopIfInterrupted(CANCELLED); // before the K_XX products
            double[] all = exact.valuesAt(weights);
            for (int k = 0; k < weights.length; k++) {
                values[k] = all[k] + (c - 1) / (m - 1);
            }
            listener.onProgress("evaluate", weights.length, weights.length, "MMD^2");
        }
        return values;
    }

    /** MMD^2 with both samples uniform. */
    public static double mmd2(KernelBackend backend, FloatMatrix x, FloatMatrix y, double sigma) {
        return mmd2(backend, x, null, y, sigma);
    }

    /**
     * Kish's effective sample size {@code (sum w)^2 / sum w^2}: n for uniform weights, 1 when one
     * row holds all the weight.
     *
     * @throws IllegalArgumentException on a null, empty, negative, non-finite or all-zero vector
     */
    public static double effectiveSampleSize(double[] weights) {
        if (weights == null) {
            // normalised(null, n) means n uniform weights; here there is no n, and null went
            // through as no weights at all: 1 / 0, an infinite sample size.
            throw new IllegalArgumentException("no weights (null)");
        }
        double[] w = normalised(weights, weights.length);
        double squares = 0;
        for (double v : w) {
            squares += v * v;
        }
        return 1 / squares;
    }

    /** The median-heuristic bandwidth over the union of {@code sets}, seeded. */
    public static double bandwidth(KernelBackend backend, long seed, FloatMatrix... sets) {
        return MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE, seed, sets);
    }

    /**
     * The weights divided by their sum (uniform for null).
     *
     * @throws IllegalArgumentException when the length is not n, n is 0, a weight is negative
     *     or not finite, or all are zero
     */
    public static double[] normalised(double[] weights, int n) {
        if (weights == null) {
            double[] u = new double[n];
            java.util.Arrays.fill(u, 1.0 / n);
            return u;
        }
        if (weights.length != n || n == 0) {
            throw new IllegalArgumentException(weights.length + " weights for " + n + " rows");
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = weights[i];
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("weight " + i + " is " + v
                        + "; weights must be finite and >= 0");
            }
            sum += v;
        }
        if (!(sum > 0)) {
            throw new IllegalArgumentException("all " + n + " weights are zero");
        }
        double[] w = new double[n];
        if (Double.isInfinite(sum)) {
            // Finite weights whose sum overflows (two of 1e308): scaled by the largest first,
            // else every weight divided by infinity came out 0.
            double max = 0;
            for (double v : weights) {
                max = Math.max(max, v);
            }
            double scaled = 0;
            for (double v : weights) {
                scaled += v / max;
            }
            for (int i = 0; i < n; i++) {
                w[i] = weights[i] / max / scaled;
            }
            return w;
        }
        for (int i = 0; i < n; i++) {
            w[i] = weights[i] / sum;
        }
        return w;
    }

}
