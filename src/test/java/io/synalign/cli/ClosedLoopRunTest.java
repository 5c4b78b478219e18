package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.models.llm.RequestKeys;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closed loop of {@code run --rounds} against {@link FakeOpenAiServer}: per-round figures,
 * demonstrations of the next round seeded at the real rows the weighted synthetic rows cover
 * worst (checked against a direct double-precision computation of the witness and the rule),
 * the stop on a target, and a resume after {@code kill -9} that sends no completed call again.
 */
class ClosedLoopRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY_VAR = "SYNALIGN_TEST_KEY";
    private static final List<String> POS = GenerateCommandTest.POS;
    private static final List<String> NEG = GenerateCommandTest.NEG;

    @TempDir
    Path dir;

    @BeforeEach
    void writeReal() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String t : POS) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "pos")).append('\n');
        }
        for (String t : NEG) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "neg")).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    /**
     * A deterministic stand-in for the weight learner: row j of a fit weighs 1 + (j mod 3), so
     * the weighting matters and the test can repeat it.
     */
    static final TextAlignment.WeightLearner STEPPED = (b, c, r, s, pr) -> {
        int n = (int) s.rows();
        double[] w = new double[n];
        double sum = 0;
        for (int j = 0; j < n; j++) {
            w[j] = 1 + j % 3;
            sum += w[j];
        }
        for (int j = 0; j < n; j++) {
            w[j] /= sum;
        }
        return new AlignmentResult(w, 1, 0.1, 0.05, "exact", 1, true, n, AlignmentMethod.EXACT,
                "reference", 0.0);
    };

    /** The command line of the loop, against the server at {@code url}. */
    static List<String> args(Path dir, String url, String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("aligned.jsonl").toString(), "--llm", url, "--model", "fake-model",
                "--api-key-env", KEY_VAR, "--synthetic-per-label", "12", "--samples-per-summary", "2",
                "--demos-per-prompt", "2", "--no-cache", "--seed", "5", "--backend", "reference", "--quiet",
                "--rounds", "3"));
        a.addAll(List.of(extra));
        return a;
    }

    /** Runs {@code synalign} with the hash encoder and the stepped learner. */
    static Cli.Run run(Map<String, String> env, List<String> args) {
        return Cli.run(cl -> {
            RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
            cmd.loader = (spec, options) -> new GenerateCommandTest.HashEncoder();
            cmd.environment = env;
            cmd.builderHook = b -> b.sleeper(d -> { });
            cmd.learner = STEPPED;
        }, args.toArray(String[]::new));
    }

    private static List<JsonNode> read(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(p)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    private static double rbf(FloatMatrix a, int i, FloatMatrix b, int j, double sigma) {
        double d = 0;
        for (int t = 0; t < a.cols(); t++) {
            double diff = (double) a.get(i, t) - b.get(j, t);
            d += diff * diff;
        }
        return Math.exp(-d / (2 * sigma * sigma));
    }

    @Test
    void threeRoundsWriteTheirFiguresAndSteerToTheWorstCoveredRealRows() throws IOException {
        String key = "sk-loop-" + System.nanoTime();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            Cli.Run r = run(Map.of(KEY_VAR, key), args(dir, server.baseUrl(), "--run-dir",
                    dir.resolve("run").toString(), "--synthetic-out", dir.resolve("all.jsonl").toString()));
            assertEquals(0, r.status(), r.toString());
            assertTrue(r.out().contains("round 3: +8 rows (24 in all)"), r.out());
            assertTrue(r.out().contains("closed loop: ran all 3 rounds"), r.out());

            JsonNode gen = JSON.readTree(dir.resolve("run/generation.json").toFile());
            JsonNode rounds = gen.path("rounds");
            assertEquals(3, rounds.size(), gen.toString());
            for (int i = 0; i < 3; i++) {
                JsonNode round = rounds.get(i);
                assertEquals(i + 1, round.path("round").asInt());
                assertEquals(8, round.path("generated").asInt(), "4 rows per label and round");
                assertEquals(8 * (i + 1), round.path("synthetic").asInt());
                for (String label : List.of("pos", "neg")) {
                    JsonNode f = round.path("labels").path(label);
                    for (String k : List.of("mmd2", "p_value", "mmd2_weighted", "p_value_weighted")) {
                        assertTrue(f.path(k).isNumber(), label + " " + k + ": " + round);
                    }
                }
            }
            assertEquals(0, rounds.get(2).path("next_demonstrations").size(), "no round follows the last");
            // The last round's test is test.json's: the same rows, weights and splits (the round
            // seed gave LOC p = 0.00995 in one and 0.01493 in the other).
            JsonNode tested = JSON.readTree(dir.resolve("run/test.json").toFile());
            for (String label : List.of("pos", "neg")) {
                for (String k : List.of("mmd2", "p_value", "mmd2_weighted", "p_value_weighted")) {
                    assertEquals(tested.path("labels").path(label).path(k).asDouble(),
                            rounds.get(2).path("labels").path(label).path(k).asDouble(), label + " " + k);
                }
            }

            // The rule, computed directly: after round 1, per label, the witness of the real rows
            // against the label's round-1 rows under the stepped weights; groups seeded at the
            // rows of largest witness, each filled with its nearest real row.
            List<JsonNode> all = read(dir.resolve("all.jsonl"));
            GenerateCommandTest.HashEncoder enc = new GenerateCommandTest.HashEncoder();
            double sigma = rounds.get(0).path("bandwidth").asDouble();
            Map<String, List<String>> real = new LinkedHashMap<>(Map.of("pos", POS, "neg", NEG));
            Map<String, Long> firstLine = Map.of("pos", 1L, "neg", 9L);
            for (String label : real.keySet()) {
                List<String> texts = real.get(label);
                FloatMatrix x = enc.encode(texts, null);
                List<String> round1 = new ArrayList<>();
                for (JsonNode row : all) {
                    if (row.path("label").asText().equals(label) && row.path("synalign").path("round").asInt() == 1) {
                        round1.add(row.path("text").asText());
                    }
                }
                FloatMatrix y = enc.encode(round1, null);
                double[] w = new double[y.rows()];
                double sum = 0;
                for (int j = 0; j < w.length; j++) {
                    w[j] = 1 + j % 3;
                    sum += w[j];
                }
                double[] gap = new double[x.rows()];
                for (int i = 0; i < x.rows(); i++) {
                    double a = 0;
                    for (int k = 0; k < x.rows(); k++) {
                        a += rbf(x, i, x, k, sigma) / x.rows();
                    }
                    for (int j = 0; j < y.rows(); j++) {
                        a -= w[j] / sum * rbf(x, i, y, j, sigma);
                    }
                    gap[i] = a;
                }
                Integer[] rank = new Integer[x.rows()];
                for (int i = 0; i < rank.length; i++) {
                    rank[i] = i;
                }
                java.util.Arrays.sort(rank, (p, q) -> gap[q] != gap[p] ? Double.compare(gap[q], gap[p]) : Integer.compare(p, q));
                JsonNode steer = rounds.get(0).path("next_demonstrations").path(label);
                assertEquals(2, steer.size(), "ceil(4 rows / 2 per summary) groups: " + steer);
                for (int g = 0; g < 2; g++) {
                    // Fixed key order (a Map.of here changed it from JVM to JVM, so two runs
                    // with one seed wrote different bytes).
                    assertEquals(List.of("line", "gap"), iterableToList(steer.get(g).fieldNames()));
                    assertEquals(firstLine.get(label) + rank[g], steer.get(g).path("line").asLong(), label + " group " + g);
                    assertEquals(gap[rank[g]], steer.get(g).path("gap").asDouble(), 1e-6);
                }
                // Round 2's rows carry those groups: the seed, then its nearest real row.
                int seen = 0;
                for (JsonNode row : all) {
                    JsonNode p = row.path("synalign");
                    if (!row.path("label").asText().equals(label) || p.path("round").asInt() != 2) {
                        continue;
                    }
                    assertEquals("steered", p.path("demos").asText());
                    String id = p.path("summary_id").asText();
                    int g = Integer.parseInt(id.substring(id.indexOf("-g") + 2));
                    int seed = rank[g % rank.length];
                    int nearest = -1;
                    double best = Double.POSITIVE_INFINITY;
                    for (int i = 0; i < x.rows(); i++) {
                        double d = -2 * Math.log(rbf(x, i, x, seed, 1 / Math.sqrt(2)));
                        if (i != seed && d < best) {
                            best = d;
                            nearest = i;
                        }
                    }
                    assertEquals(List.of(firstLine.get(label) + seed, firstLine.get(label) + nearest),
                            List.of(p.path("demo_lines").get(0).asLong(), p.path("demo_lines").get(1).asLong()), row.toString());
                    seen++;
                }
                assertEquals(4, seen, "4 rows of " + label + " in round 2");
            }
            // Stage 1 of the later rounds says what the synthetic rows over-represent.
            long told = server.bodies.stream().filter(b -> b.toString().contains("over-represent")).count();
            assertTrue(told >= 4, "steered attribute prompts: " + told);
            assertTrue(Files.exists(dir.resolve("run/test.json")));

            // The report shows the test, where the sets differ, and the rounds.
            Cli.Run report = Cli.run(cl -> { }, "report", "--run", dir.resolve("run").toString());
            assertEquals(0, report.status(), report.toString());
            String html = Files.readString(dir.resolve("run/report.html"));
            JsonNode test = JSON.readTree(dir.resolve("run/test.json").toFile());
            String table = between(html, "id=\"two-sample-table\"", "</table>");
            assertEquals(3, count(table, "class=\"two-sample-row\""), "pos, neg, overall: " + table);
            String pos = between(table, "data-label=\"pos\"", "</tr>");
            assertTrue(pos.contains("<td>" + io.synalign.report.ReportPageAccess.num(
                    test.path("labels").path("pos").path("p_value_weighted").asDouble()) + "</td>"), pos);
            String worst = test.path("labels").path("neg").path("under_covered").get(0).path("text").asText();
            String neg = between(between(html, "id=\"witness\"", "</section>"), "data-label=\"neg\"", "</details>");
            assertTrue(between(neg, "class=\"under-covered\"", "</li>").contains(worst), neg);
            String chart = between(html, "id=\"rounds-mmd2\"", "</svg>");
            assertEquals(2, count(chart, "class=\"series-line"), "one line per label");
            String d = between(between(chart, "class=\"series-line", "/>"), " d=\"", "\"");
            assertEquals(2, count(d, "L"), "three rounds, two segments: " + d);
            assertEquals(3, count(between(html, "id=\"rounds-table\"", "</table>"), "class=\"round-row\""));
        }
    }

    @Test
    void theLoopStopsOnItsTargetWithFewerRowsThanAskedFor() throws IOException {
        String key = "sk-loop-" + System.nanoTime();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            Cli.Run r = run(Map.of(KEY_VAR, key), args(dir, server.baseUrl(), "--target-mmd2", "100",
                    "--run-dir", dir.resolve("run").toString()));
            assertEquals(0, r.status(), r.toString());
            JsonNode gen = JSON.readTree(dir.resolve("run/generation.json").toFile());
            assertEquals(1, gen.path("rounds").size(), gen.toString());
            assertTrue(gen.path("rounds").get(0).path("target_met").asBoolean());
            assertEquals("target met after round 1 of 3", gen.path("stop").asText());
            assertEquals(8, gen.path("rounds").get(0).path("synthetic").asInt());
            assertEquals(8, server.requests.get(), "2 groups x 2 stages x 2 labels, then no more calls");

            // The call budget is checked between rounds: 8 calls after round 1 are under 9, 16
            // after round 2 are not, so round 3 never starts.
            int before = server.requests.get();
            Cli.Run budget = run(Map.of(KEY_VAR, key), args(dir, server.baseUrl(), "--max-calls", "9",
                    "--run-dir", dir.resolve("run2").toString()));
            assertEquals(0, budget.status(), budget.toString());
            JsonNode b = JSON.readTree(dir.resolve("run2/generation.json").toFile());
            assertEquals(2, b.path("rounds").size(), b.toString());
            assertEquals(8, b.path("rounds").get(0).path("calls").asInt());
            assertEquals(16, b.path("rounds").get(1).path("calls").asInt());
            assertEquals("call budget reached after round 2 of 3 (16 calls, --max-calls 9)",
                    b.path("stop").asText());
            // The summary line counts the rows written per label, short of the quotas: it
            // printed the quotas, as if the stopped loop had written them all.
            java.util.regex.Matcher line = java.util.regex.Pattern
                    .compile("generated (\\d+) rows \\((\\{[^}]*\\})\\)").matcher(budget.out());
            assertTrue(line.find(), budget.out());
            assertTrue(line.group(2).contains(" of "), line.group(0));
            int listed = 0;
            for (java.util.regex.Matcher m = java.util.regex.Pattern.compile("=(\\d+)")
                    .matcher(line.group(2)); m.find(); ) {
                listed += Integer.parseInt(m.group(1));
            }
            assertEquals(Integer.parseInt(line.group(1)), listed, line.group(0));
            assertEquals(16, server.requests.get() - before, "two rounds of 8 calls, none of a third");
            Cli.assertBadInputLine(run(Map.of(KEY_VAR, key), args(dir, server.baseUrl(), "--target-p", "1.5")),
                    dir.resolve("x"), "--target-p 1.5: a p-value in (0, 1]");
            List<String> once = new ArrayList<>(args(dir, server.baseUrl(), "--target-p", "0.5"));
            once.set(once.indexOf("--rounds") + 1, "1");
            Cli.assertBadInputLine(run(Map.of(KEY_VAR, key), once), dir.resolve("x"),
                    "--target-p applies with --rounds N above 1 (the loop it stops)");
        }
    }

    /**
     * Samples replies cut off at the token limit in every round: the fix is told once a run, not
     * once a round (each round has a generator of its own; the validator spans the run).
     */
    @Test
    void cutOffRepliesInTwoRoundsAreToldOnce() throws IOException {
        String key = "sk-cut-" + System.nanoTime();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3).choices((body, valid, n) ->
                FakeOpenAiServer.schemaOf(body).equals("synalign_samples")
                        ? FakeOpenAiServer.choice(valid.substring(0, valid.lastIndexOf("{\"text\"") + 14), "length")
                        : null)) {
            List<String> a = new ArrayList<>(args(dir, server.baseUrl(), "--run-dir", dir.resolve("run").toString()));
            a.set(a.indexOf("--rounds") + 1, "2");
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            java.io.PrintStream stderr = System.err;
            // slf4j-simple writes to the current System.err on each call.
            System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
            Cli.Run r;
            try {
                r = run(Map.of(KEY_VAR, key), a);
            } finally {
                System.setErr(stderr);
            }
            String logs = captured.toString(StandardCharsets.UTF_8);
            stderr.print(logs);
            assertEquals(0, r.status(), r + logs);
            JsonNode gen = JSON.readTree(dir.resolve("run/generation.json").toFile());
            assertEquals(2, gen.path("rounds").size(), gen.toString());
            assertEquals(1, logs.split("A samples reply was cut off at the server's token limit", -1).length - 1,
                    "told once: " + logs);
        }
    }

    @Test
    void aLoopKilledInItsSecondRoundResumesWithoutSendingACompletedCallAgain() throws Exception {
        String key = "sk-kill-" + System.nanoTime();
        Path journal = dir.resolve("journal");
        Path calls = journal.resolve(CallJournal.FILE);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            server.delayMillis(150);
            List<String> a = args(dir, server.baseUrl(), "--journal", journal.toString(), "--concurrency", "1",
                    "--synthetic-out", dir.resolve("all.jsonl").toString());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                    ClosedLoopChild.class.getName()));
            cmd.addAll(a);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("child.log").toFile());
            pb.environment().put(KEY_VAR, key);
            Process child = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (lines(calls) < 11 && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            child.waitFor(30, TimeUnit.SECONDS);
            assertTrue(Files.notExists(dir.resolve("aligned.jsonl")),
                    "killed before it finished: " + Files.readString(dir.resolve("child.log")));
            Map<String, Integer> atKill = new HashMap<>();
            for (String line : Files.readAllLines(calls, StandardCharsets.UTF_8)) {
                try {
                    atKill.put(JSON.readTree(line).path("messages_sha256").asText(), 1);
                } catch (IOException torn) {
                    // a torn last line is not a completed call
                }
            }
            assertTrue(atKill.size() > 8, "killed in round 2 (round 1 makes 8 calls): " + atKill.size());

            Cli.Run resumed = run(Map.of(KEY_VAR, key), a);
            assertEquals(0, resumed.status(), resumed.toString());
            for (String digest : atKill.keySet()) {
                assertEquals(1, server.successes(digest), "a call journaled before the kill was sent again");
            }
            Map<String, Integer> answered = new HashMap<>();
            for (JsonNode body : server.bodies) {
                answered.merge(RequestKeys.messagesDigest(FakeOpenAiServer.messages(body)), 1, Integer::sum);
            }
            for (int n : answered.values()) {
                assertTrue(n <= 2, "at most the one call in flight at the kill is sent twice: " + answered);
            }
        }
        // The same loop uninterrupted, on a fresh server and journal, writes the same rows.
        List<String> resumedRows = Files.readAllLines(dir.resolve("all.jsonl"));
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            List<String> a = args(dir, server.baseUrl(), "--synthetic-out", dir.resolve("fresh.jsonl").toString());
            a.set(a.indexOf("--out") + 1, dir.resolve("fresh-aligned.jsonl").toString());
            assertEquals(0, run(Map.of(KEY_VAR, key), a).status());
        }
        assertEquals(Files.readAllLines(dir.resolve("fresh.jsonl")), resumedRows);
    }

    @Test
    void runHelpListsTheAblationsAndTheLoop() {
        Cli.Run help = Cli.run(cl -> { }, "run", "--help");
        assertEquals(0, help.status());
        String flat = help.out().replaceAll("\\s+", " ");
        for (String s : List.of("Ablations", "--demos random (no exploration-aware sampling)",
                "--attributes off (no latent attribute reasoning)", "--rounds N closes the loop",
                "--demos=gp|random", "--attributes=on|off", "--target-p=P", "--target-mmd2=T")) {
            assertTrue(flat.contains(s), s + " missing from run --help: " + help.out());
        }
    }

    private static String between(String s, String from, String to) {
        int a = s.indexOf(from);
        assertTrue(a >= 0, "no " + from);
        int b = s.indexOf(to, a + from.length());
        return s.substring(a + from.length(), b < 0 ? s.length() : b);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var s = Files.lines(file, StandardCharsets.ISO_8859_1)) {
            return s.count();
        }
    }

    private static List<String> iterableToList(java.util.Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }
}
