package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightSolver#renormalise}, the last step of every solve: rounding-level negatives
 * clamped and the weights divided by their sum, or, where that would lift a weight above the cap,
 * the projection onto the capped simplex. Checked against the definitions written out here (the
 * projection by bisection of {@code phi(tau) = 1}) on awkward lengths; mutation testing found
 * neither branch checked on its own (the fits end on the simplex, so both gave their input).
 */
class WeightSolverRenormaliseTest {

    /** The projection of v onto the capped simplex by bisection down to adjacent doubles. */
    private static double[] projection(double[] v, double cap) {
        double lo = Arrays.stream(v).min().orElseThrow() - 1;
        double hi = Arrays.stream(v).max().orElseThrow();
        while (true) {
            double mid = lo + 0.5 * (hi - lo);
            if (!(mid > lo && mid < hi)) {
                break;
            }
            double phi = 0;
            for (double value : v) {
                phi += Math.min(Math.max(value - mid, 0), cap);
            }
            if (phi >= 1) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.min(Math.max(v[i] - lo, 0), cap);
        }
        return out;
    }

    @Test
    void roundingNegativesAreClampedAndTheRestDividedByItsSum() {
        for (int n : new int[] {1, 2, 7, 129}) {
            Random random = new Random(n);
            double cap = Math.min(1.0, 3.0 / n);
            double[] w = new double[n];
            for (int i = 0; i < n; i++) {
                // Off the simplex by rounding: a sum of 1 + 1e-9 and negatives of -1e-17.
                w[i] = i % 5 == 3 ? -1e-17 : (1 + 1e-9) * (0.5 + random.nextDouble());
            }
            double positive = 0;
            for (double value : w) {
                positive += Math.max(value, 0);
            }
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                want[i] = Math.max(w[i], 0) / positive;
            }
            assertTrue(Arrays.stream(want).max().orElseThrow() <= cap, "within the cap");
            double[] got = WeightSolver.renormalise(w, new CappedSimplexProjection(n, cap));
            assertSame(w, got, "in place");
            double sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], got[i], 1e-15, "weight " + i + " of " + n);
                assertTrue(got[i] >= 0);
                sum += got[i];
            }
            assertEquals(1.0, sum, 1e-14);
        }
    }

    @Test
    void weightsThatDivisionWouldLiftAboveTheCapAreProjectedInstead() {
        for (int n : new int[] {5, 11, 64}) {
            double cap = 2.0 / n;
            double[] w = new double[n];
            Random random = new Random(n);
            for (int i = 0; i < n; i++) {
                w[i] = 0.1 * random.nextDouble();
            }
            w[n / 2] = 5; // far above the cap's share: division would give it most of the mass
            w[1] = -0.02;
            double[] clamped = w.clone();
            clamped[1] = 0;
            double[] want = projection(clamped, cap);
            double[] got = WeightSolver.renormalise(w, new CappedSimplexProjection(n, cap));
            double sum = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(want[i], got[i], 1e-14, "weight " + i + " of " + n);
                assertTrue(got[i] >= 0 && got[i] <= cap * (1 + 1e-12), "within the cap");
                sum += got[i];
            }
            assertEquals(1.0, sum, 1e-13);
            assertEquals(cap, got[n / 2], 1e-15, "the large weight at the cap");
        }
    }

    @Test
    void weightsAllZeroOrNegativeBecomeTheProjectionOfZero() {
        double[] w = {-1e-18, 0, -3e-17, 0};
        double[] got = WeightSolver.renormalise(w, new CappedSimplexProjection(4, 1));
        for (double value : got) {
            assertEquals(0.25, value, 1e-16);
        }
    }

    @Test
    void aLargestWeightJustAtTheCapIsDividedNotProjected() {
        // max / sum equals the cap within 1e-12: division keeps the ratios exactly.
        double cap = 0.5;
        double[] w = {0.5 * (1 + 1e-13), 0.25, 0.25};
        double sum = w[0] + w[1] + w[2];
        double[] want = {w[0] / sum, w[1] / sum, w[2] / sum};
        double[] got = WeightSolver.renormalise(w.clone(), new CappedSimplexProjection(3, cap));
        for (int i = 0; i < 3; i++) {
            assertEquals(want[i], got[i], 0.0, "weight " + i);
        }
    }
}
