package io.synalign.engine.alignment;

/**
 * What the MMD weight learner found.
 *
 * @param weights one weight per synthetic row, in input order, non-negative, summing to 1
 * @param bandwidth the sigma used (resolved when the config said auto)
 * @param mmd2Uniform MMD^2 between R and S with uniform weights 1/n
 * @param mmd2Weighted MMD^2 between R and S with the learned weights
 * @param mmdEstimator how both MMD^2 values were computed: {@code "exact"} (the biased
 *     V-statistic on the full kernel) or the approximation used, e.g. {@code "rff(D=1024)"}
 * @param iterations optimiser iterations run
 * @param converged whether the relative-improvement tolerance was met before the cap
 * @param effectiveSampleSize {@code 1 / sum_i w_i^2}
 * @param method the method actually used (never AUTO)
 * @param backend the kernel backend's name
 * @param seconds wall time of {@code fit}
 * @param trace the objective and elapsed time after set-up and after every iteration
 * @param kernelStorage how the optimiser's H was held, e.g. {@code "kept, fp32 upper triangle,
 *     489.3 MiB"}, {@code "tiled"}, {@code "random features, 1024 per row, kept"}; empty when
 *     unknown
 */
public record AlignmentResult(double[] weights, double bandwidth, double mmd2Uniform,
        double mmd2Weighted, String mmdEstimator, int iterations, boolean converged,
        double effectiveSampleSize, AlignmentMethod method, String backend, double seconds,
        ConvergenceTrace trace, String kernelStorage) {

    /** A result that does not say how H was held. */
    public AlignmentResult(double[] weights, double bandwidth, double mmd2Uniform,
            double mmd2Weighted, String mmdEstimator, int iterations, boolean converged,
            double effectiveSampleSize, AlignmentMethod method, String backend, double seconds,
            ConvergenceTrace trace) {
        this(weights, bandwidth, mmd2Uniform, mmd2Weighted, mmdEstimator, iterations, converged,
                effectiveSampleSize, method, backend, seconds, trace, "");
    }

    /** A result without a convergence trace. */
    public AlignmentResult(double[] weights, double bandwidth, double mmd2Uniform,
            double mmd2Weighted, String mmdEstimator, int iterations, boolean converged,
            double effectiveSampleSize, AlignmentMethod method, String backend, double seconds) {
        this(weights, bandwidth, mmd2Uniform, mmd2Weighted, mmdEstimator, iterations, converged,
                effectiveSampleSize, method, backend, seconds, ConvergenceTrace.EMPTY);
    }
}
