package io.synalign.engine.alignment;

import java.util.Arrays;

/**
 * The solve step of synthetic distribution alignment, the one entry point every weight learner
 * uses ({@link MmdWeightLearner} on one machine, the Spark job's distributed learner): minimise
 * {@code f(w) = w^T H w - 2 h^T w + c} over the capped simplex
 * {@code {w >= 0, sum w = 1, w_i <= min(1, maxWeightRatio / n)}} from the uniform weights with
 * accelerated projected gradient (FISTA with backtracking and adaptive restart, see
 * {@code AcceleratedProjectedGradient}), under the iteration cap, tolerance and seed of an
 * {@link AlignmentConfig}; then clamp rounding-level negatives and renormalise so the weights
 * sum to exactly 1.
 *
 * <p>Cost: one product with H per iteration (plus a few for the step-size estimate and
 * backtracking), and O(n) work per iteration besides.
 */
public final class WeightSolver {

    private WeightSolver() {
    }

    /** Receives each iteration's objective value. */
    @FunctionalInterface
    public interface IterationListener {

        /** A listener that ignores every iteration. */
        IterationListener NONE = (iteration, value) -> { };

        /**
         * @param iteration iteration number; 0 reports the start point's value, once, before
         *     the first iteration
         * @param value {@code f(w_iteration)}, non-increasing in the iteration up to rounding
         */
        void onIteration(int iteration, double value);
    }

    /**
     * What a solve found.
     *
     * @param weights the best weights seen, non-negative, summing to 1
     * @param initialValue f at the uniform weights
     * @param value f at the best weights before renormalisation (the lowest value reported)
     * @param iterations iterations run
     * @param converged whether the tolerance was met before the iteration cap
     * @param products products with H, the step-size estimate's and retries included
     */
    public record Solution(double[] weights, double initialValue, double value, int iterations,
            boolean converged, int products) {
    }

    /**
     * Solves for a quadratic form computed on host arrays (a distributed form, for example).
     * The form is closed when the solve ends.
     *
     * @param form H, of dimension n
     * @param linear h, length n
     * @param constant c
     * @param estimator how values estimate MMD^2, e.g. {@code "rff(D=1024)"}
     * @param config iteration cap, tolerance, weight cap and seed
     * @throws IllegalArgumentException when h's length is not H's dimension
     */
    public static Solution solve(QuadraticForm form, double[] linear, double constant,
            String estimator, AlignmentConfig config, IterationListener listener) {
        try (MmdObjective objective = new MmdObjective(form, linear, constant, estimator)) {
            return solve(objective, config, listener);
        }
    }

    /**
     * Solves for an objective on any backend's vectors (the objective stays open); its working
     * sets may keep, with H, the host memory budget ({@link AlignmentConfig#memoryBudgetBytes}).
     */
    static Solution solve(MmdObjective objective, AlignmentConfig config,
            IterationListener listener) {
        return solve(objective, config, listener, config.memoryBudgetBytes());
    }

    /**
     * As {@link #solve(MmdObjective, AlignmentConfig, IterationListener)}, with what H and one
     * working set (a principal submatrix of a kept H) may keep together: the plan's resident
     * budget ({@link MethodSelector.Choice#residentBudgetBytes}), which is the host budget
     * lowered to the memory the process runs in. The host budget alone let a working set of
     * 248 MiB be asked for beside a 489 MiB K_SS in a 1,600 MiB container, and JavaCPP refused
     * it (exit 1) after the plan had measured K_SS alone.
     */
    static Solution solve(MmdObjective objective, AlignmentConfig config,
            IterationListener listener, long workingSetBudgetBytes) {
        int n = objective.dimension();
        CappedSimplexProjection projection = new CappedSimplexProjection(n,
                Math.min(1.0, config.maxWeightRatio() / n));
        double[] uniform = new double[n];
        Arrays.fill(uniform, 1.0 / n);
        AcceleratedProjectedGradient optimiser = new AcceleratedProjectedGradient(
                config.maxIterations(), config.tolerance(),
                AcceleratedProjectedGradient.DEFAULT_ESTIMATE_PRODUCTS, config.seed(),
                AcceleratedProjectedGradient.WorkingSets.within(
                        Math.min(config.memoryBudgetBytes(), workingSetBudgetBytes)));
        AcceleratedProjectedGradient.Outcome outcome = optimiser.minimise(objective, projection,
                uniform, listener == null ? IterationListener.NONE : listener);
        return new Solution(renormalise(outcome.weights(), projection), outcome.initialValue(),
                outcome.value(), outcome.iterations(), outcome.converged(), outcome.products());
    }

    /**
     * Clamps rounding-level negatives to zero and divides by the sum, so the sum is 1; if that
     * would lift a weight above the cap (an iterate off the simplex by more than rounding, as a
     * projection of values far beyond the weights' scale gave), projects onto the capped simplex
     * instead, which keeps the cap and the sum both.
     */
    static double[] renormalise(double[] w, CappedSimplexProjection projection) {
        double sum = 0;
        double max = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.max(w[i], 0.0);
            sum += w[i];
            max = Math.max(max, w[i]);
        }
        double cap = projection.cap();
        if (sum > 0 && max / sum <= cap * (1 + 1e-12)) {
            for (int i = 0; i < w.length; i++) {
                w[i] /= sum;
            }
            return w;
        }
        projection.project(w, w);
        return w;
    }
}
