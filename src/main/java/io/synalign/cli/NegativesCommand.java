package io.synalign.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.io.AtomicOutputs;
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
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code synalign negatives}: hard negatives for query rows. For each row, the K passages of the
 * corpus nearest to the query by the encoder's cosine, best first, excluding every passage the
 * same query text targets (its positives), by an exact tiled top-k product on the kernels backend
 * ({@link InnerProductSearch}). Writes one training triplet per query row in the format
 * sentence-transformers and FlagEmbedding trainers read:
 * {@code {"query", "positive", "negatives": [texts]}} plus {@code corpus_id},
 * {@code negative_ids} (the negatives' corpus ids, same order) and the row's other fields.
 *
 * <p>Order of work: options, files and ids are checked; only then is the encoder loaded. The
 * output is written atomically at the end.
 */
@Command(name = "negatives", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign negatives --corpus CORPUS.jsonl --queries ROWS.jsonl --out"
                + " TRIPLETS.jsonl [--k K] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Mine hard negatives: for each query row, the K passages nearest to the"
                + " query by the encoder's cosine, excluding the passages that query targets.",
            "Writes training triplets {\"query\", \"positive\", \"negatives\": [...]} with"
                + " corpus_id and negative_ids."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class NegativesCommand extends CliCommand {

    /** Loads the model; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--corpus", required = true, paramLabel = "CORPUS.jsonl",
            description = "The passages, BEIR layout: _id, title, text.")
    Path corpus;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--queries", required = true, paramLabel = "ROWS.jsonl",
            description = "Query rows: the query in --text-field and the passage it targets in "
                    + QueryRows.CORPUS_ID + "; other fields are kept. With --qrels: a BEIR"
                    + " queries.jsonl (_id, text).")
    Path queries;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--qrels", paramLabel = "QRELS.tsv",
            description = "BEIR judgements (header query-id corpus-id score) pairing the"
                    + " --queries of a BEIR query set with their passages (score above 0).")
    Path qrels;

    @Option(names = "--k", paramLabel = "K", converter = Converters.PositiveInt.class,
            description = "Negatives per query row. Default: ${DEFAULT-VALUE}.")
    int k = 7;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "TRIPLETS.jsonl",
            description = "Where to write the triplets (.jsonl, optionally .gz).")
    Path out;

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        RecordFormat.Kind kind = RecordFormat.ofOutput("--out", out);
        if (kind.format() != RecordFormat.JSONL) {
            throw new IllegalArgumentException("--out " + out + ": triplets hold lists; name a"
                    + " .jsonl or .jsonl.gz file");
        }
        String backendName = common.checkedBackend();
        EncoderOptions options = embedding.encoderOptions();
        Path cache = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();
        long limit = records.maxLineBytes();
        Corpus passages = Corpus.read(corpus, limit);
        List<QueryRows.Row> rows = qrels == null
                ? QueryRows.read(queries, records.textField, passages, limit)
                : QueryRows.fromBeir(queries, qrels, passages, limit);
        // A query's positives and their copies (the same passage text under another id) are
        // never its negatives.
        Map<String, Set<Integer>> positives = new HashMap<>();
        for (QueryRows.Row r : rows) {
            Set<Integer> own = positives.computeIfAbsent(r.text(), t -> new TreeSet<>());
            for (int c : passages.copies(r.passage())) {
                own.add(c);
            }
        }
        int most = positives.values().stream().mapToInt(Set::size).max().orElse(0);
        if (k > passages.size() - most) {
            throw new IllegalArgumentException("--k " + k + ": the corpus has " + passages.size()
                    + " passages and a query's positives (with copies of their text) number up"
                    + " to " + most + "; at most " + (passages.size() - most) + " negatives per"
                    + " query");
        }
        // One embedding per distinct query text; each row points at its text's row.
        List<String> texts = new ArrayList<>(positives.keySet());
        Map<String, Integer> textRow = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            textRow.put(texts.get(i), i);
        }
        int[][] excluded = new int[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
            excluded[i] = positives.get(texts.get(i)).stream().mapToInt(Integer::intValue).toArray();
        }

        long start = System.nanoTime();
        InnerProductSearch.Hits hits;
        String ran;
        String truncated;
        try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            FloatMatrix passageVectors;
            FloatMatrix queryVectors;
            try (SentenceEncoder encoder = embedding.open(loader, model, options, cache)) {
                // Unit rows: the inner product is the cosine whatever the model's normalisation.
                passageVectors = UnitRows.of(TextEmbedding.encode(encoder, passages.passages(),
                        progress.encoding("embed passages")));
                queryVectors = UnitRows.of(TextEmbedding.encode(encoder, texts,
                        progress.encoding("embed queries")));
                truncated = TextEmbedding.stats(encoder).truncationNote();
            }
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                ran = backend.name(); // what auto chose, not "auto"
                hits = InnerProductSearch.search(backend, queryVectors, passageVectors, k, excluded,
                        progress);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<Record> triplets = new ArrayList<>(rows.size());
        for (QueryRows.Row r : rows) {
            triplets.add(Record.of(triplet(r, passages, hits, textRow.get(r.text())), r.record().line()));
        }
        AtomicOutputs.writeAtomically(out, o -> RecordWriter.write(o, kind, triplets));
        stdout.printf(Locale.ROOT, "mined %d negatives for each of %d query rows (%d distinct"
                + " queries) over %d passages with %s on %s in %.1f s%n", k, rows.size(),
                texts.size(), passages.size(), model.name(), ran, seconds);
        if (truncated != null) {
            stdout.println(truncated);
        }
        stdout.println("wrote " + out);
        stdout.flush();
        return ExitCodes.OK;
    }

    /** The triplet of one query row: query, positive, negatives, ids, then the row's other fields. */
    private ObjectNode triplet(QueryRows.Row r, Corpus passages, InnerProductSearch.Hits hits,
            int query) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("query", r.text());
        o.put("positive", passages.passage(r.passage()));
        ArrayNode negatives = o.putArray("negatives");
        ArrayNode ids = JsonNodeFactory.instance.arrayNode();
        for (int rank = 0; rank < hits.k(); rank++) {
            int p = hits.index(query, rank);
            negatives.add(passages.passage(p));
            ids.add(passages.id(p));
        }
        o.put(QueryRows.CORPUS_ID, passages.id(r.passage()));
        o.set("negative_ids", ids);
        for (String f : r.record().fieldNames()) {
            if (!f.equals(records.textField) && !o.has(f)) {
                o.set(f, r.record().get(f));
            }
        }
        return o;
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }
}
