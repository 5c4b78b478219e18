package io.synalign.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelOutcome;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import io.synalign.pipeline.RealRowsFingerprint;
import io.synalign.pipeline.SyntheticRowsFingerprint;
import io.synalign.pipeline.TextEmbedding;
import io.synalign.pipeline.TextAlignment;
import io.synalign.models.ModelSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What the text form of {@code align} reports: a per-label table on stdout and the same in the
 * {@code --summary} JSON (label, real rows, synthetic rows, MMD^2 uniform and weighted, ESS,
 * real share and weight share), plus totals, labels that could not be aligned, the held-out
 * check ({@link HeldOutSummary}, with {@code --holdout-folds}; in the JSON only: its line is
 * printed after the outputs are written, {@link HeldOutAfterOutputs}), the sample and the
 * settings, which real rows the weights were fitted to ({@link RealRowsFingerprint}) and which
 * synthetic rows and weights were written ({@link SyntheticRowsFingerprint}), for
 * {@code test --weighted}. The table's MMD^2 is to the real rows the weights were fitted to
 * (in-sample).
 */
final class TextAlignReport {

    /**
     * How the texts were embedded. {@code modelId} is the encoder's cache id, which names the
     * settings that change its vectors (e.g. {@code minilm-l6-v2-q;max=64}), not only the model.
     */
    record Embedding(String model, String modelId, int maxLength, int dim, Path cacheDir,
            TextEmbedding.Stats stats, double seconds, String pooling, Path realFrom,
            Path syntheticFrom) {

        /** How {@code embedded} was made, with {@code encoder} through {@code cacheDir}. */
        static Embedding of(ModelSpec model, String encoderId, int maxLength, Path cacheDir,
                TextAlignment.Embedded embedded) {
            return of(model, encoderId, maxLength, cacheDir, embedded.real().cols(),
                    embedded.cache(), embedded.seconds(), null, null);
        }

        /**
         * Texts embedded with {@code model} (whose encoder has the id {@code encoderId}, the
         * model's own when no text was embedded), except the sides read from embeddings files
         * ({@code realFrom}, {@code syntheticFrom}, null for a side that was embedded).
         */
        static Embedding of(ModelSpec model, String encoderId, int maxLength, Path cacheDir,
                int dim, TextEmbedding.Stats stats, double seconds, Path realFrom,
                Path syntheticFrom) {
            return new Embedding(model.name(), encoderId, maxLength, dim, cacheDir, stats,
                    seconds, model.pooling().name().toLowerCase(Locale.ROOT), realFrom,
                    syntheticFrom);
        }

        /** Whether the model embedded neither side. */
        boolean modelUnused() {
            return realFrom != null && syntheticFrom != null;
        }
    }

    /**
     * The files and fields a report names; {@code synthetic} and {@code out} may be null (in
     * {@code run} the synthetic rows need not be written).
     */
    record Files(Path real, Path synthetic, Path out, Path sampledOut, Path summary,
            String textField, String labelField, String backend) {
    }

    private final Files cmd;
    private final AlignmentConfig config;
    private final LabelPlan plan;
    private final LabelledAlignmentResult result;
    private final Embedding embedding;
    private final int[] picks;
    private final boolean withReplacement;
    private final RealRowsFingerprint realRows;
    private final SyntheticRowsFingerprint syntheticRows;
    private final HeldOutRecord heldOut;

    /**
     * @param realRows the real rows the weights were fitted to, as recorded
     * @param syntheticRows the synthetic rows weighted, in order, with the weights written
     */
    TextAlignReport(Files cmd, AlignmentConfig config, LabelPlan plan,
            LabelledAlignmentResult result, Embedding embedding, int[] picks,
            boolean withReplacement, RealRowsFingerprint realRows,
            SyntheticRowsFingerprint syntheticRows) {
        this(cmd, config, plan, result, embedding, picks, withReplacement, realRows,
                syntheticRows, null);
    }

    /** @param heldOut the held-out check of {@code --holdout-folds}, or null without one */
    private TextAlignReport(Files cmd, AlignmentConfig config, LabelPlan plan,
            LabelledAlignmentResult result, Embedding embedding, int[] picks,
            boolean withReplacement, RealRowsFingerprint realRows,
            SyntheticRowsFingerprint syntheticRows, HeldOutRecord heldOut) {
        this.realRows = realRows;
        this.syntheticRows = syntheticRows;
        this.heldOut = heldOut;
        this.withReplacement = withReplacement;
        this.cmd = cmd;
        this.config = config;
        this.plan = plan;
        this.result = result;
        this.embedding = embedding;
        this.picks = picks;
    }

