package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.Arrays;
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

    /** Rows of a label: standard normal in 5 dimensions. */
    private static FloatMatrix gaussian(int n, long seed) {
        Random random = new Random(seed);
        FloatMatrix x = FloatMatrix.zeros(n, 5);
        for (int i = 0; i < x.data().length; i++) {
            x.data()[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static LabelRows label(int n) {
        List<String> texts = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("row " + i);
            lines.add(i + 1L);
        }
        return new LabelRows("a", texts, lines);
    }

    private static List<Integer> set(int[] group) {
        return Arrays.stream(group).sorted().boxed().toList();
    }

    /**
     * Batches of a label as the generator asks for them (8 rows, G = 3, 8 groups, then 2, then
     * 8): no set of rows is shown twice, while 56 exist. A fresh selection per batch resent
     * batch 0's groups. Each batch is a function of the seed and the groups before it.
     */
    @Test
    void laterBatchesShowGroupsNotShownBefore() {
        int n = 8;
        FloatMatrix x = gaussian(n, 5);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            for (long seed : new long[] {1, 2, 3, 4, 5}) {
                GpDemonstrations gp = new GpDemonstrations(backend, 3);
                List<int[]> before = new ArrayList<>();
                Set<List<Integer>> sets = new HashSet<>();
                int batch = 0;
                for (int groups : new int[] {8, 2, 8}) {
                    List<int[]> chosen = gp.choose(label(n), x, groups, batch, seed, List.copyOf(before));
                    assertEquals(groups, chosen.size());
                    List<int[]> again = gp.choose(label(n), x, groups, batch, seed, List.copyOf(before));
                    for (int g = 0; g < groups; g++) {
                        assertArrayEquals(chosen.get(g), again.get(g), "reproducible");
                        assertEquals(3, chosen.get(g).length);
                        assertEquals(3, set(chosen.get(g)).stream().distinct().count());
                        assertTrue(sets.add(set(chosen.get(g))), "seed " + seed + ", batch " + batch
                                + " group " + g + " shows " + set(chosen.get(g)) + " again");
                    }
                    before.addAll(chosen);
                    batch++;
                }
            }
        }
    }

    /**
     * Batch 1 continues batch 0's selection: its groups are the selection's next groups where
     * those are new sets (here the selector of 10 picks over 30 rows repeats no set).
     */
    @Test
    void aLaterBatchContinuesTheSelectionOfTheBatchesBefore() {
        int n = 30;
        FloatMatrix x = gaussian(n, 8);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            GpDemonstrations gp = new GpDemonstrations(backend, 3);
            List<int[]> all = gp.choose(label(n), x, 10, 0, 4, List.of());
            assertEquals(10, all.stream().map(GpDemonstrationsTest::set).distinct().count());
            List<int[]> first = gp.choose(label(n), x, 6, 0, 4, List.of());
            List<int[]> second = gp.choose(label(n), x, 4, 1, 4, first);
            for (int g = 0; g < 10; g++) {
                assertArrayEquals(all.get(g), g < 6 ? first.get(g) : second.get(g - 6), "group " + g);
            }
        }
    }

    /**
     * A shown set is replaced by the pick with the nearest rows that make a new set, in
     * lexicographic order of their distance ranks; once every set holding the pick was shown,
     * another row is the pivot; once every set was, a set repeats.
     */
    @Test
    void aShownSetIsReplacedByTheNearestUnshownSetAroundItsPick() {
        // Rows on a line at 0, 1, 3, 6, 10: from row 0, rows 1, 2, 3, 4 by distance.
        FloatMatrix x = FloatMatrix.of(new double[][] {{0}, {1}, {3}, {6}, {10}});
        Set<List<Integer>> shown = new HashSet<>(List.of(List.of(0, 1, 2)));
        assertArrayEquals(new int[] {0, 1, 3}, GpDemonstrations.unshown(x, 0, 3, shown));
        shown.add(List.of(0, 1, 3));
        shown.add(List.of(0, 1, 4));
        assertArrayEquals(new int[] {0, 2, 3}, GpDemonstrations.unshown(x, 0, 3, shown));
        shown.addAll(List.of(List.of(0, 2, 3), List.of(0, 2, 4), List.of(0, 3, 4)));
        // Every set with row 0 shown: row 1 (nearest to 0) pivots; from 1: 0 (1), 2 (2), 3 (5).
        assertArrayEquals(new int[] {1, 2, 3}, GpDemonstrations.unshown(x, 0, 3, shown));
        assertEquals(10, GpDemonstrations.binomial(5, 3, Integer.MAX_VALUE));
        assertEquals(7, GpDemonstrations.binomial(50, 25, 7));

        // 4 rows in groups of 3: 4 sets, then repeats; 2 rows in groups of 3: one set, always.
        try (KernelBackend backend = KernelBackends.create("reference")) {
            GpDemonstrations gp = new GpDemonstrations(backend, 3);
            List<int[]> four = gp.choose(label(4), gaussian(4, 6), 6, 0, 9, List.of());
            assertEquals(4, four.subList(0, 4).stream().map(GpDemonstrationsTest::set).distinct().count());
            List<int[]> two = gp.choose(label(2), gaussian(2, 6), 3, 0, 9, List.of());
            for (int[] g : two) {
                assertEquals(List.of(0, 1), set(g));
            }
        }
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
            List<int[]> groups = new GpDemonstrations(backend, 3).choose(label, x, 7, 0, 11, List.of());
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
