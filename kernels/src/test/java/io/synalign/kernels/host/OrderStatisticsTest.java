package io.synalign.kernels.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Selection and the median equal, bit for bit, what a full sort ({@link Arrays#sort(double[])})
 * gives: at every probed rank, with ties, signed zeros, extremes, sorted and reversed inputs.
 */
class OrderStatisticsTest {

    @ParameterizedTest(name = "n = {0}")
    @ValueSource(ints = {1, 2, 3, 7, 100, 1001, 40000})
    void selectionEqualsTheSortedValueAtEveryProbedRank(int n) {
        Random random = new Random(n);
        for (int kind = 0; kind < 4; kind++) {
            double[] values = new double[n];
            for (int i = 0; i < n; i++) {
                values[i] = switch (kind) {
                    case 0 -> random.nextDouble();
                    case 1 -> Math.floor(5 * random.nextDouble()); // many ties
                    case 2 -> i; // already sorted
                    default -> n - i; // reversed
                };
            }
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            for (int k : new int[] {0, n / 2, Math.max(0, n / 2 - 1), n - 1, n / 3}) {
                double[] work = values.clone();
                double got = OrderStatistics.select(work, n, k);
                assertEquals(sorted[k], got, 0.0, "kind " + kind + ", rank " + k);
                for (int i = 0; i < k; i++) {
                    assertTrue(Double.compare(work[i], got) <= 0, "below the rank: " + work[i]);
                }
                for (int i = k + 1; i < n; i++) {
                    assertTrue(Double.compare(work[i], got) >= 0, "above the rank: " + work[i]);
                }
            }
        }
    }

    private static double sortedMedian(double[] c) {
        double[] s = c.clone();
        Arrays.sort(s);
        int n = s.length;
        return (n & 1) == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @Test
    void theMedianIsTheSortedArraysBitForBitWithTiesAndSignedZeros() {
        Random random = new Random(7);
        double[] pool = {0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, Double.MAX_VALUE, -Double.MAX_VALUE,
            Double.MIN_VALUE, -Double.MIN_VALUE, 3.5, 3.5};
        for (int trial = 0; trial < 20_000; trial++) {
            int n = 1 + random.nextInt(trial < 10_000 ? 12 : 3000);
            double[] c = new double[n];
            int mode = random.nextInt(3);
            for (int i = 0; i < n; i++) {
                c[i] = mode == 0 ? random.nextGaussian()
                        : mode == 1 ? pool[random.nextInt(pool.length)]
                        : (float) random.nextInt(5) - 2;
            }
            double expected = sortedMedian(c);
            double got = OrderStatistics.median(c.clone(), n);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got),
                    () -> "n " + n + ": " + Arrays.toString(c));
        }
    }

    @Test
    void aMedianOfOnlyTheFirstCountValues() {
        double[] a = {5, 1, 4, 100, -100};
        assertEquals(4.0, OrderStatistics.median(a.clone(), 3));
        assertEquals(4.5, OrderStatistics.median(new double[] {5, 1, 4, 6, 1e9}, 4));
    }

    @Test
    void badRanksAndCountsAreRefused() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> OrderStatistics.median(new double[3], 0));
        org.junit.jupiter.api.Assertions.assertTrue(none.getMessage().contains("median of 0"),
                none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OrderStatistics.select(new double[3], 3, 3));
        assertThrows(IllegalArgumentException.class, () -> OrderStatistics.select(new double[3], 4, 0));
    }
}
