package io.synalign.engine.labelled;

import java.util.List;

/**
 * What a held-out check found ({@link HeldOutCheck}).
 *
 * @param folds K, the folds per group
 * @param labels one entry per fitted group, in the plan's order (per label: the labels with
 *     real and synthetic rows; global or unlabelled: one, {@link LabelPlan#ALL})
 * @param mmd2Uniform the checked groups' uniform held-out MMD^2 averaged with weights their
 *     real rows (so every held-out row counts once); NaN when none was checked
 * @param mmd2Weighted the same for the fitted weights
 * @param nHeldOut the real rows held out over all checked groups
 * @param seconds wall time of the check (its fits and scores)
 */
public record HeldOutResult(int folds, List<HeldOutLabel> labels, double mmd2Uniform,
        double mmd2Weighted, int nHeldOut, double seconds) {

    public HeldOutResult {
        labels = List.copyOf(labels);
    }

    /** The groups that were checked. */
    public int checked() {
        return (int) labels.stream().filter(HeldOutLabel::checked).count();
    }

    /** The checked groups whose held-out MMD^2 was lower with the fitted weights. */
    public int lower() {
        return (int) labels.stream().filter(HeldOutLabel::lower).count();
    }
}
