package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sampler's draws, seed by seed, against the definitions its class comment gives, written
 * out here with the JDK's own SplitMix64 ({@link SplittableRandom}: {@code nextLong()} is
 * SplitMix64's output for the state {@code seed + k * 0x9E3779B97F4A7C15}) as the source of the
 * uniforms {@code u = ((x >>> 11) + 0.5) 2^-53}, one per row (without replacement) or per draw
 * (with): the rows with the smallest {@code log(-log u_i) - log w_i}, ties to the lowest index;
 * and the first row whose cumulative sum exceeds {@code u * sum w}. The chi-square tests of
 * {@link WeightedSamplerTest} check the distributions; these check that the documented,
 * reproducible stream and rule are the ones used (a reversed stream, a shifted uniform, a
 * boundary at a tie or at a cumulative sum all keep the distribution and pass those).
 */
class WeightedSamplerDefinitionTest {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The uniforms of {@code count} rows or draws for {@code seed}, from the JDK's SplitMix64. */
    private static double[] uniforms(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] u = new double[count];
        for (int i = 0; i < count; i++) {
            u[i] = ((random.nextLong() >>> 11) + 0.5) * 0x1.0p-53;
        }
        return u;
    }

    /**
     * {@code -log u} for the uniforms of {@code count} rows, as the class comment defines it:
     * from {@code u} below 1/2, from the exact complement {@code 1 - u} at and above.
     */
    private static double[] minusLogUniforms(long seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] e = new double[count];
        for (int i = 0; i < count; i++) {
            long r = random.nextLong() >>> 11;
            double u = (r + 0.5) * 0x1.0p-53;
            e[i] = u < 0.5 ? -Math.log(u) : -Math.log1p(-((0x1.0p53 - 1 - r) + 0.5) * 0x1.0p-53);
        }
        return e;
    }

    /** The A-Res keys in log space, as the class comment defines them (infinite for weight 0). */
    private static double[] oracleKeys(double[] w, long seed) {
        double[] e = minusLogUniforms(seed, w.length);
        double[] keys = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            keys[i] = Math.log(e[i]) - Math.log(w[i]);
        }
        return keys;
    }

    /** The n positive-weight rows of smallest key, ties to the lowest index, in index order. */
    private static int[] oracleSample(double[] w, int n, long seed) {
        double[] keys = oracleKeys(w, seed);
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                rows.add(i);
            }
        }
        rows.sort(Comparator.<Integer>comparingDouble(i -> keys[i]).thenComparingInt(i -> i));
        int[] picked = rows.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(picked);
        return picked;
    }

    /**
     * Inverse-CDF draws: cumulative sums in double in row order (of {@code w / max w} when the
     * plain sum overflows), each draw the first positive row whose sum exceeds {@code u * sum},
     * the last positive row when none does (u rounded to 1).
     */
    private static int[] oracleWithReplacement(double[] w, int n, long seed) {
        double max = Arrays.stream(w).max().orElse(0);
        double[] cumulative = new double[w.length];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            sum += w[i];
            cumulative[i] = sum;
        }
        if (Double.isInfinite(sum)) {
            sum = 0;
            for (int i = 0; i < w.length; i++) {
                sum += w[i] / max;
                cumulative[i] = sum;
            }
        }
        int lastPositive = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] > 0) {
                lastPositive = i;
            }
        }
        double[] u = uniforms(seed, n);
        int[] picked = new int[n];
        for (int k = 0; k < n; k++) {
            double target = u[k] * sum;
            picked[k] = lastPositive;
            for (int i = 0; i < w.length; i++) {
                if (w[i] > 0 && cumulative[i] > target) {
                    picked[k] = i;
                    break;
                }
            }
        }
        Arrays.sort(picked);
        return picked;
    }

    /** Heavy-tailed weights, a fraction of them 0, the first and last rows among them. */
    private static double[] weights(int size, Random random) {
        double[] w = new double[size];
        for (int i = 0; i < size; i++) {
            w[i] = random.nextDouble() < 0.3 ? 0 : Math.exp(3 * random.nextGaussian());
        }
        if (size > 2) {
            w[0] = 0;
            w[size - 1] = 0;
            w[size / 2] = 1; // not all zero
        } else {
            w[size - 1] = 0.5;
        }
        return w;
    }

    @Test
    void mixIsSplitMix64sOutputFunction() {
        Random random = new Random(1);
        for (int t = 0; t < 1000; t++) {
            long state = random.nextLong();
            assertEquals(new SplittableRandom(state - GOLDEN).nextLong(), WeightedSampler.mix(state),
                    "mix(" + state + ")");
        }
    }

    @Test
    void drawsWithoutReplacementAreTheRowsOfSmallestKey() {
        Random random = new Random(2);
        for (int size : new int[] {1, 2, 7, 63, 1000, 1001}) {
            for (int trial = 0; trial < 4; trial++) {
                double[] w = weights(size, random);
                long seed = random.nextLong();
                assertArrayEquals(oracleKeys(w, seed), WeightedSampler.keys(w, seed), 0.0,
                        "keys, " + size + " rows");
                int support = WeightedSampler.support(w);
                for (int n : new int[] {1, support / 3, support - 1, support}) {
                    if (n >= 0) {
                        assertArrayEquals(oracleSample(w, n, seed), WeightedSampler.sample(w, n, seed),
                                size + " rows, n = " + n + ", seed " + seed);
                    }
                }
            }
        }
    }

    /**
     * Keys tied exactly (weights nudged an ulp at a time until {@code log(-log u) - log w}
     * equals another row's key): at the threshold, the lowest rows are drawn, as many as
     * wanted and no more.
     */
    @Test
    void tiedKeysAtTheThresholdGoToTheLowestRows() {
        Random random = new Random(3);
        int ties = 0;
        int[] sizes = {9, 64, 301};
        // Not every key can be met exactly (near 0 its ulp is finer than log w's steps): try
        // until 9 ties are made.
        for (int attempt = 0; attempt < 100 && ties < 9; attempt++) {
            int size = sizes[attempt % sizes.length];
            double[] w = weights(size, random);
            for (int i = 0; i < size; i++) {
                w[i] = Math.max(w[i], 1e-3); // no zero among the rows to tie
            }
            long seed = random.nextLong();
            double[] e = minusLogUniforms(seed, size);
            // Rows a < b < c share a's key.
            int a = 1 + random.nextInt(size / 4);
            int b = a + 1 + random.nextInt(size / 4);
            int c = b + 1 + random.nextInt(size / 4);
            double key = oracleKeys(w, seed)[a];
            boolean tied = true;
            for (int row : new int[] {b, c}) {
                double logU = Math.log(e[row]);
                double candidate = Math.exp(logU - key);
                double found = -1;
                for (int step = 0; step < 400 && found < 0; step++) {
                    double v = candidate;
                    for (int s = 0; s < step / 2; s++) {
                        v = step % 2 == 0 ? Math.nextUp(v) : Math.nextDown(v);
                    }
                    if (logU - Math.log(v) == key) {
                        found = v;
                    }
                }
                if (found < 0) {
                    tied = false;
                    break;
                }
                w[row] = found;
            }
            if (!tied) {
                continue;
            }
            double[] keys = WeightedSampler.keys(w, seed);
            assertEquals(keys[a], keys[b], 0.0);
            assertEquals(keys[a], keys[c], 0.0);
            int below = 0;
            for (double k : keys) {
                below += k < key ? 1 : 0;
            }
            for (int extra = 1; extra <= 3; extra++) {
                int[] got = WeightedSampler.sample(w, below + extra, seed);
                assertArrayEquals(oracleSample(w, below + extra, seed), got,
                        "rows " + a + ", " + b + ", " + c + " tied, " + extra + " wanted");
                assertEquals(extra >= 2, Arrays.binarySearch(got, b) >= 0, "row " + b);
                assertEquals(extra >= 3, Arrays.binarySearch(got, c) >= 0, "row " + c);
            }
            ties++;
        }
        assertEquals(9, ties, "ties made");
    }

    @Test
    void drawsWithReplacementAreTheInverseCdfOfTheUniforms() {
        Random random = new Random(4);
        for (int size : new int[] {1, 2, 7, 63, 1000, 1001}) {
            for (int trial = 0; trial < 4; trial++) {
                double[] w = weights(size, random);
                long seed = random.nextLong();
                for (int n : new int[] {0, 1, 17, 1003}) {
                    assertArrayEquals(oracleWithReplacement(w, n, seed),
                            WeightedSampler.sampleWithReplacement(w, n, seed),
                            size + " rows, n = " + n + ", seed " + seed);
                }
            }
        }
        // Finite weights whose sum overflows: the same rule on the scaled sums.
        double[] big = {0, Double.MAX_VALUE, 3e307, 0, Double.MAX_VALUE / 3, 1, 0};
        assertArrayEquals(oracleWithReplacement(big, 501, 5),
                WeightedSampler.sampleWithReplacement(big, 501, 5));
    }

    /** The inverse of {@code x ^= x >>> s}. */
    private static long unshift(long y, int s) {
        long x = y;
        for (int k = s; k < 64; k += s) {
            x ^= y >>> k;
        }
        return x;
    }

    /** The inverse of an odd multiplier modulo 2^64 (Newton's iteration). */
    private static long inverse(long c) {
        long x = c;
        for (int i = 0; i < 6; i++) {
            x *= 2 - c * x;
        }
        return x;
    }

    /** A seed whose first SplitMix64 output is {@code z}: mix inverted, step by step. */
    private static long seedGiving(long z) {
        long x = unshift(z, 31) * inverse(0x94D049BB133111EBL);
        x = unshift(x, 27) * inverse(0xBF58476D1CE4E5B9L);
        long seed = unshift(x, 30) - GOLDEN;
        assertEquals(z, new SplittableRandom(seed).nextLong(), "the crafted seed");
        return seed;
    }

    /**
     * Targets exactly on a cumulative sum, from crafted seeds: u = 0.5 on weights summing to 2
     * hits a sum of 1, u = 0.75 (3 * 2^51 + 0.5 rounds to 3 * 2^51) on weights summing to 4 a
     * sum of 3, which must take the next positive
     * row (the first whose sum EXCEEDS the target), however many zero rows share that sum; u
     * rounded to 1 hits the total, which must take the last positive row, never a zero-weight
     * row after it or one past the end.
     */
    @Test
    void aTargetOnACumulativeSumTakesTheNextPositiveRow() {
        long threeQuarters = seedGiving((3L << 51) << 11);
        assertEquals(0.75, uniforms(threeQuarters, 1)[0]);
        long one = seedGiving(-1L); // every bit set: x >>> 11 = 2^53 - 1, u = 1
        assertEquals(1.0, uniforms(one, 1)[0]);
        // u = 0.5 from 2^52 + 0.5, rounded to even; 2^52 - 0.5 would be exact, a target below.
        long half = seedGiving((1L << 52) << 11);
        assertEquals(0.5, uniforms(half, 1)[0]);
        assertArrayEquals(new int[] {1}, WeightedSampler.sampleWithReplacement(new double[] {1, 1},
                1, half));
        assertArrayEquals(new int[] {2}, WeightedSampler.sampleWithReplacement(
                new double[] {2, 0, 2}, 1, half));
        double[][] cases = {{3, 1}, {0, 3, 1}, {3, 0, 0, 1, 0}, {1, 2, 0, 0, 1}, {3, 1, 0, 0}};
        int[] atThreeQuarters = {1, 2, 3, 4, 1};
        int[] atOne = {1, 2, 3, 4, 1};
        for (int c = 0; c < cases.length; c++) {
            double[] w = cases[c];
            assertArrayEquals(new int[] {atThreeQuarters[c]},
                    WeightedSampler.sampleWithReplacement(w, 1, threeQuarters), Arrays.toString(w));
            assertArrayEquals(oracleWithReplacement(w, 1, threeQuarters),
                    WeightedSampler.sampleWithReplacement(w, 1, threeQuarters));
            assertArrayEquals(new int[] {atOne[c]},
                    WeightedSampler.sampleWithReplacement(w, 1, one), "u = 1, " + Arrays.toString(w));
            assertArrayEquals(oracleWithReplacement(w, 1, one),
                    WeightedSampler.sampleWithReplacement(w, 1, one));
        }
    }

    /**
     * {@code -log u} against the series {@code -log(1 - v) = sum v^k / k} of the exact
     * complement {@code v = (2^53 - r - 1/2) 2^-53}, summed in long double's stead by two
     * doubles (the terms below the leading one are added smallest first), within an ulp, for
     * the top and bottom 53-bit integers and random ones in between. {@code -log} of the
     * rounded {@code u} is 0 at the top (u = 1) and 33 % off one below.
     */
    @Test
    void theExponentialOfEveryUniformIsRightToTheLastBits() {
        Random random = new Random(11);
        long top = (1L << 53) - 1;
        List<Long> rs = new ArrayList<>(List.of(0L, 1L, 2L, (1L << 52) - 1, 1L << 52,
                (1L << 52) + 1, top - 1000, top - 2, top - 1, top));
        for (int t = 0; t < 2000; t++) {
            rs.add(random.nextLong() >>> 11);
        }
        for (long r : rs) {
            double got = WeightedSampler.minusLogUniform(r);
            double want;
            if (r < (1L << 52)) {
                want = -Math.log((r + 0.5) * 0x1.0p-53); // u exact: the library's log is the oracle
            } else {
                double v = ((top - r) + 0.5) * 0x1.0p-53; // exact, <= 1/2
                double tail = 0;
                for (int k = 200; k >= 2; k--) {
                    tail += Math.pow(v, k) / k;
                }
                want = v + tail;
            }
            assertEquals(want, got, 2 * Math.ulp(want), "r = " + r);
            assertTrue(got > 0, "r = " + r);
        }
        assertEquals(0x1.0p-54, WeightedSampler.minusLogUniform(top), 0.0, "u rounds to 1");
        assertEquals(1.5 * 0x1.0p-53, WeightedSampler.minusLogUniform(top - 1),
                Math.ulp(0x1.0p-53));
    }

    /**
     * The row whose uniform rounds to 1 (a crafted seed: every bit of its SplitMix64 output set)
     * is drawn by its weight like any other: its key is {@code log 2^-54 - log w}, finite, not
     * {@code -infinity} (which drew it first, whatever its weight), in the single-machine
     * sampler and in the key function the Spark sampler shares.
     */
    @Test
    void aUniformThatRoundsToOneKeepsItsRowsWeight() {
        long one = seedGiving(-1L);
        assertEquals(1.0, uniforms(one, 1)[0]);
        double[] w = new double[37];
        Arrays.fill(w, 1.0);
        w[0] = 1e-300;
        double key = WeightedSampler.key(0, w[0], one);
        assertEquals(Math.log(0x1.0p-54) - Math.log(1e-300), key, 1e-12);
        assertEquals(key, WeightedSampler.keys(w, one)[0], 0.0);
        for (int n = 1; n <= 36; n++) {
            int[] got = WeightedSampler.sample(w, n, one);
            assertEquals(-1, Arrays.binarySearch(got, 0), n + " rows drawn: row 0 weighs 1e-300");
            assertArrayEquals(oracleSample(w, n, one), got);
        }
        assertEquals(0, WeightedSampler.sample(w, 37, one)[0], "every row, at last");
        // With a heavy weight the same row is drawn first, as its small exponential makes it.
        w[0] = 1;
        assertEquals(0, WeightedSampler.sample(w, 1, one)[0]);
    }

    @Test
    void drawsWithReplacementRefuseBadArgumentsNamingThem() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> WeightedSampler.sampleWithReplacement(new double[] {1, 2}, -1, 0));
        assertEquals("cannot draw -1 rows", negative.getMessage());
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN, -1e-300}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedSampler.sampleWithReplacement(new double[] {1, 0, bad}, 3, 0));
            assertEquals("weight " + bad + " of row 2 is not a finite number >= 0", e.getMessage());
        }
    }
}
