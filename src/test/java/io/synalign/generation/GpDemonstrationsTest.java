package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every prompt's demonstration group holds {@code min(G, n)} distinct rows: the selector's last
 * group of a coverage round (only the rows still uncovered) is completed by its pick's nearest
 * rows, checked against a brute-force ranking in double.
 */
class GpDemonstrationsTest {

    @Test
    void shortGroupsAreCompletedByThePicksNearestRowsAndFullGroupsKept() {
        float[][] rows = {{0f, 0f}, {10f, 0f}, {0.5f, 0f}, {9f, 0f}, {0.5f, 0f}, {3f, 4f}};
        FloatMatrix x = FloatMatrix.zeros(rows.length, 2);
        for (int i = 0; i < rows.length; i++) {
            x.data()[2 * i] = rows[i][0];
            x.data()[2 * i + 1] = rows[i][1];
        }
        int[] full = {0, 2, 4};
        List<int[]> got = GpDemonstrations.filled(x, List.of(full, new int[] {1}, new int[] {5, 1}), 3);
        assertSame(full, got.get(0), "a full group is kept as it is");
        assertArrayEquals(new int[] {1, 3, 5}, got.get(1), "10 -> 9 (1 away), then (3, 4) at 7.6");
        // From (3, 4): (0.5, 0) and (0.5, 0) tie at 4.72; the lower index comes first.
        assertArrayEquals(new int[] {5, 1, 2}, got.get(2));
        assertArrayEquals(new int[] {1, 3}, GpDemonstrations.filled(x, List.of(new int[] {1}), 2).get(0));
        // G beyond n: every row, the pick first.
        assertEquals(6, GpDemonstrations.filled(x, List.of(new int[] {4}), 9).get(0).length);
    }

    @Test
    void theSelectorsGroupsOfEveryRoundHoldGRowsInGeneration() {
        Random random = new Random(3);
        int n = 7;
        FloatMatrix x = FloatMatrix.zeros(n, 5);
        for (int i = 0; i < x.data().length; i++) {
            x.data()[i] = (float) random.nextGaussian();
        }
        try (KernelBackend backend = KernelBackends.create("reference")) {
            LabelRows label = new LabelRows("a", List.of("1", "2", "3", "4", "5", "6", "7"),
                    List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L));
            List<int[]> groups = new GpDemonstrations(backend, 3).choose(label, x, 7, 0, 11);
            assertEquals(7, groups.size());
            for (int[] g : groups) {
                assertEquals(3, g.length);
                Set<Integer> distinct = new HashSet<>();
                for (int r : g) {
                    distinct.add(r);
                }
                assertEquals(3, distinct.size(), "distinct rows in a group");
            }
        }
    }
}
