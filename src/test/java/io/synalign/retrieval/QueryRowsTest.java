package io.synalign.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.data.RecordReader;
import io.synalign.io.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link QueryRows} and {@link Corpus#copies}: a pair judged not relevant (score 0 or below) is
 * never a positive, a grade reads the same from JSON numbers and CSV/TSV text, a qrels pair
 * judged twice is one pair with its last score, and copies of a passage's text are found.
 */
class QueryRowsTest {

    private static final long LIMIT = RecordReader.DEFAULT_MAX_LINE_BYTES;

    @TempDir
    Path dir;

    private Corpus corpus() {
        return Corpus.of(List.of("p1", "p2", "p3", "p4", "dupA"), List.of("", "", "", "T", ""),
                List.of("white sauce with grated cheese", "a city in Indiana", "rain", "x",
                        "white sauce with grated cheese"));
    }

    private static List<String> pairs(Corpus c, List<QueryRows.Row> rows) {
        List<String> out = new ArrayList<>();
        for (QueryRows.Row r : rows) {
            out.add(r.text() + "->" + c.id(r.passage()));
        }
        return out;
    }

    @Test
    void rowsJudgedNotRelevantAreNoPositivesAndGradesReadAlikeFromTextAndNumbers()
            throws IOException {
        Corpus c = corpus();
        Path jsonl = Files.writeString(dir.resolve("rows.jsonl"), """
                {"text": "cheese sauce", "corpus_id": "p1", "score": 2}
                {"text": "cheese sauce", "corpus_id": "p2", "score": 0}
                {"text": "city", "corpus_id": "p2"}
                {"text": "city", "corpus_id": "p3", "score": -1}
                {"text": "wet", "corpus_id": "p3", "score": 2.0}
                """);
        List<QueryRows.Row> rows = QueryRows.read(jsonl, "text", c, LIMIT);
        assertEquals(List.of("cheese sauce->p1", "city->p2", "wet->p3"), pairs(c, rows));
        assertEquals(Map.of("cheese sauce", Map.of(0, 2), "city", Map.of(1, 1), "wet", Map.of(2, 2)),
                QueryRows.judgements(rows));
        assertEquals(5, QueryRows.readJudged(jsonl, "text", c, LIMIT).size(), "beir keeps them");

        // The same rows as TSV: the score cells are text, "2" is the grade 2 (it was read as 1).
        Path tsv = Files.writeString(dir.resolve("rows.tsv"), "text\tcorpus_id\tscore\n"
                + "cheese sauce\tp1\t2\ncheese sauce\tp2\t0\ncity\tp2\t1\ncity\tp3\t-1\nwet\tp3\t2.0\n");
        List<QueryRows.Row> fromTsv = QueryRows.read(tsv, "text", c, LIMIT);
        assertEquals(pairs(c, rows), pairs(c, fromTsv));
        assertEquals(QueryRows.judgements(rows), QueryRows.judgements(fromTsv));

        // An empty score cell is no score: grade 1 (it was refused as "not an integer grade").
        Path blank = Files.writeString(dir.resolve("blank.csv"), "text,corpus_id,score\ncity,p2,\nwet,p3,2\n");
        assertEquals(Map.of("city", Map.of(1, 1), "wet", Map.of(2, 2)),
                QueryRows.judgements(QueryRows.read(blank, "text", c, LIMIT)));
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\","
                + " \"score\": \"high\"}\n");
        InputException e = assertThrows(InputException.class, () -> QueryRows.read(bad, "text", c, LIMIT));
        assertTrue(e.getMessage().contains("bad.jsonl:1: score 'high' is not an integer grade"), e.getMessage());
        Path none = Files.writeString(dir.resolve("none.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\","
                + " \"score\": 0}\n");
        e = assertThrows(InputException.class, () -> QueryRows.read(none, "text", c, LIMIT));
        assertTrue(e.getMessage().contains("no query row with a score above 0"), e.getMessage());
    }

    @Test
    void aQrelsPairJudgedTwiceIsOnePairWithItsLastScore() throws IOException {
        Corpus c = corpus();
        Path queries = Files.writeString(dir.resolve("queries.jsonl"), """
                {"_id": "q1", "text": "cheese sauce"}
                {"_id": "q2", "text": "city"}
                """);
        Path qrels = Files.writeString(dir.resolve("qrels.tsv"), "query-id\tcorpus-id\tscore\n"
                + "q1\tp1\t1\nq2\tp2\t1\nq1\tp1\t1\nq2\tp3\t1.0\nq2\tp3\t0\nq1\tp4\t1\nq1\tp4\t2\n");
        List<QueryRows.Row> rows = QueryRows.fromBeir(queries, qrels, c, LIMIT);
        assertEquals(List.of("cheese sauce->p1", "city->p2", "cheese sauce->p4"), pairs(c, rows));
        assertEquals(List.of(2L, 3L, 7L), rows.stream().map(r -> r.record().line()).toList(),
                "each pair at its first line");
        assertEquals(2, QueryRows.judgements(rows).get("cheese sauce").get(3), "the last score");
    }

    @Test
    void copiesAreThePassagesOfTheSameText() {
        Corpus c = corpus();
        assertArrayEquals(new int[] {0, 4}, c.copies(0));
        assertArrayEquals(new int[] {0, 4}, c.copies(4));
        assertArrayEquals(new int[] {1}, c.copies(1));
        // Title and text joined: "T x" is not "x".
        Corpus titled = Corpus.of(List.of("a", "b", "c"), List.of("T", "", ""), List.of("x", "T x", "x"));
        assertArrayEquals(new int[] {0, 1}, titled.copies(1));
        assertArrayEquals(new int[] {2}, titled.copies(2));
    }
}
