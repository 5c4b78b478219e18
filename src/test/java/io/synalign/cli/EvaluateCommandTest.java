package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign evaluate} end to end with the real encoder: a pool whose synthetic half is
 * off-topic junk, weighted by the real aligner ({@code align}), must give an aligned variant
 * closer to the test set than the uniform one; the run directory follows its contract; bad
 * input exits 2 with one line; the same seed gives the same output.
 */
class EvaluateCommandTest {

    @TempDir
    static Path dir;

    /** One embedding cache for every run of the class: each text is embedded once. */
    @TempDir
    static Path cache;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] LABELS = {"sports", "cooking", "finance"};
    private static final TestEncoders.Counter ENCODERS = new TestEncoders.Counter();

    @BeforeAll
    static void pool() throws IOException {
        List<Map<String, Object>> train = new ArrayList<>();
        List<Map<String, Object>> test = new ArrayList<>();
        List<Map<String, Object>> synthetic = new ArrayList<>();
        for (int l = 0; l < LABELS.length; l++) {
            for (String t : TopicTexts.real(LABELS[l], 10, 10 + l)) {
                train.add(row(t, LABELS[l]));
            }
            for (String t : TopicTexts.real(LABELS[l], 15, 20 + l)) {
                test.add(row(t, LABELS[l]));
            }
            List<String> on = TopicTexts.synthetic(LABELS[l], 10, 30 + l);
            List<String> off = TopicTexts.offTopic(10, 40 + l);
            for (int k = 0; k < 10; k++) {
                synthetic.add(row(on.get(k), LABELS[l]));
                synthetic.add(row(off.get(k), LABELS[l]));
            }
        }
        write("train.jsonl", train);
        write("test.jsonl", test);
        write("synth.jsonl", synthetic);
        Cli.Run align = Cli.run(cl -> Cli.align(cl).loader = ENCODERS.loader(), "align",
                "--real", p("train.jsonl"), "--synthetic", p("synth.jsonl"),
                "--out", p("weighted.jsonl"), "--cache-dir", cache.toString(), "--quiet");
        assertEquals(0, align.status(), align.toString());
    }

    private static Map<String, Object> row(String text, String label) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("text", text);
        r.put("label", label);
        return r;
    }

    private static void write(String name, List<Map<String, Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : rows) {
            sb.append(JSON.writeValueAsString(r)).append('\n');
        }
        Files.writeString(dir.resolve(name), sb.toString(), StandardCharsets.UTF_8);
    }

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    private static Cli.Run evaluate(String... args) {
        List<String> a = new ArrayList<>(List.of("evaluate", "--cache-dir", cache.toString(),
                "--quiet", "--max-epochs", "15"));
        if (!List.of(args).contains("--repeats")) {
            a.addAll(List.of("--repeats", "2"));
        }
        a.addAll(List.of(args));
        return Cli.run(cl -> ((EvaluateCommand) cl.getSubcommands().get("evaluate").getCommand())
                .loader = ENCODERS.loader(), a.toArray(String[]::new));
    }

    @Test
    void alignedWeightsBringTheTrainingSetCloserToTheTestSet() throws IOException {
        Cli.Run run = evaluate("--train", p("train.jsonl"), "--synthetic", p("synth.jsonl"),
                "--weighted", p("weighted.jsonl"), "--test", p("test.jsonl"),
                "--run-dir", p("runs/a"), "--seed", "4");
        assertEquals(0, run.status(), run.toString());
        JsonNode e = JSON.readTree(dir.resolve("runs/a").resolve(RunFiles.EVALUATION).toFile());
        assertEquals("format", e.fieldNames().next(), "the format number first");
        assertEquals(1, e.path("format").asInt());
        assertEquals("logreg", e.path("settings").path("--classifier").asText());
        assertEquals(2, e.path("settings").path("--repeats").asInt());
        assertEquals(4, e.path("settings").path("--seed").asLong());
        assertEquals("../../weighted.jsonl", e.path("settings").path("--weighted").asText());
        assertFalse(e.path("settings").has("--hidden"), "logreg has no hidden layer");
        assertTrue(e.path("student").path("patience").isNumber(), e.toString());
        JsonNode v = e.path("variants");
        assertEquals(3, v.size());
        assertEquals(List.of("real", "real+synthetic", "real+aligned"),
                List.of(v.get(0).path("name").asText(), v.get(1).path("name").asText(),
                        v.get(2).path("name").asText()));
        assertEquals(30, v.get(0).path("trainRows").asInt());
        assertEquals(90, v.get(1).path("trainRows").asInt());
        assertEquals(90, v.get(2).path("trainRows").asInt());
        for (JsonNode variant : v) {
            for (String metric : List.of("accuracy", "macroF1")) {
                double mean = variant.path(metric).path("mean").asDouble(-1);
                assertTrue(mean >= 0 && mean <= 1, variant.toString());
                assertTrue(variant.path(metric).path("std").isNumber(), variant.toString());
            }
            assertTrue(variant.path("mmd2ToTest").path("overall").isNumber());
            assertEquals(3, variant.path("mmd2ToTest").path("perLabel").size(), variant.toString());
        }
        assertTrue(v.get(0).path("ess").isNull());
        assertTrue(v.get(1).path("ess").isNull());
        double ess = v.get(2).path("ess").asDouble();
        assertTrue(ess > 1 && ess < 60, "the aligner drops junk, so ESS < 60: " + ess);
        // On-topic real rows train a good classifier of on-topic test rows.
        assertTrue(v.get(0).path("accuracy").path("mean").asDouble() >= 0.9, v.toString());

        double uniform = v.get(1).path("mmd2ToTest").path("overall").asDouble();
        double aligned = v.get(2).path("mmd2ToTest").path("overall").asDouble();
        assertTrue(aligned < 0.7 * uniform, "aligned " + aligned + " vs uniform " + uniform);
        for (String label : LABELS) {
            double u = v.get(1).path("mmd2ToTest").path("perLabel").path(label).asDouble();
            double w = v.get(2).path("mmd2ToTest").path("perLabel").path(label).asDouble();
            assertTrue(w < u, label + ": aligned " + w + " vs uniform " + u);
        }
        assertTrue(run.out().contains("real+aligned"), run.out());
        assertTrue(run.out().contains("±"), run.out());

        // Each repeat's test predictions (a class index a row) and the test labels once: they
        // score the macro-F1 and accuracy values recorded, and report resamples them.
        assertEquals(List.of(LABELS), JSON.convertValue(e.path("classes"), List.class));
        int[] truth = JSON.convertValue(e.path("testLabels"), int[].class);
        assertEquals(45, truth.length);
        assertEquals(0, truth[0]);
        for (JsonNode variant : v) {
            int[][] predicted = JSON.convertValue(variant.path("testPredictions"), int[][].class);
            assertEquals(2, predicted.length, variant.toString());
            for (int r = 0; r < predicted.length; r++) {
                io.synalign.evaluation.ClassificationScores s =
                        io.synalign.evaluation.ClassificationScores.of(truth, predicted[r]);
                assertEquals(variant.path("macroF1").path("values").get(r).asDouble(),
                        s.macroF1(), 0);
                assertEquals(variant.path("accuracy").path("values").get(r).asDouble(),
                        s.accuracy(), 0);
            }
        }
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("runs/a"));
        assertEquals(0, report.status(), report.toString());
        String html = Files.readString(dir.resolve("runs/a").resolve(RunFiles.REPORT));
        assertTrue(html.contains("a paired bootstrap over 45 test rows and a paired t over 2 repeats,"
                + " combined"), html);
    }

    @Test
    void summaryHoldsTheRunDirectoryDocumentWithPathsRelativeToItself() throws IOException {
        Files.createDirectories(dir.resolve("out"));
        Cli.Run run = evaluate("--real", p("train.jsonl"), "--test", p("test.jsonl"), "--repeats", "1",
                "--summary", p("out/e.json"), "--run-dir", p("runs/s"), "--seed", "2");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("wrote " + p("out/e.json")), run.out());
        JsonNode summary = JSON.readTree(dir.resolve("out/e.json").toFile());
        JsonNode inRun = JSON.readTree(dir.resolve("runs/s").resolve(RunFiles.EVALUATION).toFile());
        assertEquals(1, inRun.path("format").asInt(), "the run document's format number");
        ((com.fasterxml.jackson.databind.node.ObjectNode) inRun).remove("format");
        assertEquals(inRun, summary, "one document, written twice (the run directory's numbered)");
        assertEquals("../../train.jsonl", summary.path("settings").path("--train").asText());
        // Without a run directory the paths are relative to the summary's folder.
        assertEquals(0, evaluate("--real", p("train.jsonl"), "--test", p("test.jsonl"), "--repeats", "1",
                "--summary", p("out/f.json"), "--seed", "2").status());
        assertEquals("../train.jsonl", JSON.readTree(dir.resolve("out/f.json").toFile())
                .path("settings").path("--train").asText());
    }

    @Test
    void sameSeedSameOutputAndAlignedFileIsUniform() throws IOException {
        // An "aligned" file: the on-topic synthetic rows only.
        List<Map<String, Object>> rows = new ArrayList<>();
        for (JsonNode r : readJsonl("weighted.jsonl")) {
            if (!r.path("text").asText().startsWith("Astronomers")) {
                rows.add(row(r.path("text").asText(), r.path("label").asText()));
            }
        }
        write("aligned.jsonl", rows);
        String[] args = {"--train", p("train.jsonl"), "--synthetic", p("synth.jsonl"),
            "--aligned", p("aligned.jsonl"), "--test", p("test.jsonl"), "--classifier", "mlp",
            "--hidden", "8", "--seed", "9", "--repeats", "1"};
        Cli.Run a = evaluate(withRunDir(args, "runs/b1"));
        Cli.Run b = evaluate(withRunDir(args, "runs/b2"));
        assertEquals(0, a.status(), a.toString());
        String ja = Files.readString(dir.resolve("runs/b1").resolve(RunFiles.EVALUATION));
        String jb = Files.readString(dir.resolve("runs/b2").resolve(RunFiles.EVALUATION));
        assertEquals(ja.replace("runs/b1", "runs/bX"), jb.replace("runs/b2", "runs/bX"));
        assertEquals(a.out().replace("runs/b1", "runs/bX"), b.out().replace("runs/b2", "runs/bX"));
        JsonNode e = JSON.readTree(ja);
        assertEquals("mlp", e.path("settings").path("--classifier").asText());
        // one repeat: no spread to report (null, "n/a"), not a claimed std of 0
        assertTrue(e.path("variants").get(0).path("accuracy").path("std").isNull(), ja);
        assertTrue(e.path("variants").get(0).path("accuracy").path("mean").isNumber(), ja);
        assertTrue(a.out().contains(" ± n/a") && !a.out().contains("± 0.0000"), a.out());
        // Key order is part of "identical output" across processes too: mean, then std.
        assertTrue(ja.matches("(?s).*\"accuracy\" : \\{\\s*\"mean\" : [^,]+,\\s*\"std\".*"), ja);
        JsonNode aligned = e.path("variants").get(2);
        assertEquals("real+aligned", aligned.path("name").asText());
        assertEquals(30 + rows.size(), aligned.path("trainRows").asInt());
        assertTrue(aligned.path("ess").isNull());
        assertTrue(aligned.path("mmd2ToTest").path("overall").asDouble()
                < e.path("variants").get(1).path("mmd2ToTest").path("overall").asDouble());
    }

    private static String[] withRunDir(String[] args, String run) {
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--run-dir", p(run)));
        return a.toArray(String[]::new);
    }

    private static List<JsonNode> readJsonl(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(name))) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    /** A test set that shares texts with --train is named: its scores are optimistic. */
    @Test
    void aTestSetSharingTextsWithTrainIsNoted() throws IOException {
        // (and --weighted may hold some of --synthetic's rows in its order: run after --dedup)
        List<String> lines = Files.readAllLines(dir.resolve("weighted.jsonl"));
        Files.write(dir.resolve("fewer.jsonl"), lines.subList(1, lines.size()));
        Cli.Run fewer = evaluate("--train", p("train.jsonl"), "--synthetic", p("synth.jsonl"),
                "--weighted", p("fewer.jsonl"), "--test", p("test.jsonl"), "--repeats", "1");
        assertEquals(0, fewer.status(), fewer.toString());
        Cli.Run run = evaluate("--train", p("train.jsonl"), "--test", p("train.jsonl"),
                "--repeats", "1");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("note: (\\d+) of \\1 --test texts also"
                + " occur in --train .*train.jsonl: the scores are optimistic")), run.out());
        Cli.Run apart = evaluate("--train", p("train.jsonl"), "--test", p("test.jsonl"),
                "--repeats", "1");
        assertFalse(apart.out().contains("note:"), apart.out());
    }

    @Test
    void badInputExitsTwoWithOneLine() throws IOException {
        Files.writeString(dir.resolve("badweight.jsonl"),
                "{\"text\":\"a b c\",\"label\":\"sports\",\"synalign_weight\":0.5}\n"
                        + "{\"text\":\"d e f\",\"label\":\"sports\",\"synalign_weight\":\"heavy\"}\n");
        Files.writeString(dir.resolve("badlabel.jsonl"),
                "{\"text\":\"a b c\",\"label\":\"sports\"}\n{\"text\":\"g h\",\"label\":\"weather\"}\n");
        Files.writeString(dir.resolve("afile"), "x");
        // Another set's weights: a text changed, or the rows out of order (a subset in order,
        // as run writes after --dedup, is accepted: fewer.jsonl in the test below).
        List<String> lines = Files.readAllLines(dir.resolve("weighted.jsonl"));
        List<String> changed = new ArrayList<>(lines);
        JsonNode third = JSON.readTree(changed.get(2));
        ((com.fasterxml.jackson.databind.node.ObjectNode) third).put("text", "another text");
        changed.set(2, JSON.writeValueAsString(third));
        Files.write(dir.resolve("changed.jsonl"), changed);
        List<String> swapped = new ArrayList<>(lines);
        java.util.Collections.swap(swapped, 0, lines.size() - 1);
        Files.write(dir.resolve("swapped.jsonl"), swapped);
        String[][] cases = {
            {"changed.jsonl:3: not a row of --synthetic", "weighted output of align or run",
                "--train", p("train.jsonl"), "--synthetic", p("synth.jsonl"), "--weighted",
                p("changed.jsonl"), "--test", p("test.jsonl")},
            {"swapped.jsonl:", "(in its order)", "--train", p("train.jsonl"), "--synthetic",
                p("synth.jsonl"), "--weighted", p("swapped.jsonl"), "--test", p("test.jsonl")},
            {"badweight.jsonl:2", "heavy", "--train", p("train.jsonl"), "--synthetic",
                p("synth.jsonl"), "--weighted", p("badweight.jsonl"), "--test", p("test.jsonl")},
            {"badlabel.jsonl:2", "weather", "--train", p("train.jsonl"), "--test",
                p("badlabel.jsonl")},
            {"--weighted needs --synthetic", "", "--train", p("train.jsonl"), "--weighted",
                p("weighted.jsonl"), "--test", p("test.jsonl")},
            {"--classifier 'svm'", "", "--train", p("train.jsonl"), "--test", p("test.jsonl"),
                "--classifier", "svm"},
            {"--run-dir", "not a directory", "--train", p("train.jsonl"), "--test",
                p("test.jsonl"), "--run-dir", p("afile")},
            {"--repeats", "0", "--train", p("train.jsonl"), "--test", p("test.jsonl"),
                "--repeats", "0"},
            // below a file: it could only fail when evaluation.json is written, after training
            {"cannot be created", "afile", "--train", p("train.jsonl"), "--test",
                p("test.jsonl"), "--run-dir", p("afile/run")},
        };
        int loadsBefore = ENCODERS.loads.get();
        for (String[] c : cases) {
            String[] args = java.util.Arrays.copyOfRange(c, 2, c.length);
            Cli.Run run = evaluate(args);
            assertEquals(ExitCodes.BAD_INPUT, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            String line = run.errLines().get(0);
            assertTrue(line.startsWith(CliErrors.PREFIX) && line.contains(c[0])
                    && line.contains(c[1]), line);
        }
        assertEquals(loadsBefore, ENCODERS.loads.get(), "bad input is found before the model loads");
        assertFalse(Files.exists(dir.resolve("afile").resolve(RunFiles.EVALUATION)));
    }

    @Test
    void hiddenUnitsAreRefusedForTheLogisticRegression() {
        Cli.Run run = evaluate("--train", p("train.jsonl"), "--test", p("test.jsonl"),
                "--hidden", "64");
        assertEquals(2, run.status(), run.toString());
        assertTrue(run.err().contains("--hidden does not apply to --classifier logreg"), run.err());
    }
}
