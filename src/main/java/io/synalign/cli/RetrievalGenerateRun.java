package io.synalign.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.generation.PromptTemplates;
import io.synalign.generation.QueryGenerator;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.models.llm.AdaptiveConcurrencyLimiter;
import io.synalign.models.llm.CallJournal;
import io.synalign.pipeline.QueryGeneration;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextEmbedding;
import io.synalign.retrieval.Corpus;
import io.synalign.retrieval.QueryRows;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code synalign generate --task retrieval}: synthetic queries for the passages of a BEIR
 * corpus, written like the real queries ({@link QueryGeneration}). Writes query rows
 * ({@code text}, {@value QueryRows#CORPUS_ID}, {@code synalign} provenance) and, with
 * {@code --run-dir}, {@value RunFiles#GENERATION}.
 *
 * <p>Order of work: options, the corpus and the real query rows (ids checked), the journal;
 * then the encoder embeds the passages (and, for the LLM, the real queries); then the LLM.
 */
final class RetrievalGenerateRun {

    /** The options of classification, refused here rather than ignored. */
    static final List<String> CLASSIFICATION_ONLY = List.of("--synthetic-per-label",
            "--synthetic-rows", "--label-field", "--samples-per-summary", "--rounds", "--target-p",
            "--target-mmd2", "--max-calls", "--demos", "--attributes");
    /** The options of retrieval, refused by classification. */
    static final List<String> RETRIEVAL_ONLY = List.of("--corpus", "--qrels", "--passages",
            "--per-passage");
    /** Target passages when --passages is not given (or the whole corpus, if smaller). */
    static final int DEFAULT_PASSAGES = 100;

    private final GenerateCommand cmd;

    RetrievalGenerateRun(GenerateCommand cmd) {
        this.cmd = cmd;
    }

    int run(PrintWriter stdout) throws Exception {
        for (String option : CLASSIFICATION_ONLY) {
            if (given(option)) {
                throw new IllegalArgumentException(option + " does not apply to --task retrieval"
                        + " (give --passages and --per-passage)");
            }
        }
        if (cmd.corpus == null) {
            throw new IllegalArgumentException("--task retrieval needs --corpus, the passages to"
                    + " write queries for");
        }
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", cmd.out);
        GenerationOptions g = cmd.generation;
        GenerationOptions.Checked checked = g.check(cmd.environment, this::given,
                PromptTemplates::loadQueries);
        String backend = cmd.common.checkedBackend();
        EncoderOptions encoderOptions = cmd.encoder.encoderOptions();
        Path cacheDir = cmd.encoder.cacheDirectory(cmd.environment);
        ModelSpec model = cmd.encoder.modelSpec();
        long limit = cmd.records.maxLineBytes();
        Corpus passages = Corpus.read(cmd.corpus, limit);
        List<QueryRows.Row> real = cmd.qrels == null
                ? QueryRows.read(cmd.real, cmd.records.textField, passages, limit)
                : QueryRows.fromBeir(cmd.real, cmd.qrels, passages, limit);
        int budget = cmd.passages != null ? cmd.passages : Math.min(DEFAULT_PASSAGES, passages.size());
        if (budget > passages.size()) {
            throw new IllegalArgumentException("--passages " + budget + ": the corpus has "
                    + passages.size() + " passages");
        }
        QueryGeneration generation = new QueryGeneration(new QueryGeneration.Options(budget,
                cmd.perPassage, g.demosPerPrompt, g.hints, g.minChars, g.maxChars, checked.templates(),
                g.concurrency, cmd.seed, backend));
        List<String> realTexts = real.stream().map(QueryRows.Row::text).toList();

        QueryGeneration.Result result;
        ServedInstead servedInstead = null;
        JournalUse journalUse;
        try (CallJournal journal = g.openJournal(checked);
                JournalStopNote stop = JournalStopNote.watch(journal,
                        cmd.spec.commandLine().getErr())) {
            FloatMatrix passageVectors;
            FloatMatrix realVectors = null;
            try (SentenceEncoder enc = cmd.encoder.open(cmd.loader, model, encoderOptions, cacheDir);
                    StderrProgress progress = StderrProgress.create(cmd.spec.commandLine().getErr(),
                            cmd.common.quiet)) {
                passageVectors = TextEmbedding.encode(enc, passages.passages(),
                        progress.encoding("embed passages"));
                if (!checked.offline()) {
                    realVectors = TextEmbedding.encode(enc, realTexts, progress.encoding("embed real"));
                }
            }
            if (checked.offline()) {
                List<String> titles = new ArrayList<>();
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < passages.size(); i++) {
                    titles.add(passages.title(i));
                    texts.add(passages.text(i));
                }
                result = generation.baseline(realTexts, passageVectors, titles, texts);
            } else {
                List<String> realPassages = new ArrayList<>();
                List<Long> lines = new ArrayList<>();
                for (QueryRows.Row r : real) {
                    realPassages.add(passages.passage(r.passage()));
                    lines.add(r.record().line());
                }
                QueryGenerator.RealQueries rq = new QueryGenerator.RealQueries(realTexts, realPassages,
                        lines, realVectors);
                FloatMatrix pv = passageVectors;
                AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(g.concurrency);
                Answered answered = g.withChatModel(checked, limiter, new GenerationOptions.Seams(
                        cmd.environment, cmd.builderHook), chat -> new Answered(generation.withLlm(chat,
                                journal, limiter, rq, pv, passages.passages()),
                                ServedInstead.of(chat, journal)));
                result = answered.result();
                servedInstead = answered.servedInstead();
            }
            journalUse = JournalUse.of(journal);
        }

        List<Record> rows = new ArrayList<>(result.queries().size());
        for (QueryGenerator.Query q : result.queries()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put(cmd.records.textField, q.text());
            o.put(QueryRows.CORPUS_ID, passages.id(q.passage()));
            o.set("synalign", q.provenance());
            rows.add(Record.of(o, rows.size() + 1));
        }
        RunDirOption.create(cmd.runDir);
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(cmd.out, o -> RecordWriter.write(o, outKind, rows));
            if (cmd.runDir != null) {
                Map<String, Object> json = document(result, servedInstead, checked, cacheDir, budget,
                        passages.size(), real.size());
                outputs.stage(cmd.runDir.resolve(RunFiles.GENERATION), o -> Json.writeRunDocument(o, json));
            }
            outputs.commit();
        }
        stdout.printf(Locale.ROOT, "generated %d queries for %d of %d passages (%d asked per passage)"
                + " with %s in %.1f s; rejected %d empty, %d by length, %d duplicates%n",
                rows.size(), result.queries().stream().mapToInt(QueryGenerator.Query::passage).distinct().count(),
                passages.size(), cmd.perPassage, result.baseline() ? "the offline query BASELINE (not an LLM)"
                        : result.backend() + " model " + result.model(), result.seconds(),
                result.validator().rejectedEmpty(), result.validator().rejectedLength(),
                result.validator().rejectedDuplicates());
        JournalUse.print(journalUse, stdout, cmd.spec.commandLine().getErr());
        stdout.println("wrote " + cmd.out + (cmd.runDir == null ? ""
                : " and " + cmd.runDir.resolve(RunFiles.GENERATION)));
        stdout.flush();
        return ExitCodes.OK;
    }

    private boolean given(String option) {
        return cmd.spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The queries and the model a server answered with in place of --model (or null). */
    private record Answered(QueryGeneration.Result result, ServedInstead servedInstead) {
    }

    private Map<String, Object> document(QueryGeneration.Result result, ServedInstead servedInstead,
            GenerationOptions.Checked checked,
            Path cacheDir, int budget, int corpusSize, int realRows) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("task", EvaluateCommand.RETRIEVAL);
        Map<String, Object> effective = cmd.encoder.effective(cacheDir);
        effective.put("--llm", GenerationCoverage.withoutCredentials(checked.backendSpec()));
        effective.put("--passages", budget);
        effective.put("--request-timeout", io.synalign.models.llm.Durations.format(checked.timeout()));
        effective.put("--gguf-context", checked.ggufContext()); // left out below unless gguf:PATH
        List<String> unused = new ArrayList<>(GenerationOptions.unused(checked.offline(), checked.gguf() != null));
        unused.addAll(CLASSIFICATION_ONLY);
        RunSettings.Stated stated = RunSettings.state(cmd.spec, cmd.runDir, name -> !unused.contains(name),
                effective);
        root.put("settings", stated.settings());
        root.put("given", stated.given());
        root.put("generator", result.baseline() ? "offline (query baseline)" : result.backend() + " "
                + result.model());
        if (servedInstead != null) {
            root.put("servedModel", servedInstead.json());
        }
        root.put("corpusPassages", corpusSize);
        root.put("realQueries", realRows);
        root.put("targetPassages", result.targets().length);
        root.put("queries", result.queries().size());
        root.put("seconds", result.seconds());
        return root;
    }
}
