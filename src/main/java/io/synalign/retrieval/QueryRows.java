package io.synalign.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.io.InputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query rows, the flat form of retrieval data: one record per (query, passage it targets) pair,
 * with the query in a text field ({@code text} by default) and the passage's corpus id in
 * {@value #CORPUS_ID}; every other field is kept. A BEIR query set ({@code queries.jsonl} with
 * {@code _id} and {@code text}, plus a {@code qrels/*.tsv} file with the header
 * {@code query-id corpus-id score}) becomes query rows with {@link #fromBeir}.
 */
public final class QueryRows {

    /** The field naming the passage a query row targets. */
    public static final String CORPUS_ID = "corpus_id";

    /**
     * One query row.
     *
     * @param record the record as read (its line, every field)
     * @param text the query
     * @param passage the corpus row of the passage it targets
     */
    public record Row(Record record, String text, int passage) {
    }

    private QueryRows() {
    }

    /**
     * Reads the relevant query rows and resolves each {@value #CORPUS_ID} in {@code corpus}: a
     * row whose {@code score} is 0 or below is a pair judged not relevant (as BEIR qrels carry
     * them) and is left out, so no reader takes it for a positive.
     *
     * @throws InputException naming the file and line of an empty query, a missing field, a
     *     {@value #CORPUS_ID} that is not in the corpus, or a score that is not an integer
     *     grade; or a file without a relevant row
     */
    public static List<Row> read(Path file, String textField, Corpus corpus, long maxLineBytes)
            throws IOException {
        List<Row> rows = readJudged(file, textField, corpus, maxLineBytes);
        List<Row> relevant = new ArrayList<>(rows.size());
        for (Row r : rows) {
            if (grade(file, r.record()) > 0) {
                relevant.add(r);
            }
        }
        if (relevant.isEmpty()) {
            throw new InputException(file, "no query row with a score above 0 (" + rows.size()
                    + " rows, all judged not relevant)");
        }
        return relevant;
    }

    /**
     * Reads every query row, those judged not relevant ({@code score} 0 or below) included, as
     * {@code beir} writes them into qrels; see {@link #read}.
     */
    public static List<Row> readJudged(Path file, String textField, Corpus corpus,
            long maxLineBytes) throws IOException {
        List<Record> records = RecordReader.read(file, maxLineBytes);
        if (records.isEmpty()) {
            throw new InputException(file, "no query rows");
        }
        List<Row> rows = new ArrayList<>(records.size());
        for (Record r : records) {
            String text = queryText(file, r, textField);
            String id = id(file, r, CORPUS_ID);
            int passage = corpus.row(id);
            if (passage < 0) {
                throw new InputException(file, r.line(), CORPUS_ID + " '" + id + "' is not a"
                        + " passage of " + where(corpus));
            }
            grade(file, r);
            rows.add(new Row(r, text, passage));
        }
        return rows;
    }

    /**
     * A row's relevance grade: its {@code score} as an integer, given as a JSON number or as
     * text (CSV and TSV cells are text), {@code 2.0} read as 2; 1 where the row has no score (or
     * an empty cell).
     * 0 or below: judged not relevant.
     *
     * @throws InputException naming the file and line of a score that is not an integer grade
     */
    public static int grade(Path file, Record r) {
        JsonNode v = r.get("score");
        if (v == null || v.isNull()) {
            return 1;
        }
        String text = v.isTextual() ? v.textValue().strip() : v.asText();
        if (text.isEmpty()) {
            return 1; // an empty CSV/TSV cell: no score given
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            try {
                return new java.math.BigDecimal(text).intValueExact();
            } catch (NumberFormatException | ArithmeticException notAGrade) {
                throw new InputException(file, r.line(), "score '" + text
                        + "' is not an integer grade");
            }
        }
    }

    /**
     * A BEIR query set as query rows: one row per judged pair with a score above 0, in the order
     * of each pair's first qrels line, with fields {@code text}, {@value #CORPUS_ID},
     * {@code query_id} and {@code score}. A pair judged on several lines takes its last score,
     * as BEIR's loader (a map from query to passage to score) reads it: a repeated line was a
     * repeated row, a repeated demonstration and a repeated triplet.
     *
     * @throws InputException naming the file and line of a duplicate or empty query, a qrels
     *     header other than {@code query-id corpus-id score}, a qrels line naming an unknown
     *     query or passage, or a score that is not an integer grade
     */
    public static List<Row> fromBeir(Path queries, Path qrels, Corpus corpus, long maxLineBytes)
            throws IOException {
        Map<String, String> texts = new LinkedHashMap<>();
        Map<String, Long> lines = new HashMap<>();
        for (Record r : RecordReader.read(queries, maxLineBytes)) {
            String id = id(queries, r, "_id");
            Long first = lines.putIfAbsent(id, r.line());
            if (first != null) {
                throw new InputException(queries, r.line(), "duplicate _id '" + id
                        + "' (first on line " + first + ")");
            }
            texts.put(id, queryText(queries, r, "text"));
        }
        List<Record> judged = RecordReader.read(qrels, maxLineBytes);
        Map<String, Row> pairs = new LinkedHashMap<>();
        Map<String, Integer> scores = new HashMap<>();
        boolean delimited = qrels.getFileName().toString().toLowerCase(java.util.Locale.ROOT)
                .matches(".*\\.(tsv|csv)(\\.gz)?");
        for (Record r : judged) {
            if (!r.has("query-id") || !r.has("corpus-id") || !r.has("score")) {
                if (delimited) {
                    // The field names are the header's: name its line (the one before the first
                    // record), not the first record's.
                    throw new InputException(qrels, Math.max(1, r.line() - 1), "qrels need the"
                            + " header 'query-id corpus-id score'; the header has "
                            + r.fieldNames());
                }
                throw new InputException(qrels, r.line(), "qrels need the fields 'query-id"
                        + " corpus-id score'; this line has " + r.fieldNames());
            }
            String q = id(qrels, r, "query-id");
            String c = id(qrels, r, "corpus-id");
            String text = texts.get(q);
            if (text == null) {
                throw new InputException(qrels, r.line(), "query-id '" + q + "' is not a query of "
                        + queries);
            }
            int passage = corpus.row(c);
            if (passage < 0) {
                throw new InputException(qrels, r.line(), "corpus-id '" + c + "' is not a passage"
                        + " of " + where(corpus));
            }
            int score = grade(qrels, r);
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("text", text);
            o.put(CORPUS_ID, c);
            o.put("query_id", q);
            o.put("score", score);
            String pair = q + "\t" + c;
            Row first = pairs.get(pair);
            // The pair keeps its first line's place, and the last line's score.
            pairs.put(pair, new Row(Record.of(o, first == null ? r.line() : first.record().line()),
                    text, passage));
            scores.put(pair, score);
        }
        List<Row> rows = new ArrayList<>(pairs.size());
        pairs.forEach((pair, row) -> {
            if (scores.get(pair) > 0) {
                rows.add(row);
            }
        });
        if (rows.isEmpty()) {
            throw new InputException(qrels, "no judged pair with a score above 0");
        }
        return rows;
    }

    private static String where(Corpus corpus) {
        return corpus.file() == null ? "the corpus" : corpus.file().toString();
    }

    private static String queryText(Path file, Record r, String field) {
        JsonNode v = r.get(field);
        if (v == null) {
            throw new InputException(file, r.line(), "no field '" + field + "'; this record has "
                    + r.fieldNames());
        }
        if (!v.isTextual()) {
            throw new InputException(file, r.line(), "field '" + field + "' is not a string");
        }
        if (v.textValue().isBlank()) {
            throw new InputException(file, r.line(), "empty query");
        }
        return v.textValue();
    }

    /** An id field: a string, or an integral number as its digits; bad ones named by line. */
    public static String id(Path file, Record r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            throw new InputException(file, r.line(), "no field '" + field + "'; this record has "
                    + r.fieldNames());
        }
        if (v.isTextual() && !v.textValue().isBlank()) {
            return v.textValue();
        }
        if (v.isIntegralNumber()) {
            return v.asText();
        }
        throw new InputException(file, r.line(), "field '" + field + "' is not an id (a non-empty"
                + " string or an integer)");
    }

    /**
     * The judgements of distinct query texts: each query's relevant corpus rows with their grade
     * (the row's {@code score}, else 1; rows of {@link #read} and {@link #fromBeir} are all
     * above 0), in first-seen order of the texts.
     */
    public static Map<String, Map<Integer, Integer>> judgements(List<Row> rows) {
        Map<String, Map<Integer, Integer>> out = new LinkedHashMap<>();
        for (Row r : rows) {
            int grade = grade(null, r.record());
            if (grade > 0) {
                out.computeIfAbsent(r.text(), t -> new HashMap<>()).merge(r.passage(), grade,
                        Math::max);
            }
        }
        return out;
    }
}
