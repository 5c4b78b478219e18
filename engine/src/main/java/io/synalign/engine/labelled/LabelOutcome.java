package io.synalign.engine.labelled;

import io.synalign.engine.alignment.AlignmentResult;

/**
 * What alignment did for one label.
 *
 * @param label the label ({@link LabelPlan#ALL} without labels)
 * @param status whether the label had real and synthetic rows
 * @param nReal its real rows
 * @param nSynthetic its synthetic rows
 * @param realShare its real rows over all real rows
 * @param weightShare the sum of its synthetic rows' final weights (all weights sum to 1)
 * @param effectiveSampleSize Kish's ESS {@code (sum w)^2 / sum w^2} of its synthetic rows'
 *     weights; 0 when they are all 0
 * @param fit its own fit (per-label mode, aligned labels), or {@code null}
 * @param seed the seed of its fit (per-label), or of the global fit
 */
public record LabelOutcome(String label, LabelPlan.Status status, int nReal, int nSynthetic,
        double realShare, double weightShare, double effectiveSampleSize, AlignmentResult fit,
        long seed) {

    static LabelOutcome of(LabelPlan.Group g, double[] weights, AlignmentResult fit, long seed) {
        double[] w = new double[g.syntheticRows().length];
        double sum = 0;
        for (int k = 0; k < w.length; k++) {
            w[k] = weights[g.syntheticRows()[k]];
            sum += w[k];
        }
        return new LabelOutcome(g.label(), g.status(), g.realRows().length, w.length,
                g.realShare(), sum, LabelledAlignment.effectiveSampleSize(w), fit, seed);
    }
}
