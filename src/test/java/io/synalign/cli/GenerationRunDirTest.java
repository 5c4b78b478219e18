package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.generation.GenerationPipeline;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --run-dir} and {@code run --run-dir}: generation.json and its coverage. */
class GenerationRunDirTest {

    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    private List<String> writeReal() throws IOException {
        StringBuilder sb = new StringBuilder();
        List<String> pos = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            String t = "a truly wonderful and delightful film number " + i + " with a happy ending";
            pos.add(t);
            sb.append(JSON.createObjectNode().put("text", t).put("label", "pos")).append('\n');
        }
        for (int i = 0; i < 5; i++) {
            sb.append(JSON.createObjectNode().put("text", "a dull and tedious movie, part " + i
                    + ", that nobody should watch").put("label", "neg")).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), sb.toString(), StandardCharsets.UTF_8);
        return pos;
    }

    private Cli.Run generate(String... args) {
        return Cli.run(cl -> ((GenerateCommand) cl.getSubcommands().get("generate").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(), args);
    }

    /**
     * A label asked for no rows (--synthetic-rows 1 over two labels: neg gets 0) chose no
     * demonstrations: no coverage figure on the terminal, in generation.json or in the report
     * (it got the coverage of a one-group selection that no batch made).
     */
    @Test
    void aLabelAskedForNoRowsHasNoCoverage() throws IOException {
        writeReal();
        Path run = dir.resolve("rd");
        Cli.Run r = generate("generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
                dir.resolve("s.jsonl").toString(), "--llm", "offline", "--synthetic-rows", "1",
                "--seed", "3", "--no-cache", "--backend", "reference", "--run-dir", run.toString());
        assertEquals(0, r.status(), r.toString());
        JsonNode g = JSON.readTree(run.resolve(RunFiles.GENERATION).toFile());
        assertEquals("format", g.fieldNames().next(), "the format number first");
        assertEquals(1, g.path("format").asInt());
        JsonNode neg = g.path("perLabel").path("neg");
        assertEquals(0, neg.path("generated").asInt(), g.toString());
        assertEquals(0, neg.path("demonstrations").asInt(), neg.toString());
        assertTrue(neg.path("coverageMmd2").isNull(), neg.toString());
        assertTrue(g.path("perLabel").path("pos").path("coverageMmd2").path("gp").isNumber());
        assertTrue(r.err().contains("demonstration coverage, label neg: n/a (no rows were asked of"
                + " the label, so no demonstrations were chosen)"), r.err());
        assertFalse(r.err().contains("label neg: 1 GP-selected"), r.err());
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", run.toString(), "--out",
                run.resolve("r.html").toString());
        assertEquals(0, report.status(), report.toString());
        String html = Files.readString(run.resolve("r.html"));
        int at = html.indexOf("data-label=\"neg\"");
        String row = html.substring(at, html.indexOf("</tr>", at));
        assertTrue(row.endsWith("<td>0</td><td>-</td><td>-</td>"), row);
    }

    @Test
    void offlineGenerateWritesGenerationJsonWithCoverage() throws IOException {
        List<String> pos = writeReal();
        Path run = dir.resolve("runs/one"); // created, parents too
        Cli.Run r = generate("generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
                dir.resolve("s.jsonl").toString(), "--llm", "offline", "--synthetic-per-label", "12",
                "--samples-per-summary", "5", "--demos-per-prompt", "2", "--seed", "3",
                "--no-cache", "--backend", "reference", "--run-dir", run.toString());
        assertEquals(0, r.status(), r.toString());
        JsonNode g = JSON.readTree(run.resolve(RunFiles.GENERATION).toFile());
        assertEquals("offline (EDA baseline)", g.path("generator").asText());
        assertEquals(3, g.path("settings").path("--seed").asLong());
        assertEquals("offline", g.path("settings").path("--llm").asText());
        assertEquals(12, g.path("settings").path("--synthetic-per-label").asInt());
        assertEquals("../../real.jsonl", g.path("settings").path("--real").asText());
        for (String unused : List.of("--model", "--journal", "--request-timeout", "--concurrency")) {
            assertFalse(g.path("settings").has(unused), unused + " does not apply offline");
        }
        List<String> order = new ArrayList<>();
        g.path("perLabel").fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("pos", "neg"), order);
        JsonNode p = g.path("perLabel").path("pos");
        assertEquals(9, p.path("real").asInt());
        assertEquals(12, p.path("generated").asInt());
        assertEquals(5, g.path("perLabel").path("neg").path("real").asInt());
        // ceil(12 / 5) = 3 groups of 2 rows over 9 rows: 6 distinct demonstrations.
        assertEquals(6, p.path("demonstrations").asInt());
        assertTrue(p.path("coverageMmd2").path("random").path("mean").asDouble() > 0, p.toString());
        assertTrue(p.path("coverageMmd2").path("random").path("std").isNumber(), p.toString());

        // The gp value, recomputed independently: the same selection, a double-precision MMD^2.
        FloatMatrix x = new GenerateCommandTest.HashEncoder().encode(pos, null);
        try (KernelBackend backend = KernelBackends.create("reference")) {
            int[] demos = GenerationPipeline.firstBatchDemonstrations(backend, x, 12, 2, 5, 3, 0);
            assertEquals(6, demos.length);
            double sigma = WeightedMmd.bandwidth(backend, 3, x);
            double[][] all = new double[x.rows()][];
            for (int i = 0; i < x.rows(); i++) {
                all[i] = new double[x.cols()];
                for (int j = 0; j < x.cols(); j++) {
                    all[i][j] = x.get(i, j);
                }
            }
            double[][] sel = new double[demos.length][];
            double[] ones = new double[demos.length];
            for (int i = 0; i < demos.length; i++) {
                sel[i] = all[demos[i]];
                ones[i] = 1;
            }
            double want = io.synalign.engine.alignment.WeightedMmdTest.referenceMmd2(sel, ones, all, sigma);
            assertEquals(want, p.path("coverageMmd2").path("gp").asDouble(), 1e-6 + 1e-4 * want);
        }
        assertTrue(r.err().contains("demonstration coverage, label pos: 6 GP-selected of 9 real rows"),
                r.err());
    }

    @Test
    void runWritesGenerationJsonAndABadRunDirIsRejectedFirst() throws IOException {
        writeReal();
        Files.writeString(dir.resolve("file"), "x");
        List<String> base = List.of("run", "--real", dir.resolve("real.jsonl").toString(),
                "--out", dir.resolve("aligned.jsonl").toString(), "--llm", "offline",
                "--synthetic-per-label", "8", "--no-cache", "--backend", "reference", "--quiet");
        List<String> bad = new ArrayList<>(base);
        bad.addAll(List.of("--run-dir", dir.resolve("file").toString()));
        Cli.Run r = Cli.run(cl -> ((RunCommand) cl.getSubcommands().get("run").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                bad.toArray(String[]::new));
        assertEquals(ExitCodes.BAD_INPUT, r.status(), r.toString());
        assertEquals(1, r.errLines().size(), r.toString());
        assertTrue(r.errLines().get(0).contains("not a directory"), r.toString());
        assertFalse(Files.exists(dir.resolve("aligned.jsonl")));

        List<String> good = new ArrayList<>(base);
        good.addAll(List.of("--run-dir", dir.resolve("rd").toString()));
        r = Cli.run(cl -> ((RunCommand) cl.getSubcommands().get("run").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                good.toArray(String[]::new));
        assertEquals(0, r.status(), r.toString());
        JsonNode g = JSON.readTree(dir.resolve("rd").resolve(RunFiles.GENERATION).toFile());
        assertEquals(8, g.path("perLabel").path("neg").path("generated").asInt());
        assertTrue(g.path("perLabel").path("neg").path("coverageMmd2").path("gp").isNumber());
    }

    /**
     * The flow the README teaches: outputs placed in a run directory that does not exist yet.
     * The run directory is created before anything is written, so they pass; an output in a
     * missing directory that is not the run directory is still refused before any work.
     */
    @Test
    void outputsMayLieInTheRunDirectoryTheCommandCreates() throws IOException {
        writeReal();
        Path rd = dir.resolve("new/run");
        Cli.Run r = Cli.run(cl -> ((RunCommand) cl.getSubcommands().get("run").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                "run", "--real", dir.resolve("real.jsonl").toString(), "--out",
                rd.resolve("aligned.jsonl").toString(), "--synthetic-out",
                rd.resolve("synthetic.jsonl").toString(), "--llm", "offline",
                "--synthetic-per-label", "8", "--no-cache", "--backend", "reference", "--quiet",
                "--run-dir", rd.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(Files.isRegularFile(rd.resolve("aligned.jsonl")));
        assertTrue(Files.isRegularFile(rd.resolve("synthetic.jsonl")));
        assertTrue(Files.isRegularFile(rd.resolve(RunFiles.ALIGNMENT)));
        assertEquals("aligned.jsonl", JSON.readTree(rd.resolve(RunFiles.ALIGNMENT).toFile())
                .path("settings").path("--out").asText(), "relative to the run directory");

        Path rd2 = dir.resolve("gen-run");
        Cli.Run g = generate("generate", "--real", dir.resolve("real.jsonl").toString(), "--out",
                rd2.resolve("s.jsonl").toString(), "--llm", "offline", "--synthetic-per-label", "4",
                "--no-cache", "--backend", "reference", "--run-dir", rd2.toString());
        assertEquals(0, g.status(), g.toString());
        assertTrue(Files.isRegularFile(rd2.resolve("s.jsonl")));
        assertTrue(Files.isRegularFile(rd2.resolve(RunFiles.GENERATION)));

        Path elsewhere = dir.resolve("missing/aligned.jsonl");
        Cli.Run bad = Cli.run(cl -> ((RunCommand) cl.getSubcommands().get("run").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                "run", "--real", dir.resolve("real.jsonl").toString(), "--out",
                elsewhere.toString(), "--llm", "offline", "--no-cache", "--quiet",
                "--run-dir", dir.resolve("rd3").toString());
        assertEquals(2, bad.status(), bad.toString());
        assertTrue(bad.err().contains("output directory " + elsewhere.getParent()
                + " does not exist"), bad.err());
        assertFalse(Files.exists(dir.resolve("rd3")), "nothing created");
    }

    @Test
    void runWritesWhatAlignWritesSoTheReportIsComplete() throws IOException {
        writeReal();
        Path rd = dir.resolve("complete");
        Cli.Run r = Cli.run(cl -> ((RunCommand) cl.getSubcommands().get("run").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                "run", "--real", dir.resolve("real.jsonl").toString(), "--out",
                dir.resolve("aligned2.jsonl").toString(), "--llm", "offline", "--synthetic-per-label", "8",
                "--no-cache", "--backend", "reference", "--quiet", "--run-dir", rd.toString());
        assertEquals(0, r.status(), r.toString());
        for (String f : RunFiles.ARTEFACTS) {
            if (!f.equals(RunFiles.EVALUATION)) {
                assertTrue(Files.exists(rd.resolve(f)), f + " written by run --run-dir");
            }
        }
        assertTrue(r.out().contains("wrote the run directory " + rd + " (" + RunFiles.ALIGNMENT)
                && r.out().contains(RunFiles.GENERATION + ", " + RunFiles.TEST + "); 'synalign report --run " + rd + "'"),
                r.out());
        for (String f : List.of(RunFiles.ALIGNMENT, RunFiles.LABELS, RunFiles.GENERATION, RunFiles.TEST)) {
            JsonNode doc = JSON.readTree(rd.resolve(f).toFile());
            assertEquals("format", doc.fieldNames().next(), f + ": the format number first");
            assertEquals(1, doc.path("format").asInt(), f);
        }
        JsonNode alignment = JSON.readTree(rd.resolve(RunFiles.ALIGNMENT).toFile());
        assertEquals(16, JSON.readTree(rd.resolve(RunFiles.LABELS).toFile()).path("synthetic").size());
        // Each document states its step's settings: the LLM in generation.json, the engine in
        // alignment.json, the shared ones (seed, encoder, backend) in both.
        JsonNode generation = JSON.readTree(rd.resolve(RunFiles.GENERATION).toFile());
        assertFalse(alignment.path("settings").has("--llm"), alignment.toString());
        assertTrue(alignment.path("settings").has("--bandwidth"), alignment.toString());
        assertTrue(generation.path("settings").has("--llm"), generation.toString());
        assertFalse(generation.path("settings").has("--bandwidth"), generation.toString());
        assertEquals(alignment.path("settings").path("--seed"),
                generation.path("settings").path("--seed"));
        assertEquals(WeightedDraw.defaultSize(alignment.path("n_positive_weight").asInt()),
                alignment.path("settings").path("--sample").asInt(), "the sample size as drawn");
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", rd.toString());
        assertEquals(0, report.status(), report.toString());
        String html = Files.readString(rd.resolve(RunFiles.REPORT));
        for (String section : List.of("weights", "mmd", "pca", "pca-weighted")) {
            assertFalse(html.contains("id=\"" + section + "-not-run\""), section + " is shown");
        }
    }

    @Test
    void credentialsInTheLlmUrlAreNotWritten() {
        assertEquals("http://host:8000/v1",
                GenerationCoverage.withoutCredentials("http://user:secret@host:8000/v1"));
        assertEquals("offline", GenerationCoverage.withoutCredentials("offline"));
    }
}
