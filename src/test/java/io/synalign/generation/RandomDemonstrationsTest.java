package io.synalign.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code --demos random}: groups of {@code min(G, n)} distinct rows, no set of rows shown twice
 * for a label (across its batches and within one) while an unshown set exists, reproducible from
 * the seed, and a group whose first draw is new equal to the independent draw of before.
 */
class RandomDemonstrationsTest {

    private static LabelRows label(int n) {
        List<String> texts = new ArrayList<>();
        List<Long> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("row " + i);
            lines.add(i + 1L);
        }
        return new LabelRows("a", texts, lines);
    }

    /** The chooser ignores the embeddings; any matrix of n rows. */
    private static FloatMatrix x(int n) {
        return FloatMatrix.zeros(n, 2);
    }

    private static List<Integer> set(int[] group) {
        return Arrays.stream(group).sorted().boxed().toList();
    }

    /**
     * The draw of before, written out again: group g of batch b is the first {@code size} places
     * of a partial Fisher-Yates shuffle seeded with {@code Seeds.mix(seed, b, g, 3)}.
     */
    private static int[] independentDraw(long seed, int batch, int g, int n, int size) {
        SplittableRandom random = new SplittableRandom(Seeds.mix(seed, batch, g, 3));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        for (int i = 0; i < size; i++) {
            int j = i + random.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return Arrays.copyOf(order, size);
    }

    /**
     * Runs batches of the given sizes as the generator asks for them (each with the groups
     * before) and checks each batch: reproducible, {@code size} distinct rows a group, no set
     * repeated while fewer than {@code sets} were shown. Returns every group in order.
     */
    private static List<int[]> batches(int n, int groupSize, long seed, int sets, int... sizes) {
        RandomDemonstrations random = new RandomDemonstrations(groupSize);
        int size = Math.min(groupSize, n);
        List<int[]> before = new ArrayList<>();
        Set<List<Integer>> shown = new HashSet<>();
        for (int batch = 0; batch < sizes.length; batch++) {
            List<int[]> chosen = random.choose(label(n), x(n), sizes[batch], batch, seed,
                    List.copyOf(before));
            List<int[]> again = random.choose(label(n), x(n), sizes[batch], batch, seed,
                    List.copyOf(before));
            assertEquals(sizes[batch], chosen.size());
            for (int g = 0; g < chosen.size(); g++) {
                int[] group = chosen.get(g);
                assertArrayEquals(group, again.get(g), "reproducible");
                assertEquals(size, group.length);
                assertEquals(size, set(group).stream().distinct().count(), Arrays.toString(group));
                assertTrue(Arrays.stream(group).allMatch(r -> r >= 0 && r < n), Arrays.toString(group));
                boolean isNew = shown.add(set(group));
                assertTrue(isNew || shown.size() == sets, "seed " + seed + ", batch " + batch
                        + " group " + g + " shows " + set(group) + " again, " + shown.size()
                        + " of " + sets + " sets shown");
            }
            before.addAll(chosen);
        }
        return before;
    }

    /**
     * 8 rows in groups of 3 (56 sets), batches of 8, 2, 8 and 5 groups as the generator asks
     * for them: no set twice. The independent draws of before showed one twice for most seeds.
     */
    @Test
    void noSetIsShownTwiceAcrossBatchesOrWithinOne() {
        for (long seed = 0; seed < 20; seed++) {
            batches(8, 3, seed, 56, 8, 2, 8, 5);
        }
    }

    /**
     * Every set shown, then repeats: 5 rows in groups of 3 (10 sets) over 3 batches of 5; and
     * 30 rows in pairs, all 435 sets in 15 batches of 30 (the last groups of it found by the
     * enumeration of the unshown sets after {@value RandomDemonstrations#DRAWS} draws).
     */
    @Test
    void everySetIsShownBeforeAnyRepeats() {
        for (long seed = 0; seed < 5; seed++) {
            List<int[]> all = batches(5, 3, seed, 10, 5, 5, 5);
            assertEquals(10, all.subList(0, 10).stream().map(RandomDemonstrationsTest::set)
                    .distinct().count());
        }
        int[] fifteen = new int[15];
        Arrays.fill(fifteen, 30);
        List<int[]> pairs = batches(30, 2, 3, 435, fifteen);
        assertEquals(435, pairs.subList(0, 435).stream().map(RandomDemonstrationsTest::set)
                .distinct().count());
    }

    /** Fewer rows than G: every group is all of them, in a drawn order, repeated. */
    @Test
    void aLabelWithAtMostGRowsShowsItsOneSetEachTime() {
        for (int n : new int[] {1, 2, 3}) {
            for (int[] group : batches(n, 3, 4, 1, n, n)) {
                assertEquals(n, group.length);
            }
        }
    }

    /**
     * Batch 0 of a label with many rows draws the groups of before (none of its first draws
     * repeats a set); where a first draw repeats an earlier set, only that group changes.
     */
    @Test
    void groupsWhoseFirstDrawIsNewAreTheIndependentDrawsOfBefore() {
        int n = 40;
        List<int[]> batch0 = new RandomDemonstrations(3).choose(label(n), x(n), 12, 0, 17, List.of());
        for (int g = 0; g < 12; g++) {
            assertArrayEquals(independentDraw(17, 0, g, n, 3), batch0.get(g), "group " + g);
        }
        // Batch 1 is told that its group 2's first draw was shown: that group is redrawn.
        int[] seen = independentDraw(17, 1, 2, n, 3);
        List<int[]> earlier = new ArrayList<>(batch0);
        earlier.add(new int[] {seen[2], seen[0], seen[1]}); // a set, in any order
        List<int[]> batch1 = new RandomDemonstrations(3).choose(label(n), x(n), 5, 1, 17, earlier);
        for (int g = 0; g < 5; g++) {
            if (g == 2) {
                assertTrue(!set(batch1.get(g)).equals(set(seen)), Arrays.toString(batch1.get(g)));
            } else {
                assertArrayEquals(independentDraw(17, 1, g, n, 3), batch1.get(g), "group " + g);
            }
        }
    }

    /** The r-th unshown set in lexicographic order, against a filter of every set. */
    @Test
    void theEnumerationOfUnshownSetsSkipsTheShownOnesInOrder() {
        int n = 6;
        int size = 3;
        List<List<Integer>> every = new ArrayList<>();
        for (int mask = 0; mask < 1 << n; mask++) {
            if (Integer.bitCount(mask) == size) {
                List<Integer> s = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if ((mask & 1 << i) != 0) {
                        s.add(i);
                    }
                }
                every.add(s);
            }
        }
        every.sort((a, b) -> {
            for (int i = 0; i < size; i++) {
                if (!a.get(i).equals(b.get(i))) {
                    return Integer.compare(a.get(i), b.get(i));
                }
            }
            return 0;
        });
        assertEquals(20, every.size());
        SplittableRandom random = new SplittableRandom(5);
        Set<List<Integer>> shown = new HashSet<>();
        for (List<Integer> s : every) {
            if (random.nextInt(3) == 0) {
                shown.add(s);
            }
        }
        List<List<Integer>> unshown = every.stream().filter(s -> !shown.contains(s)).toList();
        assertTrue(unshown.size() > 5 && unshown.size() < 20, unshown.toString());
        for (int r = 0; r < unshown.size(); r++) {
            assertEquals(unshown.get(r), set(RandomDemonstrations.unshown(n, size, r, shown)), "r = " + r);
        }
    }
}
