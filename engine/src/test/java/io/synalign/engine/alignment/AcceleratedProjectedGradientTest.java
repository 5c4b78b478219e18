package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AcceleratedProjectedGradientTest {

    /** {@code H = A^T A + ridge I} as a dense double matrix, for problems with a known answer. */
    static final class DenseForm extends HostQuadraticForm {
        final double[][] h;
        int products;

        DenseForm(double[][] h) {
            this.h = h;
        }

        static DenseForm random(int n, int rank, double ridge, Random random) {
            double[][] a = new double[rank][n];
            for (double[] row : a) {
                for (int i = 0; i < n; i++) {
                    row[i] = random.nextGaussian();
                }
            }
            double[][] h = new double[n][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = i == j ? ridge : 0;
                    for (double[] row : a) {
                        s += row[i] * row[j];
                    }
                    h[i][j] = s;
                }
            }
            return new DenseForm(h);
        }

        @Override
        public int dimension() {
            return h.length;
        }

        @Override
        public void apply(double[] w, double[] out) {
            products++;
            for (int i = 0; i < h.length; i++) {
                double s = 0;
                for (int j = 0; j < h.length; j++) {
                    s += h[i][j] * w[j];
                }
                out[i] = s;
            }
        }

        @Override
        public void close() {
        }
    }

    @ParameterizedTest(name = "n={0} rank={1} ridge={2} B={3} estimate products={4}")
    @CsvSource({
        "12, 12, 0.5, 1e9, 8",
        "12, 3, 0.01, 1e9, 1",
        "30, 30, 0.1, 2.0, 8",
        "30, 5, 0.0, 1.5, 1",
        "57, 20, 0.05, 4.0, 2",
        "2, 2, 0.1, 1.2, 8"})
    void reachesTheOptimumOfAnIndependentSolver(int n, int rank, double ridge, double ratio,
            int power) {
        Random random = new Random(n * 31L + rank);
        DenseForm form = DenseForm.random(n, rank, ridge, random);
        double[] linear = new double[n];
        for (int i = 0; i < n; i++) {
            linear[i] = 3 * random.nextGaussian();
        }
        double cap = Math.min(1.0, ratio / n);
        MmdObjective objective = new MmdObjective(form, linear, 0.7, "exact");
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(20000,
                1e-14, power, 3).minimise(objective, new CappedSimplexProjection(n, cap), start,
                (it, value) -> { });

        double[] expected = projectedGradientByBisection(form.h, linear, cap, 40000);
        double expectedValue = objective.valueAt(expected);
        assertEquals(expectedValue, outcome.value(), 1e-9 * (1 + Math.abs(expectedValue)));
        assertEquals(objective.valueAt(outcome.weights()), outcome.value(), 1e-12);
        assertTrue(outcome.converged(), "did not converge in " + outcome.iterations());
        assertKkt(objective, outcome.weights(), cap);
        assertEquals(objective.valueAt(start), outcome.initialValue(), 1e-12);
        assertTrue(outcome.value() <= outcome.initialValue());
    }

    /**
     * {@code H = I + 999 q q^T} with q along {@code e_0 - e_1} (inside the simplex's hyperplane):
     * one Lanczos step from a random start sees about a tenth of the spike, so the first
     * steps must backtrack to an L near {@code 2 * 1000}, and then still reach the optimum.
     */
    @Test
    @Timeout(20)
    void backtrackingRecoversFromAnUnderestimatedLipschitzConstant() {
        int n = 100;
        double[][] h = new double[n][n];
        for (int i = 0; i < n; i++) {
            h[i][i] = 1;
        }
        h[0][0] += 499.5;
        h[1][1] += 499.5;
        h[0][1] -= 499.5;
        h[1][0] -= 499.5;
        DenseForm form = new DenseForm(h);
        Random random = new Random(6);
        double[] linear = new double[n];
        for (int i = 0; i < n; i++) {
            linear[i] = 0.05 * random.nextGaussian();
        }
        linear[0] = 0.4;
        linear[1] = 0.3;
        MmdObjective objective = new MmdObjective(form, linear, 0, "exact");
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(5000,
                1e-14, 1, 2).minimise(objective, new CappedSimplexProjection(n, 1), start,
                (it, value) -> { });

        assertTrue(outcome.lipschitz() > 1000, "L stayed at " + outcome.lipschitz());
        assertTrue(outcome.lipschitz() <= 4 * 1000, "L overshot to " + outcome.lipschitz());
        assertTrue(outcome.products() <= 2 + outcome.iterations() + 20,
                outcome.products() + " products for " + outcome.iterations() + " iterations");
        double[] expected = projectedGradientByBisection(h, linear, 1, 20000);
        assertEquals(objective.valueAt(expected), outcome.value(), 1e-10);
        assertKkt(objective, outcome.weights(), 1);
    }

    @Test
    void spendsOneProductPerIterationWithoutBacktracking() {
        Random random = new Random(4);
        DenseForm form = DenseForm.random(40, 40, 0.2, random);
        double[] linear = new double[40];
        for (int i = 0; i < 40; i++) {
            linear[i] = random.nextGaussian();
        }
        MmdObjective objective = new MmdObjective(form, linear, 0, "exact");
        double[] start = new double[40];
        Arrays.fill(start, 1.0 / 40);
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(60, 1e-15,
                30, 1).minimise(objective, new CappedSimplexProjection(40, 1), start,
                (it, value) -> { });
        // 1 product at the start, at most 30 for the Lipschitz estimate, then one per iteration
        // unless a backtracking retry happened (which the generous estimate makes unnecessary).
        assertEquals(form.products, outcome.products());
        assertTrue(outcome.products() <= 1 + 30 + outcome.iterations(),
                "products " + outcome.products() + " for " + outcome.iterations() + " iterations");
    }

    /**
     * Products with seeded relative noise (as a float32 backend has, only larger) make some plain
     * steps rise; the optimiser must still return the best iterate it saw, with its value.
     */
    @Test
    void returnsTheBestIterateWhenRoundingMakesStepsRise() {
        Random random = new Random(9);
        DenseForm exact = DenseForm.random(40, 8, 1e-3, random);
        Random noise = new Random(10);
        QuadraticForm noisy = altered(exact, out -> {
            for (int i = 0; i < out.length; i++) {
                out[i] *= 1 + 1e-3 * noise.nextGaussian();
            }
        });
        double[] linear = gaussian(40, random);
        MmdObjective objective = new MmdObjective(noisy, linear, 0, "exact");
        double[] start = new double[40];
        Arrays.fill(start, 1.0 / 40);
        double[] reported = new double[201];
        int[] count = {0};
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(200,
                1e-300, 8, 1).minimise(objective, new CappedSimplexProjection(40, 0.1), start,
                (it, value) -> reported[count[0]++] = value);
        double lowest = Arrays.stream(reported, 0, count[0]).min().getAsDouble();
        double last = reported[count[0] - 1];
        assertTrue(last > lowest, "the noise should make the last iterate worse than the best;"
                + " otherwise this test shows nothing");
        assertEquals(lowest, outcome.value(), 0.0);
        // The returned weights are the iterate at which that value was reported: feasible, and
        // their exact objective is close to it (the noise is 1e-3 relative per product).
        double sum = Arrays.stream(outcome.weights()).sum();
        assertEquals(1.0, sum, 1e-12);
        MmdObjective clean = new MmdObjective(exact, linear, 0, "exact");
        assertEquals(clean.valueAt(outcome.weights()), outcome.value(),
                1e-2 * Math.abs(outcome.value()) + 1e-9);
    }

    /**
     * A product that turns NaN after the start's must end the run with an error that says so,
     * at the backtracking test: on a backend whose projection passes NaN through (cuda), the
     * step constant would otherwise become NaN and the backtracking loop would never end.
     */
    @Test
    @Timeout(20)
    void nonFiniteProductsFailNamingTheIteration() {
        Random random = new Random(12);
        DenseForm exact = DenseForm.random(30, 6, 1e-3, random);
        int[] calls = {0};
        // The Lanczos products (up to 8), H x_0 and the first step are clean; every later
        // product is NaN.
        QuadraticForm poisoned = altered(exact, out -> {
            if (++calls[0] > 9) {
                Arrays.fill(out, Double.NaN);
            }
        });
        double[] linear = gaussian(30, random);
        MmdObjective objective = new MmdObjective(poisoned, linear, 0, "exact");
        double[] start = new double[30];
        Arrays.fill(start, 1.0 / 30);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> new AcceleratedProjectedGradient(100, 1e-9, 8,
                        1).minimise(objective, new CappedSimplexProjection(30, 1.0), start,
                        (it, value) -> { }));
        assertTrue(e.getMessage().matches("iteration [1-9][0-9]*: the step statistics are not"
                + " finite \\(curvature NaN, .*"), e.getMessage());
    }

    /** {@code exact}'s products, each passed through {@code alter} before it is returned. */
    private static QuadraticForm altered(DenseForm exact,
            java.util.function.Consumer<double[]> alter) {
        return new HostQuadraticForm() {
            @Override
            public int dimension() {
                return exact.dimension();
            }

            @Override
            public void apply(double[] w, double[] out) {
                exact.apply(w, out);
                alter.accept(out);
            }

            @Override
            public void close() {
            }
        };
    }

    private static double[] gaussian(int n, Random random) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }

    @Test
    void reportsEveryIterationWithNonIncreasingValues() {
        Random random = new Random(5);
        DenseForm form = DenseForm.random(25, 6, 0.01, random);
        double[] linear = new double[25];
        for (int i = 0; i < 25; i++) {
            linear[i] = random.nextGaussian();
        }
        MmdObjective objective = new MmdObjective(form, linear, 0, "exact");
        double[] start = new double[25];
        Arrays.fill(start, 1.0 / 25);
        int[] calls = {0};
        double[] lastBest = {Double.MAX_VALUE};
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(7, 1e-300,
                8, 1).minimise(objective, new CappedSimplexProjection(25, 0.2), start,
                (it, value) -> {
                    assertEquals(calls[0], it, "iterations are reported in order, 0 first");
                    calls[0]++;
                    // Monotone up to rounding: plain steps are accepted even on a rounding-level
                    // increase, momentum steps that increase f are rejected.
                    assertTrue(value <= lastBest[0] + 1e-13 * Math.abs(lastBest[0]),
                            "value increased at " + it);
                    lastBest[0] = value;
                });
        assertEquals(7, outcome.iterations());
        assertEquals(8, calls[0], "the start point and 7 iterations");
        assertFalse(outcome.converged());
        assertEquals(lastBest[0], outcome.value(), 0.0);
    }

    /**
     * A clustered top of the spectrum on the simplex's hyperplane (eigenvalues 100, 99, 98, ...
     * along directions summing to zero), where a power iteration creeps: the Lanczos estimate
     * reaches 2 lambda_max within 1 % in at most 8 products, so no step backtracks.
     */
    @Test
    void lanczosEstimateFindsAClusteredTopOfTheSpectrum() {
        int n = 60;
        Random random = new Random(12);
        double[][] h = new double[n][n];
        // Orthonormal directions orthogonal to the ones vector: Gram-Schmidt on random vectors.
        double[][] basis = new double[20][];
        for (int k = 0; k < basis.length; k++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = random.nextGaussian();
            }
            double mean = Arrays.stream(v).average().orElse(0);
            for (int i = 0; i < n; i++) {
                v[i] -= mean;
            }
            for (int j = 0; j < k; j++) {
                double dot = 0;
                for (int i = 0; i < n; i++) {
                    dot += v[i] * basis[j][i];
                }
                for (int i = 0; i < n; i++) {
                    v[i] -= dot * basis[j][i];
                }
            }
            double norm = Math.sqrt(Arrays.stream(v).map(x -> x * x).sum());
            for (int i = 0; i < n; i++) {
                v[i] /= norm;
            }
            basis[k] = v;
            double lambda = 100 - k;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    h[i][j] += lambda * v[i] * v[j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            h[i][i] += 0.5;
        }
        DenseForm form = new DenseForm(h);
        double[] linear = new double[n];
        for (int i = 0; i < n; i++) {
            linear[i] = random.nextGaussian();
        }
        MmdObjective objective = new MmdObjective(form, linear, 0, "exact");
        double[] start = new double[n];
        Arrays.fill(start, 1.0 / n);
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(30, 1e-300,
                8, 4).minimise(objective, new CappedSimplexProjection(n, 1), start,
                (it, value) -> { });
        assertTrue(outcome.lipschitz() >= 0.99 * 2 * 100.5, "L = " + outcome.lipschitz());
        assertTrue(outcome.lipschitz() <= 2 * 100.5 * (1 + 1e-9), "L = " + outcome.lipschitz());
        assertTrue(outcome.products() <= 1 + 8 + outcome.iterations(), outcome.products()
                + " products for " + outcome.iterations() + " iterations: a step backtracked");
    }

    @Test
    void singlePointSetReturnsTheStart() {
        DenseForm form = DenseForm.random(5, 5, 1, new Random(1));
        MmdObjective objective = new MmdObjective(form, new double[] {1, 2, 3, 4, 5}, 0, "exact");
        double[] start = {0.2, 0.2, 0.2, 0.2, 0.2};
        AcceleratedProjectedGradient.Outcome outcome = new AcceleratedProjectedGradient(100, 1e-6,
                8, 1).minimise(objective, new CappedSimplexProjection(5, 0.2), start,
                (it, value) -> { });
        assertArrayEquals(start, outcome.weights(), 0.0);
        assertEquals(0, outcome.iterations());
        assertTrue(outcome.converged());
        assertEquals(outcome.initialValue(), outcome.value(), 0.0);
    }

    /**
     * Plain projected gradient with step 1 / (2 ||H||_F) and its own bisection projection: slow
     * but simple, and sharing no code with the class under test.
     */
    static double[] projectedGradientByBisection(double[][] h, double[] linear, double cap,
            int iterations) {
        int n = linear.length;
        double frobenius = 0;
        for (double[] row : h) {
            for (double v : row) {
                frobenius += v * v;
            }
        }
        double step = 1 / (2 * Math.sqrt(frobenius));
        double[] w = new double[n];
        Arrays.fill(w, 1.0 / n);
        double[] v = new double[n];
        for (int k = 0; k < iterations; k++) {
            for (int i = 0; i < n; i++) {
                double hw = 0;
                for (int j = 0; j < n; j++) {
                    hw += h[i][j] * w[j];
                }
                v[i] = w[i] - step * 2 * (hw - linear[i]);
            }
            double lo = -1e6;
            double hi = 1e6;
            for (int b = 0; b < 100; b++) {
                double mid = 0.5 * (lo + hi);
                double mass = 0;
                for (double value : v) {
                    mass += Math.min(Math.max(value - mid, 0), cap);
                }
                if (mass > 1) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            double tau = 0.5 * (lo + hi);
            for (int i = 0; i < n; i++) {
                w[i] = Math.min(Math.max(v[i] - tau, 0), cap);
            }
        }
        return w;
    }

    /**
     * KKT conditions of min f over the capped simplex: with g = grad f and a multiplier lambda,
     * g_i = lambda on free coordinates, g_i >= lambda at 0, g_i <= lambda at the cap.
     */
    static void assertKkt(MmdObjective objective, double[] w, double cap) {
        int n = w.length;
        double[] hw = new double[n];
        objective.apply(w, hw);
        double[] g = new double[n];
        objective.gradient(hw, g);
        double scale = 0;
        for (double value : g) {
            scale = Math.max(scale, Math.abs(value));
        }
        double tolerance = 1e-5 * (1 + scale);
        double weightTolerance = 1e-9;
        double lambda = 0;
        int free = 0;
        for (int i = 0; i < n; i++) {
            if (w[i] > weightTolerance && w[i] < cap - weightTolerance) {
                lambda += g[i];
                free++;
            }
        }
        if (free == 0) {
            return; // a vertex of the set: the bound conditions below still need a lambda range
        }
        lambda /= free;
        for (int i = 0; i < n; i++) {
            if (w[i] <= weightTolerance) {
                assertTrue(g[i] >= lambda - tolerance, "coordinate " + i + " at 0 wants to grow");
            } else if (w[i] >= cap - weightTolerance) {
                assertTrue(g[i] <= lambda + tolerance,
                        "coordinate " + i + " at cap wants to shrink");
            } else {
                assertEquals(lambda, g[i], tolerance, "free coordinate " + i);
            }
        }
    }
}
