package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code synalign demo} end to end at a reduced size, offline and with an (in-test) LLM server. */
class DemoCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private List<String> args(Path out) {
        return List.of("demo", "--out", out.toString(), "--labels", "noun.animal,noun.food,noun.artifact",
                "--real-per-label", "6", "--test-per-label", "12", "--synthetic-per-label", "12",
                "--repeats", "1", "--seed", "3", "--cache-dir", dir.resolve("cache").toString(), "-q");
    }

    private static Cli.Run demo(Map<String, String> env, List<String> args) {
        return Cli.run(cl -> ((DemoCommand) cl.getSubcommands().get("demo").getCommand()).environment = env,
                args.toArray(String[]::new));
    }

    @Test
    void offlineDemoWritesEveryArtefactAndTheReport() throws IOException {
        Path out = dir.resolve("run");
        // An earlier demo's directory, where 'synalign test --run-dir' ran too: its labels
        // appeared in the new report.
        Files.createDirectories(out);
        Files.writeString(out.resolve(DemoCommand.MARKER), "");
        Files.writeString(out.resolve(RunFiles.TEST), "{\"permutations\": 200, \"labels\": {\"plant\": {}}}");
        Cli.Run run = demo(Map.of(), args(out));
        assertEquals(0, run.status(), run.toString());
        assertFalse(Files.exists(out.resolve(RunFiles.TEST)), "another run's test.json is removed");

        for (String f : List.of("real.jsonl", "test.jsonl", "synthetic.jsonl", RunFiles.GENERATION,
                RunFiles.ALIGNMENT, RunFiles.WEIGHTED, RunFiles.EVALUATION, RunFiles.REPORT)) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + "\n" + run);
        }
        assertEquals(18, Files.readAllLines(out.resolve("real.jsonl")).size());
        assertEquals(36, Files.readAllLines(out.resolve("test.jsonl")).size());
        // few-shot and test rows never share a text
        Set<String> realTexts = new HashSet<>();
        for (String l : Files.readAllLines(out.resolve("real.jsonl"))) {
            realTexts.add(JSON.readTree(l).get("text").asText());
        }
        for (String l : Files.readAllLines(out.resolve("test.jsonl"))) {
            assertFalse(realTexts.contains(JSON.readTree(l).get("text").asText()));
        }

        JsonNode generation = JSON.readTree(out.resolve(RunFiles.GENERATION).toFile());
        assertTrue(generation.get("generator").asText().contains("baseline"), generation.toString());
        assertEquals(Set.of("animal", "food", "artifact"), fieldNames(generation.get("perLabel")));

        JsonNode evaluation = JSON.readTree(out.resolve(RunFiles.EVALUATION).toFile());
        JsonNode variants = evaluation.get("variants");
        assertEquals(3, variants.size());
        assertEquals("real+aligned", variants.get(2).get("name").asText());
        double accuracy = variants.get(0).get("accuracy").get("mean").asDouble();
        assertTrue(accuracy > 1.0 / 3, "the student beats chance on real rows: " + accuracy);

        String html = Files.readString(out.resolve(RunFiles.REPORT));
        for (String id : List.of("weights-histogram", "mmd-table", "pca-plot", "evaluation-table", "settings")) {
            assertTrue(html.contains("id=\"" + id + "\""), id);
        }
        assertTrue(run.out().contains(out.resolve(RunFiles.REPORT).toAbsolutePath().toString()), run.out());
        assertTrue(run.out().contains("real+aligned"), "the evaluation table is printed\n" + run.out());
    }

    @Test
    void demoUsesTheLlmNamedByTheEnvironment() throws IOException {
        String key = "sk-demo-" + System.nanoTime();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(4)) {
            Path out = dir.resolve("llm");
            Cli.Run run = demo(Map.of(DemoCommand.LLM_URL_ENV, server.baseUrl(),
                    DemoCommand.LLM_MODEL_ENV, "fake-model", DemoCommand.LLM_KEY_ENV, "DEMO_KEY", "DEMO_KEY", key),
                    args(out));
            assertEquals(0, run.status(), run.toString());
            assertTrue(server.requests.get() > 0, "the LLM server was asked");
            JsonNode row = JSON.readTree(Files.readAllLines(out.resolve("synthetic.jsonl")).get(0));
            assertTrue(row.toString().contains("fake-model"), row.toString());
            for (Path p : Files.walk(out).filter(Files::isRegularFile).toList()) {
                assertFalse(Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1).contains(key),
                        "the API key is written to " + p);
            }
            assertFalse(run.out().contains(key) || run.err().contains(key));
        }
    }

    @Test
    void failedDemoLeavesNoArtefactOfAnEarlierRun() throws IOException {
        Path out = Files.createDirectories(dir.resolve("stale"));
        Files.writeString(out.resolve(DemoCommand.MARKER), ""); // an earlier demo wrote it
        List<String> stale = List.of(RunFiles.GENERATION, RunFiles.ALIGNMENT, RunFiles.WEIGHTED,
                RunFiles.LABELS, RunFiles.EVALUATION, RunFiles.REPORT, "aligned.jsonl");
        for (String f : stale) {
            Files.writeString(out.resolve(f), "{\"from\": \"an earlier run\"}\n");
        }
        Files.createDirectories(out.resolve("journal"));
        Files.writeString(out.resolve("journal").resolve("kept"), "x");
        // generate fails on its --llm value: the steps after it never run
        Cli.Run run = demo(Map.of(DemoCommand.LLM_URL_ENV, "gguf:"), args(out));
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("step 'generate' failed"), run.err());
        for (String f : stale) {
            assertFalse(Files.exists(out.resolve(f)), f + " of the earlier run is still there");
        }
        assertTrue(Files.isRegularFile(out.resolve("real.jsonl")), "this run's data is written");
        assertTrue(Files.isRegularFile(out.resolve("journal").resolve("kept")), "the journal stays");
    }

    /**
     * The demo's own lines were printed with the default locale's digits: "٢ labels, ١٦ real"
     * under ar. An LLM address that generate refuses stops each demo just after its data line.
     */
    @Test
    void dataLinesAreAsciiDigitsUnderAnArabicLocale() throws Exception {
        Map<String, String> refused = Map.of(DemoCommand.LLM_URL_ENV, "gguf:");
        Cli.Run labelled = ForcedLocale.call(ForcedLocale.ARABIC,
                () -> demo(refused, args(dir.resolve("ar"))));
        assertTrue(labelled.out().contains("demo data: WordNet 3.1 noun glosses by supersense, 3"
                + " labels, "), labelled.toString());
        assertFalse(ForcedLocale.hasArabicDigits(labelled.out()), labelled.out());
        Cli.Run retrieval = ForcedLocale.call(ForcedLocale.ARABIC, () -> demo(refused,
                List.of("demo", "--task", "retrieval", "--out", dir.resolve("ar-r").toString(),
                        "--repeats", "1", "-q")));
        assertTrue(retrieval.out().contains("demo data: WordNet 3.1 noun glosses as "),
                retrieval.toString());
        assertFalse(ForcedLocale.hasArabicDigits(retrieval.out()), retrieval.out());
    }

    @Test
    void badLabelExitsTwoNamingIt() {
        Cli.Run run = demo(Map.of(), List.of("demo", "--out", dir.resolve("bad").toString(),
                "--labels", "noun.animal,verb.motion"));
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("verb.motion"), run.err());
        assertEquals(1, run.errLines().size(), run.err());
    }

    @Test
    void singleLabelExitsTwoBeforeAnyStep() {
        Path out = dir.resolve("one");
        Cli.Run run = demo(Map.of(), List.of("demo", "--out", out.toString(), "--labels",
                "noun.animal", "--real-per-label", "6", "--test-per-label", "12",
                "--synthetic-per-label", "12", "--repeats", "1", "--cache-dir",
                dir.resolve("cache").toString(), "-q"));
        assertEquals(2, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.errLines().get(0).contains("--labels noun.animal")
                && run.errLines().get(0).contains("at least 2"), run.err());
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void outThatIsAFileExitsTwoNamingIt() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        Cli.Run run = demo(Map.of(), List.of("demo", "--out", file.toString(), "--labels",
                "noun.animal,noun.food", "-q"));
        assertEquals(2, run.status(), run.toString());
        assertEquals(1, run.errLines().size(), run.err());
        assertTrue(run.errLines().get(0).contains(file + ": --out names a file, not a directory"),
                run.err());
        assertEquals("mine", Files.readString(file));
    }

    @Test
    void theRetrievalDemoRunsEveryStepOffline() throws IOException {
        Path out = dir.resolve("retrieval");
        Cli.Run run = demo(Map.of(), List.of("demo", "--task", "retrieval", "--out", out.toString(),
                "--repeats", "1", "--seed", "3", "--cache-dir", dir.resolve("cache").toString(), "-q"));
        assertEquals(0, run.status(), run.toString());
        assertEquals(DemoCommand.RETRIEVAL_CORPUS, Files.readAllLines(out.resolve("corpus.jsonl")).size());
        assertTrue(Files.isRegularFile(out.resolve(DemoCommand.MARKER)),
                "the directory is marked as the demo's, for the next demo to clean");
        Set<String> corpusIds = new HashSet<>();
        for (String l : Files.readAllLines(out.resolve("corpus.jsonl"))) {
            assertTrue(corpusIds.add(JSON.readTree(l).get("_id").asText()), "distinct ids");
        }
        Set<String> realTargets = new HashSet<>();
        for (String l : Files.readAllLines(out.resolve("real.jsonl"))) {
            JsonNode r = JSON.readTree(l);
            assertTrue(corpusIds.contains(r.get("corpus_id").asText()));
            realTargets.add(r.get("corpus_id").asText());
        }
        for (String l : Files.readAllLines(out.resolve("test.jsonl"))) {
            assertFalse(realTargets.contains(JSON.readTree(l).get("corpus_id").asText()),
                    "real and test queries never ask for the same passage");
        }
        JsonNode evaluation = JSON.readTree(out.resolve(RunFiles.EVALUATION).toFile());
        assertEquals("retrieval", evaluation.get("task").asText());
        assertEquals(Set.of("zero_shot", "real", "real+synthetic", "real+aligned"),
                fieldNames(evaluation.get("variants")));
        double mrr = evaluation.get("variants").get("zero_shot").get("mrr@10").asDouble();
        assertTrue(mrr > 0.1, "the encoder finds definitions by their words: MRR@10 " + mrr);
        String html = Files.readString(out.resolve(RunFiles.REPORT));
        for (String id : List.of("retrieval-table", "queries", "generation-retrieval", "weights-histogram")) {
            assertTrue(html.contains("id=\"" + id + "\""), id);
        }
        Cli.Run refused = demo(Map.of(), List.of("demo", "--task", "retrieval", "--classifier", "mlp",
                "--out", dir.resolve("x").toString(), "-q"));
        Cli.assertBadInputLine(refused, dir, "--classifier does not apply to --task retrieval");
    }

    @Test
    void aDirectoryOfTheUsersOwnIsRefusedAndLeftAsItWas() throws IOException {
        // The demo deleted report.html and evaluation.json there and replaced real.jsonl and
        // test.jsonl, without a word.
        Path out = Files.createDirectories(dir.resolve("mine"));
        List<String> mine = List.of("real.jsonl", "test.jsonl", RunFiles.REPORT, RunFiles.EVALUATION);
        for (String f : mine) {
            Files.writeString(out.resolve(f), "the user's " + f);
        }
        Cli.Run run = demo(Map.of(), args(out));
        Cli.assertBadInputLine(run, dir, out + ": --out holds files the demo did not write",
                "give a new or empty --out", "delete this directory if an earlier demo wrote it");
        for (String f : mine) {
            assertEquals("the user's " + f, Files.readString(out.resolve(f)), f);
        }
        try (var entries = Files.list(out)) {
            assertEquals(mine.size(), entries.count(), "nothing is added");
        }
        Cli.Run retrieval = demo(Map.of(), List.of("demo", "--task", "retrieval", "--out",
                out.toString(), "-q"));
        Cli.assertBadInputLine(retrieval, dir, out + ": --out holds files the demo did not write");
    }

    @Test
    void anUnknownClassifierIsRefusedBeforeAnEarlierRunIsDeleted() throws IOException {
        Path out = Files.createDirectories(dir.resolve("earlier"));
        Files.writeString(out.resolve(DemoCommand.MARKER), "");
        Files.writeString(out.resolve(RunFiles.EVALUATION), "{\"from\": \"an earlier run\"}");
        List<String> args = new java.util.ArrayList<>(args(out));
        args.addAll(List.of("--classifier", "svm"));
        // evaluate refused it, after generate and align had run and the earlier run was gone
        Cli.assertBadInputLine(demo(Map.of(), args), dir, "--classifier", "svm");
        assertEquals("{\"from\": \"an earlier run\"}", Files.readString(out.resolve(RunFiles.EVALUATION)));
        assertFalse(Files.exists(out.resolve("real.jsonl")), "no data is drawn");
    }

    @Test
    void anUnknownSupersenseIsCalledUnknownAndTheValidOnesNamed() {
        Path out = dir.resolve("unknown");
        Cli.Run run = demo(Map.of(), List.of("demo", "--out", out.toString(), "--labels",
                "noun.animals,noun.food", "-q"));
        // was: "supersense noun.animals has 0 usable glosses, fewer than the 48 asked for"
        Cli.assertBadInputLine(run, dir, "unknown noun supersense 'noun.animals'",
                "noun.animal, noun.artifact", "noun.time");
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void anUnreachableLlmNamesTheEnvironmentVariableThatGaveIt() throws IOException {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: connections are refused
        }
        Cli.Run run = demo(Map.of(DemoCommand.LLM_URL_ENV, "http://127.0.0.1:" + port + "/v1",
                DemoCommand.LLM_MODEL_ENV, "m"), args(dir.resolve("unreachable")));
        assertEquals(2, run.status(), run.toString());
        // the demo has no --llm option to check
        assertTrue(run.err().contains("(check " + DemoCommand.LLM_URL_ENV + ")"), run.err());
        assertFalse(run.err().contains("--llm"), run.err());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> out = new HashSet<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
