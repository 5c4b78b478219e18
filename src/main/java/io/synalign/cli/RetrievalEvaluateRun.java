package io.synalign.cli;

import io.synalign.evaluation.MeanStd;
import io.synalign.evaluation.RetrievalEvaluation;
import io.synalign.evaluation.RetrieverStudent;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextEmbedding;
import io.synalign.pipeline.UnitRows;
import io.synalign.retrieval.Corpus;
import io.synalign.retrieval.QueryRows;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code synalign evaluate --task retrieval}: reads the corpus and the query rows (real,
 * synthetic, aligned or weighted, test), embeds every passage and every distinct query text
 * once, runs {@link RetrievalEvaluation}, prints the table and writes the document
 * {@code {"task": "retrieval", "variants": {"zero_shot": {"recall@10": ..., "recall@10_std":
 * ..., "testRanks": [[...]]}, ...}}} to {@code --summary} and {@code --run-dir}
 * ({@code testRanks}: per repeat, per test query the rank of its first relevant passage, 0 for
 * none in the top {@value RetrievalEvaluation#SEARCH_DEPTH}; see
 * {@link RetrievalEvaluation.Variant#testRanks}).
 */
final class RetrievalEvaluateRun {

    /** The classification options, refused here rather than ignored. */
    private static final List<String> CLASSIFICATION_ONLY = List.of("--classifier", "--hidden",
            "--label-field");
    /** Epochs of the retriever when --max-epochs is not given. */
    static final int DEFAULT_MAX_EPOCHS = RetrieverStudent.Config.DEFAULT_MAX_EPOCHS;
    /** The retriever's early-stopping patience, in epochs. */
    static final int PATIENCE = RetrieverStudent.Config.DEFAULT_PATIENCE;

    private final EvaluateCommand cmd;

    RetrievalEvaluateRun(EvaluateCommand cmd) {
        this.cmd = cmd;
    }

    int run(PrintWriter stdout, PrintWriter err) throws IOException {
        for (String option : CLASSIFICATION_ONLY) {
            if (given(option)) {
                throw new IllegalArgumentException(option + " does not apply to --task retrieval"
                        + " (the student is a retriever)");
            }
        }
        if (cmd.corpus == null) {
            throw new IllegalArgumentException("--task retrieval needs --corpus, the passages the"
                    + " queries ask for");
        }
        cmd.checkVariantFiles();
        int epochs = given("--max-epochs") ? cmd.maxEpochs : DEFAULT_MAX_EPOCHS;
        RetrievalEvaluation.Options options = new RetrievalEvaluation.Options(
                RetrieverStudent.Config.defaults().withMaxEpochs(epochs), cmd.repeats, cmd.seed);
        String backendName = cmd.common.checkedBackend();
        EncoderOptions encoderOptions = cmd.embedding.encoderOptions();
        Path cacheDir = cmd.embedding.cacheDirectory(cmd.environment);
        ModelSpec model = cmd.embedding.modelSpec();

        long limit = cmd.records.maxLineBytes();
        Corpus passages = Corpus.read(cmd.corpus, limit);
        List<QueryRows.Row> real = QueryRows.read(cmd.train, cmd.records.textField, passages, limit);
        List<QueryRows.Row> test = QueryRows.read(cmd.test, cmd.records.textField, passages, limit);
        List<QueryRows.Row> synth = cmd.synthetic == null ? null
                : QueryRows.read(cmd.synthetic, cmd.records.textField, passages, limit);
        Path extraFile = cmd.weighted != null ? cmd.weighted : cmd.aligned;
        List<QueryRows.Row> extra = extraFile == null ? null
                : QueryRows.read(extraFile, cmd.records.textField, passages, limit);
        double[] weights = cmd.weighted == null ? null : EvaluateCommand.weights(cmd.weighted,
                extra.stream().map(QueryRows.Row::record).toList());
        if (cmd.weighted != null) {
            EvaluateCommand.sameRows(cmd.synthetic, keys(synth), cmd.weighted, keys(extra),
                    i -> extra.get(i).record().line());
        }
        EvaluateCommand.noteOverlap(stdout, cmd.train, texts(real), texts(test));
        Map<String, Map<Integer, Integer>> judged = QueryRows.judgements(test);

        List<RetrievalEvaluation.Variant> variants;
        try (StderrProgress progress = StderrProgress.create(err, cmd.common.quiet)) {
            FloatMatrix passageVectors;
            Map<String, Integer> textRow = new LinkedHashMap<>();
            for (List<QueryRows.Row> set : java.util.Arrays.asList(real, synth, extra, test)) {
                if (set != null) {
                    for (QueryRows.Row r : set) {
                        textRow.putIfAbsent(r.text(), textRow.size());
                    }
                }
            }
            FloatMatrix queryVectors;
            try (SentenceEncoder encoder = cmd.embedding.open(cmd.loader, model, encoderOptions,
                    cacheDir)) {
                passageVectors = UnitRows.of(TextEmbedding.encode(encoder, passages.passages(),
                        progress.encoding("embed passages")));
                queryVectors = UnitRows.of(TextEmbedding.encode(encoder, new ArrayList<>(textRow.keySet()),
                        progress.encoding("embed queries")));
            }
            int[] testRows = judged.keySet().stream().mapToInt(textRow::get).toArray();
            RetrievalEvaluation.TestQueries testQueries = new RetrievalEvaluation.TestQueries(
                    queryVectors.selectRows(testRows), new ArrayList<>(judged.values()));
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                variants = RetrievalEvaluation.evaluate(backend, passageVectors, passages::copies,
                        queries(real, textRow, queryVectors, null),
                        synth == null ? null : queries(synth, textRow, queryVectors, null),
                        extra == null ? null : queries(extra, textRow,
                                queryVectors, weights),
                        testQueries, options, progress);
            }
        }
        if (cmd.summary != null || cmd.runDir != null) {
            cmd.writeDocument(document(variants, passages.size(), judged.size(), cacheDir, epochs));
        }
        print(stdout, variants, passages.size(), judged.size());
        return ExitCodes.OK;
    }

    /** A query row's identity for the --weighted order check: its text and its passage. */
    private static List<String> keys(List<QueryRows.Row> rows) {
        return rows.stream().map(r -> r.text() + '\u0000' + r.passage()).toList();
    }

    private static List<String> texts(List<QueryRows.Row> rows) {
        return rows.stream().map(QueryRows.Row::text).toList();
    }

    private boolean given(String option) {
        return cmd.spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /** The rows' vectors (picked from the distinct texts' embeddings), passages and weights. */
    private static RetrievalEvaluation.Queries queries(List<QueryRows.Row> rows,
            Map<String, Integer> textRow, FloatMatrix vectors, double[] weights) {
        int[] pick = new int[rows.size()];
        int[] passages = new int[rows.size()];
        List<String> texts = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            pick[i] = textRow.get(rows.get(i).text());
            passages[i] = rows.get(i).passage();
            texts.add(rows.get(i).text());
        }
        return new RetrievalEvaluation.Queries(vectors.selectRows(pick), passages, texts, weights);
    }

    private Map<String, Object> document(List<RetrievalEvaluation.Variant> variants, int corpusSize,
            int testQueries, Path cacheDir, int epochs) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("task", EvaluateCommand.RETRIEVAL);
        Map<String, Object> effective = cmd.embedding.effective(cacheDir);
        effective.put("--max-epochs", epochs);
        RunSettings.Stated stated = RunSettings.state(cmd.spec, cmd.documentDir(),
                name -> !CLASSIFICATION_ONLY.contains(name), effective);
        root.put("settings", stated.settings());
        root.put("given", stated.given());
        RetrieverStudent.Config c = RetrieverStudent.Config.defaults();
        Map<String, Object> student = new LinkedHashMap<>();
        student.put("rank", c.rank());
        student.put("patience", c.patience());
        student.put("batchSize", c.batchSize());
        student.put("learningRate", c.learningRate());
        student.put("temperature", c.temperature());
        student.put("l2", c.l2());
        root.put("student", student);
        root.put("corpusPassages", corpusSize);
        root.put("testQueries", testQueries);
        Map<String, Object> vs = new LinkedHashMap<>();
        for (RetrievalEvaluation.Variant v : variants) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (Map.Entry<String, MeanStd> m : v.metrics().entrySet()) {
                o.put(m.getKey(), m.getValue().mean());
                o.put(m.getKey() + "_std", Double.isNaN(m.getValue().std()) ? null : m.getValue().std());
            }
            Map<String, Object> values = new LinkedHashMap<>();
            v.metrics().forEach((k, m) -> values.put(k, m.values()));
            o.put("values", values);
            o.put("trainRows", v.trainRows());
            o.put("bestEpochs", v.epochs());
            // Per repeat, each test query's first relevant rank: report resamples the queries.
            o.put("testRanks", v.testRanks());
            vs.put(v.name(), o);
        }
        root.put("variants", vs);
        return root;
    }

    private void print(PrintWriter out, List<RetrievalEvaluation.Variant> variants, int corpusSize,
            int testQueries) {
        out.printf(Locale.ROOT, "student: retriever (rank-%d query projection), %d repeat%s, %d test"
                + " queries over %d passages%n", RetrieverStudent.Config.defaults().rank(), cmd.repeats,
                cmd.repeats == 1 ? "" : "s", testQueries, corpusSize);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-15s %7s", "variant", "rows"));
        for (String m : RetrievalEvaluation.METRICS) {
            head.append(String.format(Locale.ROOT, "  %-15s", m));
        }
        out.println(head.toString().stripTrailing());
        for (RetrievalEvaluation.Variant v : variants) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-15s %7s", v.name(),
                    v.name().equals(RetrievalEvaluation.ZERO_SHOT) ? "-" : Integer.toString(v.trainRows())));
            for (String m : RetrievalEvaluation.METRICS) {
                MeanStd s = v.metrics().get(m);
                line.append(String.format(Locale.ROOT, "  %-15s",
                        v.name().equals(RetrievalEvaluation.ZERO_SHOT)
                                ? String.format(Locale.ROOT, "%.4f", s.mean()) : EvaluateCommand.plusMinus(s)));
            }
            out.println(line.toString().stripTrailing());
        }
        cmd.printWritten(out);
    }
}
