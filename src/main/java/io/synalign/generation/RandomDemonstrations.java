package io.synalign.generation;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Random demonstration groups, the ablation of exploration-aware sampling: each group is a set
 * of {@code min(G, n)} distinct rows drawn uniformly from the label's sets not shown yet (by an
 * earlier batch of the label or earlier in this batch), without the GP's notion of where the
 * rows lie. (Each group was drawn independently before: at 8 rows and G = 3, 23 groups showed
 * one of the 56 sets twice with probability 0.995, two prompts with the same examples.) Once
 * every set was shown (a label of at most G rows has one), a group is drawn from all sets again,
 * and sets repeat.
 *
 * <p>Group g of batch b draws with the random stream {@code Seeds.mix(labelSeed, b, g, 3)}:
 * {@code min(G, n)} rows by a partial Fisher-Yates shuffle, redrawn from the same stream while
 * the set was shown, which is rejection sampling of the unshown sets. A batch is thus a
 * function of the seed and the earlier groups (re-derived, no state kept between calls), and a
 * group whose first draw is new is the group the independent draws gave: batch 0 of a label
 * with many rows is unchanged. A shuffled deck (every row once per cycle) would also spread the
 * rows, but that coverage is what the GP adds and the ablation leaves out.
 *
 * <p>When {@value #DRAWS} draws of one group all meet shown sets (most sets were shown: few
 * exist), the group is the r-th unshown set in lexicographic order, r uniform from the same
 * stream (then listed in an order from it), so the group is still uniform over the unshown
 * sets and the cost bounded.
 *
 * <p>Cost per group: O(n) per draw, about {@code C / (C - s)} draws for C sets of which s were
 * shown, at most {@value #DRAWS}, then O(C G) for the enumeration (reached only when C is at
 * most about s times a small factor).
 */
public final class RandomDemonstrations implements DemonstrationChooser {

    /** Draws of one group before its unshown sets are enumerated. */
    static final int DRAWS = 64;

    private final int groupSize;

    public RandomDemonstrations(int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("demonstrations per prompt must be at least 1, got " + groupSize);
        }
        this.groupSize = groupSize;
    }

    @Override
    public List<int[]> choose(LabelRows rows, FloatMatrix x, int groups, int batch, long labelSeed,
            List<int[]> earlier) {
        int n = rows.size();
        int size = Math.min(groupSize, n);
        // Capped where it cannot be reached: that many groups would not fit in memory.
        long sets = GpDemonstrations.binomial(n, size, Integer.MAX_VALUE);
        Set<List<Integer>> shown = new HashSet<>();
        for (int[] g : earlier) {
            if (g.length == size) {
                shown.add(key(g));
            }
        }
        List<int[]> out = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(labelSeed, batch, g, 3));
            boolean allShown = shown.size() >= sets;
            int[] group = draw(random, n, size);
            for (int tries = 1; !allShown && shown.contains(key(group)); tries++) {
                group = tries < DRAWS ? draw(random, n, size)
                        : shuffled(random, unshown(n, size, random.nextLong(sets - shown.size()), shown));
            }
            shown.add(key(group));
            out.add(group);
        }
        return out;
    }

    /** {@code size} distinct rows of {@code n} in draw order: a partial Fisher-Yates shuffle. */
    private static int[] draw(SplittableRandom random, int n, int size) {
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

    /** {@code group} in a random order, as a draw would list it (Fisher-Yates, in place). */
    private static int[] shuffled(SplittableRandom random, int[] group) {
        for (int i = group.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = group[i];
            group[i] = group[j];
            group[j] = t;
        }
        return group;
    }

    /**
     * The {@code r}-th (from 0) set of {@code size} of {@code n} rows, in lexicographic order of
     * the sorted sets, that is not in {@code shown}; the caller has checked that there are more
     * than {@code r}.
     */
    static int[] unshown(int n, int size, long r, Set<List<Integer>> shown) {
        int[] set = new int[size];
        for (int i = 0; i < size; i++) {
            set[i] = i;
        }
        long left = r;
        while (true) {
            if (!shown.contains(key(set)) && left-- == 0) {
                return set;
            }
            // The next combination: raise the last index that can rise, the ones after it
            // following on.
            int i = size - 1;
            while (i >= 0 && set[i] == n - size + i) {
                i--;
            }
            if (i < 0) {
                throw new IllegalStateException("fewer than " + (r + 1) + " unshown sets of "
                        + size + " of " + n + " rows");
            }
            set[i]++;
            for (int j = i + 1; j < size; j++) {
                set[j] = set[j - 1] + 1;
            }
        }
    }

    /** A group as a set of rows. */
    private static List<Integer> key(int[] group) {
        return Arrays.stream(group).sorted().boxed().toList();
    }

    @Override
    public String name() {
        return "random";
    }
}
