package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.TextFields;
import io.synalign.evaluation.StudentConfig;
import io.synalign.evaluation.StudentKind;
import io.synalign.evaluation.VariantResult;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputException;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.TextEmbedding;
import io.synalign.pipeline.TextEvaluation;
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
 * {@code synalign evaluate}: does (aligned) synthetic data train a better small model? Parses
 * the options, reads and checks the files, and runs {@link TextEvaluation} (the variants
 * {@code real}, {@code real+synthetic} with {@code --synthetic}, {@code real+aligned} with
 * {@code --weighted}, align's output whose weights enter the loss, or {@code --aligned}, an
 * already resampled set), then prints the table and writes {@code --run-dir}'s file.
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

    @Option(names = "--task", paramLabel = "classification|retrieval",
            description = "What the student learns: classification (labelled rows, a"
                    + " classifier) or retrieval (query rows over --corpus, a retriever)."
                    + " Default: ${DEFAULT-VALUE}.")
    String task = CLASSIFICATION;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--corpus", paramLabel = "CORPUS.jsonl",
            description = "Retrieval: the passages (BEIR layout: _id, title, text); every query"
                    + " row's " + io.synalign.retrieval.QueryRows.CORPUS_ID + " names one.")
    Path corpus;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = {"--train", "--real"}, required = true, paramLabel = "REAL.jsonl",
            description = "The real training rows (JSON Lines, CSV or TSV, optionally .gz):"
                    + " labelled rows, or query rows for retrieval.")
    Path train;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--synthetic", paramLabel = "SYNTH.jsonl",
            description = "Synthetic labelled rows: adds the variant real+synthetic (uniform).")
    Path synthetic;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--weighted", paramLabel = "WEIGHTED.jsonl",
            description = "Synthetic rows with a field " + TextAlignOptions.WEIGHT_FIELD
                    + " (align's --out for --synthetic, or run's weighted rows: rows of"
                    + " --synthetic in its order): adds real+aligned, weights used in the loss.")
    Path weighted;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--aligned", paramLabel = "ALIGNED.jsonl",
            description = "An already resampled aligned set (run's --out, align's --sampled-out):"
                    + " adds real+aligned, used uniformly.")
    Path aligned;

    @PathRole(PathRole.Kind.INPUT)
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
            description = "Most epochs per training (early stopping on a held-out 20%% of the"
                    + " training rows, patience " + StudentConfig.DEFAULT_PATIENCE + "; --task"
                    + " retrieval: patience " + RetrievalEvaluateRun.PATIENCE + "). Default:"
                    + " ${DEFAULT-VALUE}; --task retrieval: " + RetrievalEvaluateRun.DEFAULT_MAX_EPOCHS + ".")
    int maxEpochs = StudentConfig.DEFAULT_MAX_EPOCHS;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seeds every repeat (initialisation, held-out slice, shuffles) and the"
                    + " bandwidth sample. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--summary", paramLabel = "SUMMARY.json",
            description = "Also write the results as JSON (the document of --run-dir).")
    Path summary;

    @PathRole(value = PathRole.Kind.RUN_DIRECTORY, files = RunFiles.EVALUATION)
    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Also write DIR/" + RunFiles.EVALUATION + " (created if missing).")
    Path runDir;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label. Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    /**
     * The files of the variants, for either task: the aligned variant (--weighted or --aligned,
     * one of them) is compared with the unaligned rows of --synthetic.
     */
    void checkVariantFiles() {
        if ((weighted != null || aligned != null) && synthetic == null) {
            throw new IllegalArgumentException((weighted != null ? "--weighted" : "--aligned")
                    + " needs --synthetic, the unaligned rows it is compared with");
        }
        if (weighted != null && aligned != null) {
            throw new IllegalArgumentException("--weighted and --aligned are two forms of the"
                    + " aligned variant; give one");
        }
    }

    static final String CLASSIFICATION = "classification";
    static final String RETRIEVAL = "retrieval";

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        // Options first, files next, the model last.
        if (task.equals(RETRIEVAL)) {
            return new RetrievalEvaluateRun(this).run(stdout, err);
        }
        if (!task.equals(CLASSIFICATION)) {
            throw new IllegalArgumentException("--task " + task + ": give classification or"
                    + " retrieval");
        }
        if (corpus != null) {
            throw new IllegalArgumentException("--corpus does not apply to --task classification"
                    + " (retrieval queries name their passages in it)");
        }
        checkVariantFiles();
        StudentKind kind = classifierKind(classifier);
        if (kind == StudentKind.LOGREG && spec.commandLine().getParseResult()
                .hasMatchedOption("--hidden")) {
            throw new IllegalArgumentException("--hidden does not apply to --classifier logreg"
                    + " (softmax regression has no hidden layer; use --classifier mlp)");
        }
        StudentConfig config = StudentConfig.defaults(kind).withHiddenUnits(hidden)
                .withMaxEpochs(maxEpochs);
        RecordOptions.requireDistinctFields(records.textField, labelField);
        TextEvaluation evaluation = new TextEvaluation(new TextEvaluation.Options(config, repeats,
                seed, common.checkedBackend()));
        EncoderOptions encoderOptions = embedding.encoderOptions();
        Path cacheDir = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();

        LabelledFile real = read("--train", train);
        long labels = real.texts().labels().stream().distinct().count();
        if (labels < 2) {
            throw new InputException(train, "has " + labels + " label(s) in field '"
                    + labelField + "'; a classifier needs at least 2");
        }
        LabelledFile testRows = read("--test", test);
        LabelledFile synth = synthetic == null ? null : read("--synthetic", synthetic);
        LabelledFile extra = weighted != null ? read("--weighted", weighted)
                : aligned != null ? read("--aligned", aligned) : null;
        TextEvaluation.Inputs inputs = inputs(real, testRows, synth, extra);
        if (weighted != null) {
            sameRows(synth.file(), synth.texts().texts(), extra.file(), extra.texts().texts(),
                    i -> extra.records().get(i).line());
        }
        noteOverlap(stdout, real.file(), real.texts().texts(), testRows.texts().texts());

        TextEvaluation.Result result;
        String truncated;
        try (StderrProgress progress = StderrProgress.create(err, common.quiet);
                SentenceEncoder encoder = embedding.open(loader, model, encoderOptions, cacheDir)) {
            result = evaluation.evaluate(encoder, inputs, progress);
            truncated = TextEmbedding.stats(encoder).truncationNote();
        }
        if (truncated != null) {
            stdout.println(truncated);
        }
        if (summary != null || runDir != null) {
            writeDocument(json(kind, result, cacheDir));
        }
        print(stdout, kind, result);
        return ExitCodes.OK;
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }

    /** One input file's records and their texts and labels. */
    private record LabelledFile(Path file, List<Record> records, TextAlignment.Texts texts) {
    }

    /** Reads one file's texts and labels: every record must be labelled. */
    private LabelledFile read(String option, Path file) throws java.io.IOException {
        List<Record> rs = records.read(file);
        TextFields.LabelledTexts lt = TextFields.labelled(file, rs, records.textField, labelField);
        if (!lt.labelled()) {
            throw new InputException(file, "no record has the label field '" + labelField
                    + "' (" + option + " needs labelled rows; name the field with --label-field)");
        }
        return new LabelledFile(file, rs, new TextAlignment.Texts(lt.texts(), lt.labels()));
    }

    /**
     * A test set that shares texts with --train (the same file given twice, or a split made
     * wrongly) scores the student on rows it was trained on: said first, with the count.
     */
    static void noteOverlap(PrintWriter out, Path trainFile, List<String> trainTexts,
            List<String> testTexts) {
        java.util.Set<String> trained = new java.util.HashSet<>(trainTexts);
        long shared = testTexts.stream().filter(trained::contains).count();
        if (shared > 0) {
            out.printf(java.util.Locale.ROOT, "note: %d of %d --test texts also occur in --train %s:"
                    + " the scores are optimistic%n", shared, testTexts.size(), trainFile);
        }
    }

    /**
     * --weighted holds rows of --synthetic with their weights, in its order: align's --out for
     * that file (every row), or run's weighted output beside its --synthetic-out (the rows kept
     * after --dedup or --leakage-against). Another set's weights were taken as they were, and
     * the table compared real+aligned on one set with real+synthetic on another as "aligned
     * against unaligned". A row is its key (its text; for query rows, text and passage). Cost
     * O(rows).
     *
     * @param lineOf the line of the weighted file's row {@code i}
     */
    static void sameRows(Path synthFile, List<String> synthKeys, Path weightedFile,
            List<String> weightedKeys, java.util.function.IntToLongFunction lineOf) {
        int at = 0;
        for (int i = 0; i < weightedKeys.size(); i++) {
            while (at < synthKeys.size() && !synthKeys.get(at).equals(weightedKeys.get(i))) {
                at++;
            }
            if (at == synthKeys.size()) {
                throw new InputException(weightedFile, lineOf.applyAsLong(i),
                        "not a row of --synthetic " + synthFile + " (in its order);"
                                + " --weighted takes the weighted output of align or run for the"
                                + " --synthetic file given");
            }
            at++;
        }
    }

    /**
     * The evaluation's inputs; a label the training file lacks is reported at its file and line,
     * before the model loads.
     */
    private TextEvaluation.Inputs inputs(LabelledFile real, LabelledFile testRows,
            LabelledFile synth, LabelledFile extra) {
        try {
            TextEvaluation.Inputs in = TextEvaluation.Inputs.of(real.texts(), testRows.texts());
            if (synth != null) {
                in = in.withSynthetic(synth.texts());
            }
            if (extra != null) {
                in = weighted != null ? in.withWeighted(extra.texts(),
                        weights(extra.file(), extra.records()))
                        : in.withResampled(extra.texts());
            }
            return in;
        } catch (TextEvaluation.UnknownLabel e) {
            LabelledFile f = switch (e.set()) {
                case "test" -> testRows;
                case "synthetic" -> synth;
                default -> extra;
            };
            throw new InputException(f.file(), f.records().get(e.row()).line(), "label '"
                    + e.label() + "' does not occur in --train " + train + " (labels there: "
                    + String.join(", ", real.texts().labels().stream().distinct().toList()) + ")");
        }
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

    /**
     * The settings as they took effect ({@link RunSettings}): the classifier by its canonical
     * name, {@code --hidden} only for the mlp, the cache directory in use.
     */
    RunSettings.Stated settings(StudentKind kind, Path cacheDir) {
        Map<String, Object> effective = embedding.effective(cacheDir);
        effective.put("--classifier", kind.cliName());
        return RunSettings.state(spec, documentDir(), name -> kind == StudentKind.MLP
                || !name.equals("--hidden"), effective);
    }

    /** The student's fixed training settings (no option sets them), for the run document. */
    private static Map<String, Object> student(StudentKind kind) {
        StudentConfig student = StudentConfig.defaults(kind);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("patience", student.patience());
        s.put("validationFraction", student.validationFraction());
        s.put("learningRate", student.learningRate());
        s.put("l2", student.l2());
        s.put("batchSize", student.batchSize());
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

    private Map<String, Object> json(StudentKind kind, TextEvaluation.Result result,
            Path cacheDir) {
        Map<String, Object> root = new LinkedHashMap<>();
        RunSettings.Stated stated = settings(kind, cacheDir);
        root.put("settings", stated.settings());
        root.put("given", stated.given());
        root.put("student", student(kind));
        root.put("mmdBandwidth", result.bandwidth());
        List<Object> vs = new ArrayList<>();
        for (VariantResult r : result.variants()) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("name", r.name());
            v.put("trainRows", r.trainRows());
            v.put("accuracy", Json.meanStdValues(r.accuracy()));
            v.put("macroF1", Json.meanStdValues(r.macroF1()));
            Map<String, Object> mmd = new LinkedHashMap<>();
            mmd.put("overall", r.mmd2Overall());
            mmd.put("perLabel", r.mmd2PerLabel());
            v.put("mmd2ToTest", mmd);
            v.put("ess", r.ess());
            // One class index per test row and repeat (about 3 bytes each): what the report's
            // paired bootstrap over test rows resamples. Last, after the scores a reader wants.
            v.put("testPredictions", r.testPredictions());
            vs.add(v);
        }
        root.put("variants", vs);
        root.put("classes", result.classes());
        root.put("testLabels", result.testLabels());
        return root;
    }

    /**
     * The directory the document's paths are relative to: the run directory, else the
     * directory of --summary.
     */
    Path documentDir() {
        return runDir != null ? runDir : summary.toAbsolutePath().getParent();
    }

    /** Writes the evaluation document to --summary and --run-dir's file, all or none. */
    void writeDocument(Map<String, Object> json) throws java.io.IOException {
        if (summary == null && runDir == null) {
            return;
        }
        RunDirOption.create(runDir);
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            if (summary != null) {
                outputs.stage(summary, o -> Json.writePretty(o, json));
            }
            if (runDir != null) {
                outputs.stage(runDir.resolve(RunFiles.EVALUATION), o -> Json.writeRunDocument(o, json));
            }
            outputs.commit();
        }
    }

    /** {@code mean ± std} with 4 decimals; {@code ± n/a} for a single repeat. */
    static String plusMinus(io.synalign.evaluation.MeanStd m) {
        return Double.isNaN(m.std()) ? String.format(Locale.ROOT, "%.4f ± n/a", m.mean())
                : String.format(Locale.ROOT, "%.4f ± %.4f", m.mean(), m.std());
    }

    private void print(PrintWriter out, StudentKind kind, TextEvaluation.Result result) {
        out.printf(Locale.ROOT, "student: %s, %d repeat%s, %d test rows; MMD^2 bandwidth %s"
                + " (median heuristic)%n", kind.cliName(), repeats, repeats == 1 ? "" : "s",
                result.testRows(), Numbers.short4(result.bandwidth()));
        out.printf(Locale.ROOT, "%-15s %7s  %-15s  %-15s  %-12s %s%n", "variant", "rows",
                "accuracy", "macro-F1", "MMD^2->test", "ESS");
        for (VariantResult r : result.variants()) {
            out.printf(Locale.ROOT, "%-15s %7d  %-15s  %-15s  %-12s %s%n", r.name(),
                    r.trainRows(), plusMinus(r.accuracy()), plusMinus(r.macroF1()),
                    Numbers.column4(r.mmd2Overall()),
                    r.ess() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.ess()));
        }
        printWritten(out);
    }

    void printWritten(PrintWriter out) {
        if (summary != null) {
            out.println("wrote " + summary);
        }
        if (runDir != null) {
            out.println("wrote " + runDir.resolve(RunFiles.EVALUATION));
        }
        out.flush();
    }
}
