package io.synalign.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.synalign.engine.labelled.HeldOutFold;
import io.synalign.engine.labelled.HeldOutLabel;
import io.synalign.engine.labelled.HeldOutResult;
import io.synalign.engine.labelled.LabelPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code held_out} object of align's and run's {@code --summary} and {@code alignment.json}: what the
 * cross-fitted check of {@code --holdout-folds K} found ({@link HeldOutResult}), overall and per
 * label, and its one line on stdout. Figures a skipped label does not have are null (JSON has no
 * NaN). Each figure is the MMD^2 between the weighted synthetic rows (all their pairs counted)
 * and the distribution of the held-out real rows, whose self-pairs are left out
 * ({@code WeightedMmd.valuesAgainstPopulation}), so a few held-out rows do not raise it and it
 * can be a little below 0; {@code mmd2_change} is weighted minus uniform (positive where the
 * weights raised MMD^2 on the held-out rows). The in-sample figures are the fit's
 * V-statistics, whose real term keeps its self-pairs: compare held-out with held-out.
 */
@JsonPropertyOrder(alphabetic = false)
record HeldOutSummary(
        @JsonProperty("folds") int folds,
        @JsonProperty("about") String about,
        @JsonProperty("mmd2_uniform") Double mmd2Uniform,
        @JsonProperty("mmd2_weighted") Double mmd2Weighted,
        @JsonProperty("mmd2_change") Double mmd2Change,
        @JsonProperty("n_held_out") int nHeldOut,
        @JsonProperty("labels_checked") int labelsChecked,
        @JsonProperty("labels_lower") int labelsLower,
        @JsonProperty("fits") int fits,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("peak_rss_bytes") long peakRssBytes,
        @JsonProperty("labels") List<Label> labels) implements HeldOutRecord {

    /** What the figures are, in the document itself. */
    static final String ABOUT = "cross-fitted: per fitted group (each label of a per-label"
            + " fit; all rows, label \"" + LabelPlan.ALL + "\", of a global or unlabelled one),"
            + " the real rows split into K folds of at least 2; weights fitted without each fold"
            + " (same settings), MMD^2 of the weighted synthetic rows to that fold's real rows,"
            + " uniform and weighted, the real rows' self-pairs left out (can be a little below"
            + " 0); averaged over folds by their rows, over groups by their real rows. Compare"
            + " uniform with weighted, not with the in-sample figures (V-statistics, whose real"
            + " term keeps its self-pairs).";

    @JsonPropertyOrder(alphabetic = false)
    record Label(@JsonProperty("label") String label, @JsonProperty("n_real") int nReal,
            @JsonProperty("n_synthetic") int nSynthetic,
            @JsonProperty("skipped") String skipped,
            @JsonProperty("mmd2_uniform") Double mmd2Uniform,
            @JsonProperty("mmd2_weighted") Double mmd2Weighted,
            @JsonProperty("mmd2_change") Double mmd2Change,
            @JsonProperty("folds") List<Fold> folds) {
    }

    @JsonPropertyOrder(alphabetic = false)
    record Fold(@JsonProperty("n_held_out") int nHeldOut, @JsonProperty("n_fitted") int nFitted,
            @JsonProperty("bandwidth") double bandwidth,
            @JsonProperty("mmd2_uniform") double mmd2Uniform,
            @JsonProperty("mmd2_weighted") double mmd2Weighted) {
    }

    /**
     * The summary of a check, or null without one. {@code peakRssBytes} is the process's peak
     * resident memory when the check ended ({@link PeakMemory}): the whole run's, the check's
     * K fits per label included, where the document's top-level {@code peak_rss_bytes} was
     * measured when the main fit's outputs were written, before the check.
     */
    static HeldOutSummary of(HeldOutResult r, long peakRssBytes) {
        if (r == null) {
            return null;
        }
        List<Label> labels = new ArrayList<>();
        int fits = 0;
        for (HeldOutLabel l : r.labels()) {
            List<Fold> folds = new ArrayList<>();
            for (HeldOutFold f : l.folds()) {
                folds.add(new Fold(f.nHeldOut(), f.nFitted(), f.bandwidth(), f.mmd2Uniform(),
                        f.mmd2Weighted()));
            }
            fits += folds.size();
            labels.add(new Label(l.label(), l.nReal(), l.nSynthetic(), l.skipped(),
                    orNull(l.mmd2Uniform()), orNull(l.mmd2Weighted()),
                    change(l.mmd2Uniform(), l.mmd2Weighted()), folds));
        }
        return new HeldOutSummary(r.folds(), ABOUT, orNull(r.mmd2Uniform()),
                orNull(r.mmd2Weighted()),
                change(r.mmd2Uniform(), r.mmd2Weighted()), r.nHeldOut(),
                r.checked(), r.lower(), fits, r.seconds(), peakRssBytes, labels);
    }

    /** Weighted minus uniform, or null without both. */
    private static Double change(double uniform, double weighted) {
        return orNull(weighted - uniform);
    }

    private static Double orNull(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * The line on stdout, e.g. {@code held-out check (5 folds, 96 real rows not fitted to): MMD^2
     * 0.1285 uniform -> 0.1317 weighted (+0.003184), lower in 0 of 6 labels; 30 extra fits,
     * 2.1 s}, then a note per label that was not checked.
     */
    void print(PrintWriter out) {
        boolean byLabel = labels.size() > 1 || !labels.get(0).label().equals(LabelPlan.ALL);
        if (labelsChecked == 0) {
            out.printf(Locale.ROOT, "held-out check (%d folds): no %s could be checked%n", folds,
                    byLabel ? "label" : "fit");
        } else {
            String change = String.format(Locale.ROOT, " (%s%s)", mmd2Change > 0 ? "+" : "",
                    Numbers.short4(mmd2Change));
            out.printf(Locale.ROOT, "held-out check (%d folds, %d real rows not fitted to): MMD^2"
                    + " %s uniform -> %s weighted%s%s; %d extra fits, %.1f s%n", folds, nHeldOut,
                    Numbers.short4(mmd2Uniform), Numbers.short4(mmd2Weighted), change,
                    byLabel ? String.format(Locale.ROOT, ", lower in %d of %d label%s",
                            labelsLower, labelsChecked, labelsChecked == 1 ? "" : "s") : "",
                    fits, seconds);
        }
        for (Label l : labels) {
            if (l.skipped() != null) {
                out.printf(Locale.ROOT, "note: held-out check skipped %s: %s%n",
                        byLabel ? "label '" + l.label() + "'" : "the fit", l.skipped());
            }
        }
    }
}
