package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.generation.LabelRows;
import io.synalign.io.AtomicOutputs;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.SentenceEncoder;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.TextEmbedding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign generate}: writes labelled synthetic rows in the manner of the real ones.
 *
 * <p>{@code --llm URL}: SynAlign's pipeline over an OpenAI-compatible server
 * ({@link LlmSampleGenerator}: GP exploration-aware demonstration groups, stage-1 latent
 * attribute summaries, stage-2 samples). {@code --llm offline}: the EDA BASELINE
 * ({@link EdaBaselineGenerator}), no LLM, labelled {@code offline-eda-baseline} in every row's
 * provenance and in the summary line. {@code --llm gguf:PATH}: the same pipeline over a local GGUF
 * model run in-process by llama.cpp ({@link io.synalign.models.llm.GgufChatModel}, CPU,
 * grammar-constrained JSON, backend {@code gguf}, model name = the file name); a missing or
 * non-GGUF file exits 2 before any work. Every backend asks once per call and is wrapped in a
 * {@link io.synalign.models.llm.ReaskingChatModel} outside the journal, so each ask and re-ask
 * is journaled as its own call.
 *
 * <p>Option naming: {@code --model} names the LLM; the sentence encoder that embeds the real
 * rows for selection is {@code --encoder}, as in every command. The API key is read from the
 * environment variable named by {@code --api-key-env}, never from the command line. A non-retryable HTTP error (401 wrong key,
 * 404 unknown model, 400 bad request) stops the run with the server's message and exit status 2
 * (bad input: the configuration is wrong); nothing is written. Output: one record per sample
 * with the text field, the label field and {@code synalign} (provenance), written atomically by
 * {@link RecordWriter} in the format the name of {@code --out} says (JSON Lines, CSV or TSV,
 * optionally gzip-compressed).
 */
@Command(name = "generate", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign generate --real REAL.jsonl --out SYNTH.jsonl --llm URL|gguf:PATH|offline [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Generate labelled synthetic rows like the real ones: with an LLM"
                + " (OpenAI-compatible server, or a local GGUF model with --llm gguf:PATH) via SynAlign's exploration-aware demonstrations and"
                + " latent attribute reasoning, or with --llm offline, an EDA baseline (no LLM)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, the LLM server failing or past"
                + " --request-timeout, internal error)",
            "2:bad input (usage, option value, input file, no server at the --llm address, or"
                + " the LLM server refused the request: wrong key, unknown model)"})
final class GenerateCommand extends CliCommand {

    static final String OFFLINE = GenerationOptions.OFFLINE;

    /** Loads the encoder; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment (API key, default cache directory); replaceable in tests. */
    Map<String, String> environment = System.getenv();

    /**
     * Where {@code --llm} came from, for the "cannot connect" error: the option itself, or the
     * environment variable through which {@code demo} gives it.
     */
    String llmSource = "--llm";

