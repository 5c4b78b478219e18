package io.synalign.generation;

import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * SynAlign's exploration-aware sampling: the groups of {@link ExplorationSelector} (GP
 * posterior variance over the label's embeddings, each group far from those picked before), with
 * {@link LlmSampleGenerator#selectionConfig}.
 *
 * <p>All batches of a label share one selection: batch b's groups are the selection's groups
 * after the ones earlier batches used, so a later batch continues the exploration instead of
 * starting over. (A fresh selection per batch knew nothing of the groups sent before and
 * resent them word for word: at 8 rows a label and the default quota, batch 1's two groups were
 * two of batch 0's eight.) The selector is deterministic and online, so the continuation is
 * re-derived from the label's seed by selecting the earlier batches' picks again
 * (reproducible, no state kept between calls).
 *
 * <p>A group whose rows, as a set, were already shown (by an earlier batch or earlier in this
 * one: the selector's coverage rounds can meet a set again) is replaced, while a set not yet
 * shown exists, by the first unshown set around the same pick: the pick with G-1 other rows,
 * taken from the rows by distance to the pick (double, ties to the lower index) in
 * lexicographic order of their ranks, so the nearest rows are swapped out last. When every set
 * holding the pick was shown, the other rows are tried as pivots, nearest to the pick first.
 * Only when every set of {@code min(G, n)} rows was shown (n at most G, say) does a set repeat.
 *
 * <p>Cost per call: one selection of {@code earlier + groups} picks,
 * O((earlier + groups) G (n d + n t)), plus O(n d + n log n) and at most
 * O(n (earlier + groups)) set look-ups per replaced group.
 */
public final class GpDemonstrations implements DemonstrationChooser {

    private final KernelBackend backend;
    private final int groupSize;

    public GpDemonstrations(KernelBackend backend, int groupSize) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("demonstrations per prompt must be at least 1, got " + groupSize);
        }
        this.backend = backend;
        this.groupSize = groupSize;
    }

    @Override
    public List<int[]> choose(LabelRows rows, FloatMatrix x, int groups, int batch, long labelSeed,
            List<int[]> earlier) {
        int n = rows.size();
        int size = Math.min(groupSize, n);
        List<int[]> selected = filled(x, new ExplorationSelector(backend,
                LlmSampleGenerator.selectionConfig(labelSeed, n, groupSize))
                .select(x, earlier.size() + groups, null).groups(), groupSize);
        Set<List<Integer>> shown = new HashSet<>();
        for (int[] g : earlier) {
            shown.add(key(g));
        }
        long sets = binomial(n, size, Integer.MAX_VALUE);
        List<int[]> out = new ArrayList<>(groups);
        for (int[] g : selected.subList(earlier.size(), selected.size())) {
            int[] group = shown.contains(key(g)) && shown.size() < sets ? unshown(x, g[0], size, shown) : g;
            shown.add(key(group));
            out.add(group);
        }
        return out;
    }

    /**
     * The first set of {@code size} rows not in {@code shown}, around {@code pick} (see the class
     * comment); the caller has checked that one exists.
     */
    static int[] unshown(FloatMatrix x, int pick, int size, Set<List<Integer>> shown) {
        int n = x.rows();
        for (int pivot : SteeredDemonstrations.nearest(x, pick, n)) {
            int[] byDistance = SteeredDemonstrations.nearest(x, pivot, n);
            int r = size - 1;
            int[] rank = new int[r]; // ranks into byDistance[1..], ascending
            for (int i = 0; i < r; i++) {
                rank[i] = i + 1;
            }
            while (true) {
                int[] group = new int[size];
                group[0] = pivot;
                for (int i = 0; i < r; i++) {
                    group[i + 1] = byDistance[rank[i]];
                }
                if (!shown.contains(key(group))) {
                    return group;
                }
                // The next combination in lexicographic order: raise the last rank that can rise.
                int i = r - 1;
                while (i >= 0 && rank[i] == n - r + i) {
                    i--;
                }
                if (i < 0) {
                    break;
                }
                rank[i]++;
                for (int j = i + 1; j < r; j++) {
                    rank[j] = rank[j - 1] + 1;
                }
            }
        }
        throw new IllegalStateException("every set of " + size + " of " + n + " rows was shown");
    }

    /** A group as a set of rows. */
    private static List<Integer> key(int[] group) {
        return Arrays.stream(group).sorted().boxed().toList();
    }

    /** n choose k, or {@code cap} when it is larger. */
    static long binomial(int n, int k, long cap) {
        long c = 1;
        for (int i = 1; i <= k; i++) {
            // c * (n - k + i) / i is exact: c = C(n - k + i - 1, i - 1).
            c = c * (n - k + i) / i;
            if (c >= cap) {
                return cap;
            }
        }
        return c;
    }

    /**
     * The selector's groups as a prompt shows them: each of {@code min(size, n)} rows (the last
     * group of a coverage round completed by its pick's nearest rows,
     * {@link ExplorationSelector#completedGroups}); a prompt of one demonstration where three
     * were asked for and four exist is not what {@code --demos-per-prompt} promises.
     */
    static List<int[]> filled(FloatMatrix x, List<int[]> groups, int size) {
        return ExplorationSelector.completedGroups(x, groups, size);
    }

    @Override
    public String name() {
        return "gp";
    }
}
