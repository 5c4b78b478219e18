package io.synalign.generation;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random demonstration groups, the ablation of exploration-aware sampling: group g of batch b
 * holds {@code min(G, n)} distinct rows drawn uniformly with the seed
 * {@code Seeds.mix(labelSeed, b, g, 3)} (a partial Fisher-Yates shuffle), independently of the
 * groups before it, which it may repeat: the ablation draws without exploration's memory. Cost
 * O(n) per group.
 */
public final class RandomDemonstrations implements DemonstrationChooser {

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
        List<int[]> out = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            SplittableRandom random = new SplittableRandom(Seeds.mix(labelSeed, batch, g, 3));
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
            out.add(java.util.Arrays.copyOf(order, size));
        }
        return out;
    }

    @Override
    public String name() {
        return "random";
    }
}
