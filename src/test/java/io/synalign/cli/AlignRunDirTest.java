package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.NpyReader;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align --run-dir}: the run directory holds the summary with every option value, the
 * weighted records, both embedding matrices (rows in input order, equal to what the encoder
 * gives) and the labels; it is written with the other outputs or not at all; and
 * {@code report} reads it. Uses the deterministic hash encoder and the real learner
 * (reference backend).
 */
class AlignRunDirTest {

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private final List<String> realTexts = new ArrayList<>();
    private final List<String> realLabels = new ArrayList<>();
    private final List<String> synthTexts = new ArrayList<>();
    private final List<String> synthLabels = new ArrayList<>();

    @BeforeEach
    void pool() throws IOException {
        String[] labels = {"a", "b<&>\"c"};
        StringBuilder real = new StringBuilder();
        StringBuilder synth = new StringBuilder();
        for (int i = 0; i < 13; i++) {
            String l = labels[i % 2];
            String t = "real text " + i;
            realTexts.add(t);
            realLabels.add(l);
            real.append(json.writeValueAsString(java.util.Map.of("text", t, "label", l)))
                    .append('\n');
        }
        for (int i = 0; i < 17; i++) {
            String l = labels[(i / 3) % 2];
            String t = "synthetic text " + i;
            synthTexts.add(t);
            synthLabels.add(l);
            synth.append(json.writeValueAsString(java.util.Map.of("text", t, "label", l)))
                    .append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), real, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("synth.jsonl"), synth, StandardCharsets.UTF_8);
    }

    private Cli.Run align(String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real",
                dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("synth.jsonl").toString(), "--out",
                dir.resolve("weighted.csv").toString(), "--no-cache", "--backend", "reference",
                "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), args.toArray(String[]::new));
    }

    private Set<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            return s.filter(f -> !f.equals(d)).map(f -> d.relativize(f).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void writesTheRunDirectoryThatReportReads() throws IOException {
        Path run = dir.resolve("runs/first");
        Cli.Run r = align("--run-dir", run.toString(), "--summary",
                dir.resolve("summary.json").toString(), "--seed", "7");
        assertEquals(0, r.status(), r::toString);
        assertEquals(Set.of(RunFiles.ALIGNMENT, RunFiles.WEIGHTED, RunFiles.REAL_EMBEDDINGS,
                RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.LABELS), listing(run));
        assertTrue(r.out().contains("mean pooling, L2-normalised"), r.out());
        assertTrue(r.out().contains("wrote the run directory " + run), r.out());

        // alignment.json = the summary's results, and each setting once, as it took effect,
        // keyed by option, paths relative to the run directory.
        JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
        JsonNode alignment = json.readTree(run.resolve(RunFiles.ALIGNMENT).toFile());
        assertEquals("align", alignment.path("command").asText(), "the document names its writer");
        JsonNode options = alignment.path("settings");
        // fit_seconds and embedding seconds are timings: same keys, otherwise equal.
        for (String timing : List.of("fit_seconds")) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) alignment).remove(timing);
            ((com.fasterxml.jackson.databind.node.ObjectNode) summary).remove(timing);
        }
        assertEquals(summary.path("labels"), alignment.path("labels"));
        assertEquals(summary.path("global_fit"), alignment.path("global_fit"));
        for (String restated : List.of("real", "synthetic", "out", "mode", "text_field",
                "label_field", "sample")) {
            assertTrue(summary.has(restated), restated);
            assertFalse(alignment.has(restated), restated + " is stated once, in settings");
        }
        assertFalse(alignment.path("embedding").has("model"), alignment.toString());
        // The encoder's id (this test's hash encoder), not the --encoder spec's.
        assertEquals("hash-8", alignment.path("embedding").path("model_id").asText());
        assertEquals("../../real.jsonl", options.path("--real").asText());
        assertEquals("../../summary.json", options.path("--summary").asText());
        assertEquals(7, options.path("--seed").asLong());
        assertEquals("reference", options.path("--backend").asText());
        assertEquals("label", options.path("--label-field").asText());
        assertEquals("per-label", options.path("--scope").asText());
        assertEquals("auto", options.path("--kernel-storage").asText());
        assertTrue(options.has("--bandwidth") && options.has("--method")
                && options.has("--encoder") && options.has("--sample"), options::toString);
        assertFalse(options.has("--help") || options.has("--version") || options.has("--run-dir")
                || options.has("--quiet"), options::toString);
        // Settings of the text form too: embeddings files given instead of embedding a side.
        assertTrue(options.path("--real-embeddings").isNull()
                && options.path("--synthetic-embeddings").isNull(), options::toString);
        List<String> given = new ArrayList<>();
        alignment.path("given").forEach(g -> given.add(g.asText()));
        assertTrue(given.containsAll(List.of("--summary", "--seed", "--real", "--synthetic"))
                && !given.contains("--bandwidth"), given::toString);

        // Embeddings: float32, rows in input order, equal to the encoder's rows.
        FloatMatrix real = NpyReader.readMatrix(run.resolve(RunFiles.REAL_EMBEDDINGS));
        FloatMatrix synth = NpyReader.readMatrix(run.resolve(RunFiles.SYNTHETIC_EMBEDDINGS));
        assertEquals("<f4", NpyReader.readHeader(run.resolve(RunFiles.REAL_EMBEDDINGS)).descr());
        GenerateCommandTest.HashEncoder enc = new GenerateCommandTest.HashEncoder();
        assertArrayEquals(enc.encode(realTexts, null).data(), real.data());
        assertArrayEquals(enc.encode(synthTexts, null).data(), synth.data());

        // Labels, row for row.
        JsonNode labels = json.readTree(run.resolve(RunFiles.LABELS).toFile());
        assertEquals(realLabels, strings(labels.path("real")));
        assertEquals(synthLabels, strings(labels.path("synthetic")));
        assertEquals("label", labels.path("label_field").asText());

        // weighted.jsonl: JSON Lines (whatever --out's format) with the same weights.
        List<String> lines = Files.readAllLines(run.resolve(RunFiles.WEIGHTED));
        assertEquals(17, lines.size());
        double sum = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode rec = json.readTree(lines.get(i));
            assertEquals(synthTexts.get(i), rec.path("text").asText());
            sum += rec.path("synalign_weight").asDouble();
        }
        assertEquals(1.0, sum, 1e-9);

        Cli.Run report = Cli.run(cl -> { }, "report", "--run", run.toString());
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(run.resolve(RunFiles.REPORT));
        assertTrue(html.contains("data-label=\"b&lt;&amp;&gt;&quot;c\""), "escaped label");
        for (String section : List.of("weights", "mmd", "pca", "pca-weighted")) {
            assertFalse(html.contains("id=\"" + section + "-not-run\""), section);
        }
        assertTrue(html.contains("id=\"evaluation-not-run\""), "evaluate did not run");
    }

    @Test
    void existingRunDirectoryIsReused() throws IOException {
        Path run = Files.createDirectory(dir.resolve("run"));
        Files.writeString(run.resolve(RunFiles.EVALUATION), "{}");
        Cli.Run r = align("--run-dir", run.toString());
        assertEquals(0, r.status(), r::toString);
        assertEquals(6, listing(run).size());
        assertEquals("{}", Files.readString(run.resolve(RunFiles.EVALUATION)));
    }

    @Test
    void runDirThatIsAFileIsBadInputAndNothingIsWritten() throws IOException {
        Path file = dir.resolve("file");
        Files.writeString(file, "x");
        Set<String> before = listing(dir);
        Cli.Run r = align("--run-dir", file.toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains(file.toString()) && r.err().contains("--run-dir"), r::toString);
        assertEquals(before, listing(dir));
    }

    @Test
    void runDirThatIsADanglingSymlinkIsBadInputBeforeAnyWork() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("gone"), dir.resolve("nowhere"));
        Set<String> before = listing(dir);
        Cli.Run r = align("--run-dir", link.toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals(1, r.errLines().size(), r::toString);
        assertTrue(r.err().contains("--run-dir " + link + " is a symbolic link to "
                + dir.resolve("nowhere") + ", which does not exist"), r::toString);
        assertEquals(before, listing(dir));
    }

    @Test
    void runDirIsNotCreatedWhenTheRunFailsLater() throws IOException {
        Path run = dir.resolve("never");
        Set<String> before = listing(dir);
        // --sample larger than the synthetic rows fails after the inputs are read.
        Cli.Run r = align("--run-dir", run.toString(), "--sample", "99", "--sampled-out",
                dir.resolve("s.jsonl").toString());
        assertEquals(2, r.status(), r::toString);
        assertEquals(before, listing(dir));
    }

    @Test
    void runDirBelongsToTheTextForm() throws IOException {
        Cli.Run r = Cli.run(cl -> { }, "align", "--real-embeddings", "r.npy",
                "--synthetic-embeddings", "s.npy", "--out", dir.resolve("w.npy").toString(),
                "--run-dir", dir.resolve("run").toString());
        assertEquals(2, r.status(), r::toString);
        assertTrue(r.err().contains("--run-dir"), r::toString);
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(v -> out.add(v.asText()));
        return out;
    }

    @Test
    void theSampleMayLieInTheRunDirectoryAlignCreates() throws IOException {
        Path run = dir.resolve("runs/new");
        Cli.Run r = align("--run-dir", run.toString(), "--sampled-out",
                run.resolve("aligned.jsonl").toString());
        assertEquals(0, r.status(), r::toString);
        assertTrue(Files.isRegularFile(run.resolve("aligned.jsonl")));
        assertTrue(Files.isRegularFile(run.resolve(RunFiles.ALIGNMENT)));
    }
}
