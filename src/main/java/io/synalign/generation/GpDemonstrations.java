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
