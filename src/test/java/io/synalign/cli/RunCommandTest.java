package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

/** {@code synalign run}: generate, align, sample; offline baseline and the fake LLM server. */
class RunCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VAR = "SYNALIGN_TEST_KEY";
    private static final List<String> POS = List.of("I loved the film, great acting", "Wonderful soundtrack and story",
            "A delightful evening at the cinema", "Superb direction, would watch again", "The cast was brilliant",
            "Heartwarming and funny throughout", "Beautiful photography in every scene", "An instant classic for me");
    private static final List<String> NEG = List.of("Boring and far too long", "The plot made no sense",
            "Terrible dialogue, wooden acting", "I walked out halfway");

    @TempDir
    Path dir;
    private String key;

    @BeforeEach
    void writeReal() throws IOException {
        key = "sk-test-" + Long.toHexString(new Random().nextLong());
        StringBuilder sb = new StringBuilder();
        for (String t : POS) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "pos")).append('\n');
        }
        for (String t : NEG) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "neg")).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    private Cli.Run run(Map<String, String> env, List<String> args) {
        return Cli.run(cl -> {
            RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
            cmd.loader = (spec, options) -> new GenerateCommandTest.HashEncoder();
            cmd.environment = env;
            cmd.builderHook = b -> b.sleeper(d -> { });
        }, args.toArray(String[]::new));
    }

    private List<String> base(String llm, String out, String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--real", p("real.jsonl"), "--out", p(out),
                "--llm", llm, "--no-cache", "--seed", "5", "--backend", "reference", "--quiet"));
        a.addAll(List.of(extra));
        return a;
    }

    private List<String> server(FakeOpenAiServer server, String out, String... extra) {
        List<String> a = base(server.baseUrl(), out, "--model", "fake-model", "--api-key-env", KEY_VAR,
                "--synthetic-per-label", "6", "--samples-per-summary", "3", "--demos-per-prompt", "2");
        a.addAll(List.of(extra));
        return a;
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

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> !f.getFileName().toString().equals("real.jsonl")).toList();
        }
    }

    @Test
    void leakageAgainstRemovesTheNamedRowsBeforeAlignment() throws IOException {
        // First run: every generated row. Then name two of them as a test set: with the hash
        // encoder only identical texts reach a cosine of 0.999, so exactly those two must go.
        List<String> first = base("offline", "a.jsonl", "--synthetic-out", p("all.jsonl"), "--synthetic-per-label", "6");
        assertEquals(0, run(Map.of(), first).status());
        List<String> generated = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("all.jsonl"))) {
            generated.add(JSON.readTree(l).path("text").asText());
        }
        StringBuilder test = new StringBuilder();
        for (String t : List.of(generated.get(1), generated.get(7))) {
            test.append(JSON.createObjectNode().put("text", t)).append('\n');
        }
        Files.writeString(dir.resolve("test.jsonl"), test);
        Cli.Run filtered = run(Map.of(), base("offline", "b.jsonl", "--synthetic-out", p("all2.jsonl"),
                "--weighted-out", p("w.jsonl"), "--synthetic-per-label", "6", "--leakage-against",
                p("test.jsonl"), "--dedup", "--filter-threshold", "0.999", "--summary", p("s.json"),
                "--run-dir", p("rd")));
        assertEquals(0, filtered.status(), filtered.toString());
        // The removals are recorded beside the generated count (they were on stdout only).
        for (JsonNode doc : List.of(JSON.readTree(dir.resolve("s.json").toFile()),
                JSON.readTree(dir.resolve("rd").resolve(io.synalign.pipeline.RunFiles.GENERATION).toFile()))) {
            JsonNode f = doc.path("filter");
            assertEquals(2, f.path("removed_leaking").asInt(), doc.toString());
            assertEquals(0, f.path("removed_near_duplicates").asInt(), doc.toString());
            assertEquals(generated.size() - 2, f.path("aligned").asInt(), doc.toString());
            assertEquals(2, f.path("removed_per_label").path("pos").asInt() + f.path("removed_per_label")
                    .path("neg").asInt(), doc.toString());
            assertEquals(0.999, f.path("threshold").asDouble(), 0.0);
        }
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("rd"), "--out", p("rd/r.html"));
        assertEquals(0, report.status(), report.toString());
        String html = Files.readString(dir.resolve("rd/r.html"));
        assertTrue(html.contains("id=\"generation-filter\">Before alignment, rows at a cosine of 0.999 or"
                + " more were removed: 2 leaking the reference sets, 0 near-duplicates"), html);
        assertTrue(filtered.out().contains("removed 2 rows leaking --leakage-against and 0 near-duplicates"),
                filtered.out());
        assertEquals(Files.readAllLines(dir.resolve("all.jsonl")), Files.readAllLines(dir.resolve("all2.jsonl")),
                "--synthetic-out still holds every generated row");
        List<String> weighted = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("w.jsonl"))) {
            weighted.add(JSON.readTree(l).path("text").asText());
        }
        List<String> want = new ArrayList<>(generated);
        want.remove(7);
        want.remove(1);
        assertEquals(want, weighted, "the aligned rows are the generated rows less the leaking ones");
        Cli.assertBadInputLine(run(Map.of(), base("offline", "c.jsonl", "--filter-threshold", "0.9")), dir,
                "--filter-threshold applies with --dedup or --leakage-against");
    }

    /** run's real rows are generate's demonstrations: a blank text is refused as generate refuses it. */
    @Test
    void aBlankRealTextIsRefusedNamingItsLine() throws IOException {
        Files.writeString(dir.resolve("real.jsonl"), "{\"text\":\"   \",\"label\":\"neg\"}\n",
                StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        int line = Files.readAllLines(dir.resolve("real.jsonl")).size();
        Cli.assertBadInputLine(run(Map.of(), base("offline", "blank.jsonl", "--synthetic-per-label", "4")),
                dir, "@/real.jsonl:" + line + ": text field 'text' is blank (only whitespace)");
        assertEquals(List.of(), files(), "nothing written");
    }

    @Test
    void offlineEndToEndWritesAnAlignedSubsetOfTheGeneratedRowsWithRealLabelShares() throws IOException {
        Cli.Run r = run(Map.of(), base("offline", "aligned.jsonl", "--synthetic-per-label", "10",
                "--synthetic-out", p("synth.jsonl"), "--weighted-out", p("weighted.jsonl"),
                "--summary", p("summary.json")));
        assertEquals(0, r.status(), r.toString());
        List<JsonNode> synth = read(dir.resolve("synth.jsonl"));
        List<JsonNode> weighted = read(dir.resolve("weighted.jsonl"));
        List<JsonNode> aligned = read(dir.resolve("aligned.jsonl"));
        Map<String, Integer> counts = new HashMap<>();
        synth.forEach(s -> counts.merge(s.path("label").asText(), 1, Integer::sum));
        assertEquals(Map.of("pos", 10, "neg", 10), counts);
        assertEquals(synth.size(), weighted.size());

        Map<String, Double> shares = new HashMap<>();
        int support = 0;
        Set<String> generated = new HashSet<>();
        for (int i = 0; i < synth.size(); i++) {
            double w = weighted.get(i).path(TextAlignOptions.WEIGHT_FIELD).asDouble();
            shares.merge(weighted.get(i).path("label").asText(), w, Double::sum);
            support += w > 0 ? 1 : 0;
            generated.add(synth.get(i).toString());
            assertEquals(synth.get(i).path("text"), weighted.get(i).path("text"));
        }
        assertEquals(8.0 / 12, shares.get("pos"), 1e-9, "weight share = real share");
        assertEquals(4.0 / 12, shares.get("neg"), 1e-9);

        assertEquals(Math.max(1, support / 2), aligned.size(),
                "default N: half the rows with a positive weight");
        Set<String> seen = new HashSet<>();
        for (JsonNode a : aligned) {
            assertTrue(seen.add(a.toString()), "no duplicates: " + a);
            assertTrue(generated.contains(a.toString()), "one of the generated rows: " + a);
        }
        JsonNode summary = JSON.readTree(dir.resolve("summary.json").toFile());
        assertEquals(20, summary.path("generation").path("generated").asInt());
        assertEquals(aligned.size(), summary.path("alignment").path("sample").path("n").asInt());
        assertEquals(2, summary.path("alignment").path("labels").size());
    }

    @Test
    void oneEncoderLoadPerRunAndEachRealTextEmbeddedOnce() throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3)) {
            List<String> args = server(server, "aligned.jsonl", "--synthetic-out", p("synth.jsonl"),
                    "--run-dir", p("rd"));
            Cli.Run r = Cli.run(cl -> {
                RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
                cmd.loader = (spec, options) -> {
                    counter.loads.incrementAndGet();
                    return new TestEncoders.Counting(new GenerateCommandTest.HashEncoder(), counter);
                };
                cmd.environment = Map.of(KEY_VAR, key);
                cmd.builderHook = b -> b.sleeper(d -> { });
            }, args.toArray(String[]::new));
            assertEquals(0, r.status(), r.toString());
            int synthetic = read(dir.resolve("synth.jsonl")).size();
            assertEquals(12, synthetic);
            // Selection, alignment and coverage all read the one embedding of the real rows.
            assertEquals(1, counter.loads.get(), "one encoder per run");
            assertEquals(2, counter.encodeCalls.get(), "the real rows once, the synthetic rows once");
            assertEquals(POS.size() + NEG.size() + synthetic, counter.textsEncoded.get());
            assertTrue(Files.exists(dir.resolve("rd").resolve(RunFiles.GENERATION)));
        }
    }

    /**
     * A model that hands a demonstration back in every samples reply: the "generation" section of
     * run's --summary counts the copies dropped ({@code rejected_copies_of_real}) apart from
     * repeats; no test read that field.
     */
    @Test
    void theSummaryCountsCopiesOfRealRows() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3).choices((body, valid, n) -> {
            if (!FakeOpenAiServer.schemaOf(body).equals("synalign_samples")) {
                return null;
            }
            String prompt = body.path("messages").get(0).path("content").asText();
            String demo = prompt.substring(prompt.indexOf("Example 1: ") + 11, prompt.indexOf("\nExample 2: "));
            try {
                com.fasterxml.jackson.databind.node.ObjectNode o =
                        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(valid);
                ((com.fasterxml.jackson.databind.node.ArrayNode) o.path("samples")).insertObject(0).put("text", demo);
                return FakeOpenAiServer.choice(o.toString(), "stop");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })) {
            Cli.Run r = run(Map.of(KEY_VAR, key), server(server, "aligned.jsonl", "--summary", p("s.json")));
            assertEquals(0, r.status(), r.toString());
            long samplesCalls = server.bodies.stream()
                    .filter(b -> FakeOpenAiServer.schemaOf(b).equals("synalign_samples")).count();
            assertTrue(samplesCalls > 0);
            JsonNode g = JSON.readTree(dir.resolve("s.json").toFile()).path("generation");
            assertEquals(samplesCalls, g.path("rejected_copies_of_real").asLong(), g.toString());
            assertEquals(samplesCalls, g.path("rejected_duplicates").asLong(), "copies are among the duplicates: " + g);
        }
    }

    @Test
    void explicitSampleSizeIsHonoured() throws IOException {
        Cli.Run r = run(Map.of(), base("offline", "aligned.csv", "--synthetic-per-label", "6", "--sample", "3",
                "--synthetic-out", p("synth.jsonl.gz")));
        assertEquals(0, r.status(), r.toString());
        assertEquals(1 + 3, Files.readAllLines(dir.resolve("aligned.csv")).size(), "header + 3 rows");
        List<io.synalign.data.Record> synth = io.synalign.data.RecordReader.read(dir.resolve("synth.jsonl.gz"));
        assertEquals(12, synth.size(), "every generated row, gzipped JSON Lines");
        assertEquals("offline-eda-baseline", synth.get(0).get("synalign").path("backend").asText());
    }

    @Test
    void reRunWithTheJournalSendsNothingAndWritesIdenticalBytes() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3)) {
            String journal = p("journal");
            Cli.Run first = run(Map.of(KEY_VAR, key), server(server, "a.jsonl", "--journal", journal,
                    "--synthetic-out", p("sa.jsonl"), "--weighted-out", p("wa.jsonl")));
            assertEquals(0, first.status(), first.toString());
            int sent = server.requests.get();
            assertTrue(sent > 0);
            assertEquals(12, read(dir.resolve("sa.jsonl")).size());
            Cli.Run second = run(Map.of(KEY_VAR, key), server(server, "b.jsonl", "--journal", journal,
                    "--synthetic-out", p("sb.jsonl"), "--weighted-out", p("wb.jsonl")));
            assertEquals(0, second.status(), second.toString());
            assertEquals(sent, server.requests.get(), "no new request on the re-run");
            Path journalDir = Path.of(journal).toAbsolutePath().normalize();
            assertTrue(first.out().contains("journal " + journalDir + ": 0 replies replayed, " + sent
                    + " requests sent\n"), first.out());
            assertTrue(second.out().contains("journal " + journalDir + ": " + sent
                    + " replies replayed, 0 requests sent\n"), "the re-run says the journal answered: "
                    + second.out());
            for (String[] pair : new String[][] {{"a.jsonl", "b.jsonl"}, {"sa.jsonl", "sb.jsonl"},
                {"wa.jsonl", "wb.jsonl"}}) {
                assertArrayEquals(Files.readAllBytes(dir.resolve(pair[0])), Files.readAllBytes(dir.resolve(pair[1])),
                        pair[0]);
            }
            long support = read(dir.resolve("wa.jsonl")).stream()
                    .filter(r -> r.path("synalign_weight").asDouble() > 0).count();
            assertEquals(Math.max(1, support / 2), read(dir.resolve("a.jsonl")).size(),
                    "default N: half the rows with a positive weight");
        }
    }

    @Test
    void badInputIsExit2BeforeAnyRequestAndWritesNothing() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3)) {
            Cli.Run badFormat = run(Map.of(KEY_VAR, key), server(server, "aligned.txt", "--summary", p("s.json")));
            assertEquals(2, badFormat.status(), badFormat.toString());
            Cli.Run tooMany = run(Map.of(KEY_VAR, key), server(server, "aligned.jsonl", "--sample", "13",
                    "--synthetic-out", p("synth.jsonl")));
            assertEquals(2, tooMany.status(), tooMany.toString());
            assertTrue(tooMany.err().contains("--sample 13"), tooMany.err());
            assertEquals(0, server.requests.get(), "no LLM request");
            assertEquals(List.of(), files());
        }
    }

    @Test
    void collidingOutputsAreRefusedBeforeAnyRequest() throws IOException {
        Path runDir = Files.createDirectory(dir.resolve("R"));
        Path journalFile = Files.writeString(dir.resolve("j"), "not a directory");
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3)) {
            String[][] cases = {
                {"--summary and --run-dir (generation.json) name the same file",
                    "--summary", runDir.resolve("generation.json").toString(), "--run-dir",
                    runDir.toString()},
                {"--out and --journal name the same path", "--journal", p("aligned.jsonl")},
                {"--journal names a file, not a directory", "--journal", journalFile.toString()},
                {"--journal cannot be created: " + journalFile + " is a file, not a directory",
                    "--journal", journalFile.resolve("sub").toString()},
                // A run directory that does not exist yet: its files still collide (they
                // replaced the summary, or the aligned sample, silently).
                {"--summary and --run-dir (generation.json) name the same file",
                    "--summary", dir.resolve("new/generation.json").toString(), "--run-dir",
                    dir.resolve("new").toString()},
            };
            for (String[] c : cases) {
                Cli.Run r = run(Map.of(KEY_VAR, key), server(server, "aligned.jsonl",
                        java.util.Arrays.copyOfRange(c, 1, c.length)));
                assertEquals(2, r.status(), r.toString());
                assertEquals(1, r.errLines().size(), r.toString());
                assertTrue(r.err().contains(c[0]), r.err());
            }
            assertEquals(0, server.requests.get(), "no LLM request");
            assertEquals(java.util.Set.of(journalFile, runDir), java.util.Set.copyOf(files()));
            assertEquals("not a directory", Files.readString(journalFile));
            try (Stream<Path> s = Files.list(runDir)) {
                assertEquals(0, s.count());
            }
        }
    }

    @Test
    void unauthorizedStopsWithTheServersMessageAndWritesNothing() throws IOException {
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(3)) {
            Cli.Run r = run(Map.of(KEY_VAR, "sk-wrong"), server(server, "aligned.jsonl",
                    "--synthetic-out", p("synth.jsonl"), "--summary", p("s.json")));
            assertEquals(2, r.status(), r.toString());
            assertTrue(r.err().contains("HTTP 401") && r.err().contains("Incorrect API key provided"), r.err());
            assertEquals(List.of(), files());
        }
    }

    @Test
    void ggufModelRunsGenerateThenAlign() throws IOException {
        Path model = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(8));
        String journal = p("journal");
        Cli.Run r = run(Map.of(), base("gguf:" + model, "aligned.jsonl", "--synthetic-per-label", "4",
                "--samples-per-summary", "2", "--demos-per-prompt", "2", "--min-chars", "1", "--max-chars", "24",
                "--synthetic-out", p("synth.jsonl"), "--journal", journal));
        assertEquals(0, r.status(), r.toString());
        List<JsonNode> synth = read(dir.resolve("synth.jsonl"));
        assertEquals(8, synth.size());
        for (JsonNode row : synth) {
            assertEquals("gguf", row.path("synalign").path("backend").asText(), row.toString());
            assertEquals("tiny.gguf", row.path("synalign").path("model").asText(), row.toString());
        }
        List<JsonNode> aligned = read(dir.resolve("aligned.jsonl"));
        assertTrue(!aligned.isEmpty() && aligned.size() <= 4, "default N: at most half of 8");
        Set<String> generated = new HashSet<>();
        synth.forEach(row -> generated.add(row.toString()));
        for (JsonNode a : aligned) {
            assertTrue(generated.contains(a.toString()), "one of the generated rows: " + a);
        }
        // The journal holds every call with the gguf backend and model name in its key material.
        List<String> lines = Files.readAllLines(dir.resolve("journal").resolve("calls.jsonl"));
        assertFalse(lines.isEmpty());
        for (String l : lines) {
            JsonNode e = JSON.readTree(l);
            assertEquals("gguf", e.path("backend").asText());
            assertEquals("tiny.gguf", e.path("model").asText());
        }
    }
}
