package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Weighted MMD^2 and ESS against a plain double-precision reference. */
public class WeightedMmdTest {

    /** The V-statistic written out pair by pair, in double. */
    public static double referenceMmd2(double[][] x, double[] w, double[][] y, double sigma) {
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        double xx = 0;
        double xy = 0;
        double yy = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                xx += w[i] / sum * w[j] / sum * k(x[i], x[j], sigma);
            }
            for (double[] b : y) {
                xy += w[i] / sum * k(x[i], b, sigma) / y.length;
            }
        }
        for (double[] a : y) {
            for (double[] b : y) {
                yy += k(a, b, sigma) / ((double) y.length * y.length);
            }
        }
        return xx - 2 * xy + yy;
    }

    static double k(double[] a, double[] b, double sigma) {
        double d2 = 0;
        for (int t = 0; t < a.length; t++) {
            d2 += (a[t] - b[t]) * (a[t] - b[t]);
        }
        return Math.exp(-d2 / (2 * sigma * sigma));
    }

    /** n rows of d standard normals plus shift, float-representable (other modules' tests too). */
    public static double[][] gaussian(Random r, int n, int d, double shift) {
        double[][] out = new double[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                // float-representable, so both sides see the same points
                out[i][j] = (float) (r.nextGaussian() + shift);
            }
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"1, 1, 3, reference", "7, 1, 5, nd4j", "1, 9, 2, nd4j", "257, 31, 7, nd4j",
        "33, 257, 13, reference", "64, 100, 384, nd4j"})
    void matchesTheDoubleReference(int n, int m, int d, String backendName) {
        Random r = new Random(n * 31L + m * 7L + d);
        double[][] x = gaussian(r, n, d, 0.3);
        double[][] y = gaussian(r, m, d, 0.0);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextDouble() < 0.2 ? 0 : r.nextDouble() * 5;
        }
        w[r.nextInt(n)] += 1; // not all zero
        double sigma = 0.5 + r.nextDouble() * Math.sqrt(d);
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            double got = WeightedMmd.mmd2(backend, FloatMatrix.of(x), w, FloatMatrix.of(y), sigma);
            double want = Math.max(0, referenceMmd2(x, w, y, sigma));
            assertEquals(want, got, 2e-5 + 1e-4 * want, "n=" + n + " m=" + m + " d=" + d);
            double[] ones = new double[n];
            java.util.Arrays.fill(ones, 1);
            assertEquals(Math.max(0, referenceMmd2(x, ones, y, sigma)),
                    WeightedMmd.mmd2(backend, FloatMatrix.of(x), FloatMatrix.of(y), sigma), 2e-5);
        }
    }

    /**
     * MMD^2 of X weighted (as a discrete distribution, every pair counted) against the
     * distribution behind Y, written out pair by pair in double: Y's term over distinct pairs.
     */
    static double referencePopulationMmd2(double[][] x, double[] w, double[][] y, double sigma) {
        double sum = 0;
        for (double v : w) {
            sum += v;
        }
        double xx = 0;
        double xy = 0;
        double yy = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                xx += w[i] / sum * w[j] / sum * k(x[i], x[j], sigma);
            }
            for (double[] b : y) {
                xy += w[i] / sum * k(x[i], b, sigma) / y.length;
            }
        }
        for (int a = 0; a < y.length; a++) {
            for (int b = 0; b < y.length; b++) {
                if (a != b) {
                    yy += k(y[a], y[b], sigma) / ((double) y.length * (y.length - 1));
                }
            }
        }
        return xx - 2 * xy + yy;
    }

    @ParameterizedTest
    @CsvSource({"1, 2, 3, reference", "7, 3, 5, nd4j", "2, 9, 2, nd4j", "257, 31, 7, nd4j",
        "33, 257, 13, reference", "64, 100, 384, nd4j"})
    void valuesAgainstPopulationMatchTheDoubleReference(int n, int m, int d, String backendName) {
        Random r = new Random(n * 17L + m * 5L + d);
        double[][] x = gaussian(r, n, d, 0.3);
        double[][] y = gaussian(r, m, d, 0.0);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextDouble() < 0.2 ? 0 : r.nextDouble() * 5;
        }
        w[r.nextInt(n)] += 1; // not all zero
        double sigma = 0.5 + r.nextDouble() * Math.sqrt(d);
        double[] uniform = WeightedMmd.normalised(null, n);
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            double[] got = WeightedMmd.valuesAgainstPopulation(backend, FloatMatrix.of(x),
                    FloatMatrix.of(y), sigma, WeightedMmd.normalised(w, n), uniform);
            double want = referencePopulationMmd2(x, w, y, sigma);
            assertEquals(want, got[0], 2e-5 + 1e-4 * Math.abs(want), "n=" + n + " m=" + m + " d=" + d);
            double[] ones = new double[n];
            java.util.Arrays.fill(ones, 1);
            assertEquals(referencePopulationMmd2(x, ones, y, sigma), got[1], 2e-5);
            // Two weight vectors differ by what their V-statistics differ by.
            assertEquals(referenceMmd2(x, w, y, sigma) - referenceMmd2(x, ones, y, sigma),
                    got[0] - got[1], 2e-5);
        }
    }

    /** One row of Y leaves no distinct pair to estimate its term from: NaN. */
    @Test
    void valuesAgainstPopulationOfOneRowAreNaN() {
        Random r = new Random(3);
        FloatMatrix x = FloatMatrix.of(gaussian(r, 4, 2, 0));
        FloatMatrix y = FloatMatrix.of(gaussian(r, 1, 2, 0));
        try (KernelBackend backend = KernelBackends.create("reference")) {
            double[] v = WeightedMmd.valuesAgainstPopulation(backend, x, y, 1.0,
                    WeightedMmd.normalised(null, 4));
            assertEquals(true, Double.isNaN(v[0]), "one row of Y: " + v[0]);
        }
    }

    @Test
    void identicalSamplesHaveZeroDistanceAndShiftedOnesDoNot() {
        Random r = new Random(5);
        double[][] x = gaussian(r, 40, 6, 0);
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            FloatMatrix fx = FloatMatrix.of(x);
            assertEquals(0, WeightedMmd.mmd2(backend, fx, fx, 2.0), 1e-5);
            double shifted = WeightedMmd.mmd2(backend, FloatMatrix.of(gaussian(r, 40, 6, 2)), fx, 2.0);
            assertEquals(true, shifted > 0.1, "shifted: " + shifted);
        }
    }

    @Test
    void effectiveSampleSizeIsKish() {
        Random r = new Random(3);
        for (int n : new int[] {1, 7, 257}) {
            double[] w = new double[n];
            double s = 0;
            double s2 = 0;
            for (int i = 0; i < n; i++) {
                w[i] = r.nextDouble();
                s += w[i];
                s2 += w[i] * w[i];
            }
            assertEquals(s * s / s2, WeightedMmd.effectiveSampleSize(w), 1e-9 * n);
        }
        assertEquals(5, WeightedMmd.effectiveSampleSize(new double[] {2, 2, 2, 2, 2}), 1e-12);
        assertEquals(1, WeightedMmd.effectiveSampleSize(new double[] {0, 0, 3, 0}), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> WeightedMmd.effectiveSampleSize(new double[] {0, 0}));
        assertThrows(IllegalArgumentException.class,
                () -> WeightedMmd.effectiveSampleSize(new double[] {1, -1e-3}));
        assertThrows(IllegalArgumentException.class,
                () -> WeightedMmd.effectiveSampleSize(new double[] {1, Double.NaN}));
    }

    /** Weights whose sum overflows still normalise to their shares, not to zeros. */
    @Test
    void weightsWhoseSumOverflowsAreScaledNotZeroed() {
        double[] w = WeightedMmd.normalised(new double[] {1e308, 1e308, 0, 5e307}, 4);
        assertEquals(0.4, w[0], 1e-15);
        assertEquals(0.4, w[1], 1e-15);
        assertEquals(0.0, w[2]);
        assertEquals(0.2, w[3], 1e-15);
        double[] plain = WeightedMmd.normalised(new double[] {2, 2, 0, 1}, 4);
        assertEquals(0.4, plain[0]);
        assertEquals(0.2, plain[3]);
    }
}
