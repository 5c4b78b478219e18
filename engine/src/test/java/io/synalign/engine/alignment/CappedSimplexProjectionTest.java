package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CappedSimplexProjectionTest {

    /** (n, B) with cap c = B / n; B >= n means no cap; B = 1 makes c n exactly 1. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(1, 1.0), Arguments.of(2, 1.0), Arguments.of(2, 1.5),
                Arguments.of(7, 1.0), Arguments.of(7, 1.3), Arguments.of(7, 3.0),
                Arguments.of(7, 7.0), Arguments.of(7, 100.0), Arguments.of(257, 1.0),
                Arguments.of(257, 2.0), Arguments.of(257, 10.0), Arguments.of(257, 1e6),
                Arguments.of(1000, 1.01));
    }

    @ParameterizedTest(name = "n={0} B={1}")
    @MethodSource("cases")
    void projectionIsFeasibleAndSatisfiesKkt(int n, double ratio) {
        double cap = Math.min(1.0, ratio / n);
        CappedSimplexProjection projection = new CappedSimplexProjection(n, cap);
        Random random = new Random(31L * n + (long) ratio);
        for (int trial = 0; trial < 20; trial++) {
            double[] v = randomVector(n, random, trial);
            double[] w = new double[n];
            projection.project(v, w);
            // Each w_i = v_i - tau carries a rounding error of about eps * max|v|.
            assertFeasible(w, cap, 4e-16 * n * (1 + maxAbs(v)));
            // Independent threshold by bisection on phi(tau) = sum clip(v - tau, 0, c) = 1.
            double tau = bisectThreshold(v, cap);
            double scale = 1 + maxAbs(v);
            for (int i = 0; i < n; i++) {
                double expected = Math.min(Math.max(v[i] - tau, 0), cap);
                assertEquals(expected, w[i], 1e-11 * scale,
                        "coordinate " + i + " of trial " + trial);
            }
            assertVariationalInequality(v, w, cap, random);
        }
    }

    @Test
    void capTimesDimensionExactlyOneGivesUniform() {
        int n = 7;
        CappedSimplexProjection projection = new CappedSimplexProjection(n, 1.0 / n);
        double[] w = new double[n];
        projection.project(new double[] {5, -3, 0.5, 100, 2, 2, -40}, w);
        for (double value : w) {
            assertEquals(1.0 / n, value, 1e-16);
        }
        assertTrue(projection.isSinglePoint());
    }

    @Test
    void knownSmallCases() {
        double[] w = new double[3];
        // Inside the simplex: unchanged.
        new CappedSimplexProjection(3, 1).project(new double[] {0.2, 0.3, 0.5}, w);
        assertArrayEquals(new double[] {0.2, 0.3, 0.5}, w, 1e-15);
        // Uncapped: (2, 1, -1) -> tau = 1 -> (1, 0, 0).
        new CappedSimplexProjection(3, 1).project(new double[] {2, 1, -1}, w);
        assertArrayEquals(new double[] {1, 0, 0}, w, 1e-15);
        // Cap 0.5: (2, 1, -1) -> (0.5, 0.5, 0): tau anywhere in [0.5, 1.5] below both caps.
        new CappedSimplexProjection(3, 0.5).project(new double[] {2, 1, -1}, w);
        assertArrayEquals(new double[] {0.5, 0.5, 0}, w, 1e-15);
        // Cap 0.4: (1, 0, 0) -> (0.4, 0.3, 0.3).
        new CappedSimplexProjection(3, 0.4).project(new double[] {1, 0, 0}, w);
        assertArrayEquals(new double[] {0.4, 0.3, 0.3}, w, 1e-15);
        // Ties.
        new CappedSimplexProjection(3, 1).project(new double[] {4, 4, 4}, w);
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, w, 1e-15);
    }

    @Test
    void projectsInPlace() {
        Random random = new Random(5);
        double[] v = randomVector(50, random, 0);
        double[] expected = new double[50];
        CappedSimplexProjection projection = new CappedSimplexProjection(50, 0.05);
        projection.project(v, expected);
        projection.project(v, v);
        assertArrayEquals(expected, v, 0.0);
    }

    @Test
    void rejectsEmptySetsAndBadVectors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CappedSimplexProjection(10, 0.05));
        assertTrue(e.getMessage().contains("0.05"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CappedSimplexProjection(0, 1));
        CappedSimplexProjection projection = new CappedSimplexProjection(3, 1);
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> projection.project(new double[] {1, Double.NaN, 0}, new double[3]));
        assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> projection.project(new double[4], new double[4]));
    }

    private static double[] randomVector(int n, Random random, int trial) {
        double[] v = new double[n];
        switch (trial % 4) {
            case 0: // Gaussian around 0: many coordinates clipped at 0.
                for (int i = 0; i < n; i++) {
                    v[i] = random.nextGaussian();
                }
                break;
            case 1: // Small perturbations of the uniform point (the optimiser's regime).
                for (int i = 0; i < n; i++) {
                    v[i] = 1.0 / n + 1e-3 * random.nextGaussian() / n;
                }
                break;
            case 2: // Large offset and spread, with duplicated values.
                for (int i = 0; i < n; i++) {
                    v[i] = 1e4 + 50 * Math.floor(4 * random.nextDouble());
                }
                break;
            default: // Heavy tails.
                for (int i = 0; i < n; i++) {
                    v[i] = Math.pow(random.nextDouble(), -2) - 3 + 0.1 * random.nextGaussian();
                }
        }
        return v;
    }

    private static void assertFeasible(double[] w, double cap, double sumTolerance) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            assertTrue(w[i] >= 0, "w[" + i + "] = " + w[i]);
            assertTrue(w[i] <= cap * (1 + 1e-15), "w[" + i + "] = " + w[i] + " above cap " + cap);
            sum += w[i];
        }
        assertEquals(1.0, sum, Math.max(1e-14, sumTolerance));
    }

    /** Bisection on tau over [min v - 1, max v], 200 halvings, in a different formulation. */
    private static double bisectThreshold(double[] v, double cap) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double value : v) {
            lo = Math.min(lo, value);
            hi = Math.max(hi, value);
        }
        lo -= 1;
        for (int k = 0; k < 200; k++) {
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
        return 0.5 * (lo + hi);
    }

    /** w = P(v) iff (v - w)^T (z - w) <= 0 for every feasible z; checked on random and vertex z. */
    private static void assertVariationalInequality(double[] v, double[] w, double cap,
            Random random) {
        int n = v.length;
        double scale = 1 + maxAbs(v);
        for (int k = 0; k < 30; k++) {
            double[] z = new double[n];
            new CappedSimplexProjection(n, cap).project(randomVector(n, random, k), z);
            double inner = 0;
            for (int i = 0; i < n; i++) {
                inner += (v[i] - w[i]) * (z[i] - w[i]);
            }
            assertTrue(inner <= 1e-10 * scale, "variational inequality violated: " + inner);
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double value : v) {
            m = Math.max(m, Math.abs(value));
        }
        return m;
    }
}
