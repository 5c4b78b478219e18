package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign negatives} against a straightforward reference: the real encoder's vectors
 * for the same texts, every passage's cosine to the query in double precision, sorted, the
 * query's positives removed.
 */
class NegativesCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static final String[][] PASSAGES = {
        {"p1", "Cats", "Cats are small domesticated carnivorous mammals that purr."},
        {"p2", "Dogs", "Dogs are loyal domesticated animals descended from wolves."},
        {"p3", "", "Lions are large wild cats that live in prides on the savanna."},
        {"p4", "Bread", "Bread is baked from a dough of flour and water."},
        {"p5", "Pasta", "Pasta is an Italian food made from durum wheat and eggs."},
        {"p6", "Python", "Python is a programming language with dynamic typing."},
        {"p7", "Java", "Java is a statically typed, object-oriented programming language."},
        {"p8", "Rain", "Rain is liquid water falling from clouds."},
        {"p9", "Snow", "Snow is frozen precipitation of ice crystals."},
        {"p10", "Tigers", "Tigers are the largest living cat species, striped and solitary."},
        {"p11", "Rice", "Rice is the seed of a grass species eaten as a staple food."},
    };

    @TempDir
    Path dir;

    /** Writes {@link #PASSAGES} as a BEIR corpus.jsonl. */
    static void writeCorpus(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String[] p : PASSAGES) {
            sb.append(JSON.writeValueAsString(java.util.Map.of("_id", p[0], "title", p[1], "text", p[2])))
                    .append('\n');
        }
        Files.writeString(file, sb);
    }

    @BeforeEach
    void corpus() throws IOException {
        writeCorpus(dir.resolve("corpus.jsonl"));
        Files.writeString(dir.resolve("rows.jsonl"), """
                {"text": "which pets purr", "corpus_id": "p1", "weight": 0.5}
                {"text": "big striped cat", "corpus_id": "p10"}
                {"text": "big striped cat", "corpus_id": "p3"}
                {"text": "statically typed language", "corpus_id": "p7", "synalign": {"backend": "x"}}
                {"text": "frozen rain", "corpus_id": 9}
                """.replace("\"corpus_id\": 9", "\"corpus_id\": \"p9\""));
    }

    private Cli.Run negatives(EmbeddingOptions.EncoderLoader loader, String... args) {
        return Cli.run(cl -> {
            NegativesCommand cmd = (NegativesCommand) cl.getSubcommands().get("negatives").getCommand();
            cmd.loader = loader;
        }, args);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private static String passage(String[] p) {
        return p[1].isEmpty() ? p[2] : p[1] + " " + p[2];
    }

    @Test
    void negativesAreTheNearestPassagesButThePositivesBestFirst() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = negatives(counter.loader(), "negatives", "--corpus", p("corpus.jsonl"), "--queries",
                p("rows.jsonl"), "--k", "3", "--out", p("t.jsonl"), "--no-cache", "--backend", "nd4j", "-q");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("mined 3 negatives for each of 5 query rows (4 distinct queries)"
                + " over 11 passages"), run.out());
        // The backend that ran, not the option's "auto".
        assertFalse(run.out().contains(" on auto "), run.out());
        assertTrue(run.out().matches("(?s).* on (nd4j|reference|portable|cuda) in .*"), run.out());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("t.jsonl"))) {
            rows.add(JSON.readTree(line));
        }
        assertEquals(5, rows.size());

        List<String> passages = new ArrayList<>();
        for (String[] p : PASSAGES) {
            passages.add(passage(p));
        }
        FloatMatrix pv = TestEncoders.minilm().encode(passages, io.synalign.models.EncodeProgress.NONE);
        List<String> queries = List.of("which pets purr", "big striped cat", "big striped cat",
                "statically typed language", "frozen rain");
        List<Set<String>> positives = List.of(Set.of("p1"), Set.of("p10", "p3"), Set.of("p10", "p3"),
                Set.of("p7"), Set.of("p9"));
        FloatMatrix qv = TestEncoders.minilm().encode(queries, io.synalign.models.EncodeProgress.NONE);
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            assertEquals(queries.get(i), row.path("query").asText());
            String positiveId = row.path("corpus_id").asText();
            assertTrue(positives.get(i).contains(positiveId), row.toString());
            int positiveRow = Integer.parseInt(positiveId.substring(1)) - 1;
            assertEquals(passages.get(positiveRow), row.path("positive").asText());
            // Reference: double-precision cosine of every passage that is not a positive.
            int qi = i;
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < PASSAGES.length; j++) {
                if (!positives.get(i).contains(PASSAGES[j][0])) {
                    order.add(j);
                }
            }
            order.sort(Comparator.<Integer>comparingDouble(j -> -cosine(qv, qi, pv, j)));
            List<String> wantIds = new ArrayList<>();
            List<String> wantTexts = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                wantIds.add(PASSAGES[order.get(r)][0]);
                wantTexts.add(passages.get(order.get(r)));
            }
            List<String> gotIds = new ArrayList<>();
            row.path("negative_ids").forEach(n -> gotIds.add(n.asText()));
            List<String> gotTexts = new ArrayList<>();
            row.path("negatives").forEach(n -> gotTexts.add(n.asText()));
            assertEquals(wantIds, gotIds, row.toString());
            assertEquals(wantTexts, gotTexts, row.toString());
            assertFalse(row.has("text"), "the query is under 'query'");
        }
        assertEquals(0.5, rows.get(0).path("weight").asDouble(), 0.0);
        assertEquals("x", rows.get(3).path("synalign").path("backend").asText());
    }

    /** The cosine of row i of a and row j of b, in double. */
    static double cosine(FloatMatrix a, int i, FloatMatrix b, int j) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int t = 0; t < a.cols(); t++) {
            dot += (double) a.get(i, t) * b.get(j, t);
            na += (double) a.get(i, t) * a.get(i, t);
            nb += (double) b.get(j, t) * b.get(j, t);
        }
        return dot / Math.sqrt(na * nb);
    }

    /**
     * A passage with the very text of a query's positive under another id (BEIR corpora hold
     * such copies) is not mined as its negative: it was the first negative, word for word the
     * positive. Rows judged not relevant (score 0) are no triplets.
     */
    @Test
    void copiesOfAPositiveAndRowsJudgedNotRelevantAreNoNegativesOrTriplets() throws IOException {
        String corpus = Files.readString(dir.resolve("corpus.jsonl"));
        Files.writeString(dir.resolve("dup-corpus.jsonl"), corpus + JSON.writeValueAsString(java.util.Map.of(
                "_id", "dupA", "title", PASSAGES[0][1], "text", PASSAGES[0][2])) + "\n");
        Files.writeString(dir.resolve("q.jsonl"), """
                {"text": "which pets purr", "corpus_id": "p1"}
                {"text": "which pets purr", "corpus_id": "p2", "score": 0}
                """);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = negatives(counter.loader(), "negatives", "--corpus", p("dup-corpus.jsonl"), "--queries",
                p("q.jsonl"), "--k", "3", "--out", p("t.jsonl"), "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        List<String> lines = Files.readAllLines(dir.resolve("t.jsonl"));
        assertEquals(1, lines.size(), "the score-0 row is no triplet");
        JsonNode row = JSON.readTree(lines.get(0));
        assertEquals("p1", row.path("corpus_id").asText());
        List<String> ids = new ArrayList<>();
        row.path("negative_ids").forEach(n -> ids.add(n.asText()));
        assertEquals(3, ids.size(), row::toString);
        assertFalse(ids.contains("dupA") || ids.contains("p1"), row::toString);
        row.path("negatives").forEach(n -> assertFalse(n.asText().equals(row.path("positive").asText()),
                row::toString));
    }

    @Test
    void aBeirQuerySetWithQrelsGivesTheSameTriplets() throws IOException {
        Files.writeString(dir.resolve("queries.jsonl"), """
                {"_id": "q1", "text": "which pets purr"}
                {"_id": "q2", "text": "statically typed language"}
                {"_id": "q3", "text": "never judged"}
                """);
        Files.writeString(dir.resolve("qrels.tsv"), "query-id\tcorpus-id\tscore\nq1\tp1\t1\nq2\tp7\t2\nq2\tp6\t0\n");
        Files.writeString(dir.resolve("flat.jsonl"), """
                {"text": "which pets purr", "corpus_id": "p1"}
                {"text": "statically typed language", "corpus_id": "p7"}
                """);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        assertEquals(0, negatives(counter.loader(), "negatives", "--corpus", p("corpus.jsonl"), "--queries",
                p("queries.jsonl"), "--qrels", p("qrels.tsv"), "--out", p("beir.jsonl"), "--no-cache",
                "-q").status());
        assertEquals(0, negatives(counter.loader(), "negatives", "--corpus", p("corpus.jsonl"), "--queries",
                p("flat.jsonl"), "--out", p("flat-t.jsonl"), "--no-cache", "-q").status());
        List<String> beir = Files.readAllLines(dir.resolve("beir.jsonl"));
        List<String> flat = Files.readAllLines(dir.resolve("flat-t.jsonl"));
        assertEquals(2, beir.size());
        for (int i = 0; i < 2; i++) {
            JsonNode b = JSON.readTree(beir.get(i));
            JsonNode f = JSON.readTree(flat.get(i));
            assertEquals(f.path("negative_ids"), b.path("negative_ids"));
            assertEquals(f.path("positive"), b.path("positive"));
            assertEquals("q" + (i + 1), b.path("query_id").asText());
        }
        assertEquals(7, JSON.readTree(beir.get(0)).path("negatives").size(), "default k");
    }

    @Test
    void badInputIsOneLineExitTwoBeforeTheModelLoads() throws IOException {
        Files.writeString(dir.resolve("dup.jsonl"), "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"a\", \"text\": \"y\"}\n");
        Files.writeString(dir.resolve("unknown.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p1\"}\n"
                + "{\"text\": \"q\", \"corpus_id\": \"nope\"}\n");
        Files.writeString(dir.resolve("empty.jsonl"), "{\"text\": \"  \", \"corpus_id\": \"p1\"}\n");
        Files.writeString(dir.resolve("queries.jsonl"), "{\"_id\": \"q1\", \"text\": \"a\"}\n");
        Files.writeString(dir.resolve("badq.tsv"), "query-id\tcorpus-id\tscore\nq9\tp1\t1\n");
        Files.writeString(dir.resolve("badc.tsv"), "query-id\tcorpus-id\tscore\nq1\tzz\t1\n");
        Files.writeString(dir.resolve("nohead.tsv"), "q1\tp1\t1\nq1\tp2\t1\n");
        String[][] cases = {
            {"dup.jsonl", "rows.jsonl", null, "3", "dup.jsonl:2: duplicate _id 'a' (first on line 1)"},
            {"corpus.jsonl", "unknown.jsonl", null, "3", "unknown.jsonl:2: corpus_id 'nope' is not a passage of"},
            {"corpus.jsonl", "empty.jsonl", null, "3", "empty.jsonl:1: empty query"},
            {"corpus.jsonl", "queries.jsonl", "badq.tsv", "3", "badq.tsv:2: query-id 'q9' is not a query of"},
            {"corpus.jsonl", "queries.jsonl", "badc.tsv", "3", "badc.tsv:2: corpus-id 'zz' is not a passage of"},
            // The header is line 1 (here the first judgement, taken for one): it was reported
            // on line 2, the first record's, with line 1's fields as "this line".
            {"corpus.jsonl", "queries.jsonl", "nohead.tsv", "3",
                "nohead.tsv:1: qrels need the header 'query-id corpus-id score'; the header has [q1, p1, 1]"},
            {"corpus.jsonl", "rows.jsonl", null, "10", "--k 10: the corpus has 11 passages and a query's"
                + " positives (with copies of their text) number up to 2; at most 9 negatives per query"},
        };
        TestEncoders.Counter counter = new TestEncoders.Counter();
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("negatives", "--corpus", p(c[0]), "--queries", p(c[1]),
                    "--k", c[3], "--out", p("t.jsonl"), "--no-cache", "-q"));
            if (c[2] != null) {
                args.addAll(List.of("--qrels", p(c[2])));
            }
            Cli.Run run = negatives(counter.forbidden(), args.toArray(String[]::new));
            Cli.assertBadInputLine(run, dir, c[4]);
        }
        Cli.assertBadInputLine(negatives(counter.forbidden(), "negatives", "--corpus", p("corpus.jsonl"),
                "--queries", p("rows.jsonl"), "--out", p("t.csv"), "-q"), dir, "--out", "name a .jsonl");
        Cli.assertBadInputLine(negatives(counter.forbidden(), "negatives", "--corpus", p("corpus.jsonl"),
                "--queries", p("rows.jsonl"), "--out", p("rows.jsonl"), "-q"), dir,
                "would overwrite the input given with --queries");
        assertEquals(0, counter.loads.get());
        assertFalse(Files.exists(dir.resolve("t.jsonl")));
    }
}
