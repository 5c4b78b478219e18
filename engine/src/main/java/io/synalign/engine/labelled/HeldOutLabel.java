package io.synalign.engine.labelled;

import java.util.List;

/**
 * A held-out check of one group (a label, or {@link LabelPlan#ALL} for a global or unlabelled
 * fit).
 *
 * @param label the label
 * @param nReal its real rows (each held out once when checked)
 * @param nSynthetic its synthetic rows (in every fold's fit and score)
 * @param skipped why the group was not checked, or null when it was
 * @param mmd2Uniform the folds' uniform MMD^2 averaged with weights {@code nHeldOut / nReal};
 *     NaN when skipped
 * @param mmd2Weighted the same for the folds' fitted weights; NaN when skipped
 * @param folds one entry per fold when checked, else empty
 */
public record HeldOutLabel(String label, int nReal, int nSynthetic, String skipped,
        double mmd2Uniform, double mmd2Weighted, List<HeldOutFold> folds) {

    public HeldOutLabel {
        folds = List.copyOf(folds);
    }

    static HeldOutLabel skipped(LabelPlan.Group g, String why) {
        return new HeldOutLabel(g.label(), g.realRows().length, g.syntheticRows().length, why,
                Double.NaN, Double.NaN, List.of());
    }

    /** Whether the group was checked. */
    public boolean checked() {
        return skipped == null;
    }

    /** Whether the fitted weights gave a lower held-out MMD^2 than uniform weights. */
    public boolean lower() {
        return checked() && mmd2Weighted < mmd2Uniform;
    }
}
