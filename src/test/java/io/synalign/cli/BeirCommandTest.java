package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.data.RecordReader;
import io.synalign.retrieval.Corpus;
import io.synalign.retrieval.QueryRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synalign beir}: flat query rows out as BEIR, and back in through the BEIR reader. */
class BeirCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws IOException {
        NegativesCommandTest.writeCorpus(dir.resolve("corpus.jsonl"));
        Files.writeString(dir.resolve("rows.jsonl"), """
                {"text": "big striped cat", "corpus_id": "p10"}
                {"text": "which pets purr", "corpus_id": "p1", "score": 2}
                {"text": "big striped cat", "corpus_id": "p3"}
                {"text": "big striped cat", "corpus_id": "p10"}
                """);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void rowsBecomeABeirQuerySetThatReadsBackAsTheSamePairs() throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "beir", "--queries", p("rows.jsonl"), "--corpus", p("corpus.jsonl"),
                "--out", p("beir"), "--split", "dev");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("wrote 2 queries and 3 judged pairs of this split"), run.out());
        assertEquals(List.of("{\"_id\":\"q1\",\"text\":\"big striped cat\"}",
                "{\"_id\":\"q2\",\"text\":\"which pets purr\"}"), Files.readAllLines(dir.resolve("beir/queries.jsonl")));
        assertEquals(List.of("query-id\tcorpus-id\tscore", "q1\tp10\t1", "q2\tp1\t2", "q1\tp3\t1"),
                Files.readAllLines(dir.resolve("beir/qrels/dev.tsv")));
        // Read back with the BEIR reader: the distinct pairs, with their grades.
        Corpus corpus = Corpus.read(dir.resolve("corpus.jsonl"), RecordReader.DEFAULT_MAX_LINE_BYTES);
        List<QueryRows.Row> back = QueryRows.fromBeir(dir.resolve("beir/queries.jsonl"),
                dir.resolve("beir/qrels/dev.tsv"), corpus, RecordReader.DEFAULT_MAX_LINE_BYTES);
        List<String> pairs = new ArrayList<>();
        for (QueryRows.Row r : back) {
            pairs.add(r.text() + " -> " + corpus.id(r.passage()));
        }
        assertEquals(List.of("big striped cat -> p10", "which pets purr -> p1", "big striped cat -> p3"), pairs);
        assertEquals(Map.of(0, 2), QueryRows.judgements(back).get("which pets purr").entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(e -> 0, Map.Entry::getValue)));
    }

    /**
     * Given ids name queries: a second id with the same text was dropped (its pairs went to the
     * first); a score of 0 or below was written as 1 (relevant); an auto id equal to a given
     * one was "two query texts carry the same query_id", naming no line.
     */
    /** Its counts were printed with the default locale's digits: "wrote ٢ queries" under ar. */
    @Test
    void countsAreAsciiDigitsUnderAnArabicLocale() throws Exception {
        Cli.Run run = ForcedLocale.call(ForcedLocale.ARABIC, () -> Cli.run(cl -> { }, "beir",
                "--queries", p("rows.jsonl"), "--corpus", p("corpus.jsonl"), "--out", p("ar")));
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("wrote 2 queries and 3 judged pairs of this split"), run.out());
        assertFalse(ForcedLocale.hasArabicDigits(run.out()), run.out());
    }

    @Test
    void givenIdsAndGradesAreKept() throws IOException {
        Files.writeString(dir.resolve("ids.jsonl"), """
                {"text": "big striped cat", "corpus_id": "p10", "query_id": "a"}
                {"text": "big striped cat", "corpus_id": "p3", "query_id": "b", "score": 0}
                {"text": "which pets purr", "corpus_id": "p1"}
                {"text": "big striped cat", "corpus_id": "p1"}
                {"text": "pets", "corpus_id": "p1", "query_id": "q1", "score": -2}
                """);
        Cli.Run run = Cli.run(cl -> { }, "beir", "--queries", p("ids.jsonl"), "--corpus", p("corpus.jsonl"),
                "--out", p("ids"));
        assertEquals(0, run.status(), run.toString());
        assertEquals(List.of("{\"_id\":\"a\",\"text\":\"big striped cat\"}",
                "{\"_id\":\"b\",\"text\":\"big striped cat\"}", "{\"_id\":\"q2\",\"text\":\"which pets purr\"}",
                "{\"_id\":\"q1\",\"text\":\"pets\"}"), Files.readAllLines(dir.resolve("ids/queries.jsonl")));
        assertEquals(List.of("query-id\tcorpus-id\tscore", "a\tp10\t1", "b\tp3\t0", "q2\tp1\t1", "a\tp1\t1",
                "q1\tp1\t-2"), Files.readAllLines(dir.resolve("ids/qrels/train.tsv")));

        Files.writeString(dir.resolve("clash.jsonl"), """
                {"text": "big striped cat", "corpus_id": "p10", "query_id": "a"}
                {"text": "which pets purr", "corpus_id": "p1", "query_id": "a"}
                """);
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("clash.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("clash")), dir, "clash.jsonl:2: query_id 'a' is given to another"
                + " text on line 1");
        Files.writeString(dir.resolve("grade.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\", \"score\": 0.5}\n");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("grade.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("grade")), dir, "grade.jsonl:1: score '0.5' is not an integer grade");
        // A TSV's score cell is text: "2" is the grade 2 (it was refused as "not an integer").
        Files.writeString(dir.resolve("rows.tsv"), "text\tcorpus_id\tscore\nwhich pets purr\tp1\t2\n"
                + "big striped cat\tp3\t2.0\n");
        Cli.Run tsv = Cli.run(cl -> { }, "beir", "--queries", p("rows.tsv"), "--corpus", p("corpus.jsonl"),
                "--out", p("tsv"));
        assertEquals(0, tsv.status(), tsv.toString());
        assertEquals(List.of("query-id\tcorpus-id\tscore", "q1\tp1\t2", "q2\tp3\t2"),
                Files.readAllLines(dir.resolve("tsv/qrels/train.tsv")));
        assertFalse(Files.exists(dir.resolve("clash")) || Files.exists(dir.resolve("grade")));
    }

    /**
     * A BEIR directory has one queries.jsonl for all splits: a second split keeps the first's
     * queries and ids (it replaced them, and train.tsv's q1 then named a test query), joins
     * rows to a kept query by text, numbers new texts after the kept ids, and refuses a
     * query_id that names another kept text.
     */
    @Test
    void aSecondSplitKeepsTheQueriesOfTheFirst() throws IOException {
        Files.writeString(dir.resolve("train.jsonl"), """
                {"text": "which pets purr", "corpus_id": "p1"}
                {"text": "big striped cat", "corpus_id": "p10"}
                """);
        Files.writeString(dir.resolve("test.jsonl"), """
                {"text": "a city in indiana", "corpus_id": "p4"}
                {"text": "big striped cat", "corpus_id": "p3"}
                """);
        assertEquals(0, Cli.run(cl -> { }, "beir", "--queries", p("train.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("b"), "--split", "train").status());
        Cli.Run second = Cli.run(cl -> { }, "beir", "--queries", p("test.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("b"), "--split", "test");
        assertEquals(0, second.status(), second::toString);
        assertTrue(second.out().contains("kept the 2 queries " + dir.resolve("b/queries.jsonl")
                + " held before (other splits' ids), added 1"), second::toString);
        assertEquals(List.of("{\"_id\":\"q1\",\"text\":\"which pets purr\"}",
                "{\"_id\":\"q2\",\"text\":\"big striped cat\"}",
                "{\"_id\":\"q3\",\"text\":\"a city in indiana\"}"),
                Files.readAllLines(dir.resolve("b/queries.jsonl")));
        assertEquals(List.of("query-id\tcorpus-id\tscore", "q3\tp4\t1", "q2\tp3\t1"),
                Files.readAllLines(dir.resolve("b/qrels/test.tsv")));
        // The first split reads back as written.
        Corpus corpus = Corpus.read(dir.resolve("corpus.jsonl"), RecordReader.DEFAULT_MAX_LINE_BYTES);
        List<String> train = new ArrayList<>();
        for (QueryRows.Row r : QueryRows.fromBeir(dir.resolve("b/queries.jsonl"),
                dir.resolve("b/qrels/train.tsv"), corpus, RecordReader.DEFAULT_MAX_LINE_BYTES)) {
            train.add(r.text() + " -> " + corpus.id(r.passage()));
        }
        assertEquals(List.of("which pets purr -> p1", "big striped cat -> p10"), train);

        Files.writeString(dir.resolve("clash.jsonl"),
                "{\"text\": \"rain from clouds\", \"corpus_id\": \"p8\", \"query_id\": \"q1\"}\n");
        byte[] before = Files.readAllBytes(dir.resolve("b/queries.jsonl"));
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("clash.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("b"), "--split", "dev"), dir, "clash.jsonl:1: query_id 'q1'"
                + " names another query in " + dir.resolve("b/queries.jsonl") + " (line 1)");
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("b/queries.jsonl")));
        assertFalse(Files.exists(dir.resolve("b/qrels/dev.tsv")));

        // DIR/qrels as a file: one line, exit 2 (it was exit 1 "FileAlreadyExistsException").
        Files.createDirectories(dir.resolve("f"));
        Files.writeString(dir.resolve("f/qrels"), "");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("train.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("f")), dir, "qrels: is a file; --out needs it to be the"
                + " directory of the qrels files");
    }

    @Test
    void badInputWritesNothing() throws IOException {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"nope\"}\n");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("bad.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("beir")), dir, "bad.jsonl:1: corpus_id 'nope' is not a passage of");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("rows.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("beir"), "--split", "../x"), dir, "--split '../x'");
        // A query_id the qrels TSV cannot carry (it shifted the columns), or that is no id.
        Files.writeString(dir.resolve("tab.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\"}\n"
                + "{\"text\": \"r\", \"corpus_id\": \"p1\", \"query_id\": \"a\\tb\"}\n");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("tab.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("beir")), dir,
                "tab.jsonl:2: query_id 'a\\tb' holds a tab or a line break, which the qrels TSV"
                        + " cannot carry");
        Files.writeString(dir.resolve("obj.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\","
                + " \"query_id\": {\"x\": 1}}\n");
        Cli.assertBadInputLine(Cli.run(cl -> { }, "beir", "--queries", p("obj.jsonl"), "--corpus",
                p("corpus.jsonl"), "--out", p("beir")), dir,
                "obj.jsonl:1: field 'query_id' is not an id");
        assertFalse(Files.exists(dir.resolve("beir")));
    }
}
