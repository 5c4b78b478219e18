package io.synalign.kernels.host;

/**
 * The threshold of the Euclidean projection onto the capped simplex
 * {@code { w : 0 <= w_i <= c, sum w = 1 }}, found in O(n) per round without sorting: the
 * algorithm every backend runs (the cuda kernels in {@code simplex.cu} mirror it round for round).
 *
 * <p>The projection of v is {@code clip(v_i - tau, 0, c)} where tau solves
 * {@code phi(tau) = sum_i clip(v_i - tau, 0, c) = 1}; phi is continuous, piecewise linear and
 * non-increasing, with breakpoints at {@code v_i} and {@code v_i - c}. On the segment holding a
 * point t the free set {@code F = {i : 0 < v_i - t < c}} and the capped set
 * {@code U = {i : v_i - t >= c}} are fixed and {@code phi(t) = S - |F| t + c |U|} with
 * {@code S = sum_{i in F} v_i}, so the segment's own root is
 * {@code g(t) = (S + c |U| - 1) / |F|}: a Newton step, exact on that segment.
 *
 * <p>Rounds. One pass over v finds min, max and sum and rejects non-finite values. The bracket
 * starts as {@code lo = min v - 1/n} ({@code phi(lo) >= n min(1/n, c) = 1}, as {@code c n >= 1})
 * and {@code hi = max v} ({@code phi(hi) = 0}), both taken about the origin below; the first
 * point is the warm start (the previous call's threshold) when it lies strictly inside, else the
 * all-free root {@code (sum v - 1) / n} when that does, else the midpoint. Each round is one pass at the current point t computing
 * {@code |F|, |U|, S}; then
 * <ol>
 *   <li>if {@code |F| > 0} and {@code g(t) == t} bit for bit, t is the threshold: the segment of t
 *       contains its own root, and a second look at the same sets gives the same sum (the pass
 *       adds in index order), so this is where a search that found the right segment one round
 *       earlier stops; if {@code |F| = 0} and {@code phi(t) = c |U| == 1}, t lies on a flat piece
 *       at level 1 and is a threshold too;</li>
 *   <li>otherwise t replaces lo ({@code phi(t) >= 1}) or hi ({@code phi(t) < 1});</li>
 *   <li>the next point is {@code g(t)} when {@code |F| > 0} and it lies strictly inside the
 *       bracket, except that every {@value #BISECT_EVERY}th round bisects, which bounds the
 *       rounds whatever the data; otherwise the midpoint. When the bracket has shrunk to adjacent
 *       doubles (a breakpoint sits exactly between them) this round's Newton point, if inside,
 *       or else lo, is taken.</li>
 * </ol>
 * From a warm start two or three rounds are typical, each O(n) with no allocation. The result
 * equals the sort-based breakpoint walk's threshold up to the order in which the free values are
 * summed (index order here, ascending there).
 *
 * <p>Origin. When every value lies within a factor of two of the largest (one sign), the search
 * runs on {@code v_i - max v}, which is then exact for every i (the projection does not change
 * when every coordinate moves by the same amount), and the threshold is returned relative to
 * that origin: {@code w_i = clip((v_i - origin) - t, 0, c)}. About 0, a vector whose values
 * share a large offset (1e16 + a few ulps, or the -3e47 of an optimiser step taken with a step
 * constant at noise level) lost the 1/n of the bracket and every difference to rounding: the
 * output summed to 0, or to 682 with weights above the cap. Otherwise the origin is 0: a shift by
 * a maximum far above the free values would round them at its scale (a heavy-tailed maximum of
 * 1e32 drowned them). The cuda kernels ({@code simplex.cu}) choose the same origin (kept in
 * their state on the device); the CPU emulation of those kernels checks them against this code
 * round for round (within one round about max v, where the all-free first point's rounding
 * depends on each side's summation order).
 */
public final class CappedSimplexThreshold {

    /** Whether every value of [min, max] is within a factor of two of max (one sign, no 0). */
    static boolean withinAFactorOfTwo(double min, double max) {
        return (min > 0 && max <= 2 * min) || (max < 0 && min >= 2 * max);
    }