    /**
     * This report with the held-out check's record {@code heldOut}: its figures, or that it
     * failed; null: none.
     */
    TextAlignReport withHeldOut(HeldOutRecord heldOut) {
        return new TextAlignReport(cmd, config, plan, result, embedding, picks, withReplacement,
                realRows, syntheticRows, heldOut);
    }

    // ---------------------------------------------------------------- JSON

    @JsonPropertyOrder(alphabetic = false)
    record Summary(
            @JsonProperty("synalign_version") String synalignVersion,
            @JsonProperty("form") String form,
            @JsonProperty("real") String real,
            @JsonProperty("synthetic") String synthetic,
            @JsonProperty("out") String out,
            @JsonProperty("mode") String mode,
            @JsonProperty("text_field") String textField,
            @JsonProperty("label_field") String labelField,
            @JsonProperty("labelled") boolean labelled,
            @JsonProperty("n_real") int nReal,
            @JsonProperty(RealRowsFingerprint.KEY) Map<String, Object> realRows,
            @JsonProperty("n_synthetic") int nSynthetic,
            @JsonProperty(SyntheticRowsFingerprint.KEY) Map<String, Object> syntheticRows,
            @JsonProperty("n_positive_weight") int nPositiveWeight,
            @JsonProperty("effective_sample_size") double effectiveSampleSize,
            @JsonProperty("labels") List<LabelRow> labels,
            @JsonProperty("synthetic_labels_not_in_real") List<String> syntheticLabelsNotInReal,
            @JsonProperty("real_labels_without_synthetic") List<String> realLabelsWithoutSynthetic,
            @JsonProperty("global_fit") Fit globalFit,
            @JsonProperty("held_out") HeldOutRecord heldOut,
            @JsonProperty("sample") Sample sample,
            @JsonProperty("embedding") EmbeddingJson embedding,
            @JsonProperty("settings") Settings settings,
            @JsonProperty("fit_seconds") double fitSeconds) {
    }

    /** One label; the fit fields are null where the label was not fitted on its own. */
    @JsonPropertyOrder(alphabetic = false)
    record LabelRow(
            @JsonProperty("label") String label,
            @JsonProperty("status") String status,
            @JsonProperty("n_real") int nReal,
            @JsonProperty("n_synthetic") int nSynthetic,
            @JsonProperty("real_share") double realShare,
            @JsonProperty("weight_share") double weightShare,
            @JsonProperty("effective_sample_size") double effectiveSampleSize,
            @JsonProperty("fit") Fit fit) {
    }

    @JsonPropertyOrder(alphabetic = false)
    record Fit(
            @JsonProperty("mmd2_uniform") double mmd2Uniform,
            @JsonProperty("mmd2_weighted") double mmd2Weighted,
            @JsonProperty("mmd2_reduction") Double mmd2Reduction,
            @JsonProperty("mmd_estimator") String mmdEstimator,
            @JsonProperty("bandwidth") double bandwidth,
            @JsonProperty("method") String method,
            @JsonProperty("backend") String backend,
            @JsonProperty("iterations") int iterations,
            @JsonProperty("converged") boolean converged,
            @JsonProperty("effective_sample_size") double effectiveSampleSize,
            @JsonProperty("seed") long seed,
            @JsonProperty("seconds") double seconds) {

        static Fit of(AlignmentResult r, long seed) {
            return r == null ? null : new Fit(r.mmd2Uniform(), r.mmd2Weighted(),
                    AlignmentSummary.reduction(r.mmd2Uniform(), r.mmd2Weighted()),
                    r.mmdEstimator(), r.bandwidth(), r.method().cliName(), r.backend(),
                    r.iterations(),
                    r.converged(), r.effectiveSampleSize(), seed, r.seconds());
        }
    }

    @JsonPropertyOrder(alphabetic = false)
    record Sample(@JsonProperty("n") int n, @JsonProperty("out") String out,
            @JsonProperty("seed") long seed, @JsonProperty("support") int support,
            @JsonProperty("with_replacement") boolean withReplacement) {
    }

    @JsonPropertyOrder(alphabetic = false)
    record EmbeddingJson(@JsonProperty("model") String model,
            @JsonProperty("model_id") String modelId,
            @JsonProperty("max_length") Integer maxLength, @JsonProperty("dim") int dim,
            @JsonProperty("cache_dir") String cacheDir,
            @JsonProperty("cache_hits") Long cacheHits,
            @JsonProperty("texts_embedded") Long textsEmbedded,
            @JsonProperty("texts_truncated") Long textsTruncated,
            @JsonProperty("seconds") double seconds,
            @JsonProperty("real_embeddings") String realEmbeddings,
            @JsonProperty("synthetic_embeddings") String syntheticEmbeddings) {
    }

