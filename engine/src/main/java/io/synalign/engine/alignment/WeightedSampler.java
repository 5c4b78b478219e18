package io.synalign.engine.alignment;

import java.util.Arrays;

/**
 * Draws rows by weight without replacement: the Efraimidis–Spirakis A-Res scheme ("Weighted
 * random sampling with a reservoir", Information Processing Letters 97(5), 2006).
 *
 * <p>Algorithm: every row {@code i} gets a uniform {@code u_i} in (0, 1) and the key
 * {@code u_i^(1/w_i)}; the {@code n} rows with the largest keys are drawn. The result has the
 * distribution of {@code n} successive draws, each picking a not-yet-drawn row with probability
 * proportional to its weight. Keys are compared in log space, as {@code log(-log u_i) - log w_i}
 * (smaller is better; a monotone transform of the key), so that tiny weights and {@code u}
 * close to 1 neither underflow to 0 nor tie; {@code -log u_i} is computed from the exact
 * {@code 1 - u_i} where {@code u_i >= 1/2} ({@link #minusLogUniform}). Rows with weight 0 are
 * never drawn. Cost: O(N log N) for N rows (one sort of the keys), O(N) memory.
 *
 * <p>Inclusion probabilities: for {@code n = 1} row {@code i} is drawn with probability exactly
 * {@code w_i / sum w}; for small {@code n} relative to the support it is close to
 * {@code n w_i / sum w}. When {@code n} is a large fraction of the rows with positive weight it
 * is NOT proportional to the weights: heavy rows cannot be drawn twice, so their inclusion
 * saturates at 1 and light rows are drawn more often than their weight suggests (with
 * {@code n} equal to the support, every such row is drawn).
 *
 * <p>Reproducible: the uniforms come from SplitMix64 seeded with {@code seed}, one per row in
 * row order, so the same weights and seed give the same rows on every JVM.
 */
public final class WeightedSampler {

    private WeightedSampler() {
    }

    /** The number of rows with a positive weight: the most that can be drawn. */
    public static int support(double[] weights) {
        int count = 0;
        for (double w : weights) {
            if (w > 0) {
                count++;
            }
        }
        return count;
    }

