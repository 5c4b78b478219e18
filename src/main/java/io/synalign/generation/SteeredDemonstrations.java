package io.synalign.generation;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Demonstrations where the synthetic data covers the real data worst, for the closed loop's
 * rounds after the first. Per label, the real rows are ranked by a coverage gap (the MMD witness
 * of the real rows against the synthetic rows so far under their weights: large where real mass
 * has no synthetic counterpart), largest first, ties by row. The groups of a label's batches walk
 * down that ranking: group g of a batch is seeded at the row of rank {@code (c + g) mod n}, where
 * c counts the label's groups of earlier batches (0 for the first), and filled with the
 * {@code min(G, n) - 1} real rows of the label nearest to the seed (Euclidean distance between
 * embeddings, in double; ties by row), so each prompt shows one under-covered region and a
 * later batch never repeats an earlier prompt while ranks remain. Cost O(n d) per group.
 */
public final class SteeredDemonstrations implements DemonstrationChooser {

    private final int groupSize;
    private final Map<String, double[]> gaps;
    private final Map<String, String> hints;

    /**
     * @param gaps per label (null key: unlabelled rows), one gap per real row of the label
     * @param hints per label, what stage 1 is told about the gap (may lack a label)
     */
    public SteeredDemonstrations(int groupSize, Map<String, double[]> gaps, Map<String, String> hints) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("demonstrations per prompt must be at least 1, got " + groupSize);
        }
        this.groupSize = groupSize;
        this.gaps = new HashMap<>(gaps);
        this.hints = new HashMap<>(hints);
    }

    /** The real rows of a label by gap, largest first, ties by row. */
    public static int[] ranking(double[] gap) {
        return java.util.stream.IntStream.range(0, gap.length).boxed()
                .sorted((a, b) -> {
                    int c = Double.compare(gap[b], gap[a]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .mapToInt(Integer::intValue).toArray();
    }

    @Override
    public List<int[]> choose(LabelRows rows, FloatMatrix x, int groups, int batch, long labelSeed,
            List<int[]> earlier) {
        double[] gap = gaps.get(rows.label());
        if (gap == null || gap.length != rows.size()) {
            throw new IllegalArgumentException("no coverage gap for label " + rows.displayLabel());
        }
        int n = rows.size();
        int[] rank = ranking(gap);
        int size = Math.min(groupSize, n);
        int start = earlier.size();
        List<int[]> out = new ArrayList<>(groups);
        for (int g = 0; g < groups; g++) {
            int seed = rank[(int) (((long) start + g) % n)];
            out.add(nearest(x, seed, size));
        }
        return out;
    }

    /** The seed row followed by its {@code size - 1} nearest rows, nearest first. */
    static int[] nearest(FloatMatrix x, int seed, int size) {
        int n = x.rows();
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < x.cols(); j++) {
                double diff = (double) x.get(i, j) - x.get(seed, j);
                s += diff * diff;
            }
            d[i] = s;
        }
        int[] others = java.util.stream.IntStream.range(0, n).filter(i -> i != seed).boxed()
                .sorted((a, b) -> {
                    int c = Double.compare(d[a], d[b]);
                    return c != 0 ? c : Integer.compare(a, b);
                })
                .limit(size - 1L).mapToInt(Integer::intValue).toArray();
        int[] group = new int[others.length + 1];
        group[0] = seed;
        System.arraycopy(others, 0, group, 1, others.length);
        return group;
    }

    @Override
    public String gapHint(LabelRows rows) {
        return hints.get(rows.label());
    }

    @Override
    public String name() {
        return "steered";
    }
}
