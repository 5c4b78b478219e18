package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionResult;
import io.synalign.generation.LlmSampleGenerator;
import io.synalign.generation.Seeds;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncodeProgress;
import io.synalign.models.SentenceEncoder;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.models.llm.TinyGgufWriter;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synalign generate} end to end against {@link FakeOpenAiServer} on 127.0.0.1. */
class GenerateCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VAR = "SYNALIGN_TEST_KEY";
    static final List<String> POS = List.of("I loved the film, great acting", "Wonderful soundtrack and story",
            "A delightful evening at the cinema", "Superb direction, would watch again", "The cast was brilliant",
            "Heartwarming and funny throughout", "Beautiful photography in every scene", "An instant classic for me");
    static final List<String> NEG = List.of("Boring and far too long", "The plot made no sense",
            "Terrible dialogue, wooden acting", "I walked out halfway", "A waste of a good cast");

    @TempDir
    Path dir;
    private String key;

    @BeforeEach
    void writeReal() throws IOException {
        key = "sk-test-" + Long.toHexString(new Random().nextLong()) + "-zq";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.max(POS.size(), NEG.size()); i++) {
            if (i < POS.size()) {
                sb.append(row(POS.get(i), "pos"));
            }
            if (i < NEG.size()) {
                sb.append(row(NEG.get(i), "neg"));
            }
        }
        Files.writeString(dir.resolve("real.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    private static String row(String text, String label) throws IOException {
        return JSON.createObjectNode().put("text", text).put("label", label) + "\n";
    }

    /** Embeddings as a seeded function of the text: fast and deterministic. */
    static final class HashEncoder implements SentenceEncoder {
        @Override
        public String modelId() {
            return "hash-8";
        }

        @Override
        public int dimension() {
            return 8;
        }

        @Override
        public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
            float[] d = new float[texts.size() * 8];
            for (int i = 0; i < texts.size(); i++) {
                Random r = new Random(texts.get(i).hashCode());
                for (int j = 0; j < 8; j++) {
                    d[i * 8 + j] = (float) r.nextGaussian();
                }
            }
            return new FloatMatrix(texts.size(), 8, d);
        }

        @Override
        public void close() {
        }
    }

    private Cli.Run generate(Map<String, String> env, String... args) {
        return Cli.run(cl -> {
            GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
            cmd.loader = (spec, options) -> new HashEncoder();
            cmd.environment = env;
            cmd.builderHook = b -> b.sleeper(d -> { });
        }, args);
    }

    private String[] args(FakeOpenAiServer server, String out, String... extra) {
        List<String> a = new ArrayList<>(List.of("generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve(out).toString(), "--llm", server.baseUrl(), "--model", "fake-model",
                "--api-key-env", KEY_VAR, "--synthetic-per-label", "23", "--samples-per-summary", "4",
                "--demos-per-prompt", "3", "--no-cache", "--seed", "7", "--quiet"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    private static List<JsonNode> read(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(p)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    private void assertCountsAndProvenance(Path out) throws IOException {
        List<JsonNode> rows = read(out);
        Map<String, Integer> counts = new HashMap<>();
        Set<String> texts = new HashSet<>();
        for (JsonNode r : rows) {
            counts.merge(r.path("label").asText(), 1, Integer::sum);
            assertTrue(texts.add(r.path("text").asText()), "no duplicate samples");
            assertFalse(POS.contains(r.path("text").asText()) || NEG.contains(r.path("text").asText()));
            JsonNode p = r.path("synalign");
            assertEquals("openai-compatible", p.path("backend").asText(), r.toString());
            assertEquals("fake-model", p.path("model").asText());
            assertTrue(p.path("summary_id").asText().startsWith("b"), r.toString());
            assertTrue(p.path("attributes").path("tone").asText().startsWith("tone-"), r.toString());
            int demos = p.path("demo_lines").size();
            assertEquals(3, demos, "every prompt shows G = 3 demonstrations: " + r);
        }
        assertEquals(Map.of("pos", 23, "neg", 23), counts);
    }

    /**
     * A reply with more samples than asked for gives at most K rows: a server that returned 10
     * per call filled the quota from the first demonstration group (all rows one group's).
     */
    @Test
    void aReplyWithMoreSamplesThanAskedGivesKRowsAtMost() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(10)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "many.jsonl"));
            assertEquals(0, run.status(), run.toString());
            Map<String, Integer> perGroup = new java.util.HashMap<>();
            for (JsonNode r : read(dir.resolve("many.jsonl"))) {
                perGroup.merge(r.path("label").asText() + "/"
                        + r.path("synalign").path("summary_id").asText(), 1, Integer::sum);
            }
            assertTrue(perGroup.values().stream().allMatch(c -> c <= 4), perGroup.toString());
            assertEquals(46, perGroup.values().stream().mapToInt(Integer::intValue).sum());
        }
    }

    /**
     * Input refused after --journal opened (here, --min-chars above --max-chars, and a real
     * file with a bad line) made the journal's directory and left it behind, empty.
     */
    @Test
    void refusedInputLeavesNoJournalDirectory() throws IOException {
        Path journal = dir.resolve("journal");
        Cli.assertBadInputLine(generate(Map.of(KEY_VAR, key), "generate", "--real",
                dir.resolve("real.jsonl").toString(), "--out", dir.resolve("x.jsonl").toString(), "--llm",
                "http://127.0.0.1:9/v1", "--api-key-env", KEY_VAR, "--journal", journal.toString(),
                "--min-chars", "50", "--max-chars", "40"), dir, "--max-chars 40 is below --min-chars 50");
        assertFalse(Files.exists(journal));
        Files.writeString(dir.resolve("bad.jsonl"), row("fine", "pos") + "{not json\n");
        Cli.assertBadInputLine(generate(Map.of(KEY_VAR, key), "generate", "--real",
                dir.resolve("bad.jsonl").toString(), "--out", dir.resolve("x.jsonl").toString(), "--llm",
                "http://127.0.0.1:9/v1", "--api-key-env", KEY_VAR, "--journal", journal.toString(), "--no-cache"),
                dir, "bad.jsonl:2: malformed JSON");
        assertFalse(Files.exists(journal), "the journal opened before the rows were read is gone");
        assertFalse(Files.exists(dir.resolve("x.jsonl")));
    }

    /**
     * Rows without labels are one group: the prompts asked for examples 'with the label
     * "(unlabelled)"' and called the data a classifier's.
     */
    @Test
    void promptsOfUnlabelledRowsNameNoLabel() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String t : POS) {
            sb.append(JSON.createObjectNode().put("text", t)).append('\n');
        }
        Files.writeString(dir.resolve("plain.jsonl"), sb.toString(), StandardCharsets.UTF_8);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            List<String> a = new ArrayList<>(List.of(args(server, "plain-out.jsonl")));
            a.set(a.indexOf("--real") + 1, dir.resolve("plain.jsonl").toString());
            Cli.Run run = generate(Map.of(KEY_VAR, key), a.toArray(String[]::new));
            assertEquals(0, run.status(), run.toString());
            assertTrue(server.bodies.size() >= 2, "both stages were asked");
            for (JsonNode body : server.bodies) {
                String prompt = body.path("messages").get(0).path("content").asText();
                assertFalse(prompt.contains("unlabelled") || prompt.contains("label"), prompt);
                assertTrue(prompt.contains("Example 1: "), prompt);
            }
        }
    }

    /**
     * A label whose rows all embed alike (the same text three times; or case variants under an
     * uncased encoder): GP demonstrations and the coverage figure refused it after the other
     * labels' LLM calls, writing nothing. Any length scale and bandwidth is exact for such rows.
     */
    @Test
    void aLabelWhoseRowsAllEmbedAlikeIsGeneratedFor() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String t : POS) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "pos")).append('\n');
        }
        for (int i = 0; i < 3; i++) {
            sb.append(JSON.createObjectNode().put("text", "Great movie").put("label", "neg")).append('\n');
        }
        Files.writeString(dir.resolve("alike.jsonl"), sb.toString(), StandardCharsets.UTF_8);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            List<String> a = new ArrayList<>(List.of(args(server, "alike-out.jsonl", "--run-dir",
                    dir.resolve("alike-run").toString())));
            a.set(a.indexOf("--real") + 1, dir.resolve("alike.jsonl").toString());
            a.remove("--quiet");
            Cli.Run run = generate(Map.of(KEY_VAR, key), a.toArray(String[]::new));
            assertEquals(0, run.status(), run.toString());
            assertTrue(run.err().contains("demonstration coverage, label neg: 3 GP-selected of 3 real"
                    + " rows"), run.err());
            long neg = read(dir.resolve("alike-out.jsonl")).stream()
                    .filter(r -> r.path("label").asText().equals("neg")).count();
            assertEquals(23, neg, "the label's rows were generated");
        }
    }

    /** Replies with empty sample lists are named as such, not as an LLM repeating itself. */
    @Test
    void repliesWithoutSamplesAreNamedAsSuch() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(0)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "empty-out.jsonl"));
            assertNotEquals(0, run.status(), run.toString());
            assertTrue(run.err().contains("batches in a row produced no new valid sample (0 of 23);"
                    + " the LLM's replies held no samples"), run.err());
            assertFalse(Files.exists(dir.resolve("empty-out.jsonl")));
        }
    }

    @Test
    void producesTheRequestedCountsWithProvenanceAndDemosChosenByTheGpSelector() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(0, run.status(), run.toString());
            assertTrue(run.out().contains("generated 46 rows"), run.out());
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));

            // Independent selection over the same embeddings: label "pos" is label 0, batch 0.
            int n = POS.size();
            int groups = Math.min(n, (23 + 3) / 4);
            SelectionResult sel;
            try (KernelBackend kb = KernelBackends.create(KernelBackends.AUTO)) {
                sel = new ExplorationSelector(kb, LlmSampleGenerator.selectionConfig(Seeds.mix(7, 0), n, 3))
                        .select(new HashEncoder().encode(POS), groups, null);
            }
            List<String> stage1 = new ArrayList<>();
            for (JsonNode body : server.bodies) {
                if (body.path("response_format").path("json_schema").path("name").asText().equals("synalign_attributes")) {
                    stage1.add(body.path("messages").get(0).path("content").asText());
                }
            }
            assertEquals(groups, sel.groups().size());
            for (int[] g : sel.groups()) {
                StringBuilder block = new StringBuilder();
                for (int k = 0; k < g.length; k++) {
                    block.append(k == 0 ? "" : "\n").append("Example ").append(k + 1).append(": ").append(POS.get(g[k]));
                }
                assertTrue(stage1.stream().anyMatch(s -> s.contains(block)), "no stage-1 prompt holds " + block);
            }
            assertKeyNowhere(run, dir);
            for (String auth : server.authorizations) {
                assertEquals("Bearer " + key, auth, "the key is sent, in the header only");
            }
        }
    }

    /**
     * A blank real text would be a demonstration ("Example 1: " in the prompt; its embedding
     * lies near the label's mean, so GP selection picked it first): refused with its line, for
     * the LLM and the offline baseline alike, before any request and with nothing written. A
     * blank label was a class of its own.
     */
    @Test
    void blankRealTextsAndLabelsAreRefusedNamingTheLine() throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("real.jsonl")));
        for (String[] c : new String[][] {
            {"{\"text\":\"\",\"label\":\"pos\"}", "text field 'text' is empty"},
            {"{\"text\":\" \\t\\n \",\"label\":\"neg\"}", "text field 'text' is blank (only whitespace)"},
            {"{\"text\":\"a fine text\",\"label\":\"  \"}", "label field 'label' is blank (only whitespace)"},
        }) {
            List<String> bad = new ArrayList<>(lines);
            bad.add(3, c[0]);
            Files.write(dir.resolve("blank.jsonl"), bad);
            try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
                List<String> llm = new ArrayList<>(List.of(args(server, "blank-out.jsonl",
                        "--journal", dir.resolve("blank-journal").toString())));
                llm.set(llm.indexOf("--real") + 1, dir.resolve("blank.jsonl").toString());
                String[] offline = {"generate", "--real", dir.resolve("blank.jsonl").toString(),
                    "--out", dir.resolve("blank-out.jsonl").toString(), "--llm", "offline",
                    "--synthetic-per-label", "3", "--no-cache", "--quiet"};
                for (String[] a : List.of(llm.toArray(String[]::new), offline)) {
                    Cli.assertBadInputLine(generate(Map.of(KEY_VAR, key), a), dir,
                            "@/blank.jsonl:4: " + c[1]);
                    assertFalse(Files.exists(dir.resolve("blank-out.jsonl")));
                    assertFalse(Files.exists(dir.resolve("blank-journal")));
                }
                assertEquals(0, server.bodies.size(), "no request was sent");
            }
        }
    }

    /**
     * A quota that needs several batches (one sample a reply where 4 were asked: 23 groups a
     * label): later batches show sets of rows that no earlier batch of the label showed (pos: 23
     * of its 56 sets of 3; neg: the first 10 groups are its 10 sets). Each batch ran a fresh
     * selection before and resent earlier groups.
     */
    @Test
    void laterBatchesShowDemonstrationGroupsNotShownBefore() throws IOException {
        assertNoSetShownTwice("many.jsonl");
    }

    /**
     * {@link #laterBatchesShowDemonstrationGroupsNotShownBefore} with {@code --demos random}:
     * each group was drawn independently and 23 groups of pos showed a set twice.
     */
    @Test
    void randomDemonstrationsShowNoSetTwiceEither() throws IOException {
        assertNoSetShownTwice("many-random.jsonl", "--demos", "random");
    }

    /**
     * Generates 23 samples a label at one a reply (23 groups of 3 each, over several batches)
     * and checks that each label's groups repeat no set of rows while unshown sets remain.
     */
    private void assertNoSetShownTwice(String out, String... extra) throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(1)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, out, extra));
            assertEquals(0, run.status(), run.toString());
            Map<String, Map<List<Integer>, List<Integer>>> groups = new HashMap<>();
            for (JsonNode r : read(dir.resolve(out))) {
                JsonNode p = r.path("synalign");
                String[] id = p.path("summary_id").asText().substring(1).split("-g");
                List<Integer> lines = new ArrayList<>();
                p.path("demo_lines").forEach(l -> lines.add(l.asInt()));
                lines.sort(null);
                groups.computeIfAbsent(r.path("label").asText(), l -> new java.util.TreeMap<>(
                        java.util.Comparator.<List<Integer>>comparingInt(k -> k.get(0))
                                .thenComparingInt(k -> k.get(1))))
                        .put(List.of(Integer.parseInt(id[0]), Integer.parseInt(id[1])), lines);
            }
            for (String label : List.of("pos", "neg")) {
                List<List<Integer>> inOrder = new ArrayList<>(groups.get(label).values());
                assertTrue(groups.get(label).keySet().stream().anyMatch(k -> k.get(0) > 0),
                        "the quota needs more than one batch");
                int sets = label.equals("pos") ? 56 : 10;
                List<List<Integer>> first = inOrder.subList(0, Math.min(sets, inOrder.size()));
                assertEquals(first.size(), new HashSet<>(first).size(), label + ": " + inOrder);
            }
        }
    }

    /**
     * The paper's ablations: --demos random draws the groups of {@link RandomDemonstrations}
     * (repeated here with the label's seed), and --attributes off sends no stage-1 request and
     * writes from the demonstrations alone.
     */
    @Test
    void ablationsPickRandomGroupsAndSkipAttributeReasoning() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--demos", "random",
                    "--attributes", "off"));
            assertEquals(0, run.status(), run.toString());
            List<String> stage2 = new ArrayList<>();
            for (JsonNode body : server.bodies) {
                String schema = body.path("response_format").path("json_schema").path("name").asText();
                assertEquals("synalign_samples", schema, "no attribute summaries are asked for");
                stage2.add(body.path("messages").get(0).path("content").asText());
            }
            assertTrue(stage2.stream().noneMatch(p -> p.contains("They share these attributes")), stage2.get(0));
            int groups = Math.min(POS.size(), (23 + 3) / 4);
            List<int[]> want = new io.synalign.generation.RandomDemonstrations(3).choose(
                    new io.synalign.generation.LabelRows("pos", POS, java.util.Collections.nCopies(POS.size(), 1L)),
                    new HashEncoder().encode(POS), groups, 0, Seeds.mix(7, 0), List.of());
            for (int[] g : want) {
                StringBuilder block = new StringBuilder();
                for (int k = 0; k < g.length; k++) {
                    block.append(k == 0 ? "" : "\n").append("Example ").append(k + 1).append(": ").append(POS.get(g[k]));
                }
                assertTrue(stage2.stream().anyMatch(p -> p.contains(block)), "no prompt holds " + block);
            }
            for (JsonNode r : read(dir.resolve("synth.jsonl"))) {
                assertEquals("random", r.path("synalign").path("demos").asText(), r.toString());
                assertFalse(r.path("synalign").has("attributes"), r.toString());
            }
        }
        Cli.assertBadInputLine(generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("x.jsonl").toString(), "--llm", "http://127.0.0.1:9/v1", "--demos", "best"),
                dir, "--demos best: give gp or random");
        Cli.assertBadInputLine(generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("x.jsonl").toString(), "--llm", "offline", "--attributes", "off"),
                dir, "--attributes does not apply to --llm offline");
    }

    @Test
    void generateInTwoRoundsAlignsWithTheEngineAndRecordsEachRound() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--rounds", "2",
                    "--run-dir", dir.resolve("run").toString()));
            assertEquals(0, run.status(), run.toString());
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));
            Map<Integer, Integer> perRound = new HashMap<>();
            for (JsonNode r : read(dir.resolve("synth.jsonl"))) {
                perRound.merge(r.path("synalign").path("round").asInt(), 1, Integer::sum);
            }
            assertEquals(Map.of(1, 22, 2, 24), perRound, "11 then 12 rows per label");
            JsonNode rounds = JSON.readTree(dir.resolve("run/generation.json").toFile()).path("rounds");
            assertEquals(2, rounds.size());
            assertEquals(22, rounds.get(0).path("synthetic").asInt());
            assertTrue(rounds.get(1).path("labels").path("neg").path("mmd2_weighted").asDouble()
                    <= rounds.get(1).path("labels").path("neg").path("mmd2").asDouble() + 1e-9,
                    "the engine's weights do not raise the MMD^2: " + rounds.get(1));
            assertTrue(run.out().contains("round 2: +24 rows (46 in all)"), run.out());
            // The coverage is round 1's (11 rows a label), as a one-shot run of 11 reports it;
            // it described the whole quota's 23, a selection no round made.
            String[] a = args(server, "once.jsonl", "--run-dir", dir.resolve("once").toString());
            a[java.util.Arrays.asList(a).indexOf("--synthetic-per-label") + 1] = "11";
            Cli.Run once = generate(Map.of(KEY_VAR, key), a);
            assertEquals(0, once.status(), once.toString());
            JsonNode inRounds = JSON.readTree(dir.resolve("run/generation.json").toFile()).path("perLabel");
            JsonNode oneShot = JSON.readTree(dir.resolve("once/generation.json").toFile()).path("perLabel");
            for (String label : List.of("pos", "neg")) {
                assertEquals(oneShot.path(label).path("demonstrations"),
                        inRounds.path(label).path("demonstrations"), label);
                assertEquals(oneShot.path(label).path("coverageMmd2"),
                        inRounds.path(label).path("coverageMmd2"), label);
            }
        }
    }

    /**
     * More rounds than a label's quota: a round that adds no row reuses the last measurement (it
     * re-embedded, re-aligned and re-tested the same rows for the same figures). Four rounds of
     * 2 rows a label (0, 1, 0, 1 a round) embed as much as two rounds of 1 each.
     */
    @Test
    void aRoundThatAddsNoRowIsNotMeasuredAgain() throws IOException {
        int[] encoded = new int[2];
        String[] rounds = {"4", "2"};
        for (int k = 0; k < 2; k++) {
            TestEncoders.Counter counter = new TestEncoders.Counter();
            try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
                String[] a = args(server, "r" + k + ".jsonl", "--rounds", rounds[k],
                        "--run-dir", dir.resolve("rounds" + k).toString());
                a[java.util.Arrays.asList(a).indexOf("--synthetic-per-label") + 1] = "2";
                Cli.Run run = Cli.run(cl -> {
                    GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
                    cmd.loader = (spec, options) -> new TestEncoders.Counting(new HashEncoder(), counter);
                    cmd.environment = Map.of(KEY_VAR, key);
                    cmd.builderHook = b -> b.sleeper(d -> { });
                }, a);
                assertEquals(0, run.status(), run.toString());
                encoded[k] = counter.textsEncoded.get();
                if (k == 0) {
                    JsonNode r = JSON.readTree(dir.resolve("rounds0/generation.json").toFile()).path("rounds");
                    assertEquals(4, r.size(), r::toString);
                    assertEquals(0, r.get(2).path("generated").asInt(-1), r::toString);
                    assertEquals(r.get(1).path("labels"), r.get(2).path("labels"), "round 3 as round 2");
                }
            }
        }
        assertEquals(encoded[1], encoded[0], "texts embedded: 4 rounds (two empty) against 2 rounds");
    }

    @Test
    void generateLoadsOneEncoderAndEmbedsEachRealTextOnceForSelectionAndCoverage() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = Cli.run(cl -> {
                GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
                cmd.loader = (spec, options) -> {
                    counter.loads.incrementAndGet();
                    return new TestEncoders.Counting(new HashEncoder(), counter);
                };
                cmd.environment = Map.of(KEY_VAR, key);
                cmd.builderHook = b -> b.sleeper(d -> { });
            }, args(server, "s.jsonl", "--run-dir", dir.resolve("rd").toString()));
            assertEquals(0, run.status(), run.toString());
            assertEquals(1, counter.loads.get());
            assertEquals(1, counter.encodeCalls.get());
            assertEquals(POS.size() + NEG.size(), counter.textsEncoded.get());
            assertTrue(Files.exists(dir.resolve("rd").resolve(RunFiles.GENERATION)));
        }
    }

    @Test
    void completesUnderInjectedFaults() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            server.plan(FakeOpenAiServer.random(11, 0.2, List.of(FakeOpenAiServer.Fault.SERVER_ERROR,
                    FakeOpenAiServer.Fault.DROP, FakeOpenAiServer.Fault.MALFORMED_JSON,
                    FakeOpenAiServer.Fault.SCHEMA_VIOLATION, FakeOpenAiServer.Fault.FENCED,
                    FakeOpenAiServer.Fault.RATE_LIMIT))).retryAfterSeconds(0);
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(0, run.status(), run.toString());
            int faults = server.requests.get() - server.faultCount(FakeOpenAiServer.Fault.NONE);
            assertTrue(faults > 0, "faults were injected");
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));
        }
    }

    @Test
    void resumeFromTheJournalSendsNothingAndReplaysIdentically() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            String journal = dir.resolve("journal").toString();
            Cli.Run first = generate(Map.of(KEY_VAR, key), args(server, "a.jsonl", "--journal", journal));
            assertEquals(0, first.status(), first.toString());
            int sent = server.requests.get();
            assertTrue(sent > 0);
            Cli.Run second = generate(Map.of(KEY_VAR, key), args(server, "b.jsonl", "--journal", journal));
            assertEquals(0, second.status(), second.toString());
            assertEquals(sent, server.requests.get(), "no new request on the re-run");
            assertArrayEquals(Files.readAllBytes(dir.resolve("a.jsonl")), Files.readAllBytes(dir.resolve("b.jsonl")));
            assertKeyNowhere(first, dir);
            assertKeyNowhere(second, dir);
        }
    }

    /**
     * A journaled run says how many requests its journal answered and how many it sent: a
     * resumed run whose prompts or model changed (an upgrade that changed the prompts, a server
     * whose listing changed the keys) asked again in silence. A journal that held replies and
     * answered none is warned of, with the reasons it can be.
     */
    @Test
    void aJournaledRunSaysHowManyRepliesItReplayedAndWarnsWhenTheJournalAnsweredNone()
            throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Path journal = dir.resolve("journal").toAbsolutePath().normalize();
            Cli.Run first = generate(Map.of(KEY_VAR, key), args(server, "a.jsonl", "--journal",
                    journal.toString()));
            assertEquals(0, first.status(), first.toString());
            int sent = server.requests.get();
            assertTrue(first.out().contains("journal " + journal + ": 0 replies replayed, " + sent
                    + " requests sent\n"), first.out());
            assertFalse(first.err().contains("warning"), "a new journal answers nothing: " + first.err());

            // Half the replies kept: those replay, the others are asked again.
            Path calls = journal.resolve(io.synalign.models.llm.CallJournal.FILE);
            List<String> lines = Files.readAllLines(calls);
            assertEquals(sent, lines.size(), "one entry a request");
            int kept = lines.size() / 2;
            Files.write(calls, lines.subList(0, kept));
            Cli.Run second = generate(Map.of(KEY_VAR, key), args(server, "b.jsonl", "--journal",
                    journal.toString()));
            assertEquals(0, second.status(), second.toString());
            assertEquals(sent + lines.size() - kept, server.requests.get());
            assertTrue(second.out().contains("journal " + journal + ": " + kept + " replies replayed, "
                    + (lines.size() - kept) + " requests sent\n"), second.out());
            assertFalse(second.err().contains("warning"), second.err());

            // Every key other (as a build with other prompts keys them): nothing replays.
            List<String> rekeyed = new ArrayList<>();
            for (String line : Files.readAllLines(calls)) {
                ObjectNode entry = (ObjectNode) JSON.readTree(line);
                entry.put("key", new StringBuilder(entry.path("key").asText()).reverse().toString());
                rekeyed.add(JSON.writeValueAsString(entry));
            }
            Files.write(calls, rekeyed);
            Cli.Run third = generate(Map.of(KEY_VAR, key), args(server, "c.jsonl", "--journal",
                    journal.toString()));
            assertEquals(0, third.status(), third.toString());
            assertTrue(third.out().contains("journal " + journal + ": 0 replies replayed, " + sent
                    + " requests sent\n"), third.out());
            assertTrue(third.err().contains("synalign: warning: journal " + journal + " held "
                    + rekeyed.size() + " replies but answered none of this run's " + sent
                    + " requests: a reply is replayed only for the prompt and model identity it was"
                    + " recorded with, so the prompts (other input rows or options, or a SynAlign"
                    + " upgrade that changed them) or the model (another --model, or a server"
                    + " serving other weights) are not those of the run that wrote it\n"), third.err());
            assertArrayEquals(Files.readAllBytes(dir.resolve("a.jsonl")),
                    Files.readAllBytes(dir.resolve("c.jsonl")), "asked again, the same replies");
        }
    }

    /**
     * A llama.cpp server (one model, listed under its file path, whatever --model says): the
     * run's generation.json records the model that answered, a re-run against the same weights
     * replays the journal and one against other weights does not; an honest server's generation.json says nothing more, and a
     * run without a journal does not ask.
     */
    @Test
    void theModelALlamaCppServerServesIsRecordedAndItsJournalReplays() throws IOException {
        String path = "/models/qwen2.5-7b-instruct-q4_k_m.gguf";
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)
                .modelList(FakeOpenAiServer.llamaCppModelList(path, 7615616512L, 4683073952L))) {
            String journal = dir.resolve("journal").toString();
            Cli.Run first = generate(Map.of(KEY_VAR, key), args(server, "a.jsonl", "--journal", journal,
                    "--run-dir", dir.resolve("run-a").toString()));
            assertEquals(0, first.status(), first.toString());
            JsonNode served = JSON.readTree(dir.resolve("run-a").resolve(RunFiles.GENERATION).toFile())
                    .path("servedModel");
            assertEquals(path, served.path("id").asText(), served.toString());
            assertEquals(7615616512L, served.path("weights").path("n_params").asLong(), served.toString());
            assertEquals(1, server.modelListings.get(), "asked once a run");
            int sent = server.requests.get();
            Cli.Run second = generate(Map.of(KEY_VAR, key), args(server, "b.jsonl", "--journal", journal));
            assertEquals(0, second.status(), second.toString());
            assertEquals(sent, server.requests.get(), "the same weights replay the journal");
            assertEquals(2, server.modelListings.get());
            assertKeyNowhere(first, dir);
        }
        try (FakeOpenAiServer otherWeights = new FakeOpenAiServer(key).samplesPerReply(4)
                .modelList(FakeOpenAiServer.llamaCppModelList(path, 7615616512L, 8098525184L))) {
            Cli.Run third = generate(Map.of(KEY_VAR, key), args(otherWeights, "e.jsonl", "--journal",
                    dir.resolve("journal").toString()));
            assertEquals(0, third.status(), third.toString());
            assertTrue(otherWeights.requests.get() > 0, "other weights behind the same path are asked, not replayed");
        }
        try (FakeOpenAiServer honest = new FakeOpenAiServer(key).samplesPerReply(4)
                .modelList(FakeOpenAiServer.modelListOf("other-model", "fake-model"))) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(honest, "c.jsonl", "--journal",
                    dir.resolve("journal-c").toString(), "--run-dir", dir.resolve("run-c").toString()));
            assertEquals(0, run.status(), run.toString());
            assertEquals(1, honest.modelListings.get());
            assertFalse(JSON.readTree(dir.resolve("run-c").resolve(RunFiles.GENERATION).toFile())
                    .has("servedModel"));
            Cli.Run unjournaled = generate(Map.of(KEY_VAR, key), args(honest, "d.jsonl"));
            assertEquals(0, unjournaled.status(), unjournaled.toString());
            assertEquals(1, honest.modelListings.get(), "no journal, no question");
        }
    }

    /**
     * A finished llama.cpp run replayed with the server stopped is keyed by the journal's record
     * of what the server served; its generation.json states that model too, marked as the
     * record's, where it recorded none before (session 19's Open list).
     */
    @Test
    void aRunReplayedWithTheServerStoppedRecordsTheServedModelFromTheJournal() throws IOException {
        String path = "/models/qwen2.5-7b-instruct-q4_k_m.gguf";
        String journal = dir.resolve("journal").toString();
        String[] replay;
        JsonNode first;
        int sent;
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)
                .modelList(FakeOpenAiServer.llamaCppModelList(path, 7615616512L, 4683073952L))) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "a.jsonl", "--journal", journal,
                    "--run-dir", dir.resolve("run-a").toString()));
            assertEquals(0, run.status(), run.toString());
            first = JSON.readTree(dir.resolve("run-a").resolve(RunFiles.GENERATION).toFile()).path("servedModel");
            assertEquals("server", first.path("source").asText(), first.toString());
            sent = server.requests.get();
            replay = args(server, "b.jsonl", "--journal", journal, "--run-dir", dir.resolve("run-b").toString());
        }
        Cli.Run again = generate(Map.of(KEY_VAR, key), replay); // the server's port is closed now
        assertEquals(0, again.status(), again.toString());
        assertEquals(Files.readString(dir.resolve("a.jsonl")), Files.readString(dir.resolve("b.jsonl")),
                "replayed from the journal");
        assertTrue(sent > 0);
        JsonNode served = JSON.readTree(dir.resolve("run-b").resolve(RunFiles.GENERATION).toFile())
                .path("servedModel");
        assertEquals(path, served.path("id").asText(), served.toString());
        assertEquals(first.path("weights"), served.path("weights"), "the weights that keyed the replies");
        assertEquals(4683073952L, served.path("weights").path("size").asLong(), served.toString());
        assertEquals("journal", served.path("source").asText(), "marked as the record's: " + served);
        assertKeyNowhere(again, dir);
    }

    @Test
    void unauthorizedStopsWithTheServersMessageAndWritesNothing() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            String wrong = "sk-wrong-" + Long.toHexString(new Random().nextLong());
            Cli.Run run = generate(Map.of(KEY_VAR, wrong), args(server, "synth.jsonl"));
            assertEquals(2, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains("HTTP 401") && run.err().contains("Incorrect API key provided"), run.err());
            assertFalse(run.err().contains(wrong) || run.out().contains(wrong), "the key is masked");
            assertFalse(Files.exists(dir.resolve("synth.jsonl")));
        }
    }

    @Test
    void anUnreachableServerAnUnsetKeyAndAZeroTimeoutAreExit2NamingTheCause() throws IOException {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: connections are refused
        }
        String url = "http://127.0.0.1:" + port + "/v1";
        String[] base = {"generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
            dir.resolve("synth.jsonl").toString(), "--llm", url, "--model", "m", "--synthetic-per-label", "2",
            "--no-cache", "--quiet"};
        long start = System.nanoTime();
        Cli.Run refused = generate(Map.of(), base);
        assertEquals(2, refused.status(), refused.toString());
        assertEquals(1, refused.errLines().size(), refused.toString());
        assertTrue(refused.err().contains("cannot connect to " + url), refused.err());
        assertTrue((System.nanoTime() - start) / 1e9 < 60, "fails within a minute");

        String[] unset = java.util.Arrays.copyOf(base, base.length + 2);
        unset[base.length] = "--api-key-env";
        unset[base.length + 1] = "SYNALIGN_NO_SUCH_VARIABLE";
        Cli.Run noKey = generate(Map.of(), unset);
        assertEquals(2, noKey.status(), noKey.toString());
        assertTrue(noKey.err().contains("--api-key-env SYNALIGN_NO_SUCH_VARIABLE: environment"
                + " variable SYNALIGN_NO_SUCH_VARIABLE (the API key) is not set"), noKey.err());

        String[] zero = java.util.Arrays.copyOf(base, base.length + 2);
        zero[base.length] = "--request-timeout";
        zero[base.length + 1] = "0s";
        Cli.Run zeroTimeout = generate(Map.of(), zero);
        assertEquals(2, zeroTimeout.status(), zeroTimeout.toString());
        assertTrue(zeroTimeout.err().contains("--request-timeout 0s: must be longer than 0"),
                zeroTimeout.err());
        assertFalse(Files.exists(dir.resolve("synth.jsonl")));
        // Beyond a long's nanoseconds it failed after the embedding: ArithmeticException, exit 1.
        zero[base.length + 1] = "9999999h";
        Cli.Run hugeTimeout = generate(Map.of(), zero);
        assertEquals(2, hugeTimeout.status(), hugeTimeout.toString());
        assertTrue(hugeTimeout.err().contains("--request-timeout 9999999h: at most 365 days"),
                hugeTimeout.err());

        // A URL the client cannot use is refused with the options, before the real rows are
        // embedded (the encoder counts the rows it was asked for); a query is not echoed.
        TestEncoders.Counter embedded = new TestEncoders.Counter();
        for (String[] c : new String[][] {
            {"ftp://host/v1", "--llm base URL must be http(s)://host[:port][/path]: ftp://host/v1"},
            {"http://host/v1?api_key=sk-secret-in-url", "--llm base URL must not have a query or"
                    + " fragment (use the API key environment variable for a key): http://host/v1"},
        }) {
            String[] bad = base.clone();
            bad[java.util.Arrays.asList(base).indexOf(url)] = c[0];
            Cli.Run r = Cli.run(cl -> ((GenerateCommand) cl.getSubcommands().get("generate")
                    .getCommand()).loader = embedded.loader(), bad);
            assertEquals(2, r.status(), r.toString());
            assertEquals(List.of("synalign: error: " + c[1]), r.errLines(), r.toString());
            assertFalse(r.err().contains("sk-secret"), r.err());
        }
        assertEquals(0, embedded.loads.get(), "no encoder loaded before the refusal");
    }

    @Test
    void aServerThatAlwaysFailsEndsInOneLineWithTheLastFailure() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)
                .plan((d, seen) -> FakeOpenAiServer.Fault.SERVER_ERROR)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(1, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains("no reply from the LLM to any of the") && run.err()
                    .contains("calls of batch 0 (") && run.err().contains(
                    "last failure: attribute summary: giving up on " + server.baseUrl()) && run.err().contains(
                    "HTTP 500"), run.err());
            assertFalse(run.err().contains("unexpected"), run.err());
            // One batch of calls, each with its retries: not five batches of them (a server
            // that never answered held a run about 40 request timeouts a label).
            int calls = Integer.parseInt(run.err().replaceFirst("(?s).*to any of the (\\d+) calls.*", "$1"));
            assertEquals(calls * io.synalign.models.llm.RetryPolicy.DEFAULT.maxAttempts(),
                    server.requests.get(), run.err());
        }
        assertFalse(Files.exists(dir.resolve("synth.jsonl")));
    }

    /**
     * Attribute summaries answered, every samples call failing: named as failed sample calls,
     * not as "replies held no samples (empty samples lists)".
     */
    @Test
    void samplesCallsThatAllFailAreNamedAsSuch() throws IOException {
        // No samples call answered (after its retries): the label ends after that batch.
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)
                .faultsOnlyFor("synalign_samples").plan((d, seen) -> FakeOpenAiServer.Fault.SERVER_ERROR)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(1, run.status(), run.toString());
            assertTrue(run.err().matches("(?s).*no reply from the LLM to any of the \\d+ samples calls"
                    + " of batch 0 .*HTTP 500.*"), run.err());
            assertFalse(run.err().contains("held no samples"), run.err());
        }
        // Samples calls answered with replies that stay invalid after the re-asks: a later
        // batch's sampling may mend that, so five batches are tried before giving up.
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)
                .faultsOnlyFor("synalign_samples").plan((d, seen) -> FakeOpenAiServer.Fault.SCHEMA_VIOLATION)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth2.jsonl"));
            assertEquals(1, run.status(), run.toString());
            assertTrue(run.err().contains("no usable sample reply from the LLM in 5 batches in a row"),
                    run.err());
            assertFalse(run.err().contains("held no samples"), run.err());
        }
    }

    /**
     * A model that hands a demonstration back in every samples reply: the copies are dropped,
     * and the summary counts them apart from repeats (they were one "duplicates" figure, so a
     * model copying its few-shot rows looked like one repeating itself).
     */
    @Test
    void copiesOfTheDemonstrationsAreCountedApart() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4).choices((body, valid, n) -> {
            if (!FakeOpenAiServer.schemaOf(body).equals("synalign_samples")) {
                return null;
            }
            String prompt = body.path("messages").get(0).path("content").asText();
            String demo = prompt.substring(prompt.indexOf("Example 1: ") + 11, prompt.indexOf("\nExample 2: "));
            try {
                ObjectNode o = (ObjectNode) JSON.readTree(valid);
                ((com.fasterxml.jackson.databind.node.ArrayNode) o.path("samples")).insertObject(0)
                        .put("text", "Example 1: " + demo);
                return FakeOpenAiServer.choice(o.toString(), "stop");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(0, run.status(), run.toString());
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));
            long samplesCalls = server.bodies.stream()
                    .filter(b -> FakeOpenAiServer.schemaOf(b).equals("synalign_samples")).count();
            // 23 rows a label at 4 a reply: 6 replies a label, each read, each with one copy.
            assertEquals(12, samplesCalls);
            assertTrue(run.out().contains(" 12 duplicates (12 copies of real rows)"), run.out());
        }
    }

    /**
     * Samples that all fall outside the length bounds (here every one longer than --max-chars):
     * the label stopped saying "the LLM repeats itself or returns duplicates of the real rows",
     * which sent the user after the wrong cause. Now the rejections are counted by reason.
     */
    @Test
    void aLabelWhoseSamplesAreAllRejectedSaysWhy() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--max-chars", "10"));
            assertEquals(1, run.status(), run.toString());
            assertTrue(run.err().matches("(?s).*label pos: 5 batches in a row produced no new valid sample \\(0 of 23\\);"
                    + " the LLM's samples were all rejected \\((\\d+) samples returned, none kept: 0 empty, \\1 outside"
                    + " the length bounds \\(--min-chars/--max-chars\\), 0 copies of real rows, 0 repeats of earlier"
                    + " samples\\).*"), run.err());
            assertFalse(run.err().contains("repeats itself"), run.err());
        }
    }

    /**
     * A reasoning model that spends the server's token limit thinking on every attribute
     * summary (vLLM --reasoning-parser: content null beside reasoning_content): no samples call
     * is ever made. The run said "no usable sample reply" and a failure without its stage.
     */
    @Test
    void attributeSummariesThatNeverAnswerAreNamedWithTheirStage() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4).choices((body, valid, n) ->
                FakeOpenAiServer.schemaOf(body).equals("synalign_attributes")
                        ? FakeOpenAiServer.choice(null, "length", "reasoning_content", "Hmm, the tone is ".repeat(50))
                        : null)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(1, run.status(), run.toString());
            assertTrue(run.err().contains("every attribute summary failed in 5 batches in a row, so no samples"
                    + " were asked for (0 of 23 samples); last failure: attribute summary: fake-model wrote no"
                    + " answer before the server's token limit; not asked again"), run.err());
            assertTrue(run.err().contains("reasoning used up the server's token limit"), run.err());
            // Not re-asked: one call per summary, not three (a retry spends its tokens alike).
            assertEquals(0, server.bodies.stream().filter(b -> b.path("messages").size() > 1).count());
            assertFalse(Files.exists(dir.resolve("synth.jsonl")));
        }
    }

    /**
     * The first batch's summaries answer but all its samples are rejected (longer than
     * --max-chars), and every later batch's summaries fail: the stop said "every attribute
     * summary failed in 5 batches in a row, so no samples were asked for", judged on the last
     * batch alone. Now it is judged on the whole streak, and gives the rejection counts.
     */
    @Test
    void aStreakWithRejectedSamplesIsNotSaidToHaveAskedNone() throws IOException {
        java.util.concurrent.atomic.AtomicBoolean samplesAsked = new java.util.concurrent.atomic.AtomicBoolean();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4).choices((body, valid, n) -> {
            if (FakeOpenAiServer.schemaOf(body).equals("synalign_samples")) {
                samplesAsked.set(true);
                return null;
            }
            return samplesAsked.get()
                    ? FakeOpenAiServer.choice(null, "length", "reasoning_content", "Hmm, the tone is ".repeat(50))
                    : null;
        })) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--max-chars", "10"));
            assertEquals(1, run.status(), run.toString());
            assertFalse(run.err().contains("so no samples were asked for"), run.err());
            assertTrue(run.err().matches("(?s).*label pos: 5 batches in a row produced no new valid sample \\(0 of 23\\);"
                    + " the LLM's samples were all rejected \\((\\d+) samples returned, none kept: 0 empty, \\1 outside"
                    + " the length bounds .*; last failure: attribute summary: .*"), run.err());
            assertFalse(Files.exists(dir.resolve("synth.jsonl")));
        }
    }

    /**
     * Samples replies cut off at the server's token limit after 3 of their 4 samples: the 3
     * complete ones are kept (they were re-asked with the cut-off text fed back, and lost), the
     * summary counts the replies, and the fix is told once.
     */
    @Test
    void theCompleteSamplesOfCutOffRepliesAreKeptAndCounted() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4).choices((body, valid, n) ->
                FakeOpenAiServer.schemaOf(body).equals("synalign_samples")
                        ? FakeOpenAiServer.choice(valid.substring(0, valid.lastIndexOf("{\"text\"") + 14), "length")
                        : null)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(0, run.status(), run.toString());
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));
            long samplesCalls = server.bodies.stream()
                    .filter(b -> FakeOpenAiServer.schemaOf(b).equals("synalign_samples")).count();
            // 23 rows a label at 3 a reply: 8 replies a label, none re-asked.
            assertEquals(16, samplesCalls);
            assertEquals(0, server.bodies.stream().filter(b -> b.path("messages").size() > 1).count());
            assertTrue(run.out().contains("16 samples replies were cut off at the server's token limit;"
                    + " their complete samples were kept"), run.out());
        }
    }

    /**
     * Module 2's two steps: a group whose attribute summary fails is not written for without
     * attributes (every row carries the attributes of its own group's summary, and no row
     * comes from a failed group); the other groups fill the quota.
     */
    @Test
    void aGroupWhoseSummaryFailsGetsNoRowsWithoutAttributes() throws IOException {
        String failing = POS.get(0);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4).choices((body, valid, n) ->
                FakeOpenAiServer.schemaOf(body).equals("synalign_attributes")
                        && body.path("messages").get(0).path("content").asText().contains(failing)
                        ? FakeOpenAiServer.choice("", "stop", "refusal", "I can't summarise that.") : null)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl"));
            assertEquals(0, run.status(), run.toString());
            assertTrue(server.bodies.stream().anyMatch(b -> FakeOpenAiServer.schemaOf(b).equals("synalign_attributes")
                    && b.path("messages").get(0).path("content").asText().contains(failing)),
                    "a group holding the failing row was summarised");
            assertCountsAndProvenance(dir.resolve("synth.jsonl"));
            for (JsonNode body : server.bodies) {
                if (FakeOpenAiServer.schemaOf(body).equals("synalign_samples")) {
                    String prompt = body.path("messages").get(0).path("content").asText();
                    assertFalse(prompt.contains(failing), "no samples call for a failed summary's group");
                    assertTrue(prompt.contains("They share these attributes:\n- tone: tone-"), prompt);
                }
            }
            // Each row's attributes are its own group's summary, and that summary is in the
            // prompt that wrote the row (the failed groups shift stage 2's indices).
            List<String> lineTexts = new ArrayList<>();
            for (int i = 0; i < Math.max(POS.size(), NEG.size()); i++) {
                if (i < POS.size()) {
                    lineTexts.add(POS.get(i));
                }
                if (i < NEG.size()) {
                    lineTexts.add(NEG.get(i));
                }
            }
            Map<String, String> prompts = new HashMap<>(); // by the fake's tag of the messages
            for (JsonNode body : server.bodies) {
                String tag = io.synalign.models.llm.RequestKeys.messagesDigest(FakeOpenAiServer.messages(body));
                prompts.put(FakeOpenAiServer.schemaOf(body) + tag.substring(0, 8),
                        body.path("messages").get(0).path("content").asText());
                prompts.put(FakeOpenAiServer.schemaOf(body) + tag.substring(0, 4),
                        body.path("messages").get(0).path("content").asText());
            }
            for (JsonNode r : read(dir.resolve("synth.jsonl"))) {
                JsonNode p = r.path("synalign");
                assertFalse(p.path("demo_lines").toString().matches(".*\\b1\\b.*"),
                        "line 1 holds the failing row: " + r);
                String text = r.path("text").asText();
                String writer = prompts.get("synalign_samples" + text.substring(text.length() - 4));
                String tone = p.path("attributes").path("tone").asText();
                String summariser = prompts.get("synalign_attributes" + tone.substring("tone-".length()));
                assertTrue(writer.contains("\n- tone: " + tone + "\n"), r + " not written from its attributes: " + writer);
                for (JsonNode line : p.path("demo_lines")) {
                    String demo = lineTexts.get(line.asInt() - 1);
                    assertTrue(writer.contains(demo) && summariser.contains(demo), r + ": " + demo);
                }
            }
        }
    }

    @Test
    void optionsTheChosenBackendDoesNotUseAreRefused() throws IOException {
        Path gguf = Files.write(dir.resolve("m.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
        String[][] cases = {
            {"--model does not apply to --llm offline (the EDA baseline calls no LLM)",
                "offline", "--model", "bge-small"},
            {"--journal does not apply to --llm offline", "offline", "--journal", dir.resolve("j").toString()},
            {"--api-key-env does not apply to --llm gguf:", "gguf:" + gguf, "--api-key-env", "X"},
            {"--gguf-context does not apply to --llm http://127.0.0.1:9/v1 (it sets an in-process gguf:PATH"
                + " model's context; a server sets its own)", "http://127.0.0.1:9/v1", "--gguf-context", "4096"},
            {"--gguf-context does not apply to --llm offline (the EDA baseline calls no LLM)", "offline",
                "--gguf-context", "4096"},
            {"--synthetic-per-label and --synthetic-rows contradict each other; give one", "offline",
                "--synthetic-per-label", "3", "--synthetic-rows", "9"},
        };
        for (String[] c : cases) {
            List<String> a = new ArrayList<>(List.of("generate", "--real",
                    dir.resolve("real.jsonl").toString(), "--out", dir.resolve("s.jsonl").toString(),
                    "--llm", c[1], "--quiet"));
            a.addAll(List.of(c).subList(2, c.length));
            Cli.Run run = generate(Map.of(), a.toArray(String[]::new));
            assertEquals(2, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains(c[0]), run.err());
        }
        assertFalse(Files.exists(dir.resolve("s.jsonl")));
        assertFalse(Files.exists(dir.resolve("j")), "nothing created");
    }

    /**
     * A journal whose served-models.json a newer SynAlign wrote (a larger "v") is refused, exit
     * 2 naming the file, before the model loads or a request goes out.
     */
    @Test
    void aJournalRecordOfANewerFormatIsExit2BeforeAnyRequest() throws IOException {
        Path journal = Files.createDirectory(dir.resolve("journal"));
        Path served = journal.resolve(io.synalign.models.llm.CallJournal.SERVED_FILE);
        Files.writeString(served, "{\"v\": 2, \"served\": []}\n");
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = Cli.run(cl -> {
                GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate")
                        .getCommand();
                cmd.loader = (spec, options) -> {
                    throw new AssertionError("the journal is checked before the model loads");
                };
                cmd.environment = Map.of(KEY_VAR, key);
            }, args(server, "synth.jsonl", "--journal", journal.toString()));
            assertEquals(2, run.status(), run.toString());
            assertEquals(List.of("synalign: error: " + served.toAbsolutePath().normalize() + ": written by"
                    + " a newer SynAlign (format 2; this build reads format 1): use that build or a newer one"),
                    run.errLines());
            assertEquals(0, server.requests.get(), "no request");
            assertFalse(Files.exists(dir.resolve("synth.jsonl")));
        }
    }

    @Test
    void aDamagedJournalIsExit2NamingItsLine() throws IOException {
        Path journal = Files.createDirectory(dir.resolve("journal"));
        Files.writeString(journal.resolve(io.synalign.models.llm.CallJournal.FILE),
                "not a journal entry\n{\"also\": \"not one\"}\n");
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = Cli.run(cl -> {
                GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate")
                        .getCommand();
                cmd.loader = (spec, options) -> {
                    throw new AssertionError("the journal is checked before the model loads");
                };
                cmd.environment = Map.of(KEY_VAR, key);
            }, args(server, "synth.jsonl", "--journal", journal.toString()));
            assertEquals(2, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains("line 1 is damaged (not a journal entry); repair or"
                    + " remove that line"), run.err());
            assertFalse(run.err().contains("unexpected"), run.err());
            assertEquals(0, server.requests.get());
        }
        assertFalse(Files.exists(dir.resolve("synth.jsonl")));
    }

    /** generate --llm gguf:FILE over a tiny random-weight model written here (meaningless text, valid rows). */
    private Cli.Run generateGguf(Path model, String out) {
        return generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve(out).toString(), "--llm", "gguf:" + model, "--synthetic-per-label", "3",
                "--samples-per-summary", "2", "--demos-per-prompt", "2", "--min-chars", "1", "--max-chars", "30",
                "--no-cache", "--seed", "5", "--quiet");
    }

    @Test
    void ggufModelRunsEndToEndReproducibly() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Cli.Run run = generateGguf(model, "a.jsonl");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("generated 6 rows") && run.out().contains("with gguf model tiny.gguf"), run.out());
        List<JsonNode> rows = read(dir.resolve("a.jsonl"));
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode r : rows) {
            counts.merge(r.path("label").asText(), 1, Integer::sum);
            String text = r.path("text").asText();
            assertFalse(text.isBlank(), r.toString());
            assertTrue(text.codePointCount(0, text.length()) <= 30 * 4, "grammar-bounded: " + r);
            JsonNode p = r.path("synalign");
            assertEquals("gguf", p.path("backend").asText(), r.toString());
            assertEquals("tiny.gguf", p.path("model").asText(), r.toString());
            assertTrue(p.path("attributes").size() >= 1, r.toString());
            assertTrue(p.path("demo_lines").size() >= 1, r.toString());
        }
        assertEquals(Map.of("pos", 3, "neg", 3), counts);
        // Seeded sampling: the same command writes the same rows.
        Cli.Run again = generateGguf(model, "b.jsonl");
        assertEquals(0, again.status(), again.toString());
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.jsonl")), Files.readAllBytes(dir.resolve("b.jsonl")));
    }

    /**
     * A GGUF model whose context leaves the samples replies too little room: the replies cut off
     * at the budget keep their complete samples (as a server's at finish_reason length), the
     * summary line counts them against the GGUF model's budget, and the warning, told once,
     * names the options that give a GGUF reply room (no server flag: there is no server).
     */
    @Test
    void ggufRepliesCutOffAtTheirBudgetKeepTheirCompleteSamples() throws IOException {
        // Without attribute reasoning the samples prompt (byte tokens) leaves a reply room for a
        // sample or two in a 720-token context, and a fresh re-ask (its prompt longer by the
        // cut-off note) less. The random model's samples spell invalid UTF-8 that counts past
        // --max-chars, so many are rejected; seed 7 is one whose run completes.
        TinyGgufWriter.Spec tiny = TinyGgufWriter.Spec.tiny(3);
        Path model = TinyGgufWriter.write(dir.resolve("cramped.gguf"), new TinyGgufWriter.Spec(tiny.layers(),
                tiny.embd(), tiny.heads(), tiny.ff(), 720, tiny.seed(), null));
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8)); // slf4j-simple's logs
        Cli.Run run;
        try {
            run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                    "--out", dir.resolve("cut.jsonl").toString(), "--llm", "gguf:" + model,
                    "--synthetic-per-label", "3", "--samples-per-summary", "2", "--demos-per-prompt", "2",
                    "--min-chars", "1", "--max-chars", "30", "--attributes", "off", "--no-cache", "--seed", "7",
                    "--run-dir", dir.resolve("cut-run").toString(), "--quiet");
        } finally {
            System.setErr(stderr);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        stderr.print(logs);
        assertEquals(0, run.status(), run + logs);
        assertTrue(run.out().matches("(?s).*\\n\\d+ samples replies were cut off at the GGUF model's token budget;"
                + " their complete samples were kept \\(fewer per request: --samples-per-summary; more context:"
                + " --gguf-context\\)\\n.*"), run.out());
        assertEquals(1, logs.split("A samples reply was cut off at the GGUF model's token budget", -1).length - 1,
                "told once: " + logs);
        assertTrue(logs.contains("(--samples-per-summary 2 now) or shorter ones (--max-chars), give fewer"
                + " demonstrations per prompt (--demos-per-prompt), or give the model more context"
                + " (--gguf-context TOKENS, up to its training context): a GGUF reply gets the context left"
                + " after the prompt"), logs);
        assertFalse(logs.contains("--n-predict"), logs);
        assertEquals(6, read(dir.resolve("cut.jsonl")).size());
        JsonNode settings = JSON.readTree(dir.resolve("cut-run").resolve(RunFiles.GENERATION).toFile())
                .path("settings");
        assertEquals(720, settings.path("--gguf-context").asInt(), "the context in force, the training"
                + " context under 8192: " + settings);
    }

    /**
     * The cut-off warning's advice taken on a resumed run: a first run under a 720-token context
     * journals replies cut off at their budget; the same command with the model's whole context
     * and the same --journal asks those again (their budget is now larger) and writes the rows a
     * fresh run under that context writes, while replies that were complete replay; a third run
     * sends nothing (the journal stays byte for byte as it was).
     */
    @Test
    void aGgufRunResumedWithMoreContextAsksAgainTheRepliesCutOffAtTheOldBudget() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Path journal = dir.resolve("journal");
        java.util.function.BiFunction<String, List<String>, Cli.Run> gen = (out, extra) -> {
            List<String> a = new ArrayList<>(List.of("generate", "--real", dir.resolve("real.jsonl").toString(),
                    "--out", dir.resolve(out).toString(), "--llm", "gguf:" + model,
                    "--synthetic-per-label", "3", "--samples-per-summary", "2", "--demos-per-prompt", "2",
                    "--min-chars", "1", "--max-chars", "30", "--attributes", "off", "--no-cache", "--seed", "7",
                    "--quiet"));
            a.addAll(extra);
            return generate(Map.of(), a.toArray(String[]::new));
        };
        String cutOffLine = "samples replies were cut off at the GGUF model's token budget";
        Cli.Run cramped = gen.apply("cramped.jsonl", List.of("--gguf-context", "720", "--journal", journal.toString()));
        assertEquals(0, cramped.status(), cramped.toString());
        assertTrue(cramped.out().contains(cutOffLine), cramped.out());
        List<String> crampedCalls = Files.readAllLines(journal.resolve("calls.jsonl"));
        assertTrue(crampedCalls.stream().anyMatch(l -> l.contains("\"cut_off_at_tokens\":")), "budgets recorded");

        Cli.Run fresh = gen.apply("fresh.jsonl", List.of());
        assertEquals(0, fresh.status(), fresh.toString());
        Cli.Run resumed = gen.apply("resumed.jsonl", List.of("--journal", journal.toString()));
        assertEquals(0, resumed.status(), resumed.toString());
        assertArrayEquals(Files.readAllBytes(dir.resolve("fresh.jsonl")), Files.readAllBytes(dir.resolve("resumed.jsonl")),
                "the rows of a run with the whole context, not the cramped run's");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("cramped.jsonl")),
                Files.readAllBytes(dir.resolve("resumed.jsonl"))), "the larger context changed replies");
        List<String> resumedCalls = Files.readAllLines(journal.resolve("calls.jsonl"));
        assertTrue(resumedCalls.size() > crampedCalls.size(), "the cut-off replies asked again were journaled");
        assertEquals(crampedCalls, resumedCalls.subList(0, crampedCalls.size()), "append-only");
        assertEquals(fresh.out().contains(cutOffLine), resumed.out().contains(cutOffLine), resumed.out());

        byte[] afterResume = Files.readAllBytes(journal.resolve("calls.jsonl"));
        Cli.Run again = gen.apply("again.jsonl", List.of("--journal", journal.toString()));
        assertEquals(0, again.status(), again.toString());
        assertArrayEquals(afterResume, Files.readAllBytes(journal.resolve("calls.jsonl")), "nothing sent again");
        assertArrayEquals(Files.readAllBytes(dir.resolve("resumed.jsonl")), Files.readAllBytes(dir.resolve("again.jsonl")));
    }

    /**
     * --gguf-context reaches the model: a context too small for the samples prompt (a few hundred
     * byte tokens) fails every call naming the context given, where the default (the tiny
     * model's training context, 4096) runs (ggufModelRunsEndToEndReproducibly).
     */
    @Test
    void aGgufContextTooSmallForThePromptFailsNamingTheContextGiven() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Cli.Run run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("small.jsonl").toString(), "--llm", "gguf:" + model, "--gguf-context", "100",
                "--synthetic-per-label", "3", "--samples-per-summary", "2", "--demos-per-prompt", "2",
                "--no-cache", "--seed", "5", "--quiet");
        assertEquals(1, run.status(), run.toString());
        assertTrue(run.err().contains("does not fit the context of 100 tokens of tiny.gguf"), run.err());
        assertFalse(run.err().contains("unexpected"), run.err());
        assertFalse(Files.exists(dir.resolve("small.jsonl")));
    }

    /**
     * --gguf-context outside what the model can hold is refused with the options, before any
     * file is read or the model loaded: above the training context its GGUF header states (the
     * line names both), below the floor, and a model trained on fewer tokens than the floor.
     */
    @Test
    void aGgufContextTheModelCannotHoldIsExit2NamingTheValueAndTheTrainingContext() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        TinyGgufWriter.Spec tiny = TinyGgufWriter.Spec.tiny(3);
        Path cramped = TinyGgufWriter.write(dir.resolve("cramped.gguf"), new TinyGgufWriter.Spec(tiny.layers(),
                tiny.embd(), tiny.heads(), tiny.ff(), 32, tiny.seed(), null));
        String[][] cases = {
            {"--gguf-context 4097: above the training context of tiny.gguf, 4096 tokens (its GGUF header's"
                + " llama.context_length); give at most 4096", "gguf:" + model, "--gguf-context", "4097"},
            {"--gguf-context 63: at least 64 tokens", "gguf:" + model, "--gguf-context", "63"},
            {"--gguf-context", "gguf:" + model, "--gguf-context", "0"},
            {"--llm gguf:" + cramped + ": the model's training context, 32 tokens, is below the 64", "gguf:" + cramped},
        };
        for (String[] c : cases) {
            List<String> a = new ArrayList<>(List.of("generate", "--real", dir.resolve("real.jsonl").toString(),
                    "--out", dir.resolve("s.jsonl").toString(), "--llm", c[1], "--quiet"));
            a.addAll(List.of(c).subList(2, c.length));
            Cli.Run run = Cli.run(cl -> {
                GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
                cmd.loader = (spec, options) -> {
                    throw new AssertionError("the context is checked before the encoder loads");
                };
            }, a.toArray(String[]::new));
            assertEquals(2, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains(c[0]), run.err());
        }
        assertFalse(Files.exists(dir.resolve("s.jsonl")));
    }

    @Test
    void aGgufModelPastTheRequestTimeoutEndsTheRunNamingTheDeadline() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Cli.Run run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("slow.jsonl").toString(), "--llm", "gguf:" + model,
                "--synthetic-per-label", "3", "--samples-per-summary", "2", "--demos-per-prompt", "2",
                "--request-timeout", "1ms", "--no-cache", "--seed", "5", "--quiet");
        assertEquals(1, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), run.toString());
        assertTrue(run.err().contains("no complete reply from GGUF model tiny.gguf within 1ms"), run.err());
        assertFalse(run.err().contains("unexpected"), run.err());
        assertFalse(Files.exists(dir.resolve("slow.jsonl")));
    }

    /**
     * generate --llm gguf:FILE --journal DIR run twice: the second run answers every call from the
     * journal (which stays byte for byte as it was: nothing new was sent) and writes the same rows.
     */
    @Test
    void ggufRunResumedFromItsJournalSendsNothingAndWritesTheSameRows() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(3));
        Path journal = dir.resolve("journal");
        String[] args = {"generate", "--real", dir.resolve("real.jsonl").toString(), "--llm", "gguf:" + model,
            "--synthetic-per-label", "3", "--samples-per-summary", "2", "--demos-per-prompt", "2", "--min-chars", "1",
            "--max-chars", "30", "--no-cache", "--seed", "5", "--quiet", "--journal", journal.toString(), "--out"};
        List<String> first = new java.util.ArrayList<>(List.of(args));
        first.add(dir.resolve("j1.jsonl").toString());
        Cli.Run run = generate(Map.of(), first.toArray(String[]::new));
        assertEquals(0, run.status(), run.toString());
        byte[] journalAfterFirst = Files.readAllBytes(journal.resolve("calls.jsonl"));
        assertTrue(journalAfterFirst.length > 0);
        List<String> second = new java.util.ArrayList<>(List.of(args));
        second.add(dir.resolve("j2.jsonl").toString());
        Cli.Run again = generate(Map.of(), second.toArray(String[]::new));
        assertEquals(0, again.status(), again.toString());
        assertArrayEquals(journalAfterFirst, Files.readAllBytes(journal.resolve("calls.jsonl")), "no call sent again");
        assertArrayEquals(Files.readAllBytes(dir.resolve("j1.jsonl")), Files.readAllBytes(dir.resolve("j2.jsonl")));
    }

    @Test
    void badGgufFilesExit2NamingTheFile() throws IOException {
        Path missing = dir.resolve("models").resolve("x.gguf");
        Path notGguf = Files.writeString(dir.resolve("not-a-model.gguf"), "hello");
        for (Path bad : List.of(missing, notGguf)) {
            Cli.Run run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                    "--out", dir.resolve("s.jsonl").toString(), "--llm", "gguf:" + bad);
            assertEquals(2, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.err().contains(bad.toString()), run.err());
            assertTrue(run.err().contains(bad == missing ? "not found" : "not a GGUF model file"), run.err());
            assertFalse(Files.exists(dir.resolve("s.jsonl")));
        }
        Cli.Run empty = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("s.jsonl").toString(), "--llm", "gguf:");
        assertEquals(2, empty.status(), empty.toString());
        assertTrue(empty.err().contains("name the model file"), empty.err());
    }

    @Test
    void sameTextAndLabelFieldIsRejectedBeforeAnyWork() {
        Cli.Run run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("s.jsonl").toString(), "--llm", "offline",
                "--text-field", "label", "--label-field", "label");
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("--text-field and --label-field both name 'label'"), run.err());
        assertFalse(Files.exists(dir.resolve("s.jsonl")));
    }

    @Test
    void offlineBaselineWritesTheTotalSplitByShares() throws IOException {
        String[] a = {"generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
            dir.resolve("eda.jsonl").toString(), "--llm", "offline", "--synthetic-rows", "26", "--seed", "3", "--quiet"};
        Cli.Run run = Cli.run(cl -> ((GenerateCommand) cl.getSubcommands().get("generate").getCommand()).loader =
                (spec, options) -> { throw new AssertionError("offline needs no encoder"); }, a);
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("BASELINE"), run.out());
        List<JsonNode> rows = read(dir.resolve("eda.jsonl"));
        Map<String, Integer> counts = new HashMap<>();
        for (JsonNode r : rows) {
            counts.merge(r.path("label").asText(), 1, Integer::sum);
            assertEquals("offline-eda-baseline", r.path("synalign").path("backend").asText());
        }
        assertEquals(Map.of("pos", 16, "neg", 10), counts, "26 split 8:5");
        byte[] first = Files.readAllBytes(dir.resolve("eda.jsonl"));
        assertEquals(0, Cli.run(cl -> { }, a).status());
        assertArrayEquals(first, Files.readAllBytes(dir.resolve("eda.jsonl")), "deterministic for a seed");
    }

    @Test
    void outputFormatFollowsTheNameAndGzippedJsonLinesReadBackAsWritten() throws IOException {
        List<List<Record>> outputs = new ArrayList<>();
        for (String name : List.of("eda.jsonl", "eda.jsonl.gz", "eda.tsv.gz")) {
            Cli.Run run = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                    "--out", dir.resolve(name).toString(), "--llm", "offline", "--synthetic-rows", "9",
                    "--seed", "4", "--quiet");
            assertEquals(0, run.status(), run.toString());
            outputs.add(RecordReader.read(dir.resolve(name)));
        }
        byte[] gz = Files.readAllBytes(dir.resolve("eda.jsonl.gz"));
        assertTrue(gz.length > 2 && (gz[0] & 0xff) == 0x1f && (gz[1] & 0xff) == 0x8b, "gzip");
        List<JsonNode> plain = read(dir.resolve("eda.jsonl"));
        assertEquals(9, plain.size());
        for (List<Record> records : outputs) {
            assertEquals(plain.size(), records.size());
            for (int i = 0; i < plain.size(); i++) {
                assertEquals(plain.get(i).path("text").asText(), records.get(i).get("text").asText());
                assertEquals(plain.get(i).path("label").asText(), records.get(i).get("label").asText());
            }
        }
        List<Record> gzipped = outputs.get(1);
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).path("synalign"), gzipped.get(i).get("synalign"),
                    "provenance survives the gzip round trip");
        }
        // TSV holds the provenance as compact JSON text.
        assertEquals(plain.get(0).path("synalign"),
                JSON.readTree(outputs.get(2).get(0).get("synalign").asText()));

        Cli.Run bad = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("eda.txt").toString(), "--llm", "offline", "--quiet");
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(bad.err().contains("--out " + dir.resolve("eda.txt")), bad.err());
        assertFalse(Files.exists(dir.resolve("eda.txt")));
    }

    @Test
    void encoderOptionsShareEmbedsDefinitionsIncludingMaxLengthAndDevice() throws IOException {
        List<io.synalign.models.EncoderOptions> loaded = new ArrayList<>();
        Path run = dir.resolve("rd");
        String[] a = {"generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
            dir.resolve("eda.jsonl").toString(), "--llm", "offline", "--synthetic-rows", "6", "--seed", "3",
            "--encoder", "minilm", "--batch-size", "5", "--max-length", "64", "--no-cache",
            "--backend", "reference", "--run-dir", run.toString(), "--quiet"};
        Cli.Run ok = Cli.run(cl -> ((GenerateCommand) cl.getSubcommands().get("generate").getCommand()).loader =
                (spec, options) -> {
                    loaded.add(options);
                    return new HashEncoder();
                }, a);
        assertEquals(0, ok.status(), ok.toString());
        assertEquals(1, loaded.size(), "the coverage of the run directory loads the encoder once");
        assertEquals(5, loaded.get(0).batchSize());
        assertEquals(64, loaded.get(0).maxLength());
        JsonNode settings = JSON.readTree(run.resolve(RunFiles.GENERATION).toFile()).path("settings");
        assertEquals(64, settings.path("--max-length").asInt(), settings.toString());
        assertEquals("cpu", settings.path("--device").asText(), settings.toString());
        assertFalse(settings.has("--gguf-context"), "an option the baseline never reads: " + settings);

        Cli.Run bad = generate(Map.of(), "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("s.jsonl").toString(), "--llm", "offline", "--no-cache",
                "--run-dir", dir.resolve("rd2").toString(), "--device", "gpu");
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(bad.err().contains("--device 'gpu'"), bad.err());
    }

    @Test
    void customPromptTemplateReplacesTheBuiltInOne() throws IOException {
        String marker = "ZQX-CUSTOM-SAMPLES-" + Long.toHexString(new Random().nextLong());
        Path prompts = Files.createDirectories(dir.resolve("prompts"));
        String builtIn;
        try (var in = GenerateCommandTest.class.getResourceAsStream("/io/synalign/prompts/samples.txt")) {
            builtIn = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.writeString(prompts.resolve("samples.txt"), marker + "\n" + builtIn, StandardCharsets.UTF_8);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--prompts", prompts.toString()));
            assertEquals(0, run.status(), run.toString());
            long withMarker = server.bodies.stream().filter(b -> b.toString().contains(marker)).count();
            assertTrue(withMarker > 0, "the custom template reached the server");
            for (JsonNode b : server.bodies) {
                boolean stage2 = b.path("response_format").path("json_schema").path("name").asText()
                        .equals("synalign_samples");
                assertEquals(stage2, b.toString().contains(marker), "marker in stage-2 prompts only");
            }
        }
    }

    @Test
    void hintsAppearInEveryStage1Prompt() throws IOException {
        String hint = "Reviews mention the director by name " + Long.toHexString(new Random().nextLong());
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Cli.Run run = generate(Map.of(KEY_VAR, key), args(server, "synth.jsonl", "--hints", hint));
            assertEquals(0, run.status(), run.toString());
            int stage1 = 0;
            for (JsonNode b : server.bodies) {
                if (b.path("response_format").path("json_schema").path("name").asText().equals("synalign_attributes")) {
                    stage1++;
                    assertTrue(b.path("messages").get(0).path("content").asText().contains(hint), b.toString());
                }
            }
            assertTrue(stage1 > 0);
        }
    }

    /** A prompt template that is not UTF-8 is named as such (the decoder said "Input length = 1"). */
    @Test
    void aPromptTemplateThatIsNotUtf8IsNamedAsSuch() throws IOException {
        Path prompts = Files.createDirectories(dir.resolve("latin1-prompts"));
        Files.write(prompts.resolve("samples.txt"), "caf\u00e9 {demonstrations}"
                .getBytes(StandardCharsets.ISO_8859_1));
        Cli.Run run = Cli.run(cl -> { }, "generate", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("synth.jsonl").toString(), "--llm", "http://127.0.0.1:9/v1",
                "--prompts", prompts.toString(), "--no-cache", "--quiet");
        Cli.assertBadInputLine(run, dir, "--prompts: cannot read " + prompts.resolve("samples.txt")
                + ": not valid UTF-8");
    }

    private void assertKeyNowhere(Cli.Run run, Path root) throws IOException {
        assertFalse(run.out().contains(key) || run.err().contains(key), "key in captured output");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertFalse(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(key),
                        "key in " + f);
            }
        }
    }
}
