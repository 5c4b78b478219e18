package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimiser on values of f that carry rounding noise larger than its late gains per step,
 * as a float32 backend's do on flat kernels (helpers wsconv30 and stopnoise30). A synthetic
 * objective: a wide RBF kernel between random points (200 synthetic, 60 real, 3 dimensions,
 * bandwidth 10), whose products are exact (double) but whose value, what the optimiser reads
 * (a form's {@link HostQuadraticForm#residualValue}), is {@code f(w) + e} with e uniform in
 * {@code [-noise, noise]} from a seeded stream. Every fit is scored by its exact f.
 */
class ValueNoiseTest {

    private static final int N = 200;
    private static final int CAP = 3000;

    /** K_SS of the problem, with noisy values: see the class comment. */
    private static final class NoisyKernelForm extends HostQuadraticForm {
        private final Problem problem;
        private final double noise;
        private final SplittableRandom random = new SplittableRandom(11);
        private double value = Double.NaN;

        NoisyKernelForm(Problem problem, double noise) {
            this.problem = problem;
            this.noise = noise;
        }

        @Override
        public int dimension() {
            return problem.k.length;
        }

        @Override
        public void apply(double[] w, double[] out) {
            for (int i = 0; i < out.length; i++) {
                double s = 0;
                for (int j = 0; j < out.length; j++) {
                    s += problem.k[i][j] * w[j];
                }
                out[i] = s;
            }
            value = problem.value(w) + noise * (2 * random.nextDouble() - 1);
        }

        @Override
        public double residualValue(double[] w) {
            return value;
        }
    }

    /** f(w) = w^T K_SS w - 2 h^T w + c, h = K_SR 1 / m, c = 1^T K_RR 1 / m^2. */
    private record Problem(double[][] k, double[] h, double c) {

        static Problem make(int n, int m, int d, double sigma, long seed) {
            Random random = new Random(seed);
            double[][] s = points(n, d, 3, random);
            double[][] r = points(m, d, 2, random);
            double[][] k = new double[n][n];
            double[] h = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    k[i][j] = kernel(s[i], s[j], sigma);
                }
                for (double[] real : r) {
                    h[i] += kernel(s[i], real, sigma) / m;
                }
            }
            double c = 0;
            for (double[] a : r) {
                for (double[] b : r) {
                    c += kernel(a, b, sigma) / ((double) m * m);
                }
            }
            return new Problem(k, h, c);
        }

        double value(double[] w) {
            double value = c;
            for (int i = 0; i < w.length; i++) {
                double s = 0;
                for (int j = 0; j < w.length; j++) {
                    s += k[i][j] * w[j];
                }
                value += w[i] * s - 2 * h[i] * w[i];
            }
            return value;
        }

        private static double[][] points(int rows, int d, double shift, Random random) {
            double[][] p = new double[rows][d];
            for (double[] row : p) {
                for (int j = 0; j < d; j++) {
                    row[j] = random.nextGaussian() + (j == 0 ? shift * random.nextInt(3) : 0);
                }
            }
            return p;
        }

        private static double kernel(double[] a, double[] b, double sigma) {
            double s = 0;
            for (int j = 0; j < a.length; j++) {
                s += (a[j] - b[j]) * (a[j] - b[j]);
            }
            return Math.exp(-s / (2 * sigma * sigma));
        }
    }

    private static AcceleratedProjectedGradient.Outcome fit(Problem problem, double noise) {
        MmdObjective objective = new MmdObjective(new NoisyKernelForm(problem, noise),
                problem.h(), problem.c(), "exact");
        double[] start = new double[N];
        Arrays.fill(start, 1.0 / N);
        return new AcceleratedProjectedGradient(CAP, 1e-6, 8, 3).minimise(objective,
                new CappedSimplexProjection(N, 1.0), start, (it, v) -> { });
    }

    /**
     * Without noise the fit runs to the cap of 3,000 iterations at f = 1.4688e-8 (it is badly
     * conditioned); noise of 1e-12 in the values changes nothing. With noise of 1e-11 and
     * 1e-10 the fit stops once the window's gain is below the noise, but with its momentum:
     * 1.17 and 2.5 times the noiseless value. Before the noise level (the code before
     * stopnoise30) momentum steps that gained less than the noise were restarts, and the fits
     * stopped at 1.87 and 4.5 times (1,188 and 429 iterations), failing both bounds.
     */
    @Test
    void valueNoiseBelowTheGainsOfMomentumNeitherRestartsNorStopsTheFit() {
        Problem problem = Problem.make(N, 60, 3, 10, 5);
        double clean = problem.value(fit(problem, 0).weights());
        double[][] cases = {{1e-11, 1.3}, {1e-10, 3.0}};
        for (double[] c : cases) {
            AcceleratedProjectedGradient.Outcome noisy = fit(problem, c[0]);
            double value = problem.value(noisy.weights());
            String what = "noise " + c[0] + ": f " + value + " (" + noisy.iterations()
                    + " iterations, " + noisy.restarts() + " restarts), without noise " + clean
                    + ", ratio " + value / clean;
            System.out.println("[ValueNoiseTest] " + what);
            assertTrue(value <= c[1] * clean, what);
        }
    }
}