    /**
     * Draws {@code n} distinct rows.
     *
     * @param weights non-negative finite weights, any positive sum
     * @param n rows to draw, {@code 0 <= n <= support(weights)}
     * @param seed seeds the uniforms
     * @return the drawn row indices in increasing order
     * @throws IllegalArgumentException on a negative or non-finite weight, or when {@code n}
     *     exceeds the support, naming both
     */
    public static int[] sample(double[] weights, int n, long seed) {
        for (int i = 0; i < weights.length; i++) {
            if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
                throw new IllegalArgumentException("weight " + weights[i] + " of row " + i
                        + " is not a finite number >= 0");
            }
        }
        int support = support(weights);
        if (n < 0 || n > support) {
            throw new IllegalArgumentException("cannot draw " + n + " rows without replacement"
                    + " from " + support + " rows with positive weight");
        }
        if (n == 0) {
            return new int[0];
        }
        double[] keys = keys(weights, seed);
        double[] sorted = new double[support];
        int k = 0;
        for (int i = 0; i < keys.length; i++) {
            if (weights[i] > 0) {
                sorted[k++] = keys[i];
            }
        }
        Arrays.sort(sorted);
        double threshold = sorted[n - 1];
        int below = 0;
        for (int i = 0; i < support && sorted[i] < threshold; i++) {
            below++;
        }
        // Rows with keys below the threshold are in; ties at the threshold (practically never)
        // go to the lowest row indices.
        int tiesWanted = n - below;
        int[] picked = new int[n];
        int p = 0;
        for (int i = 0; i < keys.length; i++) {
            if (weights[i] <= 0) {
                continue;
            }
            if (keys[i] < threshold) {
                picked[p++] = i;
            } else if (keys[i] == threshold && tiesWanted > 0) {
                picked[p++] = i;
                tiesWanted--;
            }
        }
        return picked;
    }

    /**
     * Draws {@code n} rows with replacement: {@code n} independent draws, each picking row
     * {@code i} with probability exactly {@code w_i / sum w}, so a row's expected count is
     * proportional to its weight at any {@code n} (rows may repeat; rows with weight 0 never
     * come). Inverse-CDF sampling: cumulative sums in double, one binary search per draw,
     * O(N + n log N). The uniforms come from SplitMix64 seeded with {@code seed}.
     *
     * @param n draws, {@code >= 0}; may exceed the number of rows
     * @return the drawn row indices in increasing order (a row drawn k times appears k times)
     * @throws IllegalArgumentException on a negative or non-finite weight, an all-zero weight
     *     vector with {@code n > 0}, or a negative {@code n}
     */
    public static int[] sampleWithReplacement(double[] weights, int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot draw " + n + " rows");
        }
        double[] cumulative = new double[weights.length];
        double sum = 0;
        double max = 0;
        for (int i = 0; i < weights.length; i++) {
            if (!(weights[i] >= 0) || Double.isInfinite(weights[i])) {
                throw new IllegalArgumentException("weight " + weights[i] + " of row " + i
                        + " is not a finite number >= 0");
            }
            sum += weights[i];
            max = Math.max(max, weights[i]);
            cumulative[i] = sum;
        }
        if (Double.isInfinite(sum)) {
            // Finite weights whose sum overflows (two of 1e308): the cumulative sums, scaled by
            // the largest weight, again (unscaled, every target was u * infinity: the last row).
            sum = 0;
            for (int i = 0; i < weights.length; i++) {
                sum += weights[i] / max;
                cumulative[i] = sum;
            }
        }
        if (n > 0 && !(sum > 0)) {
            throw new IllegalArgumentException("cannot draw from rows that all weigh 0");
        }
        int[] picked = new int[n];
        long state = seed;
        for (int k = 0; k < n; k++) {
            state += 0x9E3779B97F4A7C15L;
            double target = ((mix(state) >>> 11) + 0.5) * 0x1.0p-53 * sum;
            int i = Arrays.binarySearch(cumulative, target);
            i = Math.min(i >= 0 ? i : -i - 1, weights.length - 1);
            // The first row whose cumulative sum exceeds the target: zero-weight rows share
            // their predecessor's sum and are skipped; rounding never runs past the last row.
            while (i < weights.length - 1 && (cumulative[i] <= target || weights[i] <= 0)) {
                i++;
            }
            while (weights[i] <= 0) {
                i--;
            }
            picked[k] = i;
        }
        Arrays.sort(picked);
        return picked;
    }

    /** {@code log(-log u_i) - log w_i} per row (infinite for weight 0). */
    static double[] keys(double[] weights, long seed) {
        double[] keys = new double[weights.length];
        for (int i = 0; i < weights.length; i++) {
            keys[i] = key(i, weights[i], seed);
        }
        return keys;
    }

    /**
     * Row {@code row}'s key {@code log(-log u) - log w} for {@code seed}: its uniform is the
     * {@code (row + 1)}-th SplitMix64 output of the seed, so any machine holding the row computes
     * the same key (the Spark sampler draws by this function too).
     *
     * @return the key; infinite for weight 0
     */
    public static double key(long row, double weight, long seed) {
        long bits = mix(seed + (row + 1) * 0x9E3779B97F4A7C15L) >>> 11;
        return Math.log(minusLogUniform(bits)) - Math.log(weight);
    }

    /**
     * {@code -log u} for the uniform {@code u = (r + 1/2) 2^-53} of the 53-bit integer {@code r},
     * a standard exponential variate, to the last bit. For {@code u >= 1/2} it is computed from
     * {@code 1 - u = (2^53 - 1 - r + 1/2) 2^-53}, which is exact in double: {@code -log(u)} of
     * the rounded {@code u} would keep few of the exponential's bits there (for the top
     * {@code r}, {@code u} rounds to 1 and the key becomes {@code -infinity}, which drew that row
     * first whatever its weight).
     */
    static double minusLogUniform(long r) {
        if (r < (1L << 52)) {
            return -Math.log((r + 0.5) * 0x1.0p-53);
        }
        return -Math.log1p(-(((1L << 53) - 1 - r) + 0.5) * 0x1.0p-53);
    }

    /**
     * The SplitMix64 output function (Steele, Lea and Flood, OOPSLA 2014): a bijective 64-bit
     * mix, also used to derive per-label seeds.
     */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
