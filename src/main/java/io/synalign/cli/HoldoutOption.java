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
                    + " the folds (K more fits per label). The written weights are unchanged; the"
                    + " check runs after every output is written, and its figures are then added"
                    + " to --summary and the run directory's alignment.json. 0:"
                    + " no check. A label is skipped and named when its real rows cannot make K"
                    + " folds of at least 2 real rows (2K needed), or when it has more than the"
                    + " check's exact MMD^2 takes (n^2 + n m + m^2 above 2e9 kernel entries: about"
                    + " 44,700 synthetic rows); refused when no label can be checked."
                    + " Default: ${DEFAULT-VALUE}.")
    int folds = 0;

    /** Whether the check was asked for. */
    boolean on() {
        return folds > 0;
    }

    /**
     * Refuses {@code --holdout-folds} when no group of {@code plan} can be checked (too few real
     * rows for its folds, or too many rows for the exact score), before any row is embedded or
     * read (or, in {@code run}, any row generated): the check would run nothing after the work.
     *
     * @throws IllegalArgumentException naming the option, its value and why
     */
    void requireCheckable(LabelPlan plan) {
        requireCheckable(HeldOutCheck.whyNone(plan, folds));
    }

    /** The same for one group of {@code nReal} real and {@code nSynthetic} synthetic rows. */
    void requireCheckable(int nReal, long nSynthetic) {
        requireCheckable(HeldOutCheck.whyNone(nReal, nSynthetic, folds));
    }

    /**
     * The one-line warning, before any work, naming the labels of {@code plan} the check will
     * skip while others are checked ({@link HeldOutCheck#skippedUpFront}), or null when it skips
     * none; {@link #requireCheckable(LabelPlan)} has refused a plan where it skips all. A label
     * with no synthetic rows in a plan of rows still to come is one no row is asked for.
     */
    String skippedWarning(LabelPlan plan, boolean rowsToCome) {
        java.util.Map<String, String> skipped = HeldOutCheck.skippedUpFront(plan, folds);
        if (skipped.isEmpty()) {
            return null;
        }
        java.util.StringJoiner named = new java.util.StringJoiner("; ");
        skipped.forEach((label, why) -> named.add("'" + label + "' (" + (rowsToCome
                && why.equals(HeldOutCheck.NO_SYNTHETIC_ROWS) ? "no synthetic rows are asked for it" : why) + ")"));
        int checked = 0;
        for (LabelPlan.Group g : plan.groups()) {
            checked += g.status() == LabelPlan.Status.ALIGNED && !skipped.containsKey(g.label()) ? 1 : 0;
        }
        return "--holdout-folds " + folds + ": the check will skip label" + (skipped.size() == 1 ? " " : "s ")
                + named + ", and check the other " + checked + " label" + (checked == 1 ? "" : "s");
    }

    /** Refuses {@code --holdout-folds} for {@code why}, a reason of HeldOutCheck.whyNone. */
    private void requireCheckable(String why) {
        if (why != null) {
            throw new IllegalArgumentException("--holdout-folds " + folds + ": " + why);
        }
    }
}
