package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.generation.QueryGenerator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncodeProgress;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code generate --task retrieval}: the offline baseline and the LLM path (a fake
 * OpenAI-compatible server) write query rows for the passages the GP picks to cover the corpus,
 * with provenance; both are reproducible, and bad input is refused before any work.
 */
class RetrievalGenerateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VAR = "FAKE_KEY";
    private static final String KEY = "sk-test-retrieval-0123456789";

    @TempDir
    Path dir;

    @BeforeEach
    void files() throws IOException {
        NegativesCommandTest.writeCorpus(dir.resolve("corpus.jsonl"));
        Files.writeString(dir.resolve("real.jsonl"), """
                {"text": "which animal purrs", "corpus_id": "p1"}
                {"text": "loyal pet from wolves", "corpus_id": "p2"}
                {"text": "how is bread made", "corpus_id": "p4"}
                {"text": "dynamic typing language", "corpus_id": "p6"}
                {"text": "ice crystals falling", "corpus_id": "p9"}
                """);
    }

    private Cli.Run generate(String... args) {
        return Cli.run(cl -> {
            GenerateCommand cmd = (GenerateCommand) cl.getSubcommands().get("generate").getCommand();
            cmd.loader = (spec, options) -> new GenerateCommandTest.HashEncoder();
            cmd.environment = Map.of(KEY_VAR, KEY);
            cmd.builderHook = b -> b.sleeper(d -> { });
        }, args);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private static List<JsonNode> read(Path p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(p)) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    /** The corpus ids of the passages the GP covers with the test's encoder and seed. */
    private static Set<String> coveringIds(int count, long seed) {
        List<String> passages = new ArrayList<>();
        for (String[] p : NegativesCommandTest.PASSAGES) {
            passages.add(p[1].isEmpty() ? p[2] : p[1] + " " + p[2]);
        }
        FloatMatrix pv = new GenerateCommandTest.HashEncoder().encode(passages, EncodeProgress.NONE);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            Set<String> ids = new HashSet<>();
            for (int row : QueryGenerator.coveringPassages(backend, pv, count, seed)) {
                ids.add(NegativesCommandTest.PASSAGES[row][0]);
            }
            return ids;
        }
    }

    @Test
    void theOfflineBaselineWritesQueriesForTheCoveringPassages() throws IOException {
        String[] args = {"generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
            p("real.jsonl"), "--out", p("q.jsonl"), "--llm", "offline", "--passages", "5", "--per-passage", "2",
            "--seed", "4", "--backend", "reference", "--no-cache", "--run-dir", p("run"), "-q"};
        Cli.Run run = generate(args);
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("with the offline query BASELINE (not an LLM)"), run.out());
        List<JsonNode> rows = read(dir.resolve("q.jsonl"));
        Set<String> targets = coveringIds(5, 4);
        assertEquals(5, targets.size());
        Set<String> seen = new HashSet<>();
        for (JsonNode r : rows) {
            assertTrue(targets.contains(r.path("corpus_id").asText()), r.toString());
            assertEquals("offline-query-baseline", r.path("synalign").path("backend").asText());
            assertFalse(r.path("text").asText().isBlank());
            seen.add(r.path("corpus_id").asText());
        }
        assertEquals(targets, seen, "every target passage got queries");
        assertEquals(10, rows.size(), "2 per passage");
        JsonNode doc = JSON.readTree(dir.resolve("run").resolve(RunFiles.GENERATION).toFile());
        assertEquals("format", doc.fieldNames().next(), "the format number first");
        assertEquals(1, doc.path("format").asInt());
        assertEquals("retrieval", doc.path("task").asText());
        assertEquals(5, doc.path("targetPassages").asInt());
        assertEquals(10, doc.path("queries").asInt());
        assertEquals(5, doc.path("settings").path("--passages").asInt());
        assertFalse(doc.path("settings").has("--request-timeout"), "offline calls no LLM");
        // Seeded: the same command writes the same rows.
        byte[] first = Files.readAllBytes(dir.resolve("q.jsonl"));
        Files.delete(dir.resolve("q.jsonl"));
        assertEquals(0, generate(args).status());
        assertArrayEquals(first, Files.readAllBytes(dir.resolve("q.jsonl")));
    }

    @Test
    void theLlmWritesQueriesForEachTargetPassageInTwoStages() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(KEY)) {
            Cli.Run run = generate("generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
                    p("real.jsonl"), "--out", p("q.jsonl"), "--llm", server.baseUrl(), "--model", "fake-model",
                    "--api-key-env", KEY_VAR, "--passages", "4", "--per-passage", "2", "--demos-per-prompt", "2",
                    "--seed", "9", "--no-cache", "-q");
            assertEquals(0, run.status(), run.toString());
            assertEquals(8, server.requests.get(), "4 attribute summaries and 4 query requests");
            List<JsonNode> rows = read(dir.resolve("q.jsonl"));
            assertEquals(8, rows.size(), "2 of the fake server's 3 samples kept per passage");
            Set<String> targets = coveringIds(4, 9);
            for (JsonNode r : rows) {
                assertTrue(targets.contains(r.path("corpus_id").asText()), r.toString());
                JsonNode prov = r.path("synalign");
                assertEquals("fake-model", prov.path("model").asText());
                assertTrue(prov.path("attributes").size() >= 1, prov.toString());
                // Groups of 2 (the last group of a coverage round completed by the nearest row).
                assertEquals(2, prov.path("demo_lines").size(), prov.toString());
            }
            // Each query prompt shows its target passage and real queries as demonstrations.
            int withPassage = 0;
            for (JsonNode body : server.bodies) {
                String prompt = body.path("messages").get(0).path("content").asText();
                if (prompt.contains("Here is a new passage:")) {
                    withPassage++;
                    assertTrue(prompt.contains("Query 1: "), prompt);
                }
            }
            assertEquals(4, withPassage);
        }
    }

    /** Every attribute summary fails: the failure names its stage and that no queries were asked for. */
    @Test
    void queryFailuresNameTheirStage() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(KEY).choices((body, valid, n) ->
                FakeOpenAiServer.schemaOf(body).equals("synalign_attributes")
                        ? FakeOpenAiServer.choice(null, "length", "reasoning_content", "Hmm. ".repeat(40))
                        : null)) {
            Cli.Run run = generate("generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
                    p("real.jsonl"), "--out", p("q.jsonl"), "--llm", server.baseUrl(), "--model", "fake-model",
                    "--api-key-env", KEY_VAR, "--passages", "4", "--per-passage", "2", "--demos-per-prompt", "2",
                    "--seed", "9", "--no-cache", "-q");
            assertEquals(1, run.status(), run.toString());
            assertTrue(run.err().contains("no passage got queries from the LLM (every attribute summary failed,"
                    + " so no queries were asked for); last failure: attribute summary: "), run.err());
            assertEquals(4, server.requests.get(), "one call per summary, none re-asked");
        }
    }

    /** More target passages (8) than real queries (5): the demonstration groups are reused in turn. */
    @Test
    void morePassagesThanRealQueriesReuseTheGroups() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(KEY)) {
            Cli.Run run = generate("generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
                    p("real.jsonl"), "--out", p("q.jsonl"), "--llm", server.baseUrl(), "--model", "fake-model",
                    "--api-key-env", KEY_VAR, "--passages", "8", "--per-passage", "1", "--demos-per-prompt", "1",
                    "--seed", "5", "--no-cache", "-q");
            assertEquals(0, run.status(), run.toString());
            assertEquals(16, server.requests.get(), "8 attribute summaries and 8 query requests");
            List<JsonNode> rows = read(dir.resolve("q.jsonl"));
            assertEquals(coveringIds(8, 5), rows.stream().map(r -> r.path("corpus_id").asText())
                    .collect(java.util.stream.Collectors.toSet()), "a query for every target passage");
            Set<String> demos = new HashSet<>();
            for (JsonNode r : rows) {
                demos.add(r.path("synalign").path("demo_lines").toString());
            }
            assertEquals(5, demos.size(), "each real query demonstrates, the groups reused: " + demos);
        }
    }

    @Test
    void aJournaledRunIsAnsweredFromTheJournalTheSecondTime() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(KEY)) {
            String[] args = {"generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
                p("real.jsonl"), "--out", p("q.jsonl"), "--llm", server.baseUrl(), "--model", "fake-model",
                "--api-key-env", KEY_VAR, "--passages", "3", "--per-passage", "2", "--journal", p("journal"),
                "--seed", "2", "--no-cache", "-q"};
            assertEquals(0, generate(args).status());
            int first = server.requests.get();
            assertEquals(6, first, "3 summaries and 3 query requests");
            byte[] rows = Files.readAllBytes(dir.resolve("q.jsonl"));
            Cli.Run second = generate(args);
            assertEquals(0, second.status());
            assertEquals(first, server.requests.get(), "the second run sends nothing");
            assertTrue(second.out().contains("journal " + dir.resolve("journal").toAbsolutePath().normalize()
                    + ": 6 replies replayed, 0 requests sent\n"), second.out());
            assertArrayEquals(rows, Files.readAllBytes(dir.resolve("q.jsonl")));
        }
    }

    @Test
    void retrievalBadInputIsRefusedBeforeAnyWork() throws IOException {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"q\", \"corpus_id\": \"p404\"}\n");
        String[] base = {"generate", "--task", "retrieval", "--real", p("real.jsonl"), "--out", p("q.jsonl"),
            "--llm", "offline", "-q"};
        Cli.assertBadInputLine(generate(base), dir, "--task retrieval needs --corpus");
        Cli.assertBadInputLine(generate(concat(base, "--corpus", p("corpus.jsonl"), "--synthetic-per-label", "3")),
                dir, "--synthetic-per-label does not apply to --task retrieval");
        Cli.assertBadInputLine(generate(concat(base, "--corpus", p("corpus.jsonl"), "--passages", "12")), dir,
                "--passages 12: the corpus has 11 passages");
        Cli.assertBadInputLine(generate("generate", "--task", "retrieval", "--corpus", p("corpus.jsonl"), "--real",
                p("bad.jsonl"), "--out", p("q.jsonl"), "--llm", "offline", "-q"), dir,
                "bad.jsonl:1: corpus_id 'p404' is not a passage of");
        Cli.assertBadInputLine(generate("generate", "--real", p("real.jsonl"), "--out", p("q.jsonl"), "--llm",
                "offline", "--per-passage", "2", "-q"), dir, "--per-passage does not apply to --task classification");
        assertFalse(Files.exists(dir.resolve("q.jsonl")));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
