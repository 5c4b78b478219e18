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
import org.junit.jupiter.api.Test;

/**
 * Where a fit on working sets stops, against the same optimiser on all of H (helper wsconv30).
 * docs/PERFORMANCE.md (tws30) reported an nd4j exact fit with working sets converged at 1.855e-8
 * while the optimiser on all of H went on to 1.07e-8, and asked whether the working sets'
 * stopping rule ends fits early. In double it does not: on the reference backend the
 * working-set path stops within 1 % of (or below) the full path, converged or at the same
 * iteration cap ({@link #inDoubleWorkingSetsStopWhereAllOfHDoes}). The gap seen on nd4j is the
 * float32 rounding of the objective's values, which ended the full path early as well, until
 * the optimiser kept a noise level for them (stopnoise30; see
 * {@link #onFloat32KeptFitsKeepTheirMomentumThroughTheRoundingNoise}). Every fit is scored in
 * double by {@link TestBackends#directMmd2}, independently of the backend.
 */
class WorkingSetStopTest {

    /** 8 clusters, the real rows from 5 of them (the tws30 case), n x m x d. */
    private static FloatMatrix[] rows(int n, int m, int d, long seed) {
        Random random = new Random(seed);
        double[][] centres = new double[8][d];
        for (double[] centre : centres) {
            for (int j = 0; j < d; j++) {
                centre[j] = 2.5 * random.nextGaussian();
            }
        }
        FloatMatrix real = TestBackends.clustered(m, centres, 5, 1.0, random);
        FloatMatrix synthetic = TestBackends.clustered(n, centres, 8, 1.0, random);
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
     * A kept fit on nd4j whose float32 values of f jitter by more than its late gains: the tws30
     * generator at 30 x the median, seed 3, 1,500 x 500 x 32, 1,500 iterations, working sets on
     * (every kept set is one more float32 operator), against the float64 reference's fit of the
     * same problem with the same optimiser, bound 1.2. Measured (helper restart34, 2026-12-07):
     * nd4j 4.476e-11, the reference 4.627e-11 (0.967 times), both at the 1,500 cap with 3
     * restarts. With the noise level of f switched off (the rule before stopnoise30: every
     * computed rise of a momentum step restarts and the momentum stays dropped) the nd4j fit
     * stops, converged by the window, at 1.433e-10 after 111 iterations with 5 restarts,
     * 3.08 times the reference's (4.654e-11 under the same switch): this test fails there.
     *
     * <p>History: the test first ran the tws30 case at 5 x the median (seed 5, nd4j kept with
     * working sets against the tiled fit on all of H, which ran to the cap at 1.07e-8). Before
     * stopnoise30 the kept fit stopped at 1.77e-8 (1.65 times) after 701 iterations; with its
     * noise level, 1.18e-8 (1.10 times) after 1,154. Since flat32 (session 32: flat kept panels
     * summed in double) that case no longer exercises the noise level: every nd4j fit of this
     * generator at 5 x runs to the 1,500 cap with one restart, at the reference's MMD^2
     * (seed 5: 1.0152e-8 with working sets, the tiled fit 1.0718e-8), and identically with the
     * noise level switched off (helper restart34, docs/PERFORMANCE.md), so it passed on the old
     * rule too. At 30 x the values' rounding still reads as rises (restart33's traces).
     *
     * <p>Mechanism at 5 x before flat32 (helper wsconv30, logged): the stopping rule fires when
     * the objective fell by at most {@code W tol |f| = 10 * 1e-6 * 1.75e-8 = 1.75e-13} over 10
     * iterations. At f = 1.75e-8 the float32 values of f from nd4j's kept kernels jitter by
     * 1e-11 to 5e-11 between iterations, while the true gain is about 3e-10 a window. Momentum
     * steps that truly gained less than that jitter looked like rises, so the restart test
     * rejected them and dropped the momentum; without momentum the true gain a window fell
     * below the jitter, the window's computed improvement was negative (-2.5e-11) and the rule
     * fired. The optimiser now keeps a noise level for f from its plain steps, accepts momentum
     * steps that rise within it and restores the momentum of a restart whose rise it covers
     * (stopnoise30, the class comment of {@link AcceleratedProjectedGradient}).
     */
    @Test
    void onFloat32KeptFitsKeepTheirMomentumThroughTheRoundingNoise() {
        Assumptions.assumeTrue(TestBackends.available().contains("nd4j"), "nd4j not available");
        FloatMatrix[] rows = rows(1500, 500, 32, 3);
        FloatMatrix synthetic = rows[0];
        FloatMatrix real = rows[1];
        int n = synthetic.rows();
        double setsMmd2;
        double referenceMmd2;
        String what;
        try (KernelBackend nd4j = TestBackends.create("nd4j");
                KernelBackend reference = TestBackends.create("reference")) {
            double sigma = 30 * MedianHeuristic.estimate(reference,
                    MedianHeuristic.DEFAULT_SAMPLE, 3, real, synthetic);
            AcceleratedProjectedGradient.Outcome sets = fit(nd4j, synthetic, real, sigma,
                    kept(n), 1500, true);
            AcceleratedProjectedGradient.Outcome exact = fit(reference, synthetic, real, sigma,
                    kept(n), 1500, true);
            setsMmd2 = TestBackends.directMmd2(synthetic, real, sets.weights(), sigma);
            referenceMmd2 = TestBackends.directMmd2(synthetic, real, exact.weights(), sigma);
            what = "nd4j " + setsMmd2 + " (" + sets.iterations() + " iterations, "
                    + sets.restarts() + " restarts, converged " + sets.converged() + ")"
                    + ", reference " + referenceMmd2 + " (" + exact.iterations() + ", "
                    + exact.restarts() + " restarts), ratio " + setsMmd2 / referenceMmd2;
        }
        System.out.println("[WorkingSetStopTest] " + what);
        assertTrue(setsMmd2 <= 1.2 * referenceMmd2, what);
    }
}
