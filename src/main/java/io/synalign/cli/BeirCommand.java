package io.synalign.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.io.AtomicOutputs;
import io.synalign.retrieval.Corpus;
import io.synalign.retrieval.QueryRows;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code synalign beir}: query rows (the flat form every retrieval command reads and writes) as
 * a BEIR query set, {@code DIR/queries.jsonl} ({@code _id}, {@code text}) and
 * {@code DIR/qrels/SPLIT.tsv} ({@code query-id corpus-id score}), for BEIR tooling and trainers
 * that read that layout. A row's {@code query_id} names its query (BEIR rows read with
 * {@code --qrels} carry one; two ids with one text are two queries); rows without one join the
 * query a given id holds with their text, else one per distinct text, {@code q1, q2, ...} in
 * order of first appearance, skipping ids given. A pair's score is the row's integral
 * {@code score} as given (0 or below: judged not relevant), 1 where it has none. Every {@code corpus_id} is checked against the corpus first;
 * both files are written atomically, together. A {@code DIR/queries.jsonl} already there (another
 * split's) is kept: its queries keep their ids, rows with their texts join them, new ids skip
 * them, and a row's {@code query_id} that names another of its texts is refused.
 */
@Command(name = "beir", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign beir --queries ROWS.jsonl --corpus CORPUS.jsonl --out DIR"
                + " [--split NAME] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Write query rows (text, corpus_id) as a BEIR query set: DIR/queries.jsonl"
                + " and DIR/qrels/SPLIT.tsv."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class BeirCommand extends CliCommand {

    static final String QUERIES = "queries.jsonl";

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--queries", required = true, paramLabel = "ROWS.jsonl",
            description = "Query rows: the query in --text-field, its passage in "
                    + QueryRows.CORPUS_ID + ".")
    Path queries;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--corpus", required = true, paramLabel = "CORPUS.jsonl",
            description = "The BEIR corpus the rows' " + QueryRows.CORPUS_ID + " values name.")
    Path corpus;

    @PathRole(value = PathRole.Kind.DIRECTORY, files = QUERIES)
    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "The BEIR directory to write (created if missing).")
    Path out;

    @Option(names = "--split", paramLabel = "NAME",
            description = "The qrels file's name: DIR/qrels/NAME.tsv. Default: ${DEFAULT-VALUE}.")
    String split = "train";

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    VerbosityOptions verbosity = new VerbosityOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        if (!split.matches("[A-Za-z0-9._-]+") || split.startsWith(".")) {
            throw new IllegalArgumentException("--split '" + split + "': a file name of letters,"
                    + " digits, '.', '_' or '-'");
        }
        Path qrels = out.resolve("qrels").resolve(split + ".tsv");
        if (java.nio.file.Files.exists(qrels.getParent())
                && !java.nio.file.Files.isDirectory(qrels.getParent())) {
            throw new io.synalign.io.InputException(qrels.getParent(), "is a file; --out needs"
                    + " it to be the directory of the qrels files");
        }
        paths.add("--out (qrels/" + split + ".tsv)", qrels.getParent().toFile().isDirectory() ? qrels : null);
        long limit = records.maxLineBytes();
        Corpus passages = Corpus.read(corpus, limit);
        List<QueryRows.Row> rows = QueryRows.readJudged(queries, records.textField, passages, limit);
        // A BEIR directory has one queries.jsonl for all its splits: the queries a split written
        // before holds are kept with their ids (a second split replaced them, and the first
        // split's q1 then named the second's first query).
        Path queriesFile = out.resolve(QUERIES);
        Map<String, Record> kept = new LinkedHashMap<>();
        Map<String, String> keptText = new java.util.HashMap<>();
        if (java.nio.file.Files.isRegularFile(queriesFile)) {
            for (Record r : io.synalign.data.RecordReader.read(queriesFile, limit)) {
                String id = QueryRows.id(queriesFile, r, "_id");
                JsonNode t = r.get("text");
                if (t == null || !t.isTextual()) {
                    throw new io.synalign.io.InputException(queriesFile, r.line(), "no text field"
                            + " 'text'; a BEIR queries file holds _id and text");
                }
                if (kept.putIfAbsent(id, r) != null) {
                    throw new io.synalign.io.InputException(queriesFile, r.line(), "duplicate _id '"
                            + id + "'");
                }
                keptText.put(id, t.textValue());
            }
        }

        // A row's query_id names its query: two ids with one text are two queries, as BEIR has
        // them (a second id was dropped, its pairs moved to the first). Rows without an id join
        // the query a given id holds with their text, else one numbered q1, q2, ... per text,
        // skipping the ids given.
        Map<String, String> textOfGiven = new LinkedHashMap<>(keptText);
        Map<String, Long> lineOfGiven = new java.util.HashMap<>();
        Map<String, String> givenOfText = new java.util.HashMap<>();
        for (Map.Entry<String, Record> e : kept.entrySet()) {
            givenOfText.putIfAbsent(keptText.get(e.getKey()), e.getKey());
        }
        String[] own = new String[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            Record record = rows.get(i).record();
            JsonNode given = record.get("query_id");
            if (given == null || given.isNull()) {
                continue;
            }
            // Checked as the reader checks ids (a string or an integer), and fit for a TSV cell:
            // a tab or line break would shift the qrels columns.
            String id = tsvCell(queries, record.line(), "query_id",
                    QueryRows.id(queries, record, "query_id"));
            String text = rows.get(i).text();
            String before = textOfGiven.putIfAbsent(id, text);
            if (before != null && !before.equals(text) && kept.containsKey(id)
                    && !lineOfGiven.containsKey(id)) {
                throw new io.synalign.io.InputException(queries, record.line(), "query_id '" + id
                        + "' names another query in " + queriesFile + " (line "
                        + kept.get(id).line() + "); one id names one query in a BEIR directory");
            }
            if (before != null && !before.equals(text)) {
                throw new io.synalign.io.InputException(queries, record.line(), "query_id '" + id
                        + "' is given to another text on line " + lineOfGiven.get(id)
                        + "; one id names one query");
            }
            lineOfGiven.putIfAbsent(id, record.line());
            givenOfText.putIfAbsent(text, id);
            own[i] = id;
        }
        Map<String, String> ids = new LinkedHashMap<>(); // id -> text, in order of first appearance
        Map<String, String> numbered = new java.util.HashMap<>();
        int next = 1;
        Map<String, Integer> pairs = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            QueryRows.Row r = rows.get(i);
            String id = own[i] != null ? own[i] : givenOfText.get(r.text());
            if (id == null) {
                id = numbered.get(r.text());
                if (id == null) {
                    while (textOfGiven.containsKey("q" + next)) {
                        next++;
                    }
                    id = "q" + next++;
                    numbered.put(r.text(), id);
                }
            }
            ids.putIfAbsent(id, r.text());
            String passage = tsvCell(corpus, -1, "_id", passages.id(r.passage()));
            pairs.merge(id + "\t" + passage, QueryRows.grade(queries, r.record()), Math::max);
        }
        List<Record> queryRecords = new ArrayList<>(kept.values());
        int added = 0;
        for (Map.Entry<String, String> e : ids.entrySet()) {
            if (kept.containsKey(e.getKey())) {
                continue;
            }
            added++;
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("_id", e.getKey());
            o.put("text", e.getValue());
            queryRecords.add(Record.of(o, queryRecords.size() + 1));
        }
        StringBuilder tsv = new StringBuilder("query-id\tcorpus-id\tscore\n");
        pairs.forEach((pair, score) -> tsv.append(pair).append('\t').append(score).append('\n'));
        java.nio.file.Files.createDirectories(qrels.getParent());
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(out.resolve(QUERIES), o -> RecordWriter.write(o,
                    new RecordFormat.Kind(RecordFormat.JSONL, false), queryRecords));
            outputs.stage(qrels, o -> o.write(tsv.toString().getBytes(StandardCharsets.UTF_8)));
            outputs.commit();
        }
        stdout.printf(java.util.Locale.ROOT,
                "wrote %d queries and %d judged pairs of this split to %s and %s%n", ids.size(),
                pairs.size(), out.resolve(QUERIES), qrels);
        if (!kept.isEmpty()) {
            stdout.printf(java.util.Locale.ROOT,
                    "kept the %d queries %s held before (other splits' ids), added %d%n",
                    kept.size(), queriesFile, added);
        }
        stdout.flush();
        return ExitCodes.OK;
    }

    @Override
    boolean verbose() {
        return verbosity.verbose;
    }

    /** {@code id}, refused (naming the file, and the line when known) if a TSV cell cannot hold it. */
    private static String tsvCell(Path file, long line, String field, String id) {
        if (id.indexOf('\t') >= 0 || id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0) {
            String what = field + " '" + id.replace("\t", "\\t").replace("\n", "\\n")
                    .replace("\r", "\\r") + "' holds a tab or a line break, which the"
                    + " qrels TSV cannot carry";
            throw line > 0 ? new io.synalign.io.InputException(file, line, what)
                    : new io.synalign.io.InputException(file, what);
        }
        return id;
    }
}
