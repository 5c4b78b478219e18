package io.synalign.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.TextFields;
import io.synalign.generation.EdaBaselineGenerator;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.generation.LlmSampleGenerator;
import io.synalign.generation.PromptTemplates;
import io.synalign.generation.SampleGenerator;
import io.synalign.generation.SampleValidator;
import io.synalign.generation.WordNetSynonyms;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.SentenceEncoder;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatHttpException;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ConcurrentChatExecutor;
import io.synalign.models.llm.Durations;
import io.synalign.models.llm.JournaledChatModel;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code synalign generate}: writes labelled synthetic rows in the manner of the real ones.
 *
 * <p>{@code --llm URL}: SynAlign's pipeline over an OpenAI-compatible server
 * ({@link LlmSampleGenerator}: GP exploration-aware demonstration groups, stage-1 latent
 * attribute summaries, stage-2 samples). {@code --llm offline}: the EDA BASELINE
 * ({@link EdaBaselineGenerator}), no LLM, labelled {@code offline-eda-baseline} in every row's
 * provenance and in the summary line. {@code --llm gguf:PATH} is reserved for a later build.
 *
 * <p>Option naming: {@code --model} names the LLM (as in the issue); the sentence encoder that
 * embeds the real rows for selection is {@code --encoder} here (it is {@code --model} in
 * {@code embed}/{@code align}). The API key is read from the environment variable named by
 * {@code --api-key-env}, never from the command line. A non-retryable HTTP error (401 wrong key,
 * 404 unknown model, 400 bad request) stops the run with the server's message and exit status 2
 * (bad input: the configuration is wrong); nothing is written. Output: JSON Lines, written
 * atomically, one object per sample with the text field, the label field and {@code synalign}
 * (provenance).
 */
@Command(name = "generate", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign generate --real REAL.jsonl --out SYNTH.jsonl --llm URL|offline [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Generate labelled synthetic rows like the real ones: with an LLM"
                + " (OpenAI-compatible server) via SynAlign's exploration-aware demonstrations and"
                + " latent attribute reasoning, or with --llm offline, an EDA baseline (no LLM)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, LLM unreachable, internal error)",
            "2:bad input (usage, option value, input file, or the LLM server refused the"
                + " request: wrong key, unknown model)"})
final class GenerateCommand implements Callable<Integer> {

    static final String OFFLINE = "offline";

    /** Loads the encoder; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment (API key, default cache directory); replaceable in tests. */
    Map<String, String> environment = System.getenv();

    /** Adjusts the chat model builder (tests: a no-op sleeper for fast retries). */
    UnaryOperator<OpenAiCompatibleChatModel.Builder> builderHook = b -> b;

    @Spec
    CommandSpec spec;

    @Option(names = "--real", required = true, paramLabel = "REAL.jsonl",
            description = "The real rows: .jsonl, .csv or .tsv, optionally .gz.")
    Path real;

    @Option(names = "--out", required = true, paramLabel = "SYNTH.jsonl",
            description = "Where to write the synthetic rows (JSON Lines).")
    Path out;

    @Option(names = "--llm", required = true, paramLabel = "URL|offline",
            description = "An OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1), or"
                    + " 'offline' for the EDA baseline generator (no LLM; a baseline, not SynAlign's method).")
    String llm;

    @Option(names = "--model", paramLabel = "NAME", description = "The LLM's model name. Default: ${DEFAULT-VALUE}.")
    String model = "gpt-4o-mini";

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Environment variable holding the API key (e.g. OPENAI_API_KEY); none sent without it.")
    String apiKeyEnv;

    static final class Amount {
        @Option(names = "--per-label", paramLabel = "N", converter = Converters.PositiveInt.class,
                description = "Synthetic rows per label (default 100).")
        Integer perLabel;

        @Option(names = "--total", paramLabel = "N", converter = Converters.PositiveInt.class,
                description = "Synthetic rows in all, split by the labels' shares of the real rows.")
        Integer total;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Amount amount = new Amount();

    @Option(names = "--demos-per-prompt", paramLabel = "G", converter = Converters.PositiveInt.class,
            description = "Demonstrations per prompt (GP-selected group size). Default: ${DEFAULT-VALUE}.")
    int demosPerPrompt = 3;

    @Option(names = "--samples-per-summary", paramLabel = "K", converter = Converters.PositiveInt.class,
            description = "Samples asked for per attribute summary. Default: ${DEFAULT-VALUE}.")
    int samplesPerSummary = 10;

    @Option(names = "--concurrency", paramLabel = "C", converter = Converters.PositiveInt.class,
            description = "Most LLM requests in flight (halved on HTTP 429). Default: ${DEFAULT-VALUE}.")
    int concurrency = 8;

    @Option(names = "--request-timeout", paramLabel = "DURATION",
            description = "Per-request timeout, e.g. 90s, 2m. Default: ${DEFAULT-VALUE}.")
    String requestTimeout = "120s";

    @Option(names = "--journal", paramLabel = "DIR",
            description = "Call journal: completed LLM calls are stored and never sent again, so a"
                    + " re-run resumes (and replays identically).")
    Path journal;

    @Option(names = "--prompts", paramLabel = "DIR",
            description = "Directory with attributes.txt and/or samples.txt replacing the built-in prompts.")
    Path prompts;

    @Option(names = "--hints", paramLabel = "TEXT",
            description = "Dataset-specific guidance appended to the attribute-summary prompt.")
    String hints;

