package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.TextFields;
import io.synalign.engine.alignment.MmdPermutationTest;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.engine.alignment.WeightedSampler;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextEmbedding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code synalign test}: is the synthetic data distinguishable from the real data? Per label and
 * overall, the MMD² between the real and the synthetic rows' embeddings and its permutation
 * p-value ({@link MmdPermutationTest}); with {@code --weighted W} (align's {@code --out}: rows
 * with {@code synalign_weight}), also the MMD² of W's rows under their weights and the p-value of
 * the real rows against a weighted resample of W (as many rows, drawn with replacement in
 * proportion to the weights, seeded).
 * One bandwidth for every label: the median heuristic over the real and synthetic rows.
 *
 * <p>Each side of a label is capped at {@value #MAX_ROWS} rows (a seeded subsample), which
 * bounds the pooled kernel matrix. Order of work: options and files, then one encoder embeds
 * every text, then the tests; the summary is written atomically.
 */
@Command(name = "test", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign test --real R.jsonl --synthetic S.jsonl [--weighted W.jsonl]"
                + " [--permutations P] [--seed S] [--summary T.json] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Two-sample test of real against synthetic rows: per label and overall, the"
                + " MMD^2 of their embeddings and a permutation p-value (small: distinguishable)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class TestCommand extends CliCommand {

    /** Rows per side of a label that enter a test (a seeded subsample above it). */
    static final int MAX_ROWS = 4000;
    static final String OVERALL = "overall";

    /** Loads the model; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--real", required = true, paramLabel = "R.jsonl", description = "The real rows.")
    Path real;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--synthetic", required = true, paramLabel = "S.jsonl",
            description = "The synthetic rows, each counted once.")
    Path synthetic;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--weighted", paramLabel = "W.jsonl",
            description = "Synthetic rows with a field " + TextAlignOptions.WEIGHT_FIELD + " (align's"
                    + " --out): also test them under their weights.")
    Path weighted;

    @Option(names = "--permutations", paramLabel = "P", converter = Converters.PositiveInt.class,
            description = "Random splits per test; the smallest p-value is 1/(P+1). Default: ${DEFAULT-VALUE}.")
    int permutations = 200;

    @Option(names = "--seed", paramLabel = "S", description = "Seeds the splits, subsamples and"
            + " resamples. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--summary", paramLabel = "T.json",
            description = "Also write {\"labels\": {LABEL: {\"mmd2\", \"p_value\", ...}}, \"overall\": {...}}.")
    Path summary;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label (none: one group). Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        RecordOptions.requireDistinctFields(records.textField, labelField);
        String backendName = common.checkedBackend();
        EncoderOptions options = embedding.encoderOptions();
        Path cache = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();
        List<Record> realRows = records.read(real);
        List<Record> synthRows = records.read(synthetic);
        TextFields.LabelledTexts r = TextFields.labelled(real, realRows, records.textField, labelField);
        TextFields.LabelledTexts s = TextFields.labelled(synthetic, synthRows, records.textField, labelField);
        List<Record> weightedRows = weighted == null ? null : records.read(weighted);
        TextFields.LabelledTexts wt = weighted == null ? null
                : TextFields.labelled(weighted, weightedRows, records.textField, labelField);
        double[] weights = weighted == null ? null : EvaluateCommand.weights(weighted, weightedRows);

        Map<String, Map<String, Object>> labels = new LinkedHashMap<>();
        Map<String, Object> overall;
        double sigma;
        try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            FloatMatrix rx;
            FloatMatrix sx;
            FloatMatrix wx = null;
            try (SentenceEncoder encoder = embedding.open(loader, model, options, cache)) {
                rx = TextEmbedding.encode(encoder, r.texts(), progress.encoding("embed real"));
                sx = TextEmbedding.encode(encoder, s.texts(), progress.encoding("embed synthetic"));
                if (wt != null) {
                    wx = TextEmbedding.encode(encoder, wt.texts(), progress.encoding("embed weighted"));
                }
            }
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                sigma = WeightedMmd.bandwidth(backend, seed, rx, sx);
                if (r.labelled() && s.labelled()) {
                    for (String label : new java.util.LinkedHashSet<>(r.labels())) {
                        int[] ri = rows(r.labels(), label);
                        int[] si = rows(s.labels(), label);
                        if (si.length == 0) {
                            continue; // no synthetic row of this label: nothing to test
                        }
                        int[] wi = wt == null || !wt.labelled() ? null : rows(wt.labels(), label);
                        labels.put(label, test(backend, rx.selectRows(ri), sx.selectRows(si),
                                wi == null ? null : wx.selectRows(wi), wi == null ? null : pick(weights, wi),
                                sigma));
                        progress.onProgress("test", labels.size(), -1, label);
                    }
                }
                overall = test(backend, rx, sx, wx, weights, sigma);
            }
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("labels", labels);
        doc.put(OVERALL, overall);
        doc.put("bandwidth", sigma);
        doc.put("permutations", permutations);
        doc.put("seed", seed);
        if (summary != null) {
            AtomicOutputs.writeAtomically(summary, o -> Json.writePretty(o, doc));
        }
        print(stdout, labels, overall, sigma);
        return ExitCodes.OK;
    }

    /** The figures of one test: uniform, and weighted where weights are given. */
    private Map<String, Object> test(KernelBackend backend, FloatMatrix realRows, FloatMatrix synthRows,
            FloatMatrix weightedRows, double[] w, double sigma) {
        long labelSeed = seed ^ (31L * realRows.rows() + synthRows.rows());
        FloatMatrix x = capped(realRows, labelSeed + 1);
        int[] keep = cap(synthRows.rows(), labelSeed + 2);
        FloatMatrix y = synthRows.selectRows(keep);
        MmdPermutationTest.Result uniform = MmdPermutationTest.test(backend, x, y, sigma, permutations, labelSeed);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("real", realRows.rows());
        out.put("synthetic", synthRows.rows());
        out.put("mmd2", uniform.mmd2());
        out.put("p_value", uniform.pValue());
        if (w != null) {
            int[] wkeep = cap(weightedRows.rows(), labelSeed + 4);
            FloatMatrix wy = weightedRows.selectRows(wkeep);
            double[] kw = pick(w, wkeep);
            double sum = java.util.Arrays.stream(kw).sum();
            if (sum > 0) {
                out.put("mmd2_weighted", WeightedMmd.mmd2(backend, wy, kw, x, sigma));
                FloatMatrix resample = wy.selectRows(WeightedSampler.sampleWithReplacement(kw, wy.rows(), labelSeed + 3));
                out.put("p_value_weighted", MmdPermutationTest.test(backend, x, resample, sigma,
                        permutations, labelSeed).pValue());
            } else {
                out.put("mmd2_weighted", null);
                out.put("p_value_weighted", null);
            }
        }
        return out;
    }

    private FloatMatrix capped(FloatMatrix m, long s) {
        return m.selectRows(cap(m.rows(), s));
    }

    /** Every row, or a seeded subsample of {@value #MAX_ROWS} in row order. */
    private static int[] cap(int n, long s) {
        if (n <= MAX_ROWS) {
            return java.util.stream.IntStream.range(0, n).toArray();
        }
        long[] picked = io.synalign.engine.MedianHeuristic.sampleWithoutReplacement(n, MAX_ROWS,
                new SplittableRandom(s));
        return java.util.Arrays.stream(picked).mapToInt(v -> (int) v).sorted().toArray();
    }

    private static int[] rows(List<String> labels, String label) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.size(); i++) {
            if (label.equals(labels.get(i))) {
                out.add(i);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static double[] pick(double[] w, int[] rows) {
        double[] out = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            out[i] = w[rows[i]];
        }
        return out;
    }

    private void print(PrintWriter out, Map<String, Map<String, Object>> labels, Map<String, Object> overall,
            double sigma) {
        out.printf(Locale.ROOT, "two-sample test: MMD^2 with bandwidth %s (median heuristic), %d"
                + " permutations; p < 0.01: distinguishable%n", Numbers.short4(sigma), permutations);
        out.printf(Locale.ROOT, "%-15s %6s %9s  %-12s %-9s%s%n", "label", "real", "synthetic", "MMD^2",
                "p", weighted != null ? "  MMD^2 weighted  p weighted" : "");
        Map<String, Map<String, Object>> rows = new LinkedHashMap<>(labels);
        rows.put("(" + OVERALL + ")", overall);
        for (Map.Entry<String, Map<String, Object>> e : rows.entrySet()) {
            Map<String, Object> v = e.getValue();
            out.printf(Locale.ROOT, "%-15s %6d %9d  %-12s %-9s%s%n", e.getKey(), (Integer) v.get("real"),
                    (Integer) v.get("synthetic"), Numbers.short4((Double) v.get("mmd2")),
                    Numbers.short4((Double) v.get("p_value")), weighted == null ? ""
                            : String.format(Locale.ROOT, "  %-15s %s", v.get("mmd2_weighted") == null ? "-"
                                    : Numbers.short4((Double) v.get("mmd2_weighted")),
                                    v.get("p_value_weighted") == null ? "-"
                                            : Numbers.short4((Double) v.get("p_value_weighted"))));
        }
        if (summary != null) {
            out.println("wrote " + summary);
        }
        out.flush();
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }
}
