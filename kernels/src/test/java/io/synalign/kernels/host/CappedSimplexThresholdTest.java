package io.synalign.kernels.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link CappedSimplexThreshold#find} on its own, without the re-search about a nearer origin
 * that {@link HostCappedSimplexProjector} adds: its choice of origin (the class comment's rule)
 * must place values that share a large offset, and values under a heavy-tailed maximum, on the
 * simplex in its first search, because the cuda kernels mirror that search round for round and
 * have no re-search. Mutation testing found the rule untested: with the origin always 0, or
 * always max v, every test still passed, the projector's re-search repairing the result.
 *
 * <p>The oracle: bisection on {@code phi(tau) = sum clip(u_i - tau, 0, c)} in double, on values
 * {@code u} small enough that nothing rounds away (the offset's few ulps as integers).
 */
class CappedSimplexThresholdTest {

    /**
     * The projection of u by bisection of phi(tau) = 1 on [min u - 1, max u], down to adjacent
     * doubles.
     */
    private static double[] oracle(double[] u, double cap) {
        double lo = Arrays.stream(u).min().orElseThrow() - 1;
        double hi = Arrays.stream(u).max().orElseThrow();
        while (true) {
            double mid = lo + 0.5 * (hi - lo);
            if (!(mid > lo && mid < hi)) {
                break;
            }
            double phi = 0;
            for (double value : u) {
                phi += Math.min(Math.max(value - mid, 0), cap);
            }
            if (phi >= 1) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double[] out = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            out[i] = Math.min(Math.max(u[i] - lo, 0), cap);
        }
        return out;
    }

    /** clip((v_i - origin) - threshold, 0, c): the projection a found threshold gives. */
    private static double[] projection(double[] v, double cap, CappedSimplexThreshold.Result r) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.min(Math.max((v[i] - r.origin()) - r.threshold(), 0), cap);
        }
        return out;
    }

    private static void assertProjection(double[] want, double[] got, double cap, String what) {
        double sum = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-12, what + ", coordinate " + i);
            assertTrue(got[i] >= 0 && got[i] <= cap, what + ", coordinate " + i + " = " + got[i]);
            sum += got[i];
        }
        assertEquals(1.0, sum, 1e-12, what + ": the sum");
    }

    /**
     * Values of one sign within a factor of two of each other, a few ulps apart at a large
     * offset: about 0 the bracket's 1/n and every difference round away (the sums of 0 and 682
     * of the class comment); about max v every difference is exact. The caps leave the
     * threshold among the largest values (a cap that pushed it below the next value, an ulp of
     * the offset lower, is the projector's re-search's case, not the first search's).
     */
    @ParameterizedTest(name = "offset {0}, n = {1}, cap {2}")
    @CsvSource({"1e16, 3, 1", "1e16, 101, 0.05", "-2.9e47, 37, 1", "-2.9e47, 37, 0.5",
        "4503599627370496, 9, 0.3", "-1e300, 64, 1"})
    void valuesSharingALargeOffsetAreProjectedInTheFirstSearch(double offset, int n, double cap) {
        double ulp = Math.ulp(offset);
        Random random = new Random(n);
        int[] k = new int[n];
        int top = 0;
        for (int i = 0; i < n; i++) {
            k[i] = random.nextInt(7);
            top = Math.max(top, k[i]);
        }
        double[] v = new double[n];
        double[] scaled = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = offset + k[i] * ulp;
            // The differences from the largest value, exact (a few ulps of the offset): the
            // projection does not change when every value moves by the same amount.
            scaled[i] = (k[i] - top) * ulp;
        }
        CappedSimplexThreshold.Result found = CappedSimplexThreshold.find(v, cap, Double.NaN);
        assertProjection(oracle(scaled, cap), projection(v, cap, found), cap,
                "offset " + offset);
        assertTrue(found.rounds() >= 1);
    }

    /**
     * A heavy-tailed maximum far above the free values: about max v they would round at its
     * scale (a maximum of 1e32 drowned them); about 0 they are exact. The maximum takes the cap,
     * the small values share the rest.
     */
    @Test
    void freeValuesUnderAHeavyTailedMaximumKeepTheirDifferences() {
        for (double top : new double[] {1e32, 1e12, -1e-3}) {
            double[] v = {0.3, -0.2, top, 0.05, 0.11, -0.4, 0.27, 0.02, -0.05, 0.18};
            for (double cap : new double[] {0.25, 0.5}) {
                CappedSimplexThreshold.Result found = CappedSimplexThreshold.find(v, cap,
                        Double.NaN);
                assertProjection(oracle(v, cap), projection(v, cap, found), cap,
                        "maximum " + top + ", cap " + cap);
            }
        }
    }

    @Test
    void nonFiniteValuesAreRefused() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CappedSimplexThreshold.find(new double[] {0.1, bad, 0.3}, 0.5,
                            Double.NaN));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
    }

    /**
     * The projector: vectors of another dimension are refused; rounds count every search, the
     * re-search about a nearer origin included ({@code [1, 1e16]} with cap 1 needs one), and
     * none for the single-point set.
     */
    @Test
    void theProjectorChecksLengthsAndCountsTheRoundsOfEverySearch() {
        HostCappedSimplexProjector projector = new HostCappedSimplexProjector(2, 1);
        assertThrows(IllegalArgumentException.class,
                () -> projector.project(new double[3], new double[2]));
        assertThrows(IllegalArgumentException.class,
                () -> projector.project(new double[2], new double[3]));
        double[] v = {1.0, 1e16};
        double[] out = new double[2];
        projector.project(v, out);
        assertEquals(0.0, out[0]);
        assertEquals(1.0, out[1]);
        int first = CappedSimplexThreshold.find(v, Double.POSITIVE_INFINITY, Double.NaN).rounds();
        assertTrue(projector.rounds() > first, projector.rounds() + " rounds, the first search "
                + first);

        HostCappedSimplexProjector single = new HostCappedSimplexProjector(4, 0.25);
        double[] w = new double[4];
        single.project(new double[] {3, -1, 0.5, 2}, w);
        assertEquals(0, single.rounds());
        assertTrue(Double.isNaN(single.threshold()));
        for (double value : w) {
            assertEquals(0.25, value, 0.0);
        }
        HostCappedSimplexProjector plain = new HostCappedSimplexProjector(3, 0.5);
        plain.project(new double[] {0.2, 0.9, 0.4}, new double[3]);
        assertTrue(plain.rounds() >= 1, "a search takes a round at least");
    }
}
