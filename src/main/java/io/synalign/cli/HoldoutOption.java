package io.synalign.cli;

import io.synalign.engine.labelled.HeldOutCheck;
import io.synalign.engine.labelled.LabelPlan;
import picocli.CommandLine.Option;

/**
 * {@code --holdout-folds K} of {@code align} and {@code run}: the cross-fitted held-out check
 * of the alignment ({@link HeldOutCheck}), one option and one refusal for both commands so that
 * they cannot drift apart.
 */
final class HoldoutOption {

    @Option(names = "--holdout-folds", paramLabel = "K", converter = Converters.FoldCount.class,
            description = "Also check the alignment on real rows it was not fitted to: per label"
                    + " (or for the one global fit) split the real rows into K folds, fit weights"
                    + " without each fold with the same settings, and report the MMD^2 of the"
                    + " synthetic rows to the held-out fold, uniform and weighted, averaged over"
                    + " the folds (K more fits per label). The written weights are unchanged. 0:"
                    + " no check. Labels with too few real rows for K folds (each fold must leave"
                    + " 2 to fit on) are skipped and named. Default: ${DEFAULT-VALUE}.")
    int folds = 0;

    /** Whether the check was asked for. */
    boolean on() {
        return folds > 0;
    }

    /**
     * Refuses {@code --holdout-folds} when no group of {@code plan} has the real rows for its
     * folds, before any row is embedded or read (or, in {@code run}, any row generated): the
     * check would run nothing after the work.
     *
     * @throws IllegalArgumentException naming the option, its value and why
     */
    void requireCheckable(LabelPlan plan) {
        String why = HeldOutCheck.whyNone(plan, folds);
        if (why != null) {
            throw new IllegalArgumentException("--holdout-folds " + folds + ": " + why
                    + "; give fewer folds, or 0 for no check");
        }
    }
}
