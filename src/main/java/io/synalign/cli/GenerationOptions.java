package io.synalign.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.io.InputException;
import io.synalign.data.TextFields;
import io.synalign.generation.CutOffReplies;
import io.synalign.generation.GeneratedSample;
import io.synalign.generation.GenerationPipeline;
import io.synalign.generation.LabelRows;
import io.synalign.generation.PromptTemplates;
import io.synalign.generation.SampleValidator;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ApiKey;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.Durations;
import io.synalign.models.llm.GbnfGrammar;
import io.synalign.models.llm.GgufChatModel;
import io.synalign.models.llm.GgufContextException;
import io.synalign.models.llm.GgufHeader;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import io.synalign.engine.ProgressListener;
import io.synalign.generation.Demonstrations;
import io.synalign.pipeline.ClosedLoop;
import io.synalign.pipeline.Generation;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * The options and the steps of synthetic-row generation, shared by {@code generate} and
 * {@code run}: {@link #check} (option values, before any file is read),
 * {@link #generate} (the LLM pipeline or the offline EDA baseline over the real rows),
 * {@link #toRecords} (the rows with provenance, written by {@link io.synalign.data.RecordWriter})
 * and {@link #printSummary}.
 */
final class GenerationOptions {

    static final String OFFLINE = "offline";
    static final String GGUF_PREFIX = "gguf:";

    /** The test seams of a command: environment (API key), chat-model builder hook. */
    record Seams(Map<String, String> environment,
            UnaryOperator<OpenAiCompatibleChatModel.Builder> builderHook) {
    }

    /**
     * The option values, checked; {@code ggufContext} is the context in force of a GGUF model
     * (--gguf-context, or the default: the training context capped at
     * {@value GgufChatModel#DEFAULT_CONTEXT}), null for the other backends.
     */
    record Checked(String backendSpec, boolean offline, Path gguf, Integer ggufContext, Integer perLabel,
            Integer total, PromptTemplates templates, Duration timeout, Demonstrations demos,
            boolean attributes, ClosedLoop.Options loop) {

        /** Whether generation runs in rounds steered by measured gaps. */
        boolean closedLoop() {
            return loop.rounds() > 1;
        }

        /** The rows asked for in all, given the real label groups. */
        int requested(List<LabelRows> labels) {
            int sum = 0;
            for (int q : GenerationPipeline.quotas(labels, perLabel, total)) {
                sum += q;
            }
            return sum;
        }
    }

    /**
     * What a generation run produced; {@code rounds} and {@code stop} are null for a run in one
     * round; {@code servedInstead} is the model a server answered with in place of
     * {@code model} ({@link ServedInstead#of}), or null.
     */
    record Generated(List<GeneratedSample> samples, Map<String, Integer> quotas, String backend,
            String model, boolean offline, double seconds, SampleValidator validator,
            List<ClosedLoop.Round> rounds, String stop, ServedInstead servedInstead) {
    }

    /**
     * What the closed loop needs beyond one-shot generation: an embedder of the synthetic texts
     * (the run's encoder), the aligner of each round, and where progress goes.
     */
    record LoopSeams(ClosedLoop.Embedder synthetic, TextAlignment aligner, ProgressListener progress) {
    }

    @Option(names = "--llm", required = true, paramLabel = "URL|gguf:PATH|offline",
            description = "An OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1), gguf:PATH for a local"
                    + " GGUF model run in-process by llama.cpp (CPU; grammar-constrained JSON), or"
                    + " 'offline' for the EDA baseline generator (no LLM; a baseline, not SynAlign's method).")
    String llm;

    @Option(names = "--model", paramLabel = "NAME",
            description = "The LLM's model name (HTTP backends; a GGUF model is named by its file). Default: ${DEFAULT-VALUE}.")
    String model = "gpt-4o-mini";

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "Environment variable holding the API key (e.g. OPENAI_API_KEY); none sent without it.")
    String apiKeyEnv;

    // Counts say what they count (synthetic rows); the alignment scope is --scope, a mode.
    @Option(names = "--synthetic-per-label", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Synthetic rows to write per label. Default: " + DEFAULT_PER_LABEL
                    + " (when --synthetic-rows is not given).")
    Integer perLabel;

    @Option(names = "--synthetic-rows", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Synthetic rows to write in all, split by the labels' shares of the"
                    + " real rows (instead of --synthetic-per-label).")
    Integer total;

    static final int DEFAULT_PER_LABEL = 100;

    @Option(names = "--demos-per-prompt", paramLabel = "G", converter = Converters.PositiveInt.class,
            description = "Demonstrations per prompt (GP-selected group size; the last group of a"
                    + " coverage round completed by its pick's nearest rows). Default: ${DEFAULT-VALUE}.")
    int demosPerPrompt = 3;

    @Option(names = "--samples-per-summary", paramLabel = "K", converter = Converters.PositiveInt.class,
            description = "Samples asked for per attribute summary. Default: ${DEFAULT-VALUE}.")
    int samplesPerSummary = 10;

    @Option(names = "--concurrency", paramLabel = "C", converter = Converters.PositiveInt.class,
            description = "Most LLM requests in flight (halved on HTTP 429). Default: ${DEFAULT-VALUE}.")
    int concurrency = 8;

    @Option(names = "--request-timeout", paramLabel = "DURATION",
            description = "Deadline of one LLM call, e.g. 90s, 2m: the headers and the whole reply"
                    + " from a server, prompt and decoding for a GGUF model. Default: 120s for a"
                    + " server, 10m for a GGUF model.")
    String requestTimeout;

    @Option(names = "--gguf-context", paramLabel = "TOKENS", converter = Converters.PositiveInt.class,
            description = "Tokens of context (prompt plus reply) of a gguf:PATH model, from "
                    + GgufChatModel.MIN_CONTEXT + " to the model's training context; a reply gets"
                    + " what the prompt leaves, and the memory of the KV cache grows with it."
                    + " Default: the training context capped at " + GgufChatModel.DEFAULT_CONTEXT + ".")
    Integer ggufContext;

    @PathRole(value = PathRole.Kind.DIRECTORY, files = CallJournal.FILE)
    @Option(names = "--journal", paramLabel = "DIR",
            description = "Call journal: completed LLM calls are stored and never sent again, so a"
                    + " re-run resumes (and replays identically).")
    Path journal;

    @PathRole(value = PathRole.Kind.INPUT_DIRECTORY, files = {PromptTemplates.ATTRIBUTES,
        PromptTemplates.SAMPLES, PromptTemplates.SAMPLES_DIRECT, PromptTemplates.QUERY_ATTRIBUTES,
        PromptTemplates.QUERIES})
    @Option(names = "--prompts", paramLabel = "DIR",
            description = "Directory with attributes.txt, samples.txt and/or samples-direct.txt"
                    + " (--attributes off) (for --task retrieval: query-attributes.txt and/or"
                    + " queries.txt) replacing the built-in prompts.")
    Path prompts;

    @Option(names = "--hints", paramLabel = "TEXT",
            description = "Dataset-specific guidance appended to the attribute-summary prompt.")
    String hints;

    @Option(names = "--demos", paramLabel = "gp|random",
            description = "How demonstrations are picked: gp (SynAlign's exploration-aware"
                    + " sampling) or random (the paper's ablation). Default: ${DEFAULT-VALUE}.")
    String demos = "gp";

    @Option(names = "--attributes", paramLabel = "on|off",
            description = "Latent attribute reasoning: on (stage 1 summarises the demonstrations'"
                    + " attributes, stage 2 writes rows carrying them) or off (the ablation: rows"
                    + " from the demonstrations alone, " + PromptTemplates.SAMPLES_DIRECT + ")."
                    + " Default: ${DEFAULT-VALUE}.")
    String attributes = "on";

    @Option(names = "--rounds", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Generate in N rounds, the rows asked for split between them: after each"
                    + " round the rows so far are embedded, aligned and tested, and the next"
                    + " round's demonstrations are the real rows the weighted synthetic rows cover"
                    + " worst. Default: ${DEFAULT-VALUE} (one shot).")
    int rounds = 1;

    @Option(names = "--target-p", paramLabel = "P",
            description = "With --rounds: stop after a round where every label's weighted"
                    + " two-sample p-value is at least P (indistinguishable), in (0, 1].")
    Double targetP;

    @Option(names = "--target-mmd2", paramLabel = "T",
            description = "With --rounds: stop after a round where every label's weighted MMD^2"
                    + " is at most T.")
    Double targetMmd2;

    @Option(names = "--max-calls", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "With --rounds: start no further round once the LLM calls so far (asks"
                    + " and re-asks, replays from --journal included) reach N.")
    Integer maxCalls;

    @Option(names = "--min-chars", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Shortest sample kept. Default: ${DEFAULT-VALUE}.")
    int minChars = SampleValidator.DEFAULT_MIN_CHARS;

    @Option(names = "--max-chars", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Longest sample kept. Default: ${DEFAULT-VALUE}.")
    int maxChars = SampleValidator.DEFAULT_MAX_CHARS;

    /**
     * The options of the LLM call, which the offline baseline does not use (the demonstration
     * group sizes stay: a run directory measures the coverage of the selection they set).
     */
    private static final List<String> LLM_OPTIONS = List.of("--model", "--api-key-env",
            "--journal", "--request-timeout", "--concurrency", "--prompts", "--hints", "--demos",
            "--attributes", "--rounds", "--target-p", "--target-mmd2", "--max-calls");

    /** The options of an HTTP server, which an in-process GGUF model does not use. */
    private static final List<String> HTTP_OPTIONS = List.of("--model", "--api-key-env");

    /** The options of an in-process GGUF model, which a server and the offline baseline do not use. */
    private static final List<String> GGUF_OPTIONS = List.of("--gguf-context");

    /** The longest --request-timeout: a year, far below where nanoseconds overflow a long. */
    static final Duration MAX_REQUEST_TIMEOUT = Duration.ofDays(365);

    /** The default --request-timeout of a server. */
    static final Duration HTTP_TIMEOUT = Duration.ofSeconds(120);

    /**
     * The options the backend never reads: the LLM call's and the GGUF model's offline, the
     * server's for GGUF, the GGUF model's for a server.
     */
    static List<String> unused(boolean offline, boolean gguf) {
        if (offline) {
            List<String> all = new ArrayList<>(LLM_OPTIONS);
            all.addAll(GGUF_OPTIONS);
            return all;
        }
        return gguf ? HTTP_OPTIONS : GGUF_OPTIONS;
    }

    /**
     * Checks the option values before any work: the model file of a gguf backend, the prompt
     * templates, the request timeout and, for a server, that the API key's variable is set.
     *
     * <p>Any option given on the command line that the chosen backend does not use is refused
     * first (it would otherwise be ignored silently).
     *
     * @param environment where --api-key-env is looked up
     * @param given whether an option was given on the command line
     * @throws IllegalArgumentException naming the bad value
     */
    Checked check(Map<String, String> environment, java.util.function.Predicate<String> given) {
        return check(environment, given, PromptTemplates::load);
    }

    /**
     * {@link #check(Map, java.util.function.Predicate)} with the prompt templates of a task:
     * {@code PromptTemplates::load} for labelled rows, {@code PromptTemplates::loadQueries} for
     * retrieval queries.
     */
    Checked check(Map<String, String> environment, java.util.function.Predicate<String> given,
            java.util.function.Function<Path, PromptTemplates> templatesOf) {
        String backendSpec = llm.strip();
        boolean offline = backendSpec.equalsIgnoreCase(OFFLINE);
        boolean isGguf = backendSpec.regionMatches(true, 0, GGUF_PREFIX, 0, GGUF_PREFIX.length());
        for (String option : unused(offline, isGguf)) {
            if (given.test(option)) {
                throw new IllegalArgumentException(option + " does not apply to --llm "
                        + backendSpec + (offline ? " (the EDA baseline calls no LLM)"
                                : isGguf ? " (a GGUF model runs in-process, named by its file)"
                                : " (it sets an in-process gguf:PATH model's context; a server sets its own)"));
            }
        }
        Path gguf = null;
        Integer context = null;
        if (isGguf) {
            String path = backendSpec.substring(GGUF_PREFIX.length()).strip();
            if (path.isEmpty()) {
                throw new IllegalArgumentException("--llm " + backendSpec + ": name the model file, gguf:/path/model.gguf");
            }
            gguf = Path.of(path);
            GgufHeader header;
            try {
                header = GgufHeader.read(gguf); // a missing or non-GGUF file fails here, before any work
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--llm " + backendSpec + ": " + e.getMessage());
            }
            context = ggufContext(gguf, header);
        }
        if (this.perLabel != null && this.total != null) {
            throw new IllegalArgumentException("--synthetic-per-label and --synthetic-rows"
                    + " contradict each other; give one");
        }
        if (maxChars < minChars) {
            throw new IllegalArgumentException("--max-chars " + maxChars + " is below --min-chars "
                    + minChars + ": no sample could be kept");
        }
        Integer perLabel = total == null ? (this.perLabel == null ? DEFAULT_PER_LABEL
                : this.perLabel) : null;
        PromptTemplates templates;
        try {
            templates = templatesOf.apply(prompts);
        } catch (IllegalArgumentException e) {
            // The library names the directory or file; the command line names its option too.
            String m = e.getMessage();
            throw new IllegalArgumentException("--prompts" + (m.startsWith("cannot read") ? ": "
                    : " ") + m, e);
        }
        Duration timeout;
        try {
            timeout = requestTimeout != null ? Durations.parse(requestTimeout)
                    : gguf != null ? GgufChatModel.DEFAULT_CALL_TIMEOUT : HTTP_TIMEOUT;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--request-timeout " + requestTimeout + ": " + e.getMessage());
        }
        if (timeout.isZero() || timeout.isNegative()) {
            throw new IllegalArgumentException("--request-timeout " + requestTimeout
                    + ": must be longer than 0");
        }
        if (timeout.compareTo(MAX_REQUEST_TIMEOUT) > 0) {
            // The clients count deadlines in nanoseconds: beyond ~292 years a long overflows
            // (it failed after the real rows were embedded, exit 1).
            throw new IllegalArgumentException("--request-timeout " + requestTimeout
                    + ": at most " + MAX_REQUEST_TIMEOUT.toDays() + " days");
        }
        if (!offline && gguf == null) {
            try {
                // The URL and the model name, checked now: the client is built only after the
                // real rows are embedded, minutes later on a large set.
                OpenAiCompatibleChatModel.builder(backendSpec, model);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--llm " + e.getMessage(), e);
            }
        }
        if (!offline && gguf == null && apiKeyEnv != null) {
            try {
                ApiKey.fromEnvironment(apiKeyEnv, environment::get); // the value is not kept
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--api-key-env " + apiKeyEnv + ": "
                        + e.getMessage(), e);
            }
        }
        Demonstrations demoMode = Demonstrations.parse(demos);
        boolean withAttributes = switch (attributes.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--attributes " + attributes + ": give on or off");
        };
        if (rounds == 1 && (targetP != null || targetMmd2 != null || maxCalls != null)) {
            throw new IllegalArgumentException((targetP != null ? "--target-p" : targetMmd2 != null
                    ? "--target-mmd2" : "--max-calls") + " applies with --rounds N above 1 (the"
                    + " loop it stops)");
        }
        ClosedLoop.Options loop = new ClosedLoop.Options(rounds, targetP, targetMmd2, maxCalls);
        return new Checked(backendSpec, offline, gguf, context, perLabel, total, templates, timeout,
                demoMode, withAttributes, loop);
    }

    /**
     * The context of the GGUF model in {@code file}: --gguf-context, or the default (the
     * training context its header states capped at {@value GgufChatModel#DEFAULT_CONTEXT}), by
     * the library's own rule ({@link GgufChatModel.Options#contextOf}: a value above the training
     * context is refused rather than capped), applied here to the header alone, before the
     * encoder or the model loads; its refusal names this command line's option.
     */
    private Integer ggufContext(Path file, GgufHeader header) {
        try {
            GgufChatModel.Options options = ggufContext == null ? GgufChatModel.Options.defaults()
                    : GgufChatModel.Options.defaults().withContextSize(ggufContext);
            return options.contextOf(header, file);
        } catch (GgufContextException e) {
            throw new IllegalArgumentException((e.asked() != null ? "--gguf-context " + e.asked()
                    : "--llm " + llm.strip()) + ": " + e.reason(), e);
        }
    }

    /**
     * Opens --journal, if given and the LLM is to be called, before any other work: a journal
     * held by another run or damaged is then reported before the model loads.
     *
     * @return the journal, or null (none asked for, or the offline baseline)
     */
    CallJournal openJournal(Checked c) {
        return journal == null || c.offline() ? null : CallJournal.open(journal);
    }

    /**
     * The real rows grouped by label, in first-appearance order.
     *
     * @throws InputException naming {@code file} and the line of a blank text (empty or only
     *     whitespace): a real row is a demonstration, and a blank one (whose embedding lies near
     *     its label's mean, so GP selection picks it first) showed the LLM "Example 1: " and
     *     gave the offline baseline nothing to edit
     */
    static List<LabelRows> labelRows(Path file, String textField, List<Record> rows,
            TextFields.LabelledTexts lt) {
        List<Long> lines = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (lt.texts().get(i).isBlank()) {
                throw new InputException(file, rows.get(i).line(), "text field '" + textField
                        + "' is " + (lt.texts().get(i).isEmpty() ? "empty" : "blank (only whitespace)")
                        + "; real rows are the LLM's demonstrations, remove the row");
            }
            lines.add(rows.get(i).line());
        }
        return GenerationPipeline.byLabel(lt.texts(), lt.labels(), lines);
    }

    /**
     * Generates the synthetic rows: the offline baseline, or the LLM pipeline (with the call
     * journal of {@link #openJournal}, or null).
     *
     * @param kernelBackend the checked --backend name (GP demonstration selection)
     * @param real the real rows embedded (GP demonstration selection reads each label's rows
     *     from it); may be null for the offline baseline, which selects no demonstrations
     */
    Generated generate(Checked c, TextFields.LabelledTexts lt, List<LabelRows> labels, long seed,
            String kernelBackend, Seams seams, RealEmbeddings real, CallJournal journal)
            throws IOException {
        return generate(c, lt, labels, seed, kernelBackend, seams, real, journal, null);
    }

    /**
     * {@link #generate(Checked, TextFields.LabelledTexts, List, long, String, Seams,
     * RealEmbeddings, CallJournal)}, in rounds ({@link ClosedLoop}) when the options ask for
     * more than one; {@code loop} is then required.
     */
    Generated generate(Checked c, TextFields.LabelledTexts lt, List<LabelRows> labels, long seed,
            String kernelBackend, Seams seams, RealEmbeddings real, CallJournal journal,
            LoopSeams loop) throws IOException {
        Generation pipeline = new Generation(new Generation.Options(c.perLabel(), c.total(),
                demosPerPrompt, samplesPerSummary, hints, minChars, maxChars, c.templates(),
                concurrency, seed, kernelBackend, c.demos(), c.attributes()));
        if (c.offline()) {
            Generation.Result r = pipeline.baseline(labels, lt.texts());
            return new Generated(r.samples(), r.quotas(), r.backend(), r.model(), r.baseline(),
                    r.seconds(), r.validator(), null, null, null);
        }
        if (real == null) {
            throw new IllegalStateException("the LLM pipeline needs the real rows embedded");
        }
        AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(concurrency);
        if (c.closedLoop()) {
            if (loop == null) {
                throw new IllegalStateException("the closed loop needs an encoder and an aligner");
            }
            ClosedLoop closed = new ClosedLoop(pipeline, c.loop(), loop.aligner());
            TextAlignment.Texts realTexts = new TextAlignment.Texts(lt.texts(), lt.labels());
            return withChatModel(c, limiter, seams, chat -> {
                ClosedLoop.Result r = closed.run(chat, journal, limiter, labels, realTexts,
                        real.all(), real::of, loop.synthetic(), loop.progress());
                return new Generated(r.samples(), r.quotas(), chat.backend(), chat.model(), false,
                        r.seconds(), r.validator(), r.rounds(), r.stop(), ServedInstead.of(chat, journal));
            });
        }
        return withChatModel(c, limiter, seams, chat -> {
            Generation.Result r = pipeline.withLlm(chat, journal, limiter, labels, lt.texts(), real::of);
            return new Generated(r.samples(), r.quotas(), r.backend(), r.model(), r.baseline(),
                    r.seconds(), r.validator(), null, null, ServedInstead.of(chat, journal));
        });
    }

    /**
     * Runs {@code body} with the chat model of --llm (a GGUF model loaded for the call and closed
     * after it, or the HTTP client), asking once per request (re-asks are the caller's).
     */
    <T> T withChatModel(Checked c, AdaptiveConcurrencyLimiter limiter, Seams seams,
            java.util.function.Function<ChatModel, T> body) {
        try (GgufChatModel local = c.gguf() == null ? null : GgufChatModel.open(c.gguf(),
                GgufChatModel.Options.defaults().withContextSize(c.ggufContext())
                        .withCallTimeout(c.timeout()).withBounds(
                        GbnfGrammar.Bounds.DEFAULT.withMaxStringChars(maxChars)))) {
            return body.apply(local != null ? local : httpModel(c, limiter, seams));
        }
    }

    /** The OpenAI-compatible client of --llm URL; it asks once (re-asks are the caller's). */
    private ChatModel httpModel(Checked c, AdaptiveConcurrencyLimiter limiter, Seams seams) {
        OpenAiCompatibleChatModel.Builder b = OpenAiCompatibleChatModel.builder(c.backendSpec(), model)
                .environment(seams.environment()::get).requestTimeout(c.timeout()).limiter(limiter);
        if (apiKeyEnv != null) {
            b.apiKeyEnv(apiKeyEnv);
        }
        return seams.builderHook().apply(b).maxReasks(0).build();
    }

    /**
     * The samples as records (row k is "line" k + 1): one JSON object per sample with the text
     * field, the label field (if any) and {@code synalign} (provenance).
     */
    static List<Record> toRecords(List<GeneratedSample> samples, String textField, String labelField) {
        List<Record> out = new ArrayList<>(samples.size());
        for (GeneratedSample s : samples) {
            ObjectNode row = JsonNodeFactory.instance.objectNode();
            row.put(textField, s.text());
            if (s.label() != null) {
                row.put(labelField, s.label());
            }
            row.set("synalign", s.provenance());
            out.add(Record.of(row, out.size() + 1));
        }
        return out;
    }

    /** One line per round: rows added, and per label the weighted MMD^2 and p-value. */
    private static void printRound(PrintWriter stdout, ClosedLoop.Round r) {
        StringBuilder sb = new StringBuilder();
        var tested = r.test().labels().isEmpty()
                ? Map.of("(all)", r.test().overall()) : r.test().labels();
        tested.forEach((label, f) -> sb.append(String.format(Locale.ROOT, " %s %s/%s", label,
                f.mmd2Weighted() == null ? "-" : Numbers.short4(f.mmd2Weighted()),
                f.pValueWeighted() == null ? "-" : Numbers.short4(f.pValueWeighted()))));
        stdout.printf(Locale.ROOT, "round %d: +%d rows (%d in all); weighted MMD^2/p per label:%s%s%n",
                r.round(), r.generated(), r.test().overall().synthetic(), sb,
                r.targetMet() ? "; target met" : "");
    }

    /** The one-line account of a generation run. */
    /**
     * The rows generated per label, in the quotas' order: {@code {a=12, b=12}}, or, for a label
     * short of its quota (a closed loop stopped early), {@code a=4 of 12}. The quotas alone were
     * printed before, as if every row asked for had been written.
     */
    static String perLabel(List<GeneratedSample> samples, Map<String, Integer> quotas) {
        Map<String, Integer> made = new java.util.HashMap<>();
        for (GeneratedSample sample : samples) {
            // Keyed as the quotas are: an unlabelled row's label is null, its quota's key the
            // display name.
            made.merge(LabelRows.display(sample.label()), 1, Integer::sum);
        }
        java.util.StringJoiner out = new java.util.StringJoiner(", ", "{", "}");
        for (Map.Entry<String, Integer> q : quotas.entrySet()) {
            int n = made.getOrDefault(q.getKey(), 0);
            out.add(q.getKey() + "=" + n + (n == q.getValue() ? "" : " of " + q.getValue()));
        }
        return out.toString();
    }

    static void printSummary(PrintWriter stdout, Generated g) {
        if (g.rounds() != null) {
            for (ClosedLoop.Round r : g.rounds()) {
                if (r.test() == null) {
                    continue;
                }
                printRound(stdout, r);
            }
            stdout.println("closed loop: " + g.stop());
        }
        stdout.printf(Locale.ROOT, "generated %d rows (%s) with %s%s in %.1f s; rejected %d empty,"
                        + " %d out of length bounds, %d duplicates (%d copies of real rows)%n", g.samples().size(),
                perLabel(g.samples(), g.quotas()), g.backend(),
                g.offline() ? " (a non-LLM BASELINE, not SynAlign's LLM generation)" : " model " + g.model(),
                g.seconds(), g.validator().rejectedEmpty(), g.validator().rejectedLength(),
                g.validator().rejectedDuplicates(), g.validator().rejectedCopiesOfReal());
        if (g.validator().cutOffReplies() > 0) {
            // A GGUF reply's budget is the context left after the prompt: the run's own option
            // gives it more room (a server's limit is set on the server, named in the warning).
            stdout.printf(Locale.ROOT, "%d samples replies were cut off at %s;"
                    + " their complete samples were kept (fewer per request: --samples-per-summary%s)%n",
                    g.validator().cutOffReplies(), CutOffReplies.limit(g.backend()),
                    GgufChatModel.BACKEND.equals(g.backend())
                            ? "; more context: --gguf-context" : "");
        }
    }
}
