package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * Where a fit on working sets stops, against the same optimiser on all of H (helper wsconv30).
 * docs/PERFORMANCE.md (tws30) reported an nd4j exact fit with working sets converged at 1.855e-8
 * while the optimiser on all of H went on to 1.07e-8, and asked whether the working sets'
 * stopping rule ends fits early. In double it does not: on the reference backend the
 * working-set path stops within 1 % of (or below) the full path, converged or at the same
 * iteration cap ({@link #inDoubleWorkingSetsStopWhereAllOfHDoes}). The gap seen on nd4j is the
 * float32 rounding of the objective's values, which ends the full path early as well (see
 * {@link #onFloat32TheKeptFitsStopAtTheirRoundingNoise}). Every fit is scored in double by
 * {@link TestBackends#directMmd2}, independently of the backend.
 */
class WorkingSetStopTest {

    /**
     * Rows about the first {@code clusters} of the centres with Gaussian noise; skewed to the
     * first clusters ({@code floor(k U^2)}) when they are fewer than the centres (the real
     * rows), evenly otherwise (the synthetic rows), so that part of the synthetic rows end with
     * weight 0 and the working sets shrink.
     */
    private static FloatMatrix clustered(int rows, double[][] centres, int clusters,
            double noise, Random random) {
        int d = centres[0].length;
        float[] data = new float[rows * d];
        boolean skewed = clusters < centres.length;
        for (int i = 0; i < rows; i++) {
            int q = skewed ? (int) Math.min(clusters - 1,
                    Math.floor(clusters * Math.pow(random.nextDouble(), 2)))
                    : random.nextInt(clusters);
            for (int j = 0; j < d; j++) {
                data[i * d + j] = (float) (centres[q][j] + noise * random.nextGaussian());
            }
        }
        return new FloatMatrix(rows, d, data);
    }

    /** 8 clusters, the real rows from 5 of them (the tws30 case), n x m x d. */
    private static FloatMatrix[] rows(int n, int m, int d, long seed) {
        Random random = new Random(seed);
        double[][] centres = new double[8][d];
        for (double[] centre : centres) {
            for (int j = 0; j < d; j++) {
                centre[j] = 2.5 * random.nextGaussian();
            }
        }
        FloatMatrix real = clustered(m, centres, 5, 1.0, random);
        FloatMatrix synthetic = clustered(n, centres, 8, 1.0, random);
        return new FloatMatrix[] {synthetic, real};
    }

    /** The optimiser as {@link WeightSolver} runs it (default tolerance and cap B = 10). */
    private static AcceleratedProjectedGradient.Outcome fit(KernelBackend backend,
            FloatMatrix synthetic, FloatMatrix real, double sigma, TilePlan plan,
            int maxIterations, boolean workingSets) {
        AlignmentConfig config = AlignmentConfig.defaults();
        int n = synthetic.rows();
        try (MmdObjective objective = MmdObjectives.kernel(backend, synthetic, real, sigma, plan,
                ProgressListener.NONE)) {
            double[] start = new double[n];
            Arrays.fill(start, 1.0 / n);
            return new AcceleratedProjectedGradient(maxIterations, config.tolerance(),
                    AcceleratedProjectedGradient.DEFAULT_ESTIMATE_PRODUCTS, 3,
                    workingSets ? AcceleratedProjectedGradient.WorkingSets.within(
                            config.memoryBudgetBytes())
                            : AcceleratedProjectedGradient.WorkingSets.OFF)
                    .minimise(objective, new CappedSimplexProjection(n,
                            Math.min(1.0, config.maxWeightRatio() / n)), start, (it, v) -> { });
        }
    }

    private static TilePlan kept(int n) {
        return new TilePlan(true, TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES));
    }

    /**
     * On the reference backend (float64 products, values exact to about 1e-16 of the kernel's
     * size) at 1,111 x 379 x 29: at the median bandwidth both paths converge and the working
     * sets' MMD^2 is within 1 % of the full path's (measured on 1,500 x 500 x 32: 1.0000 and
     * 0.99993); at 5 x the median, the tws30 case, neither converges within 700 iterations (the
     * problem is badly conditioned: on 1,500 rows both still gain about 1e-4 a step after 5,000
     * iterations), and at that cap the working sets are not behind the full path (there 0.92).
     * So the working sets' stopping rule, its final full check included, does not end a fit
     * early in exact-enough arithmetic. This passes on the code before wsconv30 too: it guards
     * the working sets against the regression tws30 suspected, not a change.
     */
    @Test
    void inDoubleWorkingSetsStopWhereAllOfHDoes() {
        FloatMatrix[] rows = rows(1111, 379, 29, 7);
        FloatMatrix synthetic = rows[0];
        FloatMatrix real = rows[1];
        int n = synthetic.rows();
        try (KernelBackend backend = TestBackends.create("reference")) {
            double median = MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE, 3,
                    real, synthetic);
            for (int factor : new int[] {1, 5}) {
                double sigma = factor * median;
                int cap = factor == 1 ? 5000 : 700;
                AcceleratedProjectedGradient.Outcome sets = fit(backend, synthetic, real, sigma,
                        kept(n), cap, true);
                AcceleratedProjectedGradient.Outcome all = fit(backend, synthetic, real, sigma,
                        kept(n), cap, false);
                double setsMmd2 = TestBackends.directMmd2(synthetic, real, sets.weights(), sigma);
                double allMmd2 = TestBackends.directMmd2(synthetic, real, all.weights(), sigma);
                String what = factor + " x the median: working sets " + setsMmd2 + " ("
                        + sets.iterations() + " iterations, converged " + sets.converged() + ", "
                        + sets.workingSets() + " sets, " + sets.rowsLeftOut() + " rows left out)"
                        + ", all of H " + allMmd2 + " (" + all.iterations() + ", converged "
                        + all.converged() + "), ratio " + setsMmd2 / allMmd2;
                System.out.println("[WorkingSetStopTest] " + what);
                assertTrue(sets.workingSets() > 0, what);
                if (factor == 1) {
                    assertTrue(sets.converged() && all.converged(), what);
                } else {
                    assertTrue(!sets.converged() && !all.converged(), what);
                }
                assertTrue(setsMmd2 <= 1.01 * allMmd2, what);
            }
        }
    }

    /**
     * The tws30 case on nd4j, 1,500 x 500 x 32 at 5 x the median, 1,500 iterations: the exact
     * fit with working sets stops, converged, at about 1.7e-8 after 700 iterations, and the
     * tiled fit on all of H runs to the cap at 1.07e-8 (the reference's full path reaches the
     * same 1.0713e-8 at 1,500 iterations). It fails: 1.65 times (1.7702e-8 against
     * 1.0718e-8). Disabled because the cause is not the working sets, and no change here makes
     * it pass safely.
     *
     * <p>Mechanism (helper wsconv30, logged): the stopping rule fires when the objective fell by
     * at most {@code W tol |f| = 10 * 1e-6 * 1.75e-8 = 1.75e-13} over 10 iterations. At
     * f = 1.75e-8 the float32 values of f from nd4j's kept kernels (a kept K_SS triangle, and
     * every kept working set, which is one too) jitter by 1e-11 to 5e-11 between iterations,
     * while the true gain is about 3e-10 a window (float64: 1.8824e-8 -> 1.7147e-8 over
     * iterations 650 to 700). Momentum steps that truly gain less than that jitter look like
     * rises, so the restart test rejects them and drops the momentum (10 restarts in 680 to 700
     * against 1 in the first 680); without momentum the true gain a window falls below the
     * jitter, the window's computed improvement is negative (-2.5e-11) and the rule fires.
     * The exact fit on all of H does the same a little later, at random: seven data seeds of
     * this layout, kept K, sets / all of H = 1.034, 0.936, 0.987, 1.210, 1.041, 1.041, 0.989,
     * every run converged (by noise) between 609 and 826 iterations, float64 MMD^2 1.3e-8 to
     * 1.9e-8 where the optimum is below 5.5e-9 (reference, 5,000 iterations). Only the tiled
     * K_SS's values (products computed afresh per tile) were smooth enough here to run to the
     * cap. A working-set check adds one more jump: the first value on a new set comes from
     * another operator (1.4e-10 above the parent's at the same point in one run), which the
     * window then reads as a rise. A fix belongs to the stopping and restart rules of every
     * float32 fit (a noise level for f, e.g. from the plain steps' apparent rises, below which
     * a rise neither restarts nor counts as convergence), not to the working sets.
     */
    @Test
    @Disabled("float32 value noise ends kept-kernel fits early, with or without working sets;"
            + " see the comment (helper wsconv30)")
    void onFloat32TheKeptFitsStopAtTheirRoundingNoise() {
        Assumptions.assumeTrue(TestBackends.available().contains("nd4j"), "nd4j not available");
        FloatMatrix[] rows = rows(1500, 500, 32, 5);
        FloatMatrix synthetic = rows[0];
        FloatMatrix real = rows[1];
        int n = synthetic.rows();
        try (KernelBackend backend = TestBackends.create("nd4j")) {
            double sigma = 5 * MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE,
                    3, real, synthetic);
            AcceleratedProjectedGradient.Outcome sets = fit(backend, synthetic, real, sigma,
                    kept(n), 1500, true);
            AcceleratedProjectedGradient.Outcome all = fit(backend, synthetic, real, sigma,
                    MmdObjectives.tiledPlan(n, n), 1500, false);
            double setsMmd2 = TestBackends.directMmd2(synthetic, real, sets.weights(), sigma);
            double allMmd2 = TestBackends.directMmd2(synthetic, real, all.weights(), sigma);
            String what = "working sets " + setsMmd2 + " (" + sets.iterations() + " iterations)"
                    + ", all of H " + allMmd2 + " (" + all.iterations() + "), ratio "
                    + setsMmd2 / allMmd2;
            System.out.println("[WorkingSetStopTest] " + what);
            assertTrue(setsMmd2 <= 1.01 * allMmd2, what);
        }
    }
}
