package io.synalign.generation;

import io.synalign.kernels.FloatMatrix;
import java.util.List;

/**
 * Chooses the demonstration groups of one generation batch of a label: SynAlign's GP
 * exploration-aware sampling ({@link GpDemonstrations}, the default), seeded random groups (the
 * paper's ablation, {@link RandomDemonstrations}), or groups steered to where the synthetic data
 * covers the real data worst ({@link SteeredDemonstrations}, the closed loop's later rounds).
 */
public interface DemonstrationChooser {

    /**
     * @param rows the label's real rows
     * @param x their embeddings, one row each, in order
     * @param groups how many groups to return, {@code >= 1}
     * @param batch the batch of this label, from 0 (a batch is asked when the ones before fell
     *     short of the quota)
     * @param labelSeed the label's seed
     * @param earlier the groups chosen for the label's earlier batches, in order (empty for batch
     *     0): a later batch should show the LLM rows it has not seen together yet
     * @return {@code groups} groups of row indices into {@code rows}
     */
    List<int[]> choose(LabelRows rows, FloatMatrix x, int groups, int batch, long labelSeed,
            List<int[]> earlier);

    /** Guidance for the attribute prompt on what the synthetic data lacks, or null. */
    default String gapHint(LabelRows rows) {
        return null;
    }

    /** The chooser's name in each row's provenance ({@code gp}, {@code random}, {@code steered}). */
    String name();

    /** The chooser of a {@code --demos} mode. */
    static DemonstrationChooser of(Demonstrations mode, io.synalign.kernels.KernelBackend backend,
            int groupSize) {
        return mode == Demonstrations.RANDOM ? new RandomDemonstrations(groupSize)
                : new GpDemonstrations(backend, groupSize);
    }
}
