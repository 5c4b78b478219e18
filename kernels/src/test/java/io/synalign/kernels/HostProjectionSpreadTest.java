package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.host.HostCappedSimplexProjector;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The host projection of values spread over more than the doubles near the threshold resolve:
 * {@code [1, 1e16]} with cap 1 came out {@code [0, 0]}, {@code [1, 1e32, ...]} all zeros, and ten
 * values at 1e29 with cap 0.15 seven at the cap (sum 1.05). Searched again about the value nearest
 * the threshold, the differences that decide the projection are exact: the oracle's projection.
 */
class HostProjectionSpreadTest {

    /**
     * The projection in decimal arithmetic of 120 digits, from the values as given: phi(tau) =
     * sum clip(v_i - tau, 0, cap) is piecewise linear between the breakpoints v_i and v_i - cap;
     * the root is interpolated on the piece where phi crosses 1. (The sorted oracle in doubles
     * would round at the scale of the differences, here 1.6e13.)
     */
    static double[] decimalOracle(double[] v, double cap) {
        java.math.MathContext mc = new java.math.MathContext(120);
        java.math.BigDecimal c = new java.math.BigDecimal(cap);
        java.util.TreeSet<java.math.BigDecimal> points = new java.util.TreeSet<>();
        for (double x : v) {
            java.math.BigDecimal b = new java.math.BigDecimal(x);
            points.add(b);
            points.add(b.subtract(c, mc));
        }
        java.math.BigDecimal previous = null;
        java.math.BigDecimal previousPhi = java.math.BigDecimal.ZERO;
        java.math.BigDecimal tau = null;
        for (java.math.BigDecimal t : points.descendingSet()) {
            java.math.BigDecimal phi = phi(v, c, t, mc);
            if (phi.compareTo(java.math.BigDecimal.ONE) >= 0) {
                // phi is linear on [t, previous]: phi(previous) < 1 <= phi(t).
                tau = previous == null ? t : t.add(previous.subtract(t, mc).multiply(phi.subtract(
                        java.math.BigDecimal.ONE, mc), mc).divide(phi.subtract(previousPhi, mc), mc), mc);
                break;
            }
            previous = t;
            previousPhi = phi;
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            java.math.BigDecimal d = new java.math.BigDecimal(v[i]).subtract(tau, mc);
            out[i] = d.signum() <= 0 ? 0 : d.compareTo(c) >= 0 ? cap : d.doubleValue();
        }
        return out;
    }

    private static java.math.BigDecimal phi(double[] v, java.math.BigDecimal c, java.math.BigDecimal t,
            java.math.MathContext mc) {
        java.math.BigDecimal s = java.math.BigDecimal.ZERO;
        for (double x : v) {
            java.math.BigDecimal d = new java.math.BigDecimal(x).subtract(t, mc);
            s = s.add(d.signum() <= 0 ? java.math.BigDecimal.ZERO : d.min(c), mc);
        }
        return s;
    }

    private static double[] project(double[] v, double cap) {
        double[] out = new double[v.length];
        new HostCappedSimplexProjector(v.length, cap).project(v, out);
        return out;
    }

    @Test
    void theReviewersVectorsGiveTheOraclesProjection() {
        assertArrayEquals(new double[] {0, 1}, project(new double[] {1.0, 1e16}, 1), 0.0);
        assertArrayEquals(decimalOracle(new double[] {1.0, 1e16}, 1), project(new double[] {1.0, 1e16}, 1), 0.0);
        // In place (v and out one array, as WeightSolver.renormalise calls it): the re-search
        // read the clipped values, and the fix never applied.
        double[] w = {-1e17, 5, 3e17, 3e17 + 64};
        new HostCappedSimplexProjector(4, 1).project(w, w);
        assertArrayEquals(new double[] {0, 0, 0, 1}, w, 0.0);
        double[] two = {1.0, 1e16};
        new HostCappedSimplexProjector(2, 1).project(two, two);
        assertArrayEquals(new double[] {0, 1}, two, 0.0);
        assertArrayEquals(new double[] {0, 1, 0, 0, 0},
                project(new double[] {1.0, 1e32, -0.5567, -1.1022, 0.3017}, 1), 0.0);
    }

    @Test
    void valuesSharingAHugeOffsetAmongSmallOnesGiveTheOraclesProjection() {
        for (double offset : new double[] {1e29, 1e16, -1e20}) {
            Random random = new Random((long) Math.abs(Math.log(Math.abs(offset))));
            int n = 10;
            double ulp = Math.ulp(offset);
            double[] v = new double[n + 3];

            int[] k = new int[n];
            for (int i = 0; i < n; i++) {
                k[i] = random.nextInt(7);
            }
            for (int i = 0; i < n; i++) {
                v[i] = offset + k[i] * ulp;
            }
            // Three small values: far below a positive offset (weight 0), far above a negative one.
            double[] small = {0.3, -5, 12};
            for (int j = 0; j < 3; j++) {
                v[n + j] = small[j];
            }
            for (double cap : new double[] {0.15, 0.5, 1}) {
                double[] got = project(v, cap);
                double[] want = decimalOracle(v, cap);
                double sum = 0;
                for (int i = 0; i < v.length; i++) {
                    assertEquals(want[i], got[i], 1e-15, "offset " + offset + " cap " + cap + " coordinate " + i);
                    assertTrue(got[i] >= 0 && got[i] <= cap);
                    sum += got[i];
                }
                assertEquals(1.0, sum, 1e-12, "offset " + offset + " cap " + cap);
            }
        }
    }
}