    @JsonPropertyOrder(alphabetic = false)
    record Settings(@JsonProperty("bandwidth") String bandwidth,
            @JsonProperty("method") String method, @JsonProperty("features") int features,
            @JsonProperty("max_iterations") int maxIterations,
            @JsonProperty("tolerance") double tolerance,
            @JsonProperty("max_weight_ratio") double maxWeightRatio,
            @JsonProperty("memory_budget_bytes") long memoryBudgetBytes,
            @JsonProperty("seed") long seed, @JsonProperty("backend") String backend) {
    }

    /** Which model embedded the texts, or which files gave the embeddings. */
    private String embeddingSource() {
        String model = String.format(Locale.ROOT, "model: %s (%d dimensions, %s pooling,"
                + " L2-normalised)", embedding.model(), embedding.dim(), embedding.pooling());
        if (embedding.modelUnused()) {
            return String.format(Locale.ROOT, "embeddings: %s and %s (%d dimensions)",
                    embedding.realFrom(), embedding.syntheticFrom(), embedding.dim());
        }
        if (embedding.realFrom() != null) {
            return model + " for the synthetic texts, real embeddings from " + embedding.realFrom();
        }
        if (embedding.syntheticFrom() != null) {
            return model + " for the real texts, synthetic embeddings from "
                    + embedding.syntheticFrom();
        }
        return model;
    }

    Summary summary() {
        List<LabelRow> rows = new ArrayList<>();
        for (LabelOutcome o : result.labels()) {
            rows.add(new LabelRow(o.label(), statusName(o.status()), o.nReal(), o.nSynthetic(),
                    o.realShare(), o.weightShare(), o.effectiveSampleSize(),
                    Fit.of(o.fit(), o.seed())));
        }
        TextEmbedding.Stats stats = embedding.stats();
        return new Summary(VersionProvider.version(), "text", cmd.real().toString(),
                str(cmd.synthetic()), str(cmd.out()), result.mode().cliName(),
                cmd.textField(), cmd.labelField(), plan.labelled(), plan.realRows(),
                realRows.json(), plan.syntheticRows(), syntheticRows.json(), result.support(), result.effectiveSampleSize(), rows,
                labels(LabelPlan.Status.NOT_IN_REAL), labels(LabelPlan.Status.NO_SYNTHETIC_ROWS),
                result.globalFit() == null ? null : Fit.of(result.globalFit(), config.seed()),
                heldOut,
                picks == null ? null : new Sample(picks.length, cmd.sampledOut().toString(),
                        config.seed(), result.support(), withReplacement),
                new EmbeddingJson(embedding.model(), embedding.modelId(),
                        embedding.modelUnused() ? null : embedding.maxLength(), embedding.dim(),
                        embedding.cacheDir() == null ? null : embedding.cacheDir().toString(),
                        stats.hits() < 0 ? null : stats.hits(),
                        stats.misses() < 0 ? null : stats.misses(),
                        // Texts this run embedded; those the cache answered are not known.
                        embedding.modelUnused() ? null : stats.truncation().truncated(),
                        embedding.seconds(),
                        str(embedding.realFrom()), str(embedding.syntheticFrom())),
                new Settings(config.bandwidth().toString(), config.method().cliName(),
                        config.features(), config.maxIterations(), config.tolerance(),
                        config.maxWeightRatio(), config.memoryBudgetBytes(), config.seed(),
                        cmd.backend()),
                result.seconds());
    }

    private static String str(Path p) {
        return p == null ? null : p.toString();
    }

    private List<String> labels(LabelPlan.Status status) {
        List<String> out = new ArrayList<>();
        for (LabelPlan.Group g : plan.groups(status)) {
            out.add(g.label());
        }
        return out;
    }

    static String statusName(LabelPlan.Status s) {
        return s.name().toLowerCase(Locale.ROOT);
    }

    // ---------------------------------------------------------------- stdout

