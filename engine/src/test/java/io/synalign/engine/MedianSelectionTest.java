package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The median heuristic's selection equals what a full sort puts at each rank. */
class MedianSelectionTest {

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
                double got = MedianHeuristic.select(work, n, k);
                assertEquals(sorted[k], got, 0.0, "kind " + kind + ", rank " + k);
                for (int i = 0; i < k; i++) {
                    assertEquals(true, work[i] <= got, "below the rank: " + work[i]);
                }
                for (int i = k + 1; i < n; i++) {
                    assertEquals(true, work[i] >= got, "above the rank: " + work[i]);
                }
            }
        }
    }
}
