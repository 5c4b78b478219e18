package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.TextFields;
import io.synalign.evaluation.DownstreamEvaluation;
import io.synalign.evaluation.StudentConfig;
import io.synalign.evaluation.StudentKind;
import io.synalign.evaluation.TrainingVariant;
import io.synalign.evaluation.VariantResult;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputException;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextEmbedding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign evaluate}: does (aligned) synthetic data train a better small model? Trains a
 * Deeplearning4j student ({@link io.synalign.evaluation.Student}: logistic regression or a
 * one-hidden-layer MLP) on frozen sentence embeddings of each training variant and scores it on
 * the test rows, {@code --repeats} seeded times:
 *
 * <ul>
 *   <li>{@code real}: the {@code --train} rows;</li>
 *   <li>{@code real+synthetic}: plus every {@code --synthetic} row, uniformly;</li>
 *   <li>{@code real+aligned}: plus the aligned synthetic rows, either {@code --weighted} (the
 *       output of text {@code align}: every synthetic row with its {@code synalign_weight},
 *       used as an example weight in the loss, scaled so the synthetic rows' mean weight is 1;
 *       real rows weigh 1) or {@code --aligned} (an already resampled set, e.g. {@code run}'s
 *       output or {@code align --sampled-out}, used uniformly).</li>
 * </ul>
 * Weights enter the loss rather than a resample because a resample adds sampling noise that
 * the repeats would then have to average out; the weights are used as they were learned.
 *
 * <p>Metrics per variant: accuracy and macro-F1 (mean ± sample std over the repeats), MMD^2 of
 * the (weighted) training rows against the test rows, overall and per label (one median-heuristic
 * bandwidth over the train and test rows, as the aligner resolves {@code auto}), and the
 * effective sample size of the weights ({@code --weighted} only).
 *
 * <p>Order of work: options, then every file read and checked (texts, labels, weights; labels of
 * the other files must occur in {@code --train}), then one encoder embeds all texts through the
 * cache, then the students train. {@code --run-dir DIR} receives {@value RunFiles#EVALUATION},
 * written atomically.
 */
@Command(name = "evaluate", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign evaluate --train REAL.jsonl --test TEST.jsonl",
            "                         [--synthetic SYNTH.jsonl [--weighted WEIGHTED.jsonl |"
                + " --aligned ALIGNED.jsonl]]",
            "                         [--classifier logreg|mlp] [--repeats R] [--seed S]"
                + " [--run-dir DIR] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Train a small student (Deeplearning4j logistic regression or MLP) on"
                + " frozen sentence embeddings of the real rows, real + synthetic, and real +"
                + " aligned synthetic; print test accuracy and macro-F1 (mean ± std over seeded"
                + " repeats), MMD^2 of each training set to the test set, and the effective"
                + " sample size of the weights."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class EvaluateCommand extends CliCommand {

    /** Loads the sentence encoder; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @Option(names = "--train", required = true, paramLabel = "REAL.jsonl",
            description = "The real labelled training rows (JSON Lines, CSV or TSV, optionally .gz).")
    Path train;

    @Option(names = "--synthetic", paramLabel = "SYNTH.jsonl",
            description = "Synthetic labelled rows: adds the variant real+synthetic (uniform).")
    Path synthetic;

    @Option(names = "--weighted", paramLabel = "WEIGHTED.jsonl",
            description = "Synthetic rows with a field " + TextAlignOptions.WEIGHT_FIELD
                    + " (align's --out): adds real+aligned, weights used in the loss.")
    Path weighted;

    @Option(names = "--aligned", paramLabel = "ALIGNED.jsonl",
            description = "An already resampled aligned set (run's --out, align's --sampled-out):"
                    + " adds real+aligned, used uniformly.")
    Path aligned;

    @Option(names = "--test", required = true, paramLabel = "TEST.jsonl",
            description = "The real labelled test rows.")
    Path test;

    @Option(names = "--classifier", paramLabel = "logreg|mlp",
            description = "The student: logreg (softmax regression) or mlp (one hidden ReLU"
                    + " layer). Default: ${DEFAULT-VALUE}.")
    String classifier = StudentKind.LOGREG.cliName();

    @Option(names = "--repeats", paramLabel = "R", converter = Converters.PositiveInt.class,
            description = "Seeded trainings per variant. Default: ${DEFAULT-VALUE}.")
    int repeats = 3;

    @Option(names = "--hidden", paramLabel = "UNITS", converter = Converters.PositiveInt.class,
            description = "Hidden units of the mlp. Default: ${DEFAULT-VALUE}.")
    int hidden = StudentConfig.DEFAULT_HIDDEN;

    @Option(names = "--max-epochs", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Most epochs per training (early stopping on a held-out 20% of the"
                    + " training rows, patience " + StudentConfig.DEFAULT_PATIENCE + ")."
                    + " Default: ${DEFAULT-VALUE}.")
    int maxEpochs = StudentConfig.DEFAULT_MAX_EPOCHS;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seeds every repeat (initialisation, held-out slice, shuffles) and the"
                    + " bandwidth sample. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Also write DIR/" + RunFiles.EVALUATION + " (created if missing).")
    Path runDir;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label. Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions.Model embedding = new EmbeddingOptions.Model();

    @Mixin
    CommonOptions common = new CommonOptions();

    /** One input file, read and checked: its texts, class indices and (weighted) weights. */
    private record Rows(Path file, List<String> texts, int[] labels, double[] weights) {
    }

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        // Options first, files next, the model last.
        if ((weighted != null || aligned != null) && synthetic == null) {
            throw new IllegalArgumentException((weighted != null ? "--weighted" : "--aligned")
                    + " needs --synthetic, the unaligned rows it is compared with");
        }
        if (weighted != null && aligned != null) {
            throw new IllegalArgumentException("--weighted and --aligned are two forms of the"
                    + " aligned variant; give one");
        }
        StudentKind kind = classifierKind(classifier);
        StudentConfig config = StudentConfig.defaults(kind).withHiddenUnits(hidden)
                .withMaxEpochs(maxEpochs);
        TextFields.requireDistinctFields(records.textField, labelField);
        RunDirOption.checkRunDir(runDir);
        String backendName = common.checkedBackend();
        EncoderOptions encoderOptions = embedding.encoderOptions();
        Path cacheDir = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();

        List<String> classes = new ArrayList<>();
        Rows real = read("--train", train, classes, true, false);
        if (classes.size() < 2) {
            throw new InputException(train, "has " + classes.size() + " label(s) in field '"
                    + labelField + "'; a classifier needs at least 2");
        }
        Rows testRows = read("--test", test, classes, false, false);
        Rows synth = synthetic == null ? null : read("--synthetic", synthetic, classes, false, false);
        Rows extra = weighted != null ? read("--weighted", weighted, classes, false, true)
                : aligned != null ? read("--aligned", aligned, classes, false, false) : null;

        Map<Path, FloatMatrix> embedded = new LinkedHashMap<>();
        try (StderrProgress progress = StderrProgress.create(err, common.quiet);
                SentenceEncoder encoder = embedding.open(loader, model, encoderOptions, cacheDir)) {
            for (Rows r : new Rows[] {real, testRows, synth, extra}) {
                if (r != null) {
                    embedded.put(r.file(), TextEmbedding.encode(encoder, r.texts(),
                            progress.encoding("embed " + r.file().getFileName())));
                }
            }
        }
        FloatMatrix realX = embedded.get(real.file());
        FloatMatrix testX = embedded.get(testRows.file());
        List<TrainingVariant> variants = new ArrayList<>();
        variants.add(new TrainingVariant("real", realX, real.labels(), null, null));
        if (synth != null) {
            variants.add(new TrainingVariant("real+synthetic",
                    concat(realX, embedded.get(synth.file())),
                    concat(real.labels(), synth.labels()), null, null, realX.rows()));
        }
        if (extra != null) {
            FloatMatrix x = concat(realX, embedded.get(extra.file()));
            int[] y = concat(real.labels(), extra.labels());
            variants.add(extra.weights() == null
                    ? new TrainingVariant("real+aligned", x, y, null, null, realX.rows())
                    : new TrainingVariant("real+aligned", x, y,
                            exampleWeights(real.texts().size(), extra.weights()),
                            WeightedMmd.effectiveSampleSize(extra.weights()), realX.rows()));
        }

        List<VariantResult> results = new ArrayList<>();
        double sigma;
        try (KernelBackend backend = KernelBackends.create(backendName);
                StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            sigma = WeightedMmd.bandwidth(backend, seed, realX, testX);
            DownstreamEvaluation evaluation = new DownstreamEvaluation(backend, config, repeats, seed);
            for (int v = 0; v < variants.size(); v++) {
                progress.onProgress("train", v, variants.size(), variants.get(v).name());
                results.add(evaluation.evaluate(variants.get(v), testX, testRows.labels(), classes,
                        sigma));
            }
            progress.onProgress("train", variants.size(), variants.size(), "done");
        }
        if (runDir != null) {
            Map<String, Object> json = json(kind, sigma, results);
            AtomicOutputs.writeAtomically(RunFiles.file(runDir, RunFiles.EVALUATION),
                    o -> Json.writePretty(o, json));
        }
        print(stdout, kind, testRows.texts().size(), sigma, results);
        return ExitCodes.OK;
    }

    /**
     * Reads one file's texts and labels; labels become class indices. With {@code define}, new
     * labels are added to {@code classes} (the training file); otherwise a label not in it is an
     * error naming the file and line.
     */
    private Rows read(String option, Path file, List<String> classes, boolean define,
            boolean withWeights) throws java.io.IOException {
        List<Record> rs = records.read(file);
        TextFields.LabelledTexts lt = TextFields.labelled(file, rs, records.textField, labelField);
        if (!lt.labelled()) {
            throw new InputException(file, "no record has the label field '" + labelField
                    + "' (" + option + " needs labelled rows; name the field with --label-field)");
        }
        int[] labels = new int[rs.size()];
        for (int i = 0; i < rs.size(); i++) {
            String label = lt.labels().get(i);
            int c = classes.indexOf(label);
            if (c < 0) {
                if (!define) {
                    throw new InputException(file, rs.get(i).line(), "label '" + label
                            + "' does not occur in --train " + train + " (labels there: "
                            + String.join(", ", classes) + ")");
                }
                classes.add(label);
                c = classes.size() - 1;
            }
            labels[i] = c;
        }
        double[] weights = withWeights ? weights(file, rs) : null;
        return new Rows(file, lt.texts(), labels, weights);
    }

    /** The {@code synalign_weight} of every record: finite, {@code >= 0}, not all zero. */
    static double[] weights(Path file, List<Record> rs) {
        String field = TextAlignOptions.WEIGHT_FIELD;
        double[] w = new double[rs.size()];
        double sum = 0;
        for (int i = 0; i < rs.size(); i++) {
            JsonNode v = rs.get(i).get(field);
            if (v == null) {
                throw new InputException(file, rs.get(i).line(), "no field '" + field
                        + "' (--weighted takes align's --out, whose rows carry their weight)");
            }
            double d;
            if (v.isNumber()) {
                d = v.doubleValue();
            } else {
                try {
                    d = v.isTextual() ? Double.parseDouble(v.textValue().strip()) : Double.NaN;
                } catch (NumberFormatException e) {
                    d = Double.NaN;
                }
            }
            if (!(d >= 0) || Double.isInfinite(d)) {
                throw new InputException(file, rs.get(i).line(), "field '" + field + "' is "
                        + v + "; weights must be finite numbers >= 0");
            }
            w[i] = d;
            sum += d;
        }
        if (!(sum > 0)) {
            throw new InputException(file, "every " + field + " is 0; nothing to train on");
        }
        return w;
    }

    /** Real rows weigh 1; synthetic weights are scaled to sum to the synthetic row count. */
    static double[] exampleWeights(int realRows, double[] synthetic) {
        double sum = 0;
        for (double v : synthetic) {
            sum += v;
        }
        double[] out = new double[realRows + synthetic.length];
        java.util.Arrays.fill(out, 0, realRows, 1.0);
        for (int i = 0; i < synthetic.length; i++) {
            out[realRows + i] = synthetic[i] * synthetic.length / sum;
        }
        return out;
    }

    private static FloatMatrix concat(FloatMatrix a, FloatMatrix b) {
        float[] data = new float[a.data().length + b.data().length];
        System.arraycopy(a.data(), 0, data, 0, a.data().length);
        System.arraycopy(b.data(), 0, data, a.data().length, b.data().length);
        return new FloatMatrix(a.rows() + b.rows(), a.cols(), data);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Every option value (no secrets exist among them), in a stable order. */
    Map<String, Object> settings(double sigma) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("train", train.toString());
        s.put("synthetic", synthetic == null ? null : synthetic.toString());
        s.put("weighted", weighted == null ? null : weighted.toString());
        s.put("aligned", aligned == null ? null : aligned.toString());
        s.put("test", test.toString());
        s.put("classifier", classifier);
        s.put("repeats", repeats);
        s.put("hidden", hidden);
        s.put("maxEpochs", maxEpochs);
        StudentConfig student = StudentConfig.defaults(StudentKind.LOGREG);
        s.put("patience", student.patience());
        s.put("validationFraction", student.validationFraction());
        s.put("learningRate", student.learningRate());
        s.put("l2", student.l2());
        s.put("studentBatchSize", student.batchSize());
        s.put("seed", seed);
        s.put("textField", records.textField);
        s.put("labelField", labelField);
        s.put("model", embedding.model);
        s.put("encoderBatchSize", embedding.batchSize);
        s.put("maxLength", embedding.maxLength);
        s.put("device", embedding.device);
        s.put("cacheDir", embedding.cacheDir == null ? null : embedding.cacheDir.toString());
        s.put("noCache", embedding.noCache);
        s.put("backend", common.backend);
        s.put("mmdBandwidth", sigma);
        return s;
    }

    /** {@code --classifier}'s value (the library's message names no flag; this one does). */
    static StudentKind classifierKind(String text) {
        try {
            return StudentKind.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage(), e);
        }
    }

    private Map<String, Object> json(StudentKind kind, double sigma, List<VariantResult> results) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", settings(sigma));
        root.put("classifier", kind.cliName());
        root.put("repeats", repeats);
        List<Object> vs = new ArrayList<>();
        for (VariantResult r : results) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("name", r.name());
            v.put("trainRows", r.trainRows());
            v.put("accuracy", meanStd(r.accuracy()));
            v.put("macroF1", meanStd(r.macroF1()));
            Map<String, Object> mmd = new LinkedHashMap<>();
            mmd.put("overall", r.mmd2Overall());
            mmd.put("perLabel", r.mmd2PerLabel());
            v.put("mmd2ToTest", mmd);
            v.put("ess", r.ess());
            vs.add(v);
        }
        root.put("variants", vs);
        return root;
    }

    /**
     * {"mean": x, "std": y}, in that order (Map.of has no stable order); std is null where it
     * is undefined (a single repeat).
     */
    static Map<String, Object> meanStd(io.synalign.evaluation.MeanStd m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mean", m.mean());
        out.put("std", Double.isNaN(m.std()) ? null : m.std());
        return out;
    }

    /** {@code mean ± std} with 4 decimals; {@code ± n/a} for a single repeat. */
    private static String plusMinus(io.synalign.evaluation.MeanStd m) {
        return Double.isNaN(m.std()) ? String.format(Locale.ROOT, "%.4f ± n/a", m.mean())
                : String.format(Locale.ROOT, "%.4f ± %.4f", m.mean(), m.std());
    }

    private void print(PrintWriter out, StudentKind kind, int testRows, double sigma,
            List<VariantResult> results) {
        out.printf(Locale.ROOT, "student: %s, %d repeat%s, %d test rows; MMD^2 bandwidth %s"
                + " (median heuristic)%n", kind.cliName(), repeats, repeats == 1 ? "" : "s",
                testRows, Numbers.short4(sigma));
        out.printf(Locale.ROOT, "%-15s %7s  %-15s  %-15s  %-12s %s%n", "variant", "rows",
                "accuracy", "macro-F1", "MMD^2->test", "ESS");
        for (VariantResult r : results) {
            out.printf(Locale.ROOT, "%-15s %7d  %-15s  %-15s  %-12s %s%n", r.name(),
                    r.trainRows(), plusMinus(r.accuracy()), plusMinus(r.macroF1()),
                    Numbers.short4(r.mmd2Overall()),
                    r.ess() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.ess()));
        }
        if (runDir != null) {
            out.println("wrote " + runDir.resolve(RunFiles.EVALUATION));
        }
        out.flush();
    }
}
