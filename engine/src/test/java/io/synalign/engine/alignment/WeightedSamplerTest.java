package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WeightedSamplerTest {

    private static double[] randomWeights(int n, long seed, double zeroFraction) {
        Random r = new Random(seed);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = r.nextDouble() < zeroFraction ? 0 : Math.exp(2 * r.nextGaussian());
        }
        return w;
    }

    private static double[] normalised(double[] w) {
        double sum = Arrays.stream(w).sum();
        return Arrays.stream(w).map(x -> x / sum).toArray();
    }

    @Test
    void sameSeedSameRowsOtherSeedOtherRows() {
        double[] w = randomWeights(257, 1, 0.2);
        int[] a = WeightedSampler.sample(w, 40, 42);
        assertArrayEquals(a, WeightedSampler.sample(w.clone(), 40, 42));
        assertFalse(Arrays.equals(a, WeightedSampler.sample(w, 40, 43)));
        // Scaling the weights changes nothing: only their ratios matter.
        double[] scaled = Arrays.stream(w).map(x -> x * 1e-3).toArray();
        assertArrayEquals(a, WeightedSampler.sample(scaled, 40, 42));
    }

    @Test
    void drawsDistinctPositiveRowsInIncreasingOrder() {
        for (int size : new int[] {1, 7, 257}) {
            double[] w = randomWeights(size, size, 0.3);
            w[0] = 0.5;
            int support = WeightedSampler.support(w);
            for (int n : new int[] {0, 1, support / 2, support}) {
                for (long seed = 0; seed < 20; seed++) {
                    int[] picks = WeightedSampler.sample(w, n, seed);
                    assertEquals(n, picks.length);
                    for (int k = 0; k < n; k++) {
                        assertTrue(w[picks[k]] > 0, "row " + picks[k] + " has weight 0");
                        assertTrue(k == 0 || picks[k] > picks[k - 1], Arrays.toString(picks));
                    }
                }
            }
            // n = support: every positive row, whatever the seed.
            int[] all = WeightedSampler.sample(w, support, 7);
            assertArrayEquals(java.util.stream.IntStream.range(0, size).filter(i -> w[i] > 0)
                    .toArray(), all);
        }
    }

    @Test
    void oneDrawFollowsTheWeightsExactly() {
        // Chi-square over 20,000 seeded single draws; zero-weight rows never come up.
        double[] w = {0.05, 0.3, 0, 0.1, 0.02, 0.2, 0, 0.13, 0.1, 0.1};
        int trials = 20_000;
        int[] counts = new int[w.length];
        for (long seed = 0; seed < trials; seed++) {
            counts[WeightedSampler.sample(w, 1, seed)[0]]++;
        }
        double chi2 = 0;
        int cells = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == 0) {
                assertEquals(0, counts[i], "row " + i + " has weight 0");
                continue;
            }
            double expected = trials * w[i];
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            cells++;
        }
        // 7 degrees of freedom: P(chi2 > 29.9) = 1e-4.
        assertEquals(8, cells);
        assertTrue(chi2 < 29.9, "chi-square " + chi2 + " for counts " + Arrays.toString(counts));
    }

    @Test
    void twoDrawsMatchSuccessiveSamplingInclusionProbabilities() {
        // Without replacement, P(i in sample of 2) = w_i + sum_{j != i} w_j w_i / (1 - w_j).
        double[] w = normalised(new double[] {1, 2, 3, 4, 0, 6, 8, 1.5, 0.5, 10});
        double[] p = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            p[i] = w[i];
            for (int j = 0; j < w.length; j++) {
                if (j != i) {
                    p[i] += w[j] * w[i] / (1 - w[j]);
                }
            }
        }
        assertEquals(2.0, Arrays.stream(p).sum(), 1e-12);
        int trials = 20_000;
        int[] counts = new int[w.length];
        for (long seed = 0; seed < trials; seed++) {
            for (int i : WeightedSampler.sample(w, 2, 1_000_000 + seed)) {
                counts[i]++;
            }
        }
        for (int i = 0; i < w.length; i++) {
            double f = (double) counts[i] / trials;
            double sd = Math.sqrt(p[i] * (1 - p[i]) / trials);
            assertTrue(Math.abs(f - p[i]) <= 5 * sd + 1e-12, "row " + i + ": frequency " + f
                    + ", inclusion probability " + p[i]);
        }
    }

    @Test
    void smallSamplesFromALargeSupportAreNearlyProportional() {
        // n = 5 of 200 rows whose largest weight is 1.6%: inclusion ~ n w_i (within 12%
        // relative, and statistically for each of the ten heaviest rows).
        Random r = new Random(5);
        double[] w = new double[200];
        for (int i = 0; i < w.length; i++) {
            w[i] = 0.5 + r.nextDouble() * 3;
        }
        w = normalised(w);
        int trials = 8_000;
        int[] counts = new int[w.length];
        for (long seed = 0; seed < trials; seed++) {
            for (int i : WeightedSampler.sample(w, 5, seed)) {
                counts[i]++;
            }
        }
        double chi2 = 0;
        for (int i = 0; i < w.length; i++) {
            double expected = trials * 5 * w[i];
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        // 199 degrees of freedom: mean 199, sd 20; a wrong sampler gives thousands.
        assertTrue(chi2 < 300, "chi-square " + chi2);
    }

    @Test
    void tinyWeightsStayComparableInLogSpace() {
        // u^(1/w) underflows to 0 for both rows here, so a direct implementation would always
        // pick row 0; in log space each row is picked about half the time.
        double[] w = {1e-300, 1e-300, 0, Double.MIN_VALUE};
        int first = 0;
        int trials = 2_000;
        for (long seed = 0; seed < trials; seed++) {
            int[] pick = WeightedSampler.sample(w, 1, seed);
            assertTrue(pick[0] == 0 || pick[0] == 1, "row " + pick[0]);
            first += pick[0] == 0 ? 1 : 0;
        }
        assertTrue(Math.abs(first - trials / 2) < 5 * Math.sqrt(trials / 4.0), first + " of " + trials);
        for (double k : WeightedSampler.keys(w, 3)) {
            assertFalse(Double.isNaN(k));
        }
        assertArrayEquals(new int[] {0, 1, 3}, WeightedSampler.sample(w, 3, 9),
                "a subnormal weight is still positive and drawable");
    }

    @Test
    void largeFractionsOfTheSupportAreNotProportional() {
        // Documented behaviour: with n close to the support, heavy rows saturate at inclusion 1
        // and light rows are included far more often than n w_i.
        double[] w = normalised(new double[] {100, 1, 1, 1, 1});
        int light = 0;
        int trials = 2_000;
        for (long seed = 0; seed < trials; seed++) {
            int[] picks = WeightedSampler.sample(w, 4, seed);
            light += picks.length - (picks[0] == 0 ? 1 : 0);
        }
        double lightInclusion = light / (4.0 * trials);
        assertTrue(lightInclusion > 0.7, "each light row is in ~3/4 of the samples, got "
                + lightInclusion + " (n w_i would be " + 4 * w[1] + ")");
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> WeightedSampler.sample(new double[] {1, 0, 2}, 3, 0));
        assertEquals("cannot draw 3 rows without replacement from 2 rows with positive weight",
                tooMany.getMessage());
        for (double bad : new double[] {-1e-9, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedSampler.sample(new double[] {1, bad}, 1, 0));
            assertTrue(e.getMessage().startsWith("weight " + bad + " of row 1"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> WeightedSampler.sample(new double[] {1}, -1, 0));
    }

    @Test
    void withReplacementCountsAreProportionalToTheWeightsAtAnyN() {
        double[] w = {0, 3, 0, 1, 0.5, 0, 5.5, 0};
        double sum = 10;
        int n = 200_000;
        int[] picks = WeightedSampler.sampleWithReplacement(w, n, 9);
        assertEquals(n, picks.length);
        int[] counts = new int[w.length];
        for (int i = 0; i < n; i++) {
            counts[picks[i]]++;
            if (i > 0) {
                assertTrue(picks[i - 1] <= picks[i], "increasing order");
            }
        }
        for (int i = 0; i < w.length; i++) {
            double expected = n * w[i] / sum;
            // Five binomial standard deviations; exactly 0 for a weight of 0.
            double sd = Math.sqrt(n * (w[i] / sum) * (1 - w[i] / sum));
            assertEquals(expected, counts[i], 5 * sd + 1e-9, "row " + i);
        }
        assertArrayEquals(picks, WeightedSampler.sampleWithReplacement(w, n, 9), "seeded");
        assertFalse(Arrays.equals(picks, WeightedSampler.sampleWithReplacement(w, n, 10)));
        // More draws than rows, from a single positive row.
        assertArrayEquals(new int[] {2, 2, 2, 2, 2},
                WeightedSampler.sampleWithReplacement(new double[] {0, 0, 1e-300, 0}, 5, 1));
        assertThrows(IllegalArgumentException.class,
                () -> WeightedSampler.sampleWithReplacement(new double[] {0, 0}, 1, 1));
        assertEquals(0, WeightedSampler.sampleWithReplacement(new double[] {0}, 0, 1).length);
    }

    /**
     * Finite weights whose sum overflows: the draws follow the weights' shares (every target
     * was u times infinity, so all 10,000 draws took the last row).
     */
    @Test
    void withReplacementDrawsFollowWeightsWhoseSumOverflows() {
        double max = Double.MAX_VALUE;
        double[] w = {max, 0, max / 2, 1, max};
        int n = 20_000;
        int[] counts = new int[w.length];
        for (int pick : WeightedSampler.sampleWithReplacement(w, n, 4)) {
            counts[pick]++;
        }
        double[] share = {0.4, 0, 0.2, 0, 0.4};
        for (int i = 0; i < w.length; i++) {
            double sd = Math.sqrt(n * share[i] * (1 - share[i]));
            assertEquals(n * share[i], counts[i], 5 * sd + 1e-9, "row " + i);
        }
    }
}