    /** The table, the notes on labels that could not be aligned, the settings, the files. */
    void print(PrintWriter out) {
        boolean perLabel = result.mode() == LabelMode.PER_LABEL;
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"label", "real", "synthetic", "MMD^2 uniform", "MMD^2 weighted",
            "ESS", "real share", "weight share"});
        for (LabelOutcome o : result.labels()) {
            AlignmentResult fit = o.fit();
            table.add(new String[] {shortLabel(o.label()), Integer.toString(o.nReal()),
                Integer.toString(o.nSynthetic()),
                fit == null ? "-" : Numbers.short4(fit.mmd2Uniform()),
                fit == null ? "-" : Numbers.short4(fit.mmd2Weighted()),
                String.format(Locale.ROOT, "%.1f", o.effectiveSampleSize()),
                percent(o.realShare()), percent(o.weightShare())});
        }
        AlignmentResult global = result.globalFit();
        table.add(new String[] {"total", Integer.toString(plan.realRows()),
            Integer.toString(plan.syntheticRows()),
            global == null ? "-" : Numbers.short4(global.mmd2Uniform()),
            global == null ? "-" : Numbers.short4(global.mmd2Weighted()),
            String.format(Locale.ROOT, "%.1f", result.effectiveSampleSize()), percent(1),
            percent(sum(result.weights()))});
        printTable(out, table);

        for (LabelPlan.Group g : plan.groups(LabelPlan.Status.NOT_IN_REAL)) {
            out.printf(Locale.ROOT, "note: synthetic label '%s' (%d rows) does not occur in the"
                    + " real set%s%n", g.label(), g.syntheticRows().length,
                    perLabel ? "; its rows get weight 0" : "");
        }
        for (LabelPlan.Group g : plan.groups(LabelPlan.Status.NO_SYNTHETIC_ROWS)) {
            out.printf(Locale.ROOT, "note: real label '%s' (%d rows, %s of the real set) has no"
                    + " synthetic rows%s%n", g.label(), g.realRows().length,
                    percent(g.realShare()), perLabel ? "; its share was spread over the other"
                            + " labels in proportion to their real rows" : "");
        }
        out.printf(Locale.ROOT, "mode: %s; %d of %d synthetic rows have a positive weight;"
                + " ESS %.1f%n", result.mode().cliName(), result.support(), plan.syntheticRows(),
                result.effectiveSampleSize());
        if (picks != null) {
            if (withReplacement) {
                out.printf(Locale.ROOT, "sample: drew %d rows with replacement from the %d with a"
                        + " positive weight (seed %d)%n", picks.length, result.support(),
                        config.seed());
            } else {
                out.printf(Locale.ROOT, "sample: drew %d of %d rows with a positive weight"
                        + " without replacement (seed %d)%n", picks.length, result.support(),
                        config.seed());
            }
            if (!withReplacement && 2L * picks.length > result.support()) {
                out.println("note: the sample is more than half of the rows with a positive"
                        + " weight; without replacement, inclusion is then far from proportional"
                        + " to the weights");
            }
        }
        out.printf(Locale.ROOT, "%s, embedding %.1f s%s; fit %.1f s, method %s, backend %s,"
                + " bandwidth %s%n", embeddingSource(), embedding.seconds(),
                embedding.stats().describe(), result.seconds(),
                used(f -> f.method().cliName(), config.method().cliName()),
                used(AlignmentResult::backend, cmd.backend()), config.bandwidth().isAuto()
                        ? "auto (median heuristic" + (perLabel && plan.labelled()
                                ? " per label)" : ")")
                        : Numbers.short4(config.bandwidth().value()));
        String truncated = embedding.stats().truncationNote();
        if (truncated != null) {
            out.println(truncated);
        }
        List<Path> files = new ArrayList<>();
        if (cmd.out() != null) {
            files.add(cmd.out());
        }
        if (picks != null) {
            files.add(cmd.sampledOut());
        }
        if (cmd.summary() != null) {
            files.add(cmd.summary());
        }
        out.println("wrote " + join(files));
    }

    /** What the fits used, e.g. {@code exact} or {@code exact, rff}; {@code fallback} without fits. */
    private String used(Function<AlignmentResult, String> what, String fallback) {
        List<String> names = new ArrayList<>();
        List<AlignmentResult> fits = new ArrayList<>();
        if (result.globalFit() != null) {
            fits.add(result.globalFit());
        }
        for (LabelOutcome o : result.labels()) {
            if (o.fit() != null) {
                fits.add(o.fit());
            }
        }
        for (AlignmentResult f : fits) {
            String name = what.apply(f);
            if (!names.contains(name)) {
                names.add(name);
            }
        }
        return names.isEmpty() ? fallback : String.join(", ", names);
    }

    static void printTable(PrintWriter out, List<String[]> rows) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                width[c] = Math.max(width[c], DisplayColumns.of(r[c]));
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                if (c > 0) {
                    sb.append("  ");
                }
                // The label column reads left-aligned, numbers right-aligned; padded by the
                // columns a terminal shows (a CJK label's characters take two each).
                sb.append(c == 0 ? DisplayColumns.padRight(r[c], width[c])
                        : DisplayColumns.padLeft(r[c], width[c]));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    static String shortLabel(String label) {
        String flat = label.replaceAll("\\p{Cntrl}", "?");
        return DisplayColumns.truncate(flat, 30);
    }

    private static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    private static double sum(double[] w) {
        double s = 0;
        for (double x : w) {
            s += x;
        }
        return s;
    }

    private static String join(List<Path> files) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < files.size(); i++) {
            sb.append(i == 0 ? "" : i == files.size() - 1 ? " and " : ", ").append(files.get(i));
        }
        return sb.toString();
    }
}
