package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimiser's working sets: iterations on {@code H[I][I]} for a set I of rows, checked
 * against the full gradient, must reach the same optimum as iterations on all of H (the
 * projected-gradient fixed point of the full problem, KKT on every row), while most products
 * run on the smaller submatrices.
 */
class WorkingSetTest {

    /** An RBF kernel form in double that gives principal subforms, counting what runs where. */
    static final class KernelForm extends HostQuadraticForm {
        final double[][] k;
        final int[] products;
        final boolean offersSubforms;
        /** Subforms given out and not yet closed, shared by a form and its subforms. */
        final int[] open;
        private final boolean isSub;

        KernelForm(double[][] k, int[] products, boolean offersSubforms) {
            this(k, products, offersSubforms, new int[1], false);
        }

        private KernelForm(double[][] k, int[] products, boolean offersSubforms, int[] open,
                boolean isSub) {
            this.k = k;
            this.products = products;
            this.offersSubforms = offersSubforms;
            this.open = open;
            this.isSub = isSub;
        }

        @Override
        public int dimension() {
            return k.length;
        }

        @Override
        public void apply(double[] w, double[] out) {
            products[k.length == products.length - 1 ? 0 : 1]++;
            for (int i = 0; i < k.length; i++) {
                double s = 0;
                for (int j = 0; j < k.length; j++) {
                    s += k[i][j] * w[j];
                }
                out[i] = s;
            }
        }

        @Override
        public boolean restricts() {
            return true;
        }

        @Override
        public QuadraticForm principalSubform(int[] indices, long memoryBudgetBytes) {
            if (!offersSubforms) {
                return null;
            }
            double[][] sub = new double[indices.length][indices.length];
            for (int a = 0; a < indices.length; a++) {
                for (int b = 0; b < indices.length; b++) {
                    sub[a][b] = k[indices[a]][indices[b]];
                }
            }
            open[0]++;
            return new KernelForm(sub, products, true, open, true);
        }

        @Override
        public void close() {
            if (isSub) {
                open[0]--;
            }
        }
    }