    /** Adjusts the chat model builder (tests: a no-op sleeper for fast retries). */
    UnaryOperator<OpenAiCompatibleChatModel.Builder> builderHook = b -> b;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--real", required = true, paramLabel = "REAL.jsonl",
            description = "The real rows: .jsonl, .csv or .tsv, optionally .gz.")
    Path real;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "SYNTH.jsonl",
            description = "Where to write the synthetic rows; the format follows the name (.jsonl,"
                    + " .csv, .tsv, optionally + .gz; CSV/TSV hold the provenance as JSON text).")
    Path out;

    @Mixin
    GenerationOptions generation = new GenerationOptions();

    @Mixin
    EmbeddingOptions encoder = new EmbeddingOptions();

    @PathRole(value = PathRole.Kind.RUN_DIRECTORY, files = RunFiles.GENERATION)
    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Also write DIR/" + RunFiles.GENERATION + " (settings, generator, and per"
                    + " label the demonstration coverage); DIR is created if missing.")
    Path runDir;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of every choice. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label (none: one group; given, it must"
                    + " be a field of the real rows). Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Option(names = "--task", paramLabel = "classification|retrieval",
            description = "What to write: labelled rows like --real (classification), or search"
                    + " queries for the passages of --corpus like the real queries (retrieval)."
                    + " Default: ${DEFAULT-VALUE}.")
    String task = EvaluateCommand.CLASSIFICATION;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--corpus", paramLabel = "CORPUS.jsonl",
            description = "Retrieval: the passages (BEIR layout: _id, title, text); --real holds"
                    + " query rows naming theirs in " + io.synalign.retrieval.QueryRows.CORPUS_ID + ".")
    Path corpus;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--qrels", paramLabel = "QRELS.tsv",
            description = "Retrieval: BEIR judgements (query-id corpus-id score) pairing the"
                    + " queries of a BEIR queries.jsonl given as --real with their passages.")
    Path qrels;

    @Option(names = "--passages", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Retrieval: passages to write queries for, chosen to cover the corpus"
                    + " (GP exploration over the passage embeddings). Default: every passage, at"
                    + " most " + RetrievalGenerateRun.DEFAULT_PASSAGES + ".")
    Integer passages;

    @Option(names = "--per-passage", paramLabel = "K", converter = Converters.PositiveInt.class,
            description = "Retrieval: queries per passage. Default: ${DEFAULT-VALUE}.")
    int perPassage = 3;

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        if (task.equals(EvaluateCommand.RETRIEVAL)) {
            return new RetrievalGenerateRun(this).run(stdout);
        }
        if (!task.equals(EvaluateCommand.CLASSIFICATION)) {
            throw new IllegalArgumentException("--task " + task + ": give classification or"
                    + " retrieval");
        }
        for (String option : RetrievalGenerateRun.RETRIEVAL_ONLY) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new IllegalArgumentException(option + " does not apply to --task"
                        + " classification (it is an option of --task retrieval)");
            }
        }
        return run(stdout);
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }

    @Override
    String llmSource() {
        return llmSource;
    }

    private int run(PrintWriter stdout) throws Exception {
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", out);
        RecordOptions.requireDistinctFields(records.textField, labelField);
        GenerationOptions.Checked checked = generation.check(environment,
                option -> spec.commandLine().getParseResult().hasMatchedOption(option));
        // The offline baseline needs no embeddings; its coverage (of the selection the LLM path
        // would make) is measured only when a run directory asks for it.
        boolean embeds = !checked.offline() || runDir != null;
        EncoderOptions encoderOptions = embeds ? encoder.encoderOptions() : null;
        Path cacheDir = embeds ? encoder.cacheDirectory(environment) : null;
        ModelSpec model = embeds ? encoder.modelSpec() : null;
        try (CallJournal journal = generation.openJournal(checked);
                JournalStopNote stop = JournalStopNote.watch(journal, spec.commandLine().getErr())) {
            return generate(stdout, checked, embeds, encoderOptions, cacheDir, model, outKind,
                    journal);
        }
    }

    private int generate(PrintWriter stdout, GenerationOptions.Checked checked, boolean embeds,
            EncoderOptions encoderOptions, Path cacheDir, ModelSpec model,
            RecordFormat.Kind outKind, CallJournal journal) throws Exception {
        List<Record> rows = records.read(real); // an empty file is an InputException there
        TextFields.LabelledTexts lt = TextFields.labelled(real, rows, records.textField, labelField);
        GivenLabelField.require(spec, real, lt, labelField);
        List<LabelRows> labels = GenerationOptions.labelRows(real, records.textField, rows, lt);
        String backend = common.checkedBackend();
        RealEmbeddings embedded = null;
        GenerationOptions.Seams seams = new GenerationOptions.Seams(environment, builderHook);
        GenerationOptions.Generated g;
        try (StderrProgress progress = StderrProgress.create(spec.commandLine().getErr(), common.quiet)) {
            // One encoder, one pass over the real texts: selection and coverage share the rows.
            // It stays open through generation only when the closed loop embeds each round.
            SentenceEncoder enc = embeds ? encoder.open(loader, model, encoderOptions, cacheDir) : null;
            try {
                if (enc != null) {
                    embedded = RealEmbeddings.embed(enc, lt.texts(), progress.encoding("embed real"));
                }
                GenerationOptions.LoopSeams loop = null;
                if (checked.closedLoop()) {
                    SentenceEncoder open = enc;
                    loop = new GenerationOptions.LoopSeams(
                            texts -> TextEmbedding.encode(open, texts, progress.encoding("embed synthetic")),
                            new TextAlignment(new TextAlignment.Options(
                                    AlignmentConfig.defaults().withSeed(seed), LabelMode.PER_LABEL, backend)),
                            progress);
                } else if (enc != null) {
                    enc.close();
                    enc = null;
                }
                g = generation.generate(checked, lt, labels, seed, backend, seams, embedded, journal, loop);
            } finally {
                if (enc != null) {
                    enc.close();
                }
            }
        }
        List<GenerationCoverage.Label> coverage = embedded == null ? null
                : GenerationCoverage.measure(generation, labels, g, seed, backend, embedded);
        if (coverage != null && !common.quiet) {
            GenerationCoverage.print(spec.commandLine().getErr(), coverage, generation.demos);
        }
        RunDirOption.create(runDir); // outputs may lie in it
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            List<Record> synthetic = GenerationOptions.toRecords(g.samples(), records.textField,
                    labelField);
            outputs.stage(out, o -> RecordWriter.write(o, outKind, synthetic));
            if (runDir != null) {
                var json = GenerationCoverage.json(GenerationCoverage.settings(spec, runDir,
                        name -> true, checked, encoder.effective(cacheDir)), g, coverage);
                outputs.stage(RunFiles.file(runDir, RunFiles.GENERATION), o -> Json.writeRunDocument(o, json));
            }
            outputs.commit();
        }
        GenerationOptions.printSummary(stdout, g);
        JournalUse.print(JournalUse.of(journal), stdout, spec.commandLine().getErr());
        stdout.println("wrote " + out + (runDir == null ? ""
                : " and " + runDir.resolve(RunFiles.GENERATION)));
        stdout.flush();
        return ExitCodes.OK;
    }
}
