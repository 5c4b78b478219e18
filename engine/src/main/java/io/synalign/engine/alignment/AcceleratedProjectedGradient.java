package io.synalign.engine.alignment;

import io.synalign.engine.SymmetricEigen;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.StepStatistics;
import io.synalign.kernels.VectorOps;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Minimises a quadratic {@link MmdObjective} {@code f(w) = w^T H w - 2 h^T w + c} over the
 * capped simplex by accelerated projected gradient: FISTA (Beck &amp; Teboulle, "A Fast
 * Iterative Shrinkage-Thresholding Algorithm for Linear Inverse Problems", SIAM J. Imaging Sci.
 * 2(1), 2009) with its backtracking step rule and function-value adaptive restart (O'Donoghue
 * &amp; Candes, "Adaptive Restart for Accelerated Gradient Schemes", Found. Comput. Math. 15,
 * 2015).
 *
 * <h2>Why this method</h2>
 * The objective is smooth and convex and the constraint set has an exact O(n log n) projection
 * ({@link CappedSimplexProjection}), so FISTA attains the optimal first-order rate
 * {@code f(x_k) - f* <= 2 L ||x_0 - x*||^2 / (k+1)^2} for convex f; with the restart it also
 * recovers a linear rate governed by {@code sqrt(L / mu)} (instead of {@code L / mu} for plain
 * projected gradient) whenever f is strongly convex on the relevant face, without knowing mu.
 * Every quantity the method needs at a point x follows from the single product {@code H x}, so
 * an iteration costs exactly one product plus O(n log n) (see below). Measured on kernel MMD
 * problems (n = 4,000 synthetic, m = 1,000 real, d = 64 and 384, clustered data, median
 * bandwidth), this reached the MMD^2 that 300 steps of plain FISTA with
 * {@code L = 2 lambda_max(K_SS)} reach in 70 to 106 products. Two alternatives that also cost
 * one product per iteration did worse there: the nonmonotone spectral projected gradient
 * (Birgin, Martinez &amp; Raydan, SIAM J. Optim. 10(4), 2000) and an active-set method with
 * conjugate gradients on the current face (after More &amp; Toraldo, SIAM J. Optim. 1(1), 1991),
 * which frees or fixes only one bound per CG exit; fixed-period restarts were slower as well,
 * the problems being not strongly convex in practice.
 *
 * <h2>One product per iteration</h2>
 * The extrapolated point {@code y = x_k + beta (x_k - x_{k-1})} never needs its own product:
 * by linearity {@code H y = H x_k + beta (H x_k - H x_{k-1})}, and the gradient at y is
 * {@code 2 (H y - h)}. The new point {@code x_{k+1} = P(y - grad f(y) / L)} needs
 * {@code H x_{k+1}}, which is the iteration's one product; from it follow {@code f(x_{k+1})}
 * (for the restart test and the stopping rule) and, because f is quadratic, the exact
 * backtracking test: with {@code d = x_{k+1} - y},
 * {@code f(x_{k+1}) = f(y) + grad f(y)^T d + d^T H d}, so the descent-lemma condition
 * {@code f(x_{k+1}) <= f(y) + grad f(y)^T d + (L/2) ||d||^2} is just
 * {@code d^T (H x_{k+1} - H y) <= (L/2) ||d||^2}. Only a failed test costs an extra product
 * (L grows to {@code max(2 L, 2 d^T H d / ||d||^2)} and the step is redone).
 *
 * <h2>The step size</h2>
 * Every iterate, and every extrapolation, lies on the hyperplane {@code sum w = 1}, so steps d
 * satisfy {@code sum d = 0} and the curvature that matters is that of H restricted to
 * {@code 1^perp}: {@code lambda_max(P H P)} with {@code P = I - 1 1^T / n}. For an RBF kernel
 * that is far smaller than {@code lambda_max(H)}, whose Perron eigenvector is close to the
 * constant vector with eigenvalue about n times the mean kernel value. The initial L is
 * {@code 2 theta} for the largest Ritz value theta of a few Lanczos steps on {@code P H P} from a
 * seeded random start (a lower bound on {@code 2 lambda_max(P H P)}, refined by backtracking if a
 * step shows more curvature); L never decreases. Lanczos replaced a power iteration here: on the
 * 16,000-row benchmark the power iteration had reached 0.82 of lambda_max after 8 products
 * (the top of the spectrum is clustered), Lanczos 1.00 after 5, so the first steps no longer
 * backtrack and the estimate costs fewer products (docs/PERFORMANCE.md).
 *
 * <h2>Restart, output and stopping rule</h2>
 * If a momentum step ({@code beta > 0}) gives {@code f(x_{k+1}) > f(x_k)}, the step is
 * rejected and the momentum reset ({@code t = 1}): {@code x_{k+1} = x_k}, whose product is still
 * held, so the next iteration is a plain projected-gradient step from {@code x_k}, which the
 * descent lemma guarantees does not increase f (its true change is at most
 * {@code -(L/2) ||d||^2}); a plain step is therefore always accepted, so that rounding in a
 * single-precision backend can never make the method repeat a rejected step. This is the
 * function-value restart scheme in its monotone form (as in Beck &amp; Teboulle's MFISTA, IEEE
 * Trans. Image Process. 18(11), 2009): the values {@code f_k} never increase beyond rounding,
 * and the best iterate seen is returned. A rejected step costs its product; restarts are rare in
 * practice (0 to 2 per run on the MMD problems measured).
 *
 * <p>Rises below the values' rounding. A float32 backend's values of f carry rounding of their
 * own: on flat kernels (5 x the median bandwidth), once f is about 1e-8 they jitter by 1e-11 to
 * 5e-11 between iterations, more than a momentum step truly gains there. Such steps then looked
 * like rises, the restarts dropped the momentum, the plain steps after them gained less than the
 * jitter (a plain step there gains about 1e-13, a momentum step 3e-11), the stopping rule's
 * window read a negative improvement, and fits ended 1.2 to 3.5 times above where float64
 * arithmetic goes in the same iterations (docs/PERFORMANCE.md, wsconv30). So the run keeps an
 * empirical noise level for f: the largest amount by which a plain step's computed change
 * {@code f(x_{k+1}) - f(x_k)} exceeded its descent-lemma bound {@code -(L/2) ||d||^2} (0 until
 * one did; O(1) per iteration from the step's statistics, no product). A momentum step that
 * rises by no more than that level is accepted, not restarted (its true change may be a gain,
 * and the best iterate is what is returned). The level is learned only from plain steps, which
 * follow restarts, so a restart is tentative: it saves the momentum it drops (t and the previous
 * point with its product, two vectors of the workspace, O(n) copies per restart), and when the
 * level after the plain steps that follow covers the rise that caused it, the momentum is
 * restored; the first accepted momentum step otherwise ends the tentative state. The stopping
 * rule is unchanged: it still ends a run once the window's gain is below the values' noise,
 * which is what ends float32 fits of the 16,000-row benchmark on time, but a run keeps its
 * momentum up to there. Measured (stopnoise30): the tws30 flat case (nd4j, kept K, 1,500
 * iterations) ends 0.67 times as high with working sets and 0.66 times without; seeds 1 to 7
 * 0.61 to 1.00; the 16,000-row benchmark 0.16 % lower in 271 instead of 236 iterations.
 * Since nd4j's flat panels sum in double (flat32) the 5 x fits no longer rise on rounding (they
 * end the same with the level held at 0); the case that needs the level today is 30 x the
 * median, where f is about 1e-10: nd4j seed 3 with working sets stops at 1.43e-10 after 111
 * iterations without it and reaches 4.48e-11 by the cap with it (restart34;
 * {@code WorkingSetStopTest}).
 *
 * <p>Stopping rule: after iteration {@code k >= W} (window {@code W =} {@value #WINDOW}) the
 * run stops, converged, when {@code f_{k-W} - f_k <= W * tol * |f_k|}, i.e. the objective
 * improved by a relative {@code tol} per iteration or less, averaged over the last W
 * iterations. Averaging over a window keeps a single slow step (a restart, or the turn of a
 * momentum ripple) from ending the run early, and lets rounding noise of single-precision
 * backends end it once progress is below that noise. It also stops, converged, if a step
 * leaves its point unchanged (a projected-gradient fixed point, hence optimal), and otherwise
 * after {@code maxIterations} iterations, not converged.
 *
 * <h2>Working sets</h2>
 * With {@link WorkingSets} on and a form that gives principal submatrices (a K_SS, kept or
 * tiled, on the reference and nd4j backends: {@link QuadraticForm#restricts}), the
 * iterations after the first {@value #WORKING_SET_START} run on {@code H[I][I]} for the rows I
 * that can carry weight, checked against one full product every {@value #WORKING_SET_PERIOD}
 * iterations and whenever the stopping rule fires, and the run ends only when no row outside I
 * wants weight or one full projected-gradient step could not lower f by more than the stopping
 * rule accepts: an active-set strategy in the spirit of the working sets of SVM solvers
 * (Joachims, "Making Large-Scale SVM Learning Practical", 1999) and of screening for sparse
 * problems, here around an accelerated gradient method. It ends where a run on all of H would
 * stop, up to the stopping rule's tolerance, at a lower cost per iteration: on the
 * 16,000-row benchmark the sets shrink from 0.71 n to 0.55 n, so a product costs 0.5 to 0.3 of
 * a full one. Each set also gets its own step constant, by Lanczos on {@code H[I][I]} (at most
 * L of all of H, whose steps include the set's): 316 and 247 against 809 there, so the steps
 * are 2.6 to 3.3 times longer and the run took 229 instead of 299 iterations
 * (docs/PERFORMANCE.md). See {@code WorkingSetRun} for the rules.
 *
 * <h2>Cost</h2>
 * Per iteration: one product with H (O(n^2) for a kept kernel, O(n^2 d) tiled, O(n D) with
 * features; {@code O(|I|^2)} on a kept working set, {@code O(|I|^2 d)} on a tiled one, which a
 * tiled K_SS gives where the set's kernel does not fit the budget), one projection (O(n) per round of its threshold
 * search, two or three rounds from the previous threshold; see {@link CappedSimplexProjection}),
 * and a handful of fused O(n) vector passes on backend vectors allocated once per run (twelve
 * n-vectors; two of them hold a restart's momentum, copied at restarts only), with one
 * read-back of five scalars ({@link StepStatistics}). Plus, once, one product at the start point
 * and up to {@code estimateProducts} (default {@value #DEFAULT_ESTIMATE_PRODUCTS}) for the
 * initial L; with working sets, per check one full product and O(n) host work, and per new set
 * one gather of {@code H[I][I]} (a pass over the kept rows in I; from a tiled K_SS a build of
 * the set's own kernel, {@code O(|I|^2 d)}, the work of one tiled product on it), one product on
 * it and up to {@code estimateProducts} more for its L.
 */
final class AcceleratedProjectedGradient {

    private static final Logger LOG = LoggerFactory.getLogger(AcceleratedProjectedGradient.class);

    /** Window W of the stopping rule, in iterations. */
    public static final int WINDOW = 10;
    /** Default cap on the Lanczos products of the initial Lipschitz estimate. */
    public static final int DEFAULT_ESTIMATE_PRODUCTS = 8;
    /** Lanczos stops early once the estimate moves by less than this, relatively. */
    private static final double ESTIMATE_TOLERANCE = 1e-2;
    private static final String CANCELLED_ITERATION = "MMD fit (optimiser iteration)";
    private static final String CANCELLED_ESTIMATE = "MMD fit (step-size estimate)";
    /**
     * Slack, relative to the size of the terms that cancel in {@code d^T (H x' - H y)}, allowed
     * in the backtracking test: a float32 backend's products carry relative errors of about
     * 1e-7 to 1e-6, which must not be mistaken for curvature near convergence.
     */
    private static final double CURVATURE_SLACK = 1e-6;

    /** Iterations on all of H before the first working set. */
    static final int WORKING_SET_START = 20;
    /** Iterations between two checks of a working set against the full gradient. */
    static final int WORKING_SET_PERIOD = 40;
    /**
     * A check gathers a new set only when the candidates have shrunk to this fraction of the
     * current set (or rows outside it want in): a gather costs a few products.
     */
    static final double WORKING_SET_SHRINK = 0.85;
    /**
     * Rows outside the set that want in are admitted at a check (a gather) once they are this
     * fraction of the set, or when the set has converged without them.
     */
    static final double WORKING_SET_ADMIT = 0.02;
    /** No working set above this fraction of n: its products would save too little. */
    static final double WORKING_SET_MAX_FRACTION = 0.85;
    /** Below this n every iteration uses all of H (the default of {@link WorkingSets}). */
    public static final int WORKING_SET_MIN_DIMENSION = 1024;

    /**
     * When the iterations may run on a working set (see the class comment).
     *
     * @param minDimension n from which working sets are used; {@code Integer.MAX_VALUE}: never
     * @param memoryBudgetBytes what H and one submatrix of it may keep together
     */
    public record WorkingSets(int minDimension, long memoryBudgetBytes) {

        /** Never a working set. */
        public static final WorkingSets OFF = new WorkingSets(Integer.MAX_VALUE, 0);

        /** Working sets from {@link #WORKING_SET_MIN_DIMENSION} rows, within the budget. */
        public static WorkingSets within(long memoryBudgetBytes) {
            return new WorkingSets(WORKING_SET_MIN_DIMENSION, memoryBudgetBytes);
        }

        boolean appliesTo(MmdObjective objective) {
            return objective.dimension() >= minDimension && memoryBudgetBytes > 0
                    && objective.restricts();
        }
    }

    private final int maxIterations;
    private final double tolerance;
    private final int estimateProducts;
    private final long seed;
    private final WorkingSets workingSets;

    /**
     * What a run found.
     *
     * @param weights the best iterate seen (lowest objective), on the capped simplex
     * @param initialValue f at the start point
     * @param value f at {@code weights}, the lowest value reported to the listener
     * @param iterations iterations run
     * @param converged whether the stopping rule fired before the iteration cap
     * @param products products with H, including the Lipschitz estimate's and backtracking
     *     retries
     * @param lipschitz the final step constant L (of the working set the run ended on, if it
     *     ended on one)
     * @param restarts momentum restarts (each one a rejected step)
     * @param workingSets working sets gathered (0: every iteration used all of H)
     * @param restrictedProducts of the products, those with a working set's submatrix
     * @param rowsLeftOut rows outside the last working set that the final full check found
     *     could carry weight, left out because a step with them would gain less than the
     *     stopping rule's threshold (0 unless the run ended so)
     */
    public record Outcome(double[] weights, double initialValue, double value, int iterations,
            boolean converged, int products, double lipschitz, int restarts, int workingSets,
            int restrictedProducts, int rowsLeftOut) {
    }

    /**
     * @param maxIterations iteration cap, {@code >= 1}
     * @param tolerance relative-improvement tolerance of the stopping rule, {@code > 0}
     * @param estimateProducts at most this many Lanczos products for the initial L, {@code >= 1}
     * @param seed seeds the Lanczos start vector
     */
    public AcceleratedProjectedGradient(int maxIterations, double tolerance, int estimateProducts,
            long seed) {
        this(maxIterations, tolerance, estimateProducts, seed, WorkingSets.OFF);
    }

    /**
     * @param workingSets when iterations may run on a working set of H's rows
     * @see #AcceleratedProjectedGradient(int, double, int, long)
     */
    public AcceleratedProjectedGradient(int maxIterations, double tolerance, int estimateProducts,
            long seed, WorkingSets workingSets) {
        if (workingSets == null) {
            throw new IllegalArgumentException("workingSets must not be null (OFF for none)");
        }
        this.workingSets = workingSets;
        if (maxIterations < 1) {
            throw new IllegalArgumentException("maxIterations must be >= 1, got " + maxIterations);
        }
        if (!(tolerance > 0) || Double.isInfinite(tolerance)) {
            throw new IllegalArgumentException("tolerance must be a positive number, got "
                    + tolerance);
        }
        if (estimateProducts < 1) {
            throw new IllegalArgumentException("estimateProducts must be >= 1, got "
                    + estimateProducts);
        }
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
        this.estimateProducts = estimateProducts;
        this.seed = seed;
    }

    /**
     * Runs the method from {@code start}, on the backend of {@code objective.vectors()}: every
     * vector of length n (the iterates, their products, the step, the best point) is a backend
     * vector, and per iteration only the scalars of one {@link StepStatistics} pass are read back
     * (plus, for feature forms, one D-length residual).
     *
     * @param objective f
     * @param projection the feasible set, of the objective's dimension
     * @param start a feasible start point (not modified)
     * @param listener told about every iteration
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted,
     *     checked before every iteration and every product of the step-size estimate; the
     *     interrupt status stays set and the run's backend vectors are freed
     */
    public Outcome minimise(MmdObjective objective, CappedSimplexProjection projection,
            double[] start, WeightSolver.IterationListener listener) {
        int n = objective.dimension();
        if (projection.dimension() != n || start.length != n) {
            throw new IllegalArgumentException("objective of dimension " + n + ", projection of "
                    + projection.dimension() + ", start of " + start.length);
        }
        VectorOps v = objective.vectors();
        try (Workspace w = new Workspace(v, n, start);
                CappedSimplexProjector projector = projection.on(v)) {
            return run(objective, projection, projector, w, listener);
        }
    }

    /** The optimiser's backend vectors, allocated once per run and freed together. */
    private static final class Workspace implements AutoCloseable {
        final java.util.List<DeviceVector> all = new java.util.ArrayList<>();
        DeviceVector x;
        DeviceVector hx;
        DeviceVector xPrev;
        DeviceVector hxPrev;
        DeviceVector y;
        DeviceVector hy;
        DeviceVector step;
        DeviceVector xNext;
        DeviceVector hxNext;
        DeviceVector best;
        DeviceVector savedPrev;
        DeviceVector savedHxPrev;

        Workspace(VectorOps v, int n, double[] start) {
            try {
                x = keep(v.of(start));
                hx = keep(v.zeros(n));
                xPrev = keep(v.zeros(n));
                hxPrev = keep(v.zeros(n));
                y = keep(v.zeros(n));
                hy = keep(v.zeros(n));
                step = keep(v.zeros(n));
                xNext = keep(v.zeros(n));
                hxNext = keep(v.zeros(n));
                best = keep(v.zeros(n));
                savedPrev = keep(v.zeros(n));
                savedHxPrev = keep(v.zeros(n));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private DeviceVector keep(DeviceVector vector) {
            all.add(vector);
            return vector;
        }

        @Override
        public void close() {
            for (DeviceVector vector : all) {
                vector.close();
            }
            all.clear();
        }
    }

    /** What outlives a phase: the counters, the momentum, L and the stopping rule's window. */
    private static final class Progress {
        int iteration;
        int products;
        int restrictedProducts;
        int restarts;
        int workingSets;
        int rowsLeftOut;
        double t = 1;
        double lipschitz;
        /**
         * No step constant below this: 2 {@value #CURVATURE_SLACK} times the start point's
         * Rayleigh quotient of H (a lower bound on its largest eigenvalue), the curvature that
         * float32 products cannot tell from noise. See {@link #lipschitzFloor}.
         */
        double lipschitzFloor;
        double fx;
        /**
         * The rounding level of computed differences of f: the largest amount by which a plain
         * step's computed change {@code f(x') - f(x)} exceeded its descent-lemma bound
         * {@code -(L/2) ||d||^2} (0 until one did). See the class comment.
         */
        double valueNoise;
        double bestValue;
        /** Whether the current phase found a new best iterate (in its workspace's best). */
        boolean phaseImprovedBest;
        final double[] history = new double[WINDOW + 1];
    }

    /** Why a phase ended. */
    private enum PhaseEnd { CONVERGED, CAP, PERIOD }

    private Outcome run(MmdObjective objective, CappedSimplexProjection projection,
            CappedSimplexProjector projector, Workspace w,
            WeightSolver.IterationListener listener) {
        VectorOps v = objective.vectors();
        Progress s = new Progress();
        objective.apply(w.x, w.hx);
        s.products = 1;
        s.fx = objective.value(w.x, w.hx);
        double initial = s.fx;
        listener.onIteration(0, s.fx);
        if (projection.isSinglePoint()) {
            return new Outcome(v.toArray(w.x), initial, s.fx, 0, true, s.products, Double.NaN,
                    0, 0, 0, 0);
        }

        v.copy(w.x, w.xPrev);
        v.copy(w.hx, w.hxPrev);
        s.history[0] = s.fx;
        // The best iterate seen is what is returned: near the float32 floor of the objective a
        // plain step may rise by rounding, and the last iterate need not be the best.
        v.copy(w.x, w.best);
        s.bestValue = s.fx;

        s.lipschitzFloor = lipschitzFloor(v, w.x, w.hx);
        // Lanczos uses y, hy and step as scratch; they are overwritten before first use.
        LipschitzEstimate estimate = lanczosLipschitz(objective, w.y, w.hy, w.step);
        s.lipschitz = Math.max(estimate.lipschitz(), s.lipschitzFloor);
        s.products += estimate.products();

        boolean sets = workingSets.appliesTo(objective);
        PhaseEnd end = iterate(objective, projector, w, s, sets ? WORKING_SET_START
                : Integer.MAX_VALUE, 0, false, listener);
        double[] best = end == PhaseEnd.PERIOD ? null : v.toArray(w.best);
        boolean converged = end == PhaseEnd.CONVERGED;
        if (end == PhaseEnd.PERIOD) {
            WorkingSetRun run = new WorkingSetRun(objective, projection, projector, w, s,
                    listener);
            try {
                converged = run.finish();
                best = run.best;
            } finally {
                run.close();
            }
            LOG.info("working sets: {} gathered, {} of {} products on them{}", s.workingSets,
                    s.restrictedProducts, s.products, s.rowsLeftOut == 0 ? ""
                            : "; ended with " + s.rowsLeftOut + " rows left out (a step with"
                                    + " them would gain less than the tolerance)");
        }
        return new Outcome(best, initial, s.bestValue, s.iteration, converged, s.products,
                s.lipschitz, s.restarts, s.workingSets, s.restrictedProducts, s.rowsLeftOut);
    }

    /**
     * FISTA iterations on {@code objective} from the workspace's {@code x} (with {@code H x},
     * the previous point and its product held there) until the stopping rule fires, the
     * iteration cap is reached, or {@code limit} iterations of this phase have run; the rule may
     * end the phase only after {@code minIterations} of them. A restricted phase counts its
     * products as restricted.
     */
    private PhaseEnd iterate(MmdObjective objective, CappedSimplexProjector projector,
            Workspace w, Progress s, int limit, int minIterations, boolean restricted,
            WeightSolver.IterationListener listener) {
        VectorOps v = objective.vectors();
        DeviceVector h = objective.linear();
        s.phaseImprovedBest = false;
        int phase = 0;
        // A tentative restart (see the class comment): the rise that caused it (-1: none) and
        // the momentum it dropped, t here and the previous point in the workspace's saved pair.
        double pendingRise = -1;
        double savedT = 1;
        while (s.iteration < maxIterations) {
            if (phase == limit) {
                return PhaseEnd.PERIOD;
            }
            // Once per iteration, before its products: an interrupted caller waits for at most
            // the iteration in flight (Cancellation); the workspace is freed by minimise's scope.
            Cancellation.stopIfInterrupted(CANCELLED_ITERATION);
            phase++;
            s.iteration++;
            double tNext = 0.5 * (1 + Math.sqrt(1 + 4 * s.t * s.t));
            double beta = (s.t - 1) / tNext;
            v.extrapolate(w.x, w.xPrev, beta, w.y);
            v.extrapolate(w.hx, w.hxPrev, beta, w.hy);
            StepStatistics stats;
            while (true) {
                // step = y - grad f(y) / L, with grad f(y) = 2 (H y - h).
                v.gradientStep(w.y, w.hy, h, 1.0 / s.lipschitz, w.step);
                projector.project(w.step, w.xNext);
                objective.apply(w.xNext, w.hxNext);
                s.products++;
                if (restricted) {
                    s.restrictedProducts++;
                }
                stats = v.stepStatistics(w.xNext, w.y, w.hxNext, w.hy, h);
                if (stats.curvature() <= 0.5 * s.lipschitz * stats.stepNorm2()
                        + CURVATURE_SLACK * stats.curvatureScale()) {
                    break;
                }
                s.lipschitz = Math.max(2 * s.lipschitz,
                        2 * stats.curvature() / stats.stepNorm2());
                if (!Double.isFinite(s.lipschitz)) {
                    // A NaN or infinite product would otherwise loop here for ever on a
                    // backend whose projection does not reject non-finite input (cuda).
                    throw new IllegalStateException("iteration " + s.iteration + ": the step"
                            + " statistics are not finite (curvature " + stats.curvature()
                            + ", squared step " + stats.stepNorm2() + "): a kernel product"
                            + " holds NaN or infinity");
                }
            }
            double fNext = objective.value(stats);
            if (beta == 0) {
                // A plain step from x (y = x): its true change is at most -(L/2)||d||^2, so any
                // computed excess over that is rounding of the two values of f.
                double excess = fNext - s.fx + 0.5 * s.lipschitz * stats.stepNorm2();
                if (excess > s.valueNoise) {
                    s.valueNoise = excess;
                }
            }
            if (fNext > s.fx + s.valueNoise && beta > 0) {
                // Restart: reject the step and drop the momentum. x_k and H x_k are still held,
                // so the next iteration (beta = 0, y = x_k) is a plain projected-gradient step
                // from x_k, a guaranteed descent step. A rise within the values' rounding does
                // not get here; one above the level known so far saves the momentum, restored
                // if the plain steps that follow show the level to cover the rise.
                s.restarts++;
                if (pendingRise < 0) {
                    pendingRise = fNext - s.fx;
                    savedT = s.t;
                    v.copy(w.xPrev, w.savedPrev);
                    v.copy(w.hxPrev, w.savedHxPrev);
                }
                s.t = 1;
            } else {
                // Accepted. A plain step (beta = 0) is accepted even if f appears to grow: the
                // descent lemma bounds its true change by -(L/2)||d||^2 <= 0, so the growth is
                // rounding, and rejecting it would make a deterministic backend repeat it.
                s.t = tNext;
                // Rotate buffers: xPrev <- x <- xNext (and their products), no copying.
                DeviceVector swap = w.xPrev;
                w.xPrev = w.x;
                w.x = w.xNext;
                w.xNext = swap;
                swap = w.hxPrev;
                w.hxPrev = w.hx;
                w.hx = w.hxNext;
                w.hxNext = swap;
                s.fx = fNext;
                if (pendingRise >= 0) {
                    if (s.valueNoise >= pendingRise) {
                        // The rise was rounding: undo the restart. The next extrapolation goes
                        // on from x along x_k - x_{k-1} (plus the plain steps' small moves).
                        s.t = savedT;
                        v.copy(w.savedPrev, w.xPrev);
                        v.copy(w.savedHxPrev, w.hxPrev);
                        pendingRise = -1;
                    } else if (beta > 0) {
                        pendingRise = -1; // the momentum has started again from t = 1
                    }
                }
                if (s.fx < s.bestValue) {
                    s.bestValue = s.fx;
                    v.copy(w.x, w.best);
                    s.phaseImprovedBest = true;
                }
            }
            s.history[s.iteration % (WINDOW + 1)] = s.fx;
            listener.onIteration(s.iteration, s.fx);
            if (stats.stepNorm2() == 0) {
                return PhaseEnd.CONVERGED; // x_{k+1} = y = P(y - grad f(y) / L): y is optimal.
            }
            if (s.iteration >= WINDOW && phase >= minIterations) {
                double improvement = s.history[(s.iteration - WINDOW) % (WINDOW + 1)] - s.fx;
                if (improvement <= WINDOW * tolerance * Math.abs(s.fx)) {
                    return PhaseEnd.CONVERGED;
                }
            }
        }
        return PhaseEnd.CAP;
    }

    /**
     * The iterations after the first {@value #WORKING_SET_START}, on working sets: the optimum
     * of an MMD objective on the simplex keeps only part of the rows (half of them on the
     * 16,000-row benchmark), and a projected-gradient step never gives weight to a row whose
     * gradient is far above the others'. So the iterations run on {@code H[I][I]} for a set I
     * of rows (the objective restricted to weights that are 0 off I, whose value is f's), a
     * product costing {@code |I|^2 / n^2} of a full one. Every {@value #WORKING_SET_PERIOD}
     * iterations, and whenever the stopping rule fires, one full product gives the gradient at
     * the iterate x, and the rows that one full projected-gradient step from x would give weight
     * to are found ({@code P(x - grad f(x) / L)}); together with x's support they form the next
     * candidate set. A new set is gathered when rows outside the current one want in, or the
     * candidates have shrunk to {@value #WORKING_SET_SHRINK} of it; above
     * {@value #WORKING_SET_MAX_FRACTION} of n the iterations use all of H. The run ends,
     * converged, only when the stopping rule fires and either no row outside the set wants in
     * (the result is then a fixed point of the full method's projected-gradient step) or one
     * full projected-gradient step could lower f by no more than the rule accepts
     * ({@link #fullStepGain}). The momentum (t and the previous point) carries across sets:
     * only rows that are 0 at both x and the previous point leave, so the extrapolation keeps
     * summing to 1. The iterations on a set step with the set's own L (Lanczos on
     * {@code H[I][I]}, capped by L of all of H, with t scaled by {@code sqrt(L_set / L)} so
     * that FISTA's step condition still holds); the checks and the iterations on all of H use
     * L of all of H, raised by any curvature backtracking finds on a set. A set H cannot give
     * (it offers no submatrix, or none within the memory budget) ends the working sets for the
     * rest of the run.
     */
    private final class WorkingSetRun implements AutoCloseable {
        private final MmdObjective full;
        private final CappedSimplexProjection projection;
        private final CappedSimplexProjector fullProjector;
        private final Workspace fullSpace;
        private final Progress s;
        private final WeightSolver.IterationListener listener;
        private final VectorOps v;
        private final int n;
        private final double[] linear;
        /** The best iterate, on all n rows. */
        double[] best;
        /** The current set (null: all rows) and what runs on it. */
        private int[] set;
        private MmdObjective sub;
        private Workspace subSpace;
        private CappedSimplexProjector subProjector;
        private boolean gatherable = true;
        /**
         * The step constant of all of H: the checks' projected-gradient step uses it, and the
         * iterations return to it when they leave the working sets.
         */
        private double fullLipschitz;

        WorkingSetRun(MmdObjective full, CappedSimplexProjection projection,
                CappedSimplexProjector fullProjector, Workspace fullSpace, Progress s,
                WeightSolver.IterationListener listener) {
            this.full = full;
            this.projection = projection;
            this.fullProjector = fullProjector;
            this.fullSpace = fullSpace;
            this.s = s;
            this.listener = listener;
            this.v = full.vectors();
            this.n = full.dimension();
            this.linear = v.toArray(full.linear());
            this.best = v.toArray(fullSpace.best);
            this.fullLipschitz = s.lipschitz;
        }

        /** Runs to the end; whether the run converged. */
        boolean finish() {
            while (true) {
                if (lastEnd == PhaseEnd.CAP) {
                    return false; // no check: the run cannot go on
                }
                Workspace here = set == null ? fullSpace : subSpace;
                double[] x = expand(v.toArray(here.x));
                // The previous point too: a row it weights must stay, or the extrapolation
                // x + beta (x - xPrev) on the set would no longer sum to 1.
                double[] xPrev = expand(v.toArray(here.xPrev));
                double[] hx;
                if (set == null) {
                    hx = v.toArray(fullSpace.hx); // the iterations keep H x for x
                } else {
                    // The full gradient at x: one product with all of H.
                    v.write(x, fullSpace.step);
                    full.apply(fullSpace.step, fullSpace.hy);
                    s.products++;
                    hx = v.toArray(fullSpace.hy);
                }
                double[] z = new double[n];
                double scale = 2 / fullLipschitz;
                for (int i = 0; i < n; i++) {
                    z[i] = x[i] - scale * (hx[i] - linear[i]);
                }
                double[] moved = new double[n];
                projection.project(z, moved);
                int outsiders = 0;
                int candidates = 0;
                boolean[] inSet = membership();
                for (int i = 0; i < n; i++) {
                    if (x[i] > 0 || moved[i] > 0 || xPrev[i] > 0) {
                        candidates++;
                        if (!inSet[i]) {
                            outsiders++;
                        }
                    }
                }
                boolean converged = lastEnd == PhaseEnd.CONVERGED;
                if (converged && (outsiders == 0 || fullStepGain(x, hx, moved) <= WINDOW
                        * tolerance * Math.abs(s.fx))) {
                    s.rowsLeftOut = outsiders;
                    return true;
                }
                if (s.iteration >= maxIterations) {
                    return false;
                }
                int current = set == null ? n : set.length;
                // A few rows wanting in are left for the next check (they would cost a gather
                // now), unless the set has converged without them.
                boolean admit = outsiders > 0
                        && (converged || outsiders >= WORKING_SET_ADMIT * current);
                if (admit || candidates <= WORKING_SET_SHRINK * current) {
                    int[] next = new int[candidates];
                    int k = 0;
                    for (int i = 0; i < n; i++) {
                        if (x[i] > 0 || moved[i] > 0 || xPrev[i] > 0) {
                            next[k++] = i;
                        }
                    }
                    regather(next, x, hx, xPrev);
                    if (set == null && !gatherable) {
                        // H offers no submatrix: the rest runs on all of H, with no checks.
                        PhaseEnd last = iterate(full, fullProjector, fullSpace, s,
                                Integer.MAX_VALUE, converged ? WINDOW : 0, false, listener);
                        if (s.phaseImprovedBest) {
                            best = v.toArray(fullSpace.best);
                        }
                        return last == PhaseEnd.CONVERGED;
                    }
                }
                if (set == null) {
                    lastEnd = iterate(full, fullProjector, fullSpace, s, WORKING_SET_PERIOD,
                            converged ? WINDOW : 0, false, listener);
                    fullLipschitz = s.lipschitz; // backtracking may have raised it
                } else {
                    lastEnd = iterate(sub, subProjector, subSpace, s, WORKING_SET_PERIOD,
                            converged ? WINDOW : 0, true, listener);
                    // Curvature that backtracking found on the set is curvature of all of H.
                    fullLipschitz = Math.max(fullLipschitz, s.lipschitz);
                }
                if (s.phaseImprovedBest) {
                    best = expand(v.toArray((set == null ? fullSpace : subSpace).best));
                }
            }
        }

        private PhaseEnd lastEnd = PhaseEnd.PERIOD;

        /**
         * An upper bound on what one projected-gradient step on all rows, from x to
         * {@code moved}, could lower f by: with {@code d = moved - x},
         * {@code f(x) - f(x + d) = -grad f(x)^T d - d^T H d <= -grad f(x)^T d}, H being
         * positive semi-definite. O(n), no product. When the set has converged by the stopping
         * rule and even this bound is within the rule's threshold, the rows that want in could
         * not change the result by more than the rule already accepts, so they are not admitted
         * (each admission costs a gather and a window of iterations).
         */
        private double fullStepGain(double[] x, double[] hx, double[] moved) {
            double gain = 0;
            for (int i = 0; i < n; i++) {
                gain -= 2 * (hx[i] - linear[i]) * (moved[i] - x[i]);
            }
            return gain;
        }

        /** Which rows the current set holds. */
        private boolean[] membership() {
            boolean[] in = new boolean[n];
            if (set == null) {
                Arrays.fill(in, true);
            } else {
                for (int i : set) {
                    in[i] = true;
                }
            }
            return in;
        }

        /** A vector on the current set as a vector on all n rows (0 off the set). */
        private double[] expand(double[] onSet) {
            if (set == null) {
                return onSet;
            }
            double[] out = new double[n];
            for (int k = 0; k < set.length; k++) {
                out[set[k]] = onSet[k];
            }
            return out;
        }

        /**
         * Moves the iterations to {@code next} (all rows when it is too large, too small for
         * the cap, or H offers no submatrix): x, H x (x is 0 off next, so its product on next
         * is the full product's rows), the previous point and its product (one restricted
         * product), and the best value so far.
         */
        private void regather(int[] next, double[] x, double[] hx, double[] xPrev) {
            boolean wasFull = set == null;
            closeSet();
            boolean fits = next.length <= WORKING_SET_MAX_FRACTION * n
                    && next.length * projection.cap() > 1 + 1e-9;
            MmdObjective restricted = fits && gatherable
                    ? full.restrictedTo(next, workingSets.memoryBudgetBytes()) : null;
            if (restricted == null) {
                // H offers none (the memory budget does not hold it beside H): never try
                // again; the answer would not change within the run. (Memory refused within
                // the budget is an error, not a null: see KernelOperator.)
                gatherable &= !fits;
                set = null;
                if (wasFull) {
                    return; // still on all rows: the full workspace holds the iterate
                }
                // Back on all rows: x and H x are known; the momentum restarts from x.
                v.write(x, fullSpace.x);
                v.write(hx, fullSpace.hx);
                v.copy(fullSpace.x, fullSpace.xPrev);
                v.copy(fullSpace.hx, fullSpace.hxPrev);
                s.t = 1;
                s.lipschitz = fullLipschitz;
                v.write(best, fullSpace.best);
                return;
            }
            s.workingSets++;
            set = next;
            sub = restricted;
            int k = next.length;
            subSpace = new Workspace(v, k, select(x, next));
            v.write(select(hx, next), subSpace.hx);
            v.write(select(xPrev, next), subSpace.xPrev);
            sub.apply(subSpace.xPrev, subSpace.hxPrev);
            s.products++;
            s.restrictedProducts++;
            v.copy(subSpace.x, subSpace.best);
            // The set's own step constant: 2 lambda_max of H[I][I] on 1^perp is at most that of
            // H (its steps are a subspace of H's), and on the 16,000-row benchmark 3.5 times
            // smaller at the optimum's support, so the steps on the set can be that much longer.
            // y, hy and step are scratch until the first iteration.
            LipschitzEstimate estimate = lanczosLipschitz(sub, subSpace.y, subSpace.hy,
                    subSpace.step);
            s.products += estimate.products();
            s.restrictedProducts += estimate.products();
            double before = s.lipschitz;
            // No products: the set's centred space is {0} (one row), where any L steps
            // exactly; a placeholder near 0 would only blow up the momentum scaling below.
            s.lipschitz = estimate.products() == 0 ? fullLipschitz
                    : Math.max(s.lipschitzFloor, Math.min(fullLipschitz, estimate.lipschitz()));
            // FISTA's rate needs t_{k+1} (t_{k+1} - 1) / L_{k+1} <= t_k^2 / L_k, which a step
            // constant that drops breaks unless t shrinks with it (the backtracking FISTA of
            // Scheinberg, Goldfarb & Bai, Found. Comput. Math. 14, 2014): t scaled by
            // sqrt(L_new / L_old) keeps it. Measured against keeping t: 124-152 instead of
            // 147-184 iterations on 3,001 and 6,007 rows, 229 instead of 219 on 16,000 and 298
            // instead of 292 on 9,001, every MMD^2 within 0.13 % (docs/PERFORMANCE.md).
            // Bounded by 1 + iterations (FISTA's own t_k is about 1 + k/2), which no measured
            // run reaches, so that an L estimate far below the last can not make beta 1.
            s.t = Math.max(1, Math.min(1 + s.iteration, s.t * Math.sqrt(s.lipschitz / before)));
            LOG.debug("iteration {}: working set of {} of {} rows, L {} (all rows: {})",
                    s.iteration, next.length, n, s.lipschitz, fullLipschitz);
            subProjector = new CappedSimplexProjection(k, Math.min(1.0, projection.cap())).on(v);
        }

        private double[] select(double[] values, int[] rows) {
            double[] out = new double[rows.length];
            for (int k = 0; k < rows.length; k++) {
                out[k] = values[rows[k]];
            }
            return out;
        }

        private void closeSet() {
            try {
                if (subProjector != null) {
                    subProjector.close();
                }
            } finally {
                try {
                    if (subSpace != null) {
                        subSpace.close();
                    }
                } finally {
                    if (sub != null) {
                        sub.close();
                    }
                    subProjector = null;
                    subSpace = null;
                    sub = null;
                }
            }
        }

        @Override
        public void close() {
            closeSet();
        }
    }

    /** The initial step constant and the products spent finding it. */
    private record LipschitzEstimate(double lipschitz, int products) {
    }

    /**
     * {@code 2 theta}, theta the largest Ritz value of Lanczos on {@code P H P} (P centres a
     * vector) from a seeded uniform random start, after at most {@code estimateProducts}
     * products, stopping once theta moves by less than {@value #ESTIMATE_TOLERANCE} relatively.
     * Ritz values lie inside the spectrum, so this is a lower bound on
     * {@code 2 lambda_max(P H P)} like a power estimate, and a far closer one for the same
     * products: k Lanczos steps resolve the top of the spectrum about as well as k^2
     * power steps (Kuczynski &amp; Wozniakowski, SIAM J. Matrix Anal. Appl. 13(4), 1992).
     * Uses q, r and qPrev as scratch.
     */
    private LipschitzEstimate lanczosLipschitz(MmdObjective objective, DeviceVector q, DeviceVector r,
            DeviceVector qPrev) {
        VectorOps v = objective.vectors();
        int n = objective.dimension();
        SplittableRandom random = new SplittableRandom(seed);
        double[] start = new double[n];
        for (int i = 0; i < n; i++) {
            start[i] = random.nextDouble() - 0.5;
        }
        v.write(start, q);
        if (centreAndNormalise(v, q, n) == 0) {
            return new LipschitzEstimate(2 * Double.MIN_NORMAL, 0);
        }
        v.fill(qPrev, 0.0);
        double[] alpha = new double[estimateProducts];
        double[] beta = new double[estimateProducts + 1];
        double theta = 0;
        int products = 0;
        for (int k = 0; k < estimateProducts; k++) {
            Cancellation.stopIfInterrupted(CANCELLED_ESTIMATE);
            objective.apply(q, r);
            products++;
            // r = P H q (q is centred, so P H P q = P H q), then the three-term recurrence.
            v.add(r, -v.sum(r) / n);
            alpha[k] = v.dot(q, r);
            v.linearCombination(1, r, -alpha[k], q, r);
            if (k > 0) {
                v.linearCombination(1, r, -beta[k], qPrev, r);
            }
            // One local re-orthogonalisation against q keeps a float32 product from leaking q.
            double leak = v.dot(q, r);
            v.linearCombination(1, r, -leak, q, r);
            alpha[k] += leak;
            double next = largestRitzValue(alpha, beta, k + 1);
            boolean settled = k > 0 && Math.abs(next - theta) <= ESTIMATE_TOLERANCE * next;
            theta = next;
            beta[k + 1] = Math.sqrt(v.dot(r, r));
            if (settled || beta[k + 1] <= 1e-12 * Math.abs(theta)) {
                break;
            }
            DeviceVector swap = qPrev;
            qPrev = q;
            q = r;
            r = swap;
            v.scale(q, 1 / beta[k + 1]);
        }
        // Guard against a zero operator on 1^perp (e.g. all synthetic rows identical): any
        // positive L is then valid, and backtracking corrects an underestimate.
        return new LipschitzEstimate(2 * Math.max(theta, Double.MIN_NORMAL), products);
    }

    /**
     * The floor of every step constant: {@code 2 CURVATURE_SLACK x^T H x / x^T x} at the start
     * point x. The Rayleigh quotient is at most lambda_max(H), so the floor is at most 2e-6 of
     * the largest curvature, far below any step constant a product can resolve (float32
     * products err by 1e-7 to 1e-6 of it); Lanczos on the centred space can return less when H
     * has no curvature there at all (every synthetic row the same: H = c 1 1^T), and a step
     * constant of 1e-13 then turned the products' rounding into steps of 1e12 that the
     * projection could not place on the simplex. Zero when H x is 0.
     */
    private static double lipschitzFloor(VectorOps v, DeviceVector x, DeviceVector hx) {
        double rayleigh = v.dot(x, hx) / v.dot(x, x);
        return rayleigh > 0 && Double.isFinite(rayleigh) ? 2 * CURVATURE_SLACK * rayleigh : 0;
    }

    /** The largest eigenvalue of the k x k tridiagonal (alpha on, beta[1..k-1] off the diagonal). */
    static double largestRitzValue(double[] alpha, double[] beta, int k) {
        double[][] t = new double[k][k];
        for (int i = 0; i < k; i++) {
            t[i][i] = alpha[i];
            if (i + 1 < k) {
                t[i][i + 1] = beta[i + 1];
                t[i + 1][i] = beta[i + 1];
            }
        }
        double[] values = SymmetricEigen.of(t).values();
        double max = Double.NEGATIVE_INFINITY;
        for (double value : values) {
            max = Math.max(max, value);
        }
        return max;
    }

    /** Centres u, scales it to unit norm, and returns the norm after centring. */
    private static double centreAndNormalise(VectorOps v, DeviceVector u, int n) {
        double mean = v.sum(u) / n;
        v.add(u, -mean);
        double norm = Math.sqrt(v.dot(u, u));
        if (norm > 0) {
            v.scale(u, 1 / norm);
        }
        return norm;
    }
}