    /**
     * The MMD objective of n synthetic rows against m real rows drawn from only some of the
     * synthetic clusters, so the optimum keeps part of the rows; products[0] counts products
     * with all of H, products[1] those with a submatrix.
     */
    static MmdObjective clusteredProblem(int n, int m, long seed, int[] products,
            boolean offersSubforms) {
        Random random = new Random(seed);
        int d = 5;
        double[][] centres = new double[6][d];
        for (double[] c : centres) {
            for (int j = 0; j < d; j++) {
                c[j] = 3 * random.nextGaussian();
            }
        }
        double[][] s = new double[n][d];
        for (int i = 0; i < n; i++) {
            double[] c = centres[random.nextInt(6)];
            for (int j = 0; j < d; j++) {
                s[i][j] = c[j] + random.nextGaussian();
            }
        }
        double[][] r = new double[m][d];
        for (int i = 0; i < m; i++) {
            double[] c = centres[random.nextInt(3)]; // half of the clusters only
            for (int j = 0; j < d; j++) {
                r[i][j] = c[j] + 0.8 * random.nextGaussian();
            }
        }
        double sigma = 2.0;
        double[][] kss = new double[n][n];
        double[] linear = new double[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                kss[i][j] = rbf(s[i], s[j], sigma);
            }
            for (int j = 0; j < m; j++) {
                linear[i] += rbf(s[i], r[j], sigma) / m;
            }
        }
        double constant = 0;
        for (int a = 0; a < m; a++) {
            for (int b = 0; b < m; b++) {
                constant += rbf(r[a], r[b], sigma) / ((double) m * m);
            }
        }
        return new MmdObjective(new KernelForm(kss, products, offersSubforms), linear, constant,
                "exact");
    }

    private static double rbf(double[] a, double[] b, double sigma) {
        double d2 = 0;
        for (int j = 0; j < a.length; j++) {
            d2 += (a[j] - b[j]) * (a[j] - b[j]);
        }
        return Math.exp(-d2 / (2 * sigma * sigma));
    }

    private static AcceleratedProjectedGradient.Outcome solve(MmdObjective objective, double cap,
            AcceleratedProjectedGradient.WorkingSets sets) {
        int n = objective.dimension();
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        return new AcceleratedProjectedGradient(5000, 1e-13, 8, 5, sets).minimise(objective,
                new CappedSimplexProjection(n, cap), start, (it, value) -> { });
    }

    @ParameterizedTest(name = "n = {0}, m = {1}, weight ratio {2}")
    @CsvSource({"397, 120, 1e9", "397, 120, 4", "611, 83, 2.5", "250, 301, 1e9"})
    void workingSetsReachTheFullMethodsOptimum(int n, int m, double ratio) {
        double cap = Math.min(1.0, ratio / n);
        int[] fullCounts = new int[n + 1];
        int[] setCounts = new int[n + 1];
        MmdObjective plain = clusteredProblem(n, m, 11L * n + m, fullCounts, true);
        MmdObjective restricted = clusteredProblem(n, m, 11L * n + m, setCounts, true);
        AcceleratedProjectedGradient.Outcome reference = solve(plain, cap,
                AcceleratedProjectedGradient.WorkingSets.OFF);
        AcceleratedProjectedGradient.Outcome outcome = solve(restricted, cap,
                new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE));

        assertEquals(0, fullCounts[1], "no working set when they are off");
        assertEquals(0, reference.workingSets());
        assertTrue(outcome.workingSets() >= 1, "no working set was gathered");
        assertEquals(setCounts[1], outcome.restrictedProducts(), "restricted products");
        assertEquals(0, outcome.rowsLeftOut(), "at tolerance 1e-13 no row is left out");
        assertEquals(outcome.products(), setCounts[0] + setCounts[1], "every product counted");
        assertTrue(outcome.restrictedProducts() > outcome.products() / 2,
                outcome.restrictedProducts() + " of " + outcome.products()
                        + " products on working sets");
        assertTrue(outcome.converged() && reference.converged());
        double scale = Math.abs(reference.value()) + 1e-12;
        assertEquals(reference.value(), outcome.value(), 1e-7 * scale,
                "the optimum of the full method");
        assertEquals(restricted.valueAt(outcome.weights()), outcome.value(), 1e-12 * (1 + scale),
                "the value reported is the weights' value on all rows");
        assertFeasible(outcome.weights(), cap);
        AcceleratedProjectedGradientTest.assertKkt(restricted, outcome.weights(), cap);
        assertEquals(0, openSubforms(restricted), "every working set's form closed");
    }

    /**
     * A working set steps with its own curvature: 2 lambda_max of {@code H[I][I]} on the
     * centred vectors, at most that of H, so on a problem whose optimum keeps about half the
     * rows the run ends with a step constant well below the full method's, and still at its
     * optimum.
     */
    @Test
    void aWorkingSetStepsWithItsOwnCurvature() {
        int n = 397;
        MmdObjective plain = clusteredProblem(n, 120, 23, new int[n + 1], true);
        MmdObjective restricted = clusteredProblem(n, 120, 23, new int[n + 1], true);
        AcceleratedProjectedGradient.Outcome reference = solve(plain, 1.0,
                AcceleratedProjectedGradient.WorkingSets.OFF);
        AcceleratedProjectedGradient.Outcome outcome = solve(restricted, 1.0,
                new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE));
        assertTrue(outcome.workingSets() >= 1, "no working set was gathered");
        assertTrue(outcome.lipschitz() < 0.8 * reference.lipschitz(),
                "L on the working set " + outcome.lipschitz() + ", on all rows "
                        + reference.lipschitz());
        assertTrue(outcome.converged());
        assertEquals(reference.value(), outcome.value(),
                1e-7 * (Math.abs(reference.value()) + 1e-12), "the optimum of the full method");
    }

    /**
     * With a step constant from a single Lanczos product (far below the curvature), every
     * working set starts too long a step, and backtracking on the set must raise it: the run
     * still ends at the full method's optimum, feasible and KKT on every row.
     */
    @Test
    void backtrackingOnWorkingSetsFromAPoorEstimate() {
        int n = 397;
        double cap = 4.0 / n;
        MmdObjective plain = clusteredProblem(n, 120, 31, new int[n + 1], true);
        MmdObjective restricted = clusteredProblem(n, 120, 31, new int[n + 1], true);
        AcceleratedProjectedGradient.Outcome reference = solve(plain, cap,
                AcceleratedProjectedGradient.WorkingSets.OFF);
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(5000,
                1e-13, 1, 5, new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE))
                .minimise(restricted, new CappedSimplexProjection(n, cap), start,
                        (it, value) -> { });
        assertTrue(outcome.workingSets() >= 1, "no working set was gathered");
        assertTrue(outcome.converged());
        assertEquals(reference.value(), outcome.value(),
                1e-7 * (Math.abs(reference.value()) + 1e-12), "the optimum of the full method");
        assertFeasible(outcome.weights(), cap);
        AcceleratedProjectedGradientTest.assertKkt(restricted, outcome.weights(), cap);
    }

    /**
     * At a loose tolerance the run ends at a check that finds rows outside the set but too
     * little to gain from them (the gain rule), not where no row wants in: every case here ends
     * so. It must end about as close to the optimum as a run on all rows at that tolerance.
     */
    @ParameterizedTest(name = "tolerance {0}, n = {1}, weight ratio {2}, m = {3}")
    @CsvSource({"1e-4, 397, 1e9, 120, 11", "1e-6, 397, 1e9, 120, 11", "1e-7, 397, 1e9, 120, 11",
        "1e-5, 397, 4, 120, 3", "1e-6, 800, 1e9, 60, 5", "1e-6, 700, 6, 200, 9"})
    void aLooseToleranceEndsAsNearTheOptimumAsAllRows(double tolerance, int n, double ratio,
            int m, long seed) {
        double cap = Math.min(1, ratio / n);
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        MmdObjective tight = clusteredProblem(n, m, seed, new int[n + 1], true);
        double optimum = solve(tight, cap, AcceleratedProjectedGradient.WorkingSets.OFF).value();
        double[] gaps = new double[2];
        AcceleratedProjectedGradient.WorkingSets[] modes = {
            AcceleratedProjectedGradient.WorkingSets.OFF,
            new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE)};
        for (int i = 0; i < 2; i++) {
            MmdObjective objective = clusteredProblem(n, m, seed, new int[n + 1], true);
            AcceleratedProjectedGradient.Outcome o = new AcceleratedProjectedGradient(5000,
                    tolerance, 8, 5, modes[i]).minimise(objective,
                            new CappedSimplexProjection(n, cap), start, (it, value) -> { });
            assertTrue(o.converged(), "mode " + i);
            assertFeasible(o.weights(), cap);
            if (i == 1) {
                assertTrue(o.rowsLeftOut() > 0, "ended with no row left out: not the gain rule");
            } else {
                assertEquals(0, o.rowsLeftOut(), "no working sets, no rows left out");
            }
            gaps[i] = o.value() - optimum;
            assertTrue(gaps[i] >= -1e-12 * Math.abs(optimum), "below the optimum: " + gaps[i]);
        }
        assertTrue(gaps[1] <= 3 * gaps[0] + 1e-9 * Math.abs(optimum),
                "working sets end " + gaps[1] + " above the optimum, all rows " + gaps[0]);
    }

    /** The same problem and seed give the same weights, bit for bit, working sets and all. */
    @Test
    void workingSetRunsRepeatBitForBit() {
        int n = 397;
        AcceleratedProjectedGradient.Outcome a = solve(clusteredProblem(n, 120, 41, new int[n + 1],
                true), 4.0 / n, new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE));
        AcceleratedProjectedGradient.Outcome b = solve(clusteredProblem(n, 120, 41, new int[n + 1],
                true), 4.0 / n, new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE));
        assertTrue(a.workingSets() >= 1);
        assertTrue(Arrays.equals(a.weights(), b.weights()));
        assertEquals(a.iterations(), b.iterations());
        assertEquals(a.products(), b.products());
        assertEquals(a.workingSets(), b.workingSets());
    }

    private static int openSubforms(MmdObjective objective) {
        try {
            java.lang.reflect.Field f = MmdObjective.class.getDeclaredField("form");
            f.setAccessible(true);
            return ((KernelForm) f.get(objective)).open[0];
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * At the iteration cap the run stops, not converged, with exactly the cap's iterations, the
     * listener told about each one in order, and every working set's form closed.
     */
    @Test
    void theIterationCapHoldsAcrossWorkingSets() {
        int n = 397;
        int[] counts = new int[n + 1];
        MmdObjective objective = clusteredProblem(n, 120, 5, counts, true);
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        java.util.List<Integer> seen = new java.util.ArrayList<>();
        int cap = AcceleratedProjectedGradient.WORKING_SET_START
                + AcceleratedProjectedGradient.WORKING_SET_PERIOD + 7;
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(cap,
                1e-15, 8, 5, new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE))
                .minimise(objective, new CappedSimplexProjection(n, 1.0), start,
                        (it, value) -> seen.add(it));
        assertTrue(!outcome.converged());
        assertEquals(cap, outcome.iterations());
        assertTrue(outcome.workingSets() >= 1);
        assertEquals(cap + 1, seen.size());
        for (int i = 0; i <= cap; i++) {
            assertEquals(i, seen.get(i), "listener order");
        }
        assertEquals(outcome.products(), counts[0] + counts[1]);
        assertEquals(0, openSubforms(objective));
        assertFeasible(outcome.weights(), 1.0);
        assertEquals(objective.valueAt(outcome.weights()), outcome.value(),
                1e-12 * (1 + Math.abs(outcome.value())));
    }

    @Test
    void aFormWithoutSubmatricesRunsOnAllOfHAndStillConverges() {
        int n = 300;
        int[] counts = new int[n + 1];
        MmdObjective objective = clusteredProblem(n, 90, 3, counts, false);
        AcceleratedProjectedGradient.Outcome outcome = solve(objective, 1.0,
                new AcceleratedProjectedGradient.WorkingSets(1, Long.MAX_VALUE));
        assertEquals(0, outcome.workingSets());
        assertEquals(0, counts[1]);
        assertTrue(outcome.converged());
        AcceleratedProjectedGradientTest.assertKkt(objective, outcome.weights(), 1.0);
        int[] plainCounts = new int[n + 1];
        AcceleratedProjectedGradient.Outcome plain = solve(clusteredProblem(n, 90, 3,
                plainCounts, false), 1.0, AcceleratedProjectedGradient.WorkingSets.OFF);
        assertTrue(Arrays.equals(plain.weights(), outcome.weights()),
                "the same trajectory, bit for bit");
        assertEquals(plain.iterations(), outcome.iterations());
        assertEquals(plain.products(), outcome.products(), "not even an extra product");
    }

    @Test
    void belowTheMinimumDimensionNothingChanges() {
        int n = 200;
        int[] a = new int[n + 1];
        int[] b = new int[n + 1];
        AcceleratedProjectedGradient.Outcome off = solve(clusteredProblem(n, 50, 9, a, true), 1.0,
                AcceleratedProjectedGradient.WorkingSets.OFF);
        AcceleratedProjectedGradient.Outcome small = solve(clusteredProblem(n, 50, 9, b, true),
                1.0, AcceleratedProjectedGradient.WorkingSets.within(Long.MAX_VALUE));
        assertTrue(n < AcceleratedProjectedGradient.WORKING_SET_MIN_DIMENSION);
        assertTrue(Arrays.equals(off.weights(), small.weights()), "bit-identical");
        assertEquals(off.iterations(), small.iterations());
        assertEquals(0, b[1]);
    }

    /**
     * On the kept kernel of every backend (nd4j gathers its fp32 triangle; the reference keeps
     * its float64 K_XX and gives kept submatrices of it, {@code offersPrincipalSubmatrix}, since
     * helper tws30), the default run (working sets from
     * {@value AcceleratedProjectedGradient#WORKING_SET_MIN_DIMENSION} rows) ends at the
     * objective value of a run on all of H within float32 noise, and is feasible; a run that
     * gathered no working set is accepted only where the kept kernel offers no submatrix.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.synalign.engine.alignment.TestBackends#available")
    void theKeptKernelsSubmatricesGiveTheSameOptimum(String backendName) {
        int n = AcceleratedProjectedGradient.WORKING_SET_MIN_DIMENSION + 77;
        Random random = new Random(17);
        FloatMatrix synthetic = TestBackends.gaussian(n, 6, random, 1.0, 0.0);
        FloatMatrix real = TestBackends.gaussian(150, 6, random, 0.7, 0.4);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT);
        try (KernelBackend backend = TestBackends.create(backendName);
                MmdObjective objective = MmdObjectives.kernel(backend, synthetic, real, 1.3,
                        new io.synalign.kernels.TilePlan(true, io.synalign.kernels.TilePlan.tileRowsFor(n, n,
                                io.synalign.kernels.TilePlan.DEFAULT_TILE_BYTES)),
                        io.synalign.engine.ProgressListener.NONE)) {
            double cap = Math.min(1.0, config.maxWeightRatio() / n);
            AcceleratedProjectedGradient.Outcome full = solveOn(objective, cap,
                    AcceleratedProjectedGradient.WorkingSets.OFF);
            AcceleratedProjectedGradient.Outcome sets = solveOn(objective, cap,
                    AcceleratedProjectedGradient.WorkingSets.within(config.memoryBudgetBytes()));
            if (sets.workingSets() == 0) {
                // Only where the backend's kept kernel offers no submatrix (nd4j's portable path).
                try (io.synalign.kernels.KernelOperator kept = backend.rbfOperator(synthetic,
                        synthetic, 1.3, new io.synalign.kernels.TilePlan(true, 64))) {
                    assertEquals(null, kept.principalSubmatrix(new int[] {0, 1}, Long.MAX_VALUE),
                            backendName + " offers submatrices but the run gathered none");
                }
                assertTrue(Arrays.equals(full.weights(), sets.weights()), "then nothing changes");
            }
            assertEquals(full.value(), sets.value(), 1e-3 * full.value(),
                    backendName + ": " + sets.value() + " vs " + full.value());
            assertFeasible(sets.weights(), cap);
        }
    }

    private static AcceleratedProjectedGradient.Outcome solveOn(MmdObjective objective,
            double cap, AcceleratedProjectedGradient.WorkingSets sets) {
        int n = objective.dimension();
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        return new AcceleratedProjectedGradient(AlignmentConfig.DEFAULT_MAX_ITERATIONS,
                AlignmentConfig.DEFAULT_TOLERANCE, 8, 0, sets).minimise(objective,
                new CappedSimplexProjection(n, cap), start, (it, value) -> { });
    }

    private static void assertFeasible(double[] w, double cap) {
        double sum = 0;
        for (double v : w) {
            assertTrue(v >= -1e-15 && v <= cap + 1e-12, "weight " + v + " outside [0, " + cap
                    + "]");
            sum += v;
        }
        assertEquals(1.0, sum, 1e-9);
    }
}
