package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.WeightedSampler;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import io.synalign.pipeline.ClosedLoop;
import io.synalign.pipeline.FittedRealRows;
import io.synalign.pipeline.RealRowsFingerprint;
import io.synalign.pipeline.SyntheticRowsFingerprint;
import io.synalign.pipeline.WeightedFileOrigin;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.SemanticFilter;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.TextEmbedding;
import io.synalign.pipeline.TwoSampleTesting;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign run}: {@code generate} then text {@code align} in one go, writing the aligned
 * set. The synthetic rows are generated exactly as {@code generate} does
 * ({@link GenerationOptions}: same options, seed, journal), embedded with the real rows by one
 * encoder through the embedding cache (loaded once per run; the real rows are embedded once,
 * before generation, and GP demonstration selection, alignment and the demonstration coverage
 * all use those rows: {@link RealEmbeddings}), weighted per label (or with {@code --scope global}) exactly as text
 * {@code align} does ({@link TextAlignment}), and then {@code --sample N} of them are drawn by
 * weight without replacement ({@link WeightedSampler}, seeded by {@code --seed}) and written to
 * {@code --out}. With {@code --holdout-folds K} the alignment is also checked on real rows
 * each of K fits left out, as text {@code align} checks it ({@link TextAlignment.Session#heldOut}),
 * after the outputs are written ({@link HeldOutAfterOutputs}); after {@code --rounds} that is
 * the final alignment, whose weights are written.
 *
 * <p>Default N: half the generated rows (at least 1), capped by the rows with a positive
 * weight. Half because A-Res inclusion stays roughly proportional to the weights only while N
 * is a modest fraction of the support; beyond half, heavy rows saturate (see
 * {@link WeightedSampler}).
 *
 * <p>Every option and input is checked before the first LLM request; all outputs are written
 * atomically after everything succeeded, all or none (the held-out check's figures are added
 * to the summary and alignment.json after them). With {@code --journal} a re-run sends no
 * request and writes identical --out, --synthetic-out and --weighted-out files (the summary
 * holds timings).
 */
@Command(name = "run", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign run --real REAL.jsonl --out ALIGNED.jsonl --llm URL|gguf:PATH|offline"
            + " [--sample N] [--synthetic-out S.jsonl] [--weighted-out W.jsonl] [--summary S.json] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Generate synthetic rows (as 'generate'), weight them to match the real"
                + " rows (as text 'align'), and write a weighted sample without replacement:"
                + " the aligned set."},
        footer = {"%nAblations (the paper's, on your own LLM and data): --demos random (no"
                + " exploration-aware sampling), --attributes off (no latent attribute reasoning),"
                + " and alignment itself: --synthetic-out holds the rows as generated, --out the"
                + " aligned set, for 'synalign evaluate' and 'synalign test'. --rounds N closes the"
                + " loop: each round is steered to where the rows so far cover the real rows worst.",
            "%n--holdout-folds K checks the alignment on real rows it was not fitted to, as"
                + " 'align --holdout-folds K' does; with --rounds N it checks the final alignment"
                + " (the rows of every round, the weights written), not the rounds' own fits."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, the LLM server failing or past"
                + " --request-timeout, internal error)",
            "2:bad input (usage, option value, input file, no server at the --llm address, or"
                + " the LLM server refused the request: wrong key, unknown model)"})
final class RunCommand extends CliCommand {

    /** Loads the one encoder of a run (selection, alignment, coverage); replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment (API key, default cache directory); replaceable in tests. */
    Map<String, String> environment = System.getenv();

    /** Adjusts the chat model builder (tests: a no-op sleeper for fast retries). */
    UnaryOperator<OpenAiCompatibleChatModel.Builder> builderHook = b -> b;

    /** The engine call, replaceable in tests. */
    TextAlignment.WeightLearner learner = TextAlignment.WeightLearner.MMD;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--real", required = true, paramLabel = "REAL.jsonl",
            description = "The real rows: .jsonl, .csv or .tsv, optionally .gz.")
    Path real;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "ALIGNED.jsonl",
            description = "Where to write the aligned set: N synthetic rows drawn by weight"
                    + " without replacement (format follows the name: .jsonl, .csv, .tsv, + .gz).")
    Path out;

    @Option(names = "--with-replacement",
            description = "Draw the aligned set with replacement: N independent draws, so a row"
                    + " may repeat and N may exceed the rows with a positive weight.")
    boolean withReplacement;

    @Option(names = "--sample", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Rows in the aligned set. Default: half the rows with a positive weight"
                    + " (at least 1). Without replacement, inclusion is proportional to the weights"
                    + " only while N is a small part of them; --with-replacement keeps it"
                    + " proportional.")
    Integer sample;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--synthetic-out", paramLabel = "SYNTH.jsonl",
            description = "Also write every generated row, as 'generate' writes them (format"
                    + " from the name, as --out).")
    Path syntheticOut;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--weighted-out", paramLabel = "WEIGHTED.jsonl",
            description = "Also write every generated row with a field " + TextAlignOptions.WEIGHT_FIELD + ".")
    Path weightedOut;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--summary", paramLabel = "SUMMARY.json",
            description = "Also write a JSON summary: generation counts and the per-label alignment report.")
    Path summary;

    @Option(names = "--dedup",
            description = "Before alignment, remove generated rows whose cosine to an earlier kept"
                    + " row reaches --filter-threshold (as 'synalign filter').")
    boolean dedup;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--leakage-against", split = ",", paramLabel = "TEST.jsonl",
            description = "Before alignment, remove generated rows whose cosine to a row of these"
                    + " files (a test set) reaches --filter-threshold. Comma-separated or repeated.")
    List<Path> leakageAgainst = new ArrayList<>();

    @Option(names = "--filter-threshold", paramLabel = "T",
            description = "The cosine of --dedup and --leakage-against, in [-1, 1]. Default: ${DEFAULT-VALUE}.")
    double filterThreshold = 0.95;

    @PathRole(value = PathRole.Kind.RUN_DIRECTORY, files = {RunFiles.GENERATION, RunFiles.ALIGNMENT, RunFiles.WEIGHTED,
            RunFiles.REAL_EMBEDDINGS, RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.LABELS, RunFiles.TEST})
    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Also write the run directory that 'synalign report' reads (created if"
                    + " missing): what align --run-dir writes (" + RunFiles.ALIGNMENT + ", "
                    + RunFiles.WEIGHTED + ", both embedding files, " + RunFiles.LABELS + "), "
                    + RunFiles.GENERATION + " (generator, per-label demonstration coverage, the"
                    + " rounds) and " + RunFiles.TEST + " (the aligned rows' two-sample test, as"
                    + " 'synalign test --weighted').")
    Path runDir;

    @Mixin
    ScopeOption scope = new ScopeOption();

    @Mixin
    GenerationOptions generation = new GenerationOptions();

    @Mixin
    EmbeddingOptions encoder = new EmbeddingOptions();

    @Mixin
    AlignmentEngineOptions engine = new AlignmentEngineOptions();

    /** As align's; with --rounds it checks the final alignment only (see the footer). */
    @Mixin
    HoldoutOption holdout = new HoldoutOption();

    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of generation, alignment and the sample. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label (none: one group; given, it must"
                    + " be a field of the real rows). Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }


    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        // Everything that needs no LLM first.
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", out);
        RecordFormat.Kind weightedKind = weightedOut == null ? null
                : RecordFormat.ofOutput("--weighted-out", weightedOut);
        RecordFormat.Kind syntheticKind = syntheticOut == null ? null
                : RecordFormat.ofOutput("--synthetic-out", syntheticOut);
        String textField = records.textField;
        RecordOptions.requireDistinctFields(textField, labelField);
        GenerationOptions.Checked checked = generation.check(environment,
                option -> spec.commandLine().getParseResult().hasMatchedOption(option));
        AlignmentConfig config = engine.config(seed,
                spec.commandLine().getParseResult()::hasMatchedOption);
        String backend = common.checkedBackend();
        EncoderOptions encoderOptions = encoder.encoderOptions();
        Path cacheDir = encoder.cacheDirectory(environment);
        ModelSpec model = encoder.modelSpec();
        boolean filtering = dedup || !leakageAgainst.isEmpty();
        if (!filtering && spec.commandLine().getParseResult().hasMatchedOption("--filter-threshold")) {
            throw new IllegalArgumentException("--filter-threshold applies with --dedup or"
                    + " --leakage-against");
        }
        if (!(filterThreshold >= -1 && filterThreshold <= 1)) {
            throw new IllegalArgumentException("--filter-threshold " + filterThreshold
                    + ": a cosine, in [-1, 1]");
        }
        List<Record> rows = records.read(real); // an empty file is an InputException there
        TextFields.LabelledTexts lt = TextFields.labelled(real, rows, textField, labelField);
        GivenLabelField.require(spec, real, lt, labelField);
        List<LabelRows> labels = GenerationOptions.labelRows(real, textField, rows, lt);
        List<List<String>> leakageTexts = new ArrayList<>();
        for (Path a : leakageAgainst) {
            leakageTexts.add(TextFields.texts(a, records.read(a), textField));
        }
        int requested = checked.requested(labels);
        if (holdout.on()) {
            requireHoldoutCheckable(checked, labels, lt, rows.size(), err);
        }
        if (sample != null && !withReplacement && sample > requested) {
            throw new IllegalArgumentException("--sample " + sample + " exceeds the " + requested
                    + " rows to generate; the aligned set is drawn from them without replacement");
        }

        // One encoder for the whole run, and one pass over the real texts: demonstration
        // selection, alignment and coverage all read the same real rows.
        GenerationOptions.Seams seams = new GenerationOptions.Seams(environment, builderHook);
        TextAlignment aligner = new TextAlignment(new TextAlignment.Options(config,
                scope.scope, backend), engine.warningUnread(learner,
                spec.commandLine().getParseResult()::hasMatchedOption, err));
        GenerationOptions.Generated g;
        SemanticFilter.Result filtered = null;
        RealEmbeddings embeddedReal;
        TextAlignment.Embedded embedded;
        LabelPlan plan;
        String encoderId;
        JournalUse journalUse;
        // The journal first: one held by another run, or damaged, is reported before the model
        // loads.
        try (CallJournal journal = generation.openJournal(checked);
                JournalStopNote stop = JournalStopNote.watch(journal, err);
                SentenceEncoder enc = encoder.open(loader, model, encoderOptions, cacheDir)) {
            encoderId = enc.modelId();
            long start = System.nanoTime();
            try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
                embeddedReal = RealEmbeddings.embed(enc, lt.texts(), progress.encoding("embed real"));
            }
            double realSeconds = (System.nanoTime() - start) / 1e9;
            GenerationOptions.Generated generatedRows;
            try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
                GenerationOptions.LoopSeams loop = new GenerationOptions.LoopSeams(
                        texts -> TextEmbedding.encode(enc, texts, progress.encoding("embed synthetic")),
                        aligner, progress);
                generatedRows = generation.generate(checked, lt, labels, seed, backend, seams,
                        embeddedReal, journal, loop);
            }
            stop.close(); // the generation has finished: a later Ctrl-C needs no journal note
            journalUse = JournalUse.of(journal);
            g = generatedRows;
            List<GeneratedSample> generated = g.samples();
            if (generated.isEmpty()) {
                throw new IllegalStateException("generation produced no rows; nothing to align");
            }
            List<String> syntheticTexts = new ArrayList<>();
            for (GeneratedSample s : generated) {
                syntheticTexts.add(s.text());
            }
            try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
                embedded = aligner.withSynthetic(enc, embeddedReal.all(), realSeconds,
                        syntheticTexts, progress);
                if (filtering) {
                    List<FloatMatrix> refs = new ArrayList<>();
                    for (int i = 0; i < leakageTexts.size(); i++) {
                        refs.add(TextEmbedding.encode(enc, leakageTexts.get(i),
                                progress.encoding("embed " + leakageAgainst.get(i).getFileName())));
                    }
                    try (KernelBackend kernels = KernelBackends.create(backend)) {
                        filtered = SemanticFilter.filter(kernels, embedded.synthetic(), refs,
                                filterThreshold, dedup, progress);
                    }
                }
            }
            FloatMatrix synthetic = embedded.synthetic();
            if (filtered != null) {
                int[] keep = filtered.kept();
                if (keep.length == 0) {
                    throw new IllegalArgumentException("--dedup/--leakage-against removed every"
                            + " generated row; nothing to align (raise --filter-threshold)");
                }
                synthetic = synthetic.selectRows(keep);
            }
            // The counts of every text this run's own encoder embedded: the real rows, the
            // generation loop's, the synthetic rows and the --leakage-against texts.
            embedded = new TextAlignment.Embedded(embedded.real(), synthetic, TextEmbedding.stats(enc),
                    embedded.seconds());
            List<GeneratedSample> kept = kept(generated, filtered);
            List<String> syntheticLabels = lt.labels() == null ? null
                    : kept.stream().map(GeneratedSample::label).toList();
            plan = TextAlignOptions.plan(scope.scope,
                    lt.labels(), rows.size(), syntheticLabels, kept.size());
        }
        // The rows aligned: every generated row, less those --dedup/--leakage-against removed.
        List<GeneratedSample> samples = kept(g.samples(), filtered);
        LabelledAlignmentResult result;
        try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            result = aligner.fit(plan, embedded.real(), RowSource.of(embedded.synthetic()),
                    progress);
        }
        HeldOutAfterOutputs afterwards = new HeldOutAfterOutputs(holdout.on());
        // The real rows the weights were fitted to: recorded in the summary and alignment.json
        // for a later test --weighted, and run's own test scores these very rows.
        RealRowsFingerprint realRows = RealRowsFingerprint.of(lt.texts(), lt.labels());
        TwoSampleTesting.Report tested = null;
        if (runDir != null) {
            List<String> texts = samples.stream().map(GeneratedSample::text).toList();
            List<String> synthLabels = lt.labels() == null ? null
                    : samples.stream().map(GeneratedSample::label).toList();
            try (KernelBackend kernels = KernelBackends.create(backend);
                    StderrProgress progress = StderrProgress.create(err, common.quiet)) {
                tested = TwoSampleTesting.run(kernels,
                        new TwoSampleTesting.Side(embedded.real(), lt.texts(), lt.labels(), null),
                        new TwoSampleTesting.Side(embedded.synthetic(), texts, synthLabels, null),
                        new TwoSampleTesting.Side(embedded.synthetic(), texts, synthLabels, result.weights()),
                        TwoSampleTesting.Options.of(ClosedLoop.PERMUTATIONS, seed), progress);
            }
        }
        List<GenerationCoverage.Label> coverage = GenerationCoverage.measure(generation, labels, g,
                seed, backend, embeddedReal);
        if (!common.quiet) {
            GenerationCoverage.print(err, coverage, generation.demos);
        }
        int n = sample != null ? sample : WeightedDraw.defaultSize(result.support());
        int[] picks = WeightedDraw.indices(result, n, seed, "generated rows", withReplacement);

        List<Record> synthetic = GenerationOptions.toRecords(samples, textField, labelField);
        List<Record> aligned = WeightedDraw.records(synthetic, picks);
        // The rows and weights written (--weighted-out, the run directory's weighted.jsonl), as
        // a reader of those files yields them, for a later test --weighted to recognise.
        TextFields.LabelledTexts weightedRows = TextFields.labelled(
                weightedOut != null ? weightedOut : Path.of(RunFiles.WEIGHTED), synthetic,
                textField, labelField);
        SyntheticRowsFingerprint syntheticRows = SyntheticRowsFingerprint.of(
                weightedRows.texts(), weightedRows.labels(), result.weights());
        TextAlignReport report = new TextAlignReport(new TextAlignReport.Files(real, syntheticOut,
                weightedOut, out, summary, textField, labelField, common.backend), config, plan,
                result, TextAlignReport.Embedding.of(model, encoderId,
                        encoderOptions.maxLength(), cacheDir, embedded), picks,
                withReplacement, realRows, syntheticRows);
        List<Record> weighted = weightedOut == null && runDir == null ? null
                : TextAlignment.weightedRecords(synthetic, result.weights());
        // What --dedup/--leakage-against removed: one summary for both documents and stdout.
        Map<String, Object> filterSummary = filtered == null ? null
                : filterJson(filtered, g.samples(), filterThreshold, samples.size());
        RunDirOption.create(runDir); // outputs may lie in it
        List<String> written = new ArrayList<>();
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(out, o -> RecordWriter.write(o, outKind, aligned));
            written.add(out.toString());
            if (syntheticOut != null) {
                List<Record> every = filtered == null ? synthetic
                        : GenerationOptions.toRecords(g.samples(), textField, labelField);
                outputs.stage(syntheticOut, o -> RecordWriter.write(o, syntheticKind, every));
                written.add(syntheticOut.toString());
            }
            if (weightedOut != null) {
                outputs.stage(weightedOut, o -> RecordWriter.write(o, weightedKind, weighted));
                written.add(weightedOut.toString());
            }
            if (summary != null) {
                afterwards.stage(outputs, new HeldOutAfterOutputs.Document(summary, h -> {
                    Map<String, Object> json = new LinkedHashMap<>();
                    json.put("generation", generationJson(g));
                    if (filterSummary != null) {
                        json.put("filter", filterSummary);
                    }
                    json.put("alignment", report.withHeldOut(h).summary());
                    return o -> Json.writePretty(o, json);
                }));
                written.add(summary.toString());
            }
            if (runDir != null) {
                // Everything align --run-dir writes, so that report --run is complete after run.
                List<String> syntheticLabels = lt.labels() == null ? null
                        : samples.stream().map(GeneratedSample::label).toList();
                // Each document states the settings of its step: generation's options go to
                // generation.json, alignment's to alignment.json, the shared ones to both.
                Set<String> alignmentOnly = alignmentOnly();
                Set<String> generationOnly = generationOnly();
                List<String> unread = engine.unused();
                Predicate<String> ofGeneration = name -> !alignmentOnly.contains(name);
                Predicate<String> ofAlignment = name -> !generationOnly.contains(name)
                        && !unread.contains(name);
                Map<String, Object> effective = encoder.effective(cacheDir);
                effective.putAll(engine.effective());
                effective.put("--sample", picks.length);
                new RunDirOutputs(runDir).stage(outputs, afterwards,
                        h -> Json.MAPPER.valueToTree(report.withHeldOut(h).summary()),
                        RunSettings.state(spec, runDir, ofAlignment, effective), weighted,
                        embedded.real(), embedded.synthetic(), labelField, lt.labels(),
                        syntheticLabels);
                var json = GenerationCoverage.json(GenerationCoverage.settings(spec, runDir,
                        ofGeneration, checked, encoder.effective(cacheDir)), g, coverage);
                if (filterSummary != null) {
                    json.put("filter", filterSummary);
                }
                outputs.stage(RunFiles.file(runDir, RunFiles.GENERATION), o -> Json.writeRunDocument(o, json));
                Map<String, Object> testJson = tested.json();
                testJson.put(WeightedFileOrigin.KEY, WeightedFileOrigin.compare(syntheticRows,
                        syntheticRows, RunFiles.WEIGHTED, RunFiles.ALIGNMENT).json());
                testJson.put(FittedRealRows.KEY,
                        FittedRealRows.compare(realRows, realRows).json());
                outputs.stage(RunFiles.file(runDir, RunFiles.TEST), o -> Json.writeRunDocument(o, testJson));
                written.add("the run directory " + runDir);
            }
            outputs.commit();
        }
        GenerationOptions.printSummary(stdout, g);
        JournalUse.print(journalUse, stdout, err);
        if (filterSummary != null) {
            stdout.printf(Locale.ROOT, "filtered before alignment: removed %d rows leaking"
                    + " --leakage-against and %d near-duplicates (cosine >= %s); %d rows aligned%n",
                    filterSummary.get("removed_leaking"), filterSummary.get("removed_near_duplicates"),
                    Numbers.short4(filterThreshold), samples.size());
        }
        report.print(stdout);
        if (syntheticOut != null) {
            stdout.println("wrote " + syntheticOut + " (every generated row)");
        }
        if (runDir != null) {
            stdout.println(new RunDirOutputs(runDir).wroteLine(true));
        }
        stdout.flush();
        if (holdout.on()) {
            // The check of the weights written (after --rounds, those of every round's rows),
            // once they are: a failure in it cannot cost them (HeldOutAfterOutputs). On a
            // backend of its own, as the two-sample test and the coverage have theirs.
            LabelPlan fittedPlan = plan;
            TextAlignment.Embedded fittedRows = embedded;
            try (StderrProgress progress = StderrProgress.create(err, common.quiet);
                    TextAlignment.Session session = aligner.open()) {
                afterwards.run(() -> session.heldOut(fittedPlan, fittedRows.real(),
                        RowSource.of(fittedRows.synthetic()), holdout.folds, progress),
                        holdout.folds, written, stdout);
            }
        }
        return ExitCodes.OK;
    }

    /**
     * Refuses --holdout-folds before any row is generated when no label could be checked, and
     * warns, in one line on {@code err}, naming the labels it will skip when others can be: the
     * rows to come are planned as the labels' quotas (every round's share of them, with
     * --rounds), so that both the real rows' folds and the synthetic rows' count against the
     * exact score's limit are judged as align judges the rows once they exist. (A label that
     * ends with no rows after generation, its rows all filtered out or a loop stopped early, is
     * named by the check's own line.)
     */
    private void requireHoldoutCheckable(GenerationOptions.Checked checked, List<LabelRows> labels,
            TextFields.LabelledTexts lt, int nReal, PrintWriter err) {
        int[] quotas = GenerationPipeline.quotas(labels, checked.perLabel(), checked.total());
        List<String> asked = lt.labels() == null ? null : new ArrayList<>();
        int nAsked = 0;
        for (int i = 0; i < quotas.length; i++) {
            nAsked += quotas[i];
            if (asked != null) {
                asked.addAll(java.util.Collections.nCopies(quotas[i], labels.get(i).label()));
            }
        }
        if (nAsked > 0) { // no row asked for is refused elsewhere
            LabelPlan planned = TextAlignOptions.plan(scope.scope, lt.labels(), nReal, asked, nAsked);
            holdout.requireCheckable(planned);
            String skipped = holdout.skippedWarning(planned, true);
            if (skipped != null) {
                err.println("synalign: warning: " + skipped);
                err.flush();
            }
        }
    }

    /** Options only generation reads: the generation mixin's, and where its rows go. */
    private Set<String> generationOnly() {
        Set<String> names = new HashSet<>(optionNames("generation"));
        names.add("--synthetic-out");
        return names;
    }

    /** Options only alignment and the aligned sample read. */
    private Set<String> alignmentOnly() {
        Set<String> names = new HashSet<>(optionNames("engine"));
        names.addAll(optionNames("scope"));
        names.addAll(optionNames("holdout"));
        names.addAll(List.of("--out", "--sample", "--with-replacement", "--weighted-out",
                "--summary", "--dedup", "--leakage-against", "--filter-threshold"));
        return names;
    }

    private Set<String> optionNames(String mixin) {
        Set<String> names = new HashSet<>();
        for (OptionSpec o : spec.mixins().get(mixin).options()) {
            names.add(o.longestName());
        }
        return names;
    }

    /** The generated samples {@code f} kept, in order (all of them without a filter). */
    private static List<GeneratedSample> kept(List<GeneratedSample> all, SemanticFilter.Result f) {
        if (f == null) {
            return all;
        }
        List<GeneratedSample> out = new ArrayList<>(f.kept().length);
        for (int i : f.kept()) {
            out.add(all.get(i));
        }
        return out;
    }

    /**
     * What --dedup/--leakage-against removed between generation and alignment: the summary and
     * generation.json said 48 generated beside 7 aligned, with no count of the removed rows.
     */
    private static Map<String, Object> filterJson(SemanticFilter.Result filtered,
            List<GeneratedSample> generated, double threshold, int aligned) {
        long leaks = filtered.removed().stream()
                .filter(r -> r.reason() == SemanticFilter.Reason.LEAKAGE).count();
        Map<String, Integer> perLabel = new java.util.TreeMap<>();
        for (SemanticFilter.Removal r : filtered.removed()) {
            perLabel.merge(io.synalign.generation.LabelRows.display(generated.get(r.row()).label()), 1,
                    Integer::sum);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threshold", threshold);
        m.put("removed_leaking", leaks);
        m.put("removed_near_duplicates", filtered.removed().size() - leaks);
        m.put("removed_per_label", perLabel);
        m.put("aligned", aligned);
        return m;
    }

    private static Map<String, Object> generationJson(GenerationOptions.Generated g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", g.backend());
        m.put("model", g.model());
        if (g.servedInstead() != null) {
            m.put("served_model", g.servedInstead().json());
        }
        m.put("baseline", g.offline());
        m.put("requested", g.quotas());
        m.put("generated", g.samples().size());
        m.put("rejected_empty", g.validator().rejectedEmpty());
        m.put("rejected_length", g.validator().rejectedLength());
        m.put("rejected_duplicates", g.validator().rejectedDuplicates());
        m.put("rejected_copies_of_real", g.validator().rejectedCopiesOfReal());
        m.put("cut_off_replies_kept", g.validator().cutOffReplies());
        m.put("seconds", g.seconds());
        return m;
    }
}
