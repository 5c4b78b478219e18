package io.synalign.engine.labelled;

import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.WeightedSampler;
import java.util.List;

/**
 * The weights of a (per-label or global) text alignment and what happened per label.
 *
 * @param mode per-label or global
 * @param weights one weight per synthetic row, in input order, non-negative, summing to 1
 * @param labels one outcome per label, real labels in first-seen order, then labels seen only
 *     in the synthetic rows
 * @param globalFit the single fit of global mode, or {@code null} in per-label mode
 * @param effectiveSampleSize Kish's ESS {@code 1 / sum w^2} of all weights
 * @param seconds wall time of all fits
 */
public record LabelledAlignmentResult(LabelMode mode, double[] weights, List<LabelOutcome> labels,
        AlignmentResult globalFit, double effectiveSampleSize, double seconds) {

    /** Synthetic rows with a positive weight: the most {@link WeightedSampler} can draw. */
    public int support() {
        return WeightedSampler.support(weights);
    }
}