    /** Every this many rounds the next point is the bisection point, whatever Newton says. */
    public static final int BISECT_EVERY = 8;

    /** No input needs more: bisection alone halves a double bracket to nothing in ~2,100 rounds. */
    public static final int MAX_ROUNDS = 4096;

    private CappedSimplexThreshold() {
    }

    /**
     * The threshold, relative to {@code origin}, and the number of rounds it took: the
     * projection is {@code clip((v_i - origin) - threshold, 0, c)}.
     */
    public record Result(double threshold, double origin, int rounds) {

        /** The threshold about 0, {@code origin + threshold} (rounded). */
        public double absolute() {
            return origin + threshold;
        }
    }

    /**
     * @param v the point to project, n finite values
     * @param cap c, with {@code c n > 1}; {@code +Infinity} for no cap
     * @param warm the previous threshold about 0 ({@link Result#absolute()}), or NaN
     * @throws IllegalArgumentException when v holds NaN or an infinity
     */
    public static Result find(double[] v, double cap, double warm) {
        return find(v, cap, warm, Double.NaN);
    }

    /**
     * {@link #find(double[], double, double)} about a given origin ({@code NaN}: the rule of the
     * class comment). A caller whose projection came out off the simplex (values spread over
     * more than the doubles near the threshold can resolve: {@code [1, 1e16]} with cap 1 gave
     * {@code [0, 0]}) searches again about the value nearest the threshold, where the
     * differences that decide the projection are exact.
     */
    public static Result find(double[] v, double cap, double warm, double givenOrigin) {
        int n = v.length;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double sum = 0;
        for (double value : v) {
            if (!Double.isFinite(value)) {
                throw new IllegalArgumentException("cannot project a vector containing " + value);
            }
            min = Math.min(min, value);
            max = Math.max(max, value);
            sum += value;
        }
        // The origin (see the class comment): max v when every value is within a factor of two
        // of it, so that every v_i - max is exact; else 0, where nothing is lost. The all-free
        // root comes from the plain sum (a first point only, checked against the bracket, as
        // the warm start is).
        double origin = !Double.isNaN(givenOrigin) ? givenOrigin
                : withinAFactorOfTwo(min, max) ? max : 0;
        double lo = (min - origin) - 1.0 / n;
        double hi = max - origin;
        double t = warm - origin;
        if (!(t > lo && t < hi)) {
            t = (sum - 1) / n - origin;
            if (!(t > lo && t < hi)) {
                t = lo + 0.5 * (hi - lo);
            }
        }
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            int free = 0;
            int capped = 0;
            double freeSum = 0;
            for (double value : v) {
                double shifted = value - origin;
                double d = shifted - t;
                if (d >= cap) {
                    capped++;
                } else if (d > 0) {
                    free++;
                    freeSum += shifted;
                }
            }
            double capMass = capped == 0 ? 0 : cap * capped;
            double newton = Double.NaN;
            double phi;
            if (free > 0) {
                newton = (freeSum + capMass - 1) / free;
                if (newton == t) {
                    return new Result(t, origin, round);
                }
                phi = freeSum - free * t + capMass;
            } else {
                phi = capMass;
                if (phi == 1) {
                    return new Result(t, origin, round);
                }
            }
            if (phi >= 1) {
                lo = t;
            } else {
                hi = t;
            }
            double mid = lo + 0.5 * (hi - lo);
            if (!(mid > lo && mid < hi)) {
                // lo and hi are adjacent doubles with a breakpoint between them: the root is
                // within one ulp of either; this round's Newton point if it is that close.
                return new Result(newton >= lo && newton <= hi ? newton : lo, origin, round);
            }
            boolean newtonInside = newton > lo && newton < hi;
            t = newtonInside && round % BISECT_EVERY != 0 ? newton : mid;
        }
        throw new IllegalStateException("no capped-simplex threshold after " + MAX_ROUNDS
                + " rounds");
    }
}
