package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncodeProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --task retrieval} end to end on the real encoder. The zero-shot metrics are
 * recomputed here from scratch (cosine of the encoder's vectors, a sort, the textbook formulas);
 * the trained variants are checked for shape, range and reproducibility.
 */
class RetrievalEvaluateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws IOException {
        NegativesCommandTest.writeCorpus(dir.resolve("corpus.jsonl"));
        Files.writeString(dir.resolve("real.jsonl"), rows(
                "which animal purrs", "p1", "loyal pet from wolves", "p2", "king of the savanna", "p3",
                "how is bread made", "p4", "italian wheat food", "p5", "dynamic typing language", "p6",
                "object oriented typed language", "p7", "water from clouds", "p8", "ice crystals falling", "p9",
                "striped big cat", "p10", "staple grass seed", "p11"));
        Files.writeString(dir.resolve("synthetic.jsonl"), rows(
                "What is a cat?", "p1", "What is a dog?", "p2", "What is a lion?", "p3", "What is bread?", "p4",
                "What is pasta?", "p5", "What is Python?", "p6", "What is Java?", "p7", "What is rain?", "p8"));
        Files.writeString(dir.resolve("aligned.jsonl"), rows("pets that purr", "p1", "frozen precipitation", "p9",
                "wild striped cat", "p10"));
        Files.writeString(dir.resolve("test.jsonl"), rows(
                "domestic animal that purrs", "p1", "big wild cat", "p3", "big wild cat", "p10",
                "programming language", "p6", "programming language", "p7", "baked flour food", "p4",
                "weather from clouds", "p8"));
    }

    private static String rows(String... pairs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            sb.append(JSON.writeValueAsString(Map.of("text", pairs[i], "corpus_id", pairs[i + 1]))).append('\n');
        }
        return sb.toString();
    }

    private Cli.Run evaluate(EmbeddingOptions.EncoderLoader loader, String... args) {
        return Cli.run(cl -> {
            EvaluateCommand cmd = (EvaluateCommand) cl.getSubcommands().get("evaluate").getCommand();
            cmd.loader = loader;
        }, args);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void variantsAreScoredAndZeroShotMatchesAHandComputation() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        String[] args = {"evaluate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real", p("real.jsonl"),
            "--synthetic", p("synthetic.jsonl"), "--aligned", p("aligned.jsonl"), "--test", p("test.jsonl"),
            "--summary", p("eval.json"), "--repeats", "2", "--max-epochs", "5", "--no-cache", "--seed", "3", "-q"};
        Cli.Run run = evaluate(counter.loader(), args);
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("5 test queries over 11 passages"), run.out());
        assertTrue(run.out().contains("wrote " + p("eval.json")), run.out());
        JsonNode doc = JSON.readTree(dir.resolve("eval.json").toFile());
        assertEquals("retrieval", doc.path("task").asText());
        List<String> names = new ArrayList<>();
        doc.path("variants").fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("zero_shot", "real", "real+synthetic", "real+aligned"), names);
        for (String name : names) {
            JsonNode v = doc.path("variants").path(name);
            for (String m : List.of("recall@1", "recall@10", "recall@100", "mrr@10", "ndcg@10")) {
                double x = v.path(m).asDouble(-1);
                assertTrue(x >= 0 && x <= 1, name + " " + m + " = " + v.path(m));
                assertTrue(v.has(m + "_std"), name + " " + m + "_std");
                assertEquals(name.equals("zero_shot") ? 1 : 2, v.path("values").path(m).size(), name);
            }
        }
        assertEquals(8 + 11 - 2, doc.path("variants").path("real+synthetic").path("trainRows").asInt(),
                "11 real rows less the 2 held out (20% of 11 texts), plus 8 synthetic");
        assertEquals(1.0, doc.path("variants").path("zero_shot").path("recall@100").asDouble(), 0.0,
                "11 passages: every relevant one is in the top 100");

        // Zero-shot from scratch: the 5 distinct test queries.
        List<String> passages = new ArrayList<>();
        for (String[] p : NegativesCommandTest.PASSAGES) {
            passages.add(p[1].isEmpty() ? p[2] : p[1] + " " + p[2]);
        }
        List<String> queries = List.of("domestic animal that purrs", "big wild cat", "programming language",
                "baked flour food", "weather from clouds");
        List<List<Integer>> relevant = List.of(List.of(0), List.of(2, 9), List.of(5, 6), List.of(3), List.of(7));
        FloatMatrix pv = TestEncoders.minilm().encode(passages, EncodeProgress.NONE);
        FloatMatrix qv = TestEncoders.minilm().encode(queries, EncodeProgress.NONE);
        double mrr = 0;
        double recall1 = 0;
        double ndcg = 0;
        int[] firstRanks = new int[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
            int qi = i;
            List<Integer> order = new ArrayList<>();
            for (int j = 0; j < passages.size(); j++) {
                order.add(j);
            }
            order.sort(Comparator.<Integer>comparingDouble(j -> -dot(qv, qi, pv, j)));
            List<Integer> rel = relevant.get(i);
            int first = 0;
            while (!rel.contains(order.get(first))) {
                first++;
            }
            mrr += first < 10 ? 1.0 / (first + 1) : 0;
            firstRanks[i] = first + 1; // 11 passages: every relevant one is retrieved
            recall1 += rel.contains(order.get(0)) ? 1.0 / rel.size() : 0;
            double dcg = 0;
            double idcg = 0;
            for (int r = 0; r < 10; r++) {
                dcg += rel.contains(order.get(r)) ? 1 / (Math.log(r + 2) / Math.log(2)) : 0;
                idcg += r < rel.size() ? 1 / (Math.log(r + 2) / Math.log(2)) : 0;
            }
            ndcg += dcg / idcg;
        }
        JsonNode zero = doc.path("variants").path("zero_shot");
        assertEquals(mrr / 5, zero.path("mrr@10").asDouble(), 1e-9);
        assertEquals(recall1 / 5, zero.path("recall@1").asDouble(), 1e-9);
        assertEquals(ndcg / 5, zero.path("ndcg@10").asDouble(), 1e-9);
        // The first relevant rank of each test query, kept for the report's bootstrap.
        assertEquals(List.of(java.util.Arrays.stream(firstRanks).boxed().toList()),
                JSON.convertValue(zero.path("testRanks"), List.class));

        // Seeded: the same command writes the same numbers.
        Files.move(dir.resolve("eval.json"), dir.resolve("first.json"));
        assertEquals(0, evaluate(counter.loader(), args).status());
        assertEquals(JSON.readTree(dir.resolve("first.json").toFile()).path("variants"),
                JSON.readTree(dir.resolve("eval.json").toFile()).path("variants"));
    }

    /**
     * evaluate then report: every variant keeps its test queries' first relevant ranks per
     * repeat, each repeat's ranks give the MRR@10 recorded for it, and the report's verdict
     * bootstraps the 21 test queries (at least the 20 it needs) and combines that with the
     * repeats' t.
     */
    @Test
    void keptTestRanksGiveTheReportABootstrapOverTheTestQueries() throws IOException {
        Files.writeString(dir.resolve("test21.jsonl"), rows(
                "domestic animal that purrs", "p1", "small pet that meows", "p1",
                "animal bred from wolves", "p2", "man's best friend", "p2",
                "big wild cat", "p3", "maned cat of africa", "p3", "baked flour food", "p4",
                "loaf from the oven", "p4", "noodles from italy", "p5", "spaghetti and penne", "p5",
                "programming language", "p6", "snake named language", "p6",
                "language of the jvm", "p7", "coffee named language", "p7",
                "weather from clouds", "p8", "drops falling from the sky", "p8",
                "snow flakes", "p9", "white winter weather", "p9", "orange striped cat", "p10",
                "tiger of bengal", "p10", "grain for bread", "p11"));
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = evaluate(counter.loader(), "evaluate", "--task", "retrieval", "--corpus",
                p("corpus.jsonl"), "--real", p("real.jsonl"), "--synthetic", p("synthetic.jsonl"),
                "--aligned", p("aligned.jsonl"), "--test", p("test21.jsonl"), "--run-dir", p("run"),
                "--repeats", "2", "--max-epochs", "5", "--no-cache", "--seed", "3", "-q");
        assertEquals(0, run.status(), run.toString());
        JsonNode doc = JSON.readTree(dir.resolve("run").resolve(
                io.synalign.pipeline.RunFiles.EVALUATION).toFile());
        doc.path("variants").fields().forEachRemaining(e -> {
            int[][] ranks = JSON.convertValue(e.getValue().path("testRanks"), int[][].class);
            JsonNode recorded = e.getValue().path("values").path("mrr@10");
            assertEquals(e.getKey().equals("zero_shot") ? 1 : 2, ranks.length, e.getKey());
            for (int r = 0; r < ranks.length; r++) {
                assertEquals(21, ranks[r].length, e.getKey());
                double sum = 0;
                for (int rank : ranks[r]) {
                    assertTrue(rank >= 1 && rank <= 11, e.getKey() + ": rank " + rank);
                    sum += rank <= 10 ? 1.0 / rank : 0;
                }
                assertEquals(recorded.get(r).asDouble(), sum / 21, 1e-12, e.getKey());
            }
        });
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("run"));
        assertEquals(0, report.status(), report.toString());
        String verdict = ReportCommandTest.section(Files.readString(dir.resolve("run").resolve(
                io.synalign.pipeline.RunFiles.REPORT)), "verdict");
        for (String other : List.of("real", "real+synthetic")) {
            assertTrue(verdict.contains("data-variant=\"" + other + "\" data-interval=\"bootstrap\""),
                    verdict);
        }
        assertTrue(verdict.contains("data-variant=\"zero_shot\" data-interval=\"bootstrap\""),
                verdict);
        assertEquals(2, verdict.split("a paired bootstrap over 21 test queries and a paired t over 2"
                + " repeats, combined", -1).length - 1, verdict);
        assertTrue(verdict.contains("a paired bootstrap over 21 test queries and a t over 2 repeats"
                + " against its one (untrained) value, combined"), verdict);
        assertFalse(verdict.contains("on this test set"), verdict);
    }

    private static double dot(FloatMatrix a, int i, FloatMatrix b, int j) {
        double s = 0;
        for (int t = 0; t < a.cols(); t++) {
            s += (double) a.get(i, t) * b.get(j, t);
        }
        return s;
    }

    @Test
    void retrievalBadInputIsOneLineExitTwoBeforeTheModelLoads() throws IOException {
        Files.writeString(dir.resolve("bad-test.jsonl"), rows("fine", "p1", "lost", "p99"));
        TestEncoders.Counter counter = new TestEncoders.Counter();
        String[] base = {"evaluate", "--task", "retrieval", "--real", p("real.jsonl"), "--test", p("test.jsonl"),
            "--summary", p("eval.json"), "-q"};
        Cli.assertBadInputLine(evaluate(counter.forbidden(), base), dir, "--task retrieval needs --corpus");
        Cli.assertBadInputLine(evaluate(counter.forbidden(), concat(base, "--corpus", p("corpus.jsonl"),
                "--classifier", "mlp")), dir, "--classifier does not apply to --task retrieval");
        Cli.assertBadInputLine(evaluate(counter.forbidden(), "evaluate", "--task", "retrieval", "--corpus",
                p("corpus.jsonl"), "--real", p("real.jsonl"), "--test", p("bad-test.jsonl"), "-q"), dir,
                "bad-test.jsonl:2: corpus_id 'p99' is not a passage of");
        Cli.assertBadInputLine(evaluate(counter.forbidden(), "evaluate", "--task", "ranking", "--real",
                p("real.jsonl"), "--test", p("test.jsonl"), "-q"), dir, "--task ranking: give classification or retrieval");
        Cli.assertBadInputLine(evaluate(counter.forbidden(), "evaluate", "--corpus", p("corpus.jsonl"), "--real",
                p("real.jsonl"), "--test", p("test.jsonl"), "-q"), dir, "--corpus does not apply to --task classification");
        assertEquals(0, counter.loads.get());
        assertFalse(Files.exists(dir.resolve("eval.json")));
    }

    /**
     * --weighted must hold rows of --synthetic in its order (text and passage), as for
     * classification; a subsequence (rows kept after --dedup) is accepted. A test query that is
     * also a training query is noted.
     */
    @Test
    void weightedRowsMustBeRowsOfTheSyntheticSetAndSharedTestQueriesAreNoted() throws IOException {
        // Rows 1, 3 and 6 of synthetic.jsonl, in its order, with weights.
        Files.writeString(dir.resolve("weighted.jsonl"), weighted("What is a cat?", "p1", "What is a lion?",
                "p3", "What is Python?", "p6"));
        // The same texts, one with another passage: not a row of --synthetic.
        Files.writeString(dir.resolve("other-passage.jsonl"), weighted("What is a cat?", "p1",
                "What is a lion?", "p4"));
        // Rows of synthetic.jsonl out of its order.
        Files.writeString(dir.resolve("reordered.jsonl"), weighted("What is a dog?", "p2", "What is a cat?", "p1"));
        TestEncoders.Counter counter = new TestEncoders.Counter();
        String[] base = {"evaluate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real", p("real.jsonl"),
            "--synthetic", p("synthetic.jsonl"), "--test", p("test.jsonl"), "--summary", p("eval.json"), "-q"};
        Cli.assertBadInputLine(evaluate(counter.forbidden(), concat(base, "--weighted", p("other-passage.jsonl"))),
                dir, "other-passage.jsonl:2: not a row of --synthetic " + p("synthetic.jsonl") + " (in its order)");
        Cli.assertBadInputLine(evaluate(counter.forbidden(), concat(base, "--weighted", p("reordered.jsonl"))),
                dir, "reordered.jsonl:2: not a row of --synthetic");
        assertEquals(0, counter.loads.get());
        assertFalse(Files.exists(dir.resolve("eval.json")));

        // A subsequence in order is accepted; test.jsonl shares "big wild cat" with a new train file.
        Files.writeString(dir.resolve("train2.jsonl"), Files.readString(dir.resolve("real.jsonl"))
                + rows("big wild cat", "p3", "baked flour food", "p4"));
        String[] ok = base.clone();
        ok[java.util.Arrays.asList(ok).indexOf(p("real.jsonl"))] = p("train2.jsonl");
        Cli.Run run = evaluate(counter.loader(), concat(ok, "--weighted", p("weighted.jsonl"), "--max-epochs", "2",
                "--repeats", "1", "--no-cache"));
        assertEquals(0, run.status(), run::toString);
        // 7 test rows: "big wild cat" twice and "baked flour food" once occur in --train.
        assertTrue(run.out().contains("note: 3 of 7 --test texts also occur in --train " + p("train2.jsonl")),
                run::toString);
        run = evaluate(counter.loader(), concat(base, "--weighted", p("weighted.jsonl"), "--max-epochs", "2",
                "--repeats", "1", "--no-cache"));
        assertEquals(0, run.status(), run::toString);
        assertFalse(run.out().contains("note:"), run::toString);
    }

    private static String weighted(String... pairs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            sb.append(JSON.writeValueAsString(Map.of("text", pairs[i], "corpus_id", pairs[i + 1],
                    "synalign_weight", 0.5 + i))).append('\n');
        }
        return sb.toString();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
