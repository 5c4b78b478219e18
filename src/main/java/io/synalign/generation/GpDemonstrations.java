package io.synalign.generation;

import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.List;

/**
 * SynAlign's exploration-aware sampling: the groups of {@link ExplorationSelector} (GP
 * posterior variance over the label's embeddings, each group far from those picked before), with
 * {@link LlmSampleGenerator#selectionConfig} per batch. Cost per call: one selection, O(groups n d).
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
    public List<int[]> choose(LabelRows rows, FloatMatrix x, int groups, int batch, long labelSeed) {
        return filled(x, new ExplorationSelector(backend, LlmSampleGenerator.selectionConfig(
                labelSeed, batch, rows.size(), groupSize)).select(x, groups, null).groups(),
                groupSize);
    }

    /**
     * The selector's groups, each a prompt's demonstrations, with every group short of
     * {@code min(size, n)} rows completed by the rows nearest its pick (squared Euclidean
     * distance in double, ties to the lowest index). The selector's last group of a coverage
     * round holds only the rows still uncovered (4 rows in groups of 3: {@code [2, 3, 0], [1]}),
     * and a prompt of one demonstration where three were asked for and four exist is not what
     * {@code --demos-per-prompt} promises. The picks and the coverage are the selector's; only
     * the prompts gain rows. Cost O(n d) per short group, at most one per round.
     */
    static List<int[]> filled(FloatMatrix x, List<int[]> groups, int size) {
        int n = x.rows();
        int want = Math.min(size, n);
        List<int[]> out = new java.util.ArrayList<>(groups.size());
        for (int[] group : groups) {
            out.add(group.length >= want ? group : completed(x, group, want));
        }
        return out;
    }

    private static int[] completed(FloatMatrix x, int[] group, int want) {
        int d = x.cols();
        float[] data = x.data();
        int pick = group[0];
        java.util.BitSet in = new java.util.BitSet(x.rows());
        for (int r : group) {
            in.set(r);
        }
        Integer[] others = new Integer[x.rows() - in.cardinality()];
        double[] distance = new double[x.rows()];
        int k = 0;
        for (int i = in.nextClearBit(0); i < x.rows(); i = in.nextClearBit(i + 1)) {
            double s = 0;
            for (int c = 0; c < d; c++) {
                double e = (double) data[i * d + c] - data[pick * d + c];
                s += e * e;
            }
            distance[i] = s;
            others[k++] = i;
        }
        // A stable sort of rows in index order: equal distances keep the lower index first.
        java.util.Arrays.sort(others, java.util.Comparator.comparingDouble(i -> distance[i]));
        int[] full = java.util.Arrays.copyOf(group, want);
        for (int j = group.length; j < want; j++) {
            full[j] = others[j - group.length];
        }
        return full;
    }

    @Override
    public String name() {
        return "gp";
    }
}