    @Option(names = "--min-chars", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Shortest sample kept. Default: ${DEFAULT-VALUE}.")
    int minChars = SampleValidator.DEFAULT_MIN_CHARS;

    @Option(names = "--max-chars", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Longest sample kept. Default: ${DEFAULT-VALUE}.")
    int maxChars = SampleValidator.DEFAULT_MAX_CHARS;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of every choice. Default: ${DEFAULT-VALUE}.")
    long seed = 0;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label (none: one group). Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Option(names = "--encoder", paramLabel = "minilm|bge-small|DIR",
            description = "Sentence encoder for demonstration selection (--model in embed/align)."
                    + " Default: ${DEFAULT-VALUE}.")
    String encoder = io.synalign.models.ModelRegistry.DEFAULT_MODEL;

    @Option(names = "--batch-size", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Texts per encoder batch. Default: ${DEFAULT-VALUE}.")
    int batchSize = io.synalign.models.EncoderOptions.DEFAULT_BATCH_SIZE;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Embedding cache directory.")
    Path cacheDir;

    @Option(names = "--no-cache", description = "Use no embedding cache.")
    boolean noCache;

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(spec.commandLine().getOut(), err);
        } catch (ChatHttpException e) {
            return CliErrors.report(new IllegalArgumentException("the LLM server refused the request: "
                    + e.getMessage(), e), err, common.verbose);
        } catch (Throwable t) {
            return CliErrors.report(t, err, common.verbose);
        }
    }

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        new OutputTargets().input("--real", real).add("--out", out);
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
            throw new IllegalArgumentException("--out " + out + ": synthetic rows are written as JSON"
                    + " Lines; name the file *.jsonl");
        }
        String backendSpec = llm.strip();
        if (backendSpec.startsWith("gguf:")) {
            throw new IllegalArgumentException("--llm " + backendSpec
                    + ": the GGUF backend is not available in this build yet");
        }
        boolean offline = backendSpec.equalsIgnoreCase(OFFLINE);
        Integer perLabel = amount == null || amount.total == null
                ? (amount == null || amount.perLabel == null ? 100 : amount.perLabel) : null;
        Integer total = amount == null ? null : amount.total;
        PromptTemplates templates = PromptTemplates.load(prompts);
        java.time.Duration timeout = parseTimeout();
        List<Record> rows = records.read(real);
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("--real " + real + ": no records");
        }
        TextFields.LabelledTexts lt = TextFields.labelled(real, rows, records.textField, labelField);
        List<Long> lines = new ArrayList<>();
        rows.forEach(r -> lines.add(r.line()));
        List<LabelRows> labels = GenerationPipeline.byLabel(lt.texts(), lt.labels(), lines);
        int[] quotas = GenerationPipeline.quotas(labels, perLabel, total);
        SampleValidator validator = new SampleValidator(lt.texts(), minChars, maxChars);

        long start = System.nanoTime();
        List<GeneratedSample> samples;
        String backendName;
        String modelName;
        if (offline) {
            SampleGenerator g = new EdaBaselineGenerator(WordNetSynonyms.load());
            samples = GenerationPipeline.run(labels, quotas, g, validator, seed);
            backendName = g.backend();
            modelName = g.model();
        } else {
            EmbeddingOptions emb = new EmbeddingOptions();
            emb.model = encoder;
            emb.batchSize = batchSize;
            emb.cacheDir = cacheDir;
            emb.noCache = noCache;
            Path cache = emb.cacheDirectory(environment);
            var encoderOptions = emb.encoderOptions();
            var modelSpec = emb.modelSpec();
            AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(concurrency);
            OpenAiCompatibleChatModel.Builder b = OpenAiCompatibleChatModel.builder(backendSpec, model)
                    .environment(environment::get).requestTimeout(timeout).limiter(limiter);
            if (apiKeyEnv != null) {
                b.apiKeyEnv(apiKeyEnv);
            }
            ChatModel chat = builderHook.apply(b).build();
            try (CallJournal j = journal == null ? null : CallJournal.open(journal);
                    SentenceEncoder enc = emb.open(loader, modelSpec, encoderOptions, cache);
                    KernelBackend kernels = KernelBackends.create(common.checkedBackend())) {
                ChatModel m = j == null ? chat : new JournaledChatModel(chat, j);
                SampleGenerator g = new LlmSampleGenerator(m, new ConcurrentChatExecutor(m, limiter), kernels,
                        texts -> TextEmbedding.encode(enc, texts, io.synalign.models.EncodeProgress.NONE),
                        templates, demosPerPrompt, samplesPerSummary, hints);
                samples = GenerationPipeline.run(labels, quotas, g, validator, seed);
                backendName = g.backend();
                modelName = g.model();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        write(samples);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            counts.put(labels.get(i).displayLabel(), quotas[i]);
        }
        stdout.printf(Locale.ROOT, "generated %d rows (%s) with %s%s in %.1f s; rejected %d empty,"
                        + " %d out of length bounds, %d duplicates%n", samples.size(), counts, backendName,
                offline ? " (a non-LLM BASELINE, not SynAlign's LLM generation)" : " model " + modelName,
                seconds, validator.rejectedEmpty(), validator.rejectedLength(), validator.rejectedDuplicates());
        stdout.println("wrote " + out);
        stdout.flush();
        return ExitCodes.OK;
    }

    private java.time.Duration parseTimeout() {
        try {
            return Durations.parse(requestTimeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--request-timeout " + requestTimeout + ": " + e.getMessage());
        }
    }

    private void write(List<GeneratedSample> samples) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        AtomicOutputs.writeAtomically(out, o -> {
            Writer w = new OutputStreamWriter(o, StandardCharsets.UTF_8);
            for (GeneratedSample s : samples) {
                ObjectNode row = json.createObjectNode();
                row.put(records.textField, s.text());
                if (s.label() != null) {
                    row.put(labelField, s.label());
                }
                row.set("synalign", s.provenance());
                w.write(json.writeValueAsString(row));
                w.write('\n');
            }
            w.flush();
        });
    }
}
