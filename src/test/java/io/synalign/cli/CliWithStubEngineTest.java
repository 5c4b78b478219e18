package io.synalign.cli;

import static io.synalign.io.NpyFixtures.data;
import static io.synalign.io.NpyFixtures.dict;
import static io.synalign.io.NpyFixtures.file;
import static io.synalign.io.NpyFixtures.gaussian;
import static io.synalign.io.NpyFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.engine.exploration.SelectionResult;
import io.synalign.io.NpyFixtures;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI's plumbing around the engine, with the engine replaced by stubs: options reach the
 * engine configs, inputs reach it unchanged, results reach the files and stdout, and engine
 * failures leave no output behind.
 */
class CliWithStubEngineTest {

    @TempDir
    Path dir;

    private double[] realValues;
    private double[] syntheticValues;
    private final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void inputs() {
        realValues = gaussian(7 * 3, 11, 2);
        syntheticValues = gaussian(5 * 3, 12, 2);
        write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(7, 3, realValues));
        // The synthetic set is big-endian float64: narrowed to float32 on the way in.
        write(dir.resolve("s.npy"), file(2, dict(">f8", false, "(5, 3)"),
                data(syntheticValues, 8, ByteOrder.BIG_ENDIAN), 64));
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private static double[] normalised(double... raw) {
        double sum = 0;
        for (double r : raw) {
            sum += r;
        }
        double[] w = new double[raw.length];
        for (int i = 0; i < raw.length; i++) {
            w[i] = raw[i] / sum;
        }
        return w;
    }

    private static AlignmentResult result(double[] weights) {
        return new AlignmentResult(weights, 0.75, 0.4, 0.1, "rff(D=64)", 17, true, 3.21,
                AlignmentMethod.RFF, "reference", 0.5);
    }

    @Test
    void alignPassesOptionsAndInputsAndWritesWeightsAndSummary() throws IOException {
        double[] weights = normalised(1, 2, 3, 4, 5.5);
        AtomicReference<AlignmentConfig> seenConfig = new AtomicReference<>();
        List<FloatMatrix> seenInputs = new ArrayList<>();
        Cli.Run run = Cli.run(cl -> Cli.align(cl).learner = (backend, config, r, s, progress) -> {
            seenConfig.set(config);
            seenInputs.add(r);
            seenInputs.add(s.toMatrix());
            assertEquals("reference", backend.name());
            progress.onProgress("optimise", 1, 20, "stub");
            return result(weights);
        }, "align", "--real-embeddings", p("r.npy"), "--synthetic-embeddings", p("s.npy"),
                "--out", p("w.npy"), "--summary", p("summary.json"), "--bandwidth", "0.5",
                "--method", "NYSTROM", "--features", "64", "--iterations", "20", "--tolerance", "1e-4",
                "--max-weight-ratio", "3", "--memory-budget", "512MB", "--seed", "42",
                "--backend", "reference");
        assertEquals(0, run.status(), run.toString());
        assertEquals("", run.err(), "a short run prints nothing on stderr");

        assertEquals(new AlignmentConfig(Bandwidth.of(0.5), AlignmentMethod.NYSTROM, 64, 20, 1e-4, 3,
                512_000_000L, 42), seenConfig.get());
        FloatMatrix r = seenInputs.get(0);
        FloatMatrix s = seenInputs.get(1);
        assertEquals(7, r.rows());
        assertEquals(5, s.rows());
        for (int i = 0; i < realValues.length; i++) {
            assertEquals((float) realValues[i], r.data()[i]);
        }
        for (int i = 0; i < syntheticValues.length; i++) {
            assertEquals((float) syntheticValues[i], s.data()[i]);
        }

        // weights.npy: 1-D float64 in input order, exactly the engine's values.
        NpyFixtures.Parsed npy = NpyFixtures.parse(Files.readAllBytes(dir.resolve("w.npy")));
        assertTrue(npy.dict().startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }"),
                npy.dict());
        assertArrayEquals(weights, NpyFixtures.float64(npy.data()));

        JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
        for (String key : List.of("bandwidth", "mmd2_uniform", "mmd2_weighted", "mmd_estimator",
                "iterations", "converged", "effective_sample_size", "method", "backend", "seconds",
                "n_real", "n_synthetic", "dim", "seed", "max_weight_ratio")) {
            assertTrue(summary.has(key), key + " missing from " + summary);
        }
        assertEquals(0.75, summary.get("bandwidth").asDouble());
        assertFalse(summary.get("bandwidth_auto").asBoolean());
        assertEquals(0.4, summary.get("mmd2_uniform").asDouble());
        assertEquals(0.1, summary.get("mmd2_weighted").asDouble());
        assertEquals(0.75, summary.get("mmd2_reduction").asDouble(), 1e-12);
        assertEquals("rff(D=64)", summary.get("mmd_estimator").asText());
        assertEquals(17, summary.get("iterations").asInt());
        assertTrue(summary.get("converged").asBoolean());
        assertEquals(3.21, summary.get("effective_sample_size").asDouble());
        assertEquals("rff", summary.get("method").asText());
        assertEquals("reference", summary.get("backend").asText());
        assertEquals(0.5, summary.get("seconds").asDouble());
        assertEquals(7, summary.get("n_real").asInt());
        assertEquals(5, summary.get("n_synthetic").asInt());
        assertEquals(3, summary.get("dim").asInt());
        assertEquals(42, summary.get("seed").asLong());
        assertEquals(3.0, summary.get("max_weight_ratio").asDouble());
        assertEquals(512_000_000L, summary.get("memory_budget_bytes").asLong());
        assertEquals(p("r.npy"), summary.get("real_embeddings").asText());

        assertTrue(run.out().contains("0.4 uniform -> 0.1 weighted (75.0% lower)"), run.out());
        assertTrue(run.out().contains("effective sample size: 3.2 of 5 synthetic rows"), run.out());
        assertTrue(run.out().contains("method: rff, backend: reference, bandwidth: 0.75"), run.out());
        assertTrue(run.out().contains("iterations: 17 (converged)"), run.out());
        assertEquals(Set.of("r.npy", "s.npy", "w.npy", "summary.json"), listing());
    }

    @Test
    void alignDefaultsComeFromTheEngineConfig() throws IOException {
        AtomicReference<AlignmentConfig> seen = new AtomicReference<>();
        Cli.Run run = Cli.run(cl -> Cli.align(cl).learner = (backend, config, r, s, progress) -> {
            seen.set(config);
            return result(normalised(1, 1, 1, 1, 1));
        }, "align", "--real-embeddings", p("r.npy"), "--synthetic-embeddings", p("s.npy"),
                "--out", p("w.npy"), "--backend", "reference");
        assertEquals(0, run.status(), run.toString());
        assertEquals(AlignmentConfig.defaults(), seen.get());
        assertEquals(Set.of("r.npy", "s.npy", "w.npy"), listing(), "no summary unless asked");
    }

    private Cli.Run alignWith(TextAlignment.WeightLearner learner, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real-embeddings", p("r.npy"),
                "--synthetic-embeddings", p("s.npy"), "--out", p("w.npy"), "--summary",
                p("summary.json"), "--backend", "reference"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> Cli.align(cl).learner = learner, args.toArray(String[]::new));
    }

    @Test
    void engineIllegalArgumentIsBadInput() throws IOException {
        Cli.Run run = alignWith((b, c, r, s, pr) -> {
            throw new IllegalArgumentException("the median heuristic found every sampled row"
                    + " identical; give a bandwidth explicitly");
        });
        assertEquals(2, run.status(), run.toString());
        assertEquals(List.of("synalign: error: the median heuristic found every sampled row"
                + " identical; give a bandwidth explicitly"), run.errLines());
        assertEquals(Set.of("r.npy", "s.npy"), listing());
    }

    @Test
    void unexpectedEngineFailureExitsOneWithoutOutputs() throws IOException {
        Files.writeString(dir.resolve("w.npy"), "previous weights");
        TextAlignment.WeightLearner failing = (b, c, r, s, pr) -> {
            throw new IllegalStateException("solver diverged");
        };
        Cli.Run run = alignWith(failing);
        assertEquals(1, run.status(), run.toString());
        assertEquals(List.of("synalign: error: unexpected IllegalStateException: solver diverged"
                + " (run with --verbose for the stack trace)"), run.errLines());
        assertEquals("previous weights", Files.readString(dir.resolve("w.npy")),
                "an existing output is replaced only on success");
        assertEquals(Set.of("r.npy", "s.npy", "w.npy"), listing());

        Cli.Run verbose = alignWith(failing, "--verbose");
        assertEquals(1, verbose.status());
        assertTrue(verbose.err().contains("\tat io.synalign.cli."), verbose.toString());

        // The same run with a working engine replaces the old file.
        assertEquals(0, alignWith((b, c, r, s, pr) -> result(normalised(1, 1, 1, 1, 1))).status());
        assertArrayEquals(normalised(1, 1, 1, 1, 1), NpyFixtures.float64(NpyFixtures.parse(
                Files.readAllBytes(dir.resolve("w.npy"))).data()));
    }

    @Test
    void brokenEngineResultsAreNotWritten() throws IOException {
        double[][] broken = {{0.5, 0.5, 0.5, 0.5, 0.5}, {0.2, 0.2, 0.2, 0.2}, {1.2, -0.2, 0, 0, 0},
            {Double.NaN, 0.25, 0.25, 0.25, 0.25}};
        for (double[] w : broken) {
            Cli.Run run = alignWith((b, c, r, s, pr) -> result(w));
            assertEquals(1, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertTrue(run.errLines().get(0).contains("engine returned"), run.toString());
            assertEquals(Set.of("r.npy", "s.npy"), listing());
        }
    }

    @Test
    void outOfMemoryIsReportedWithAdvice() throws IOException {
        Cli.Run run = alignWith((b, c, r, s, pr) -> {
            throw new OutOfMemoryError("Java heap space");
        });
        assertEquals(1, run.status());
        assertTrue(run.errLines().get(0).contains("out of memory"), run.toString());
        assertEquals(Set.of("r.npy", "s.npy"), listing());
    }

    @Test
    void selectWritesPicksAndGroupsWithRounds() throws IOException {
        AtomicReference<SelectionConfig> seen = new AtomicReference<>();
        List<int[]> groups = List.of(new int[] {3, 4, 1}, new int[] {0, 2, 6}, new int[] {5},
                new int[] {4, 1, 0});
        Cli.Run run = Cli.run(cl -> Cli.select(cl).selector = (backend, config, x, count, progress) -> {
            seen.set(config);
            assertEquals(7, x.rows());
            assertEquals((float) realValues[20], x.get(6, 2));
            assertEquals(4, count);
            return new SelectionResult(new int[] {3, 0, 5, 4}, groups,
                    new double[] {1.0, 0.5, 0.25, Double.NaN}, 1.5, 1, "reference", 0.01);
        }, "select", "--embeddings", p("r.npy"), "--count", "4", "--out", p("picks.txt"),
                "--groups", p("groups.jsonl"), "--length-scale", "1.5", "--noise", "0.01",
                "--first", "3", "--group-size", "3", "--seed", "9", "--backend", "reference", "-q");
        assertEquals(0, run.status(), run.toString());
        assertEquals(new SelectionConfig(Bandwidth.of(1.5), 0.01, 3, 3, 9), seen.get());
        assertEquals("3\n0\n5\n4\n", Files.readString(dir.resolve("picks.txt")));

        List<String> lines = Files.readAllLines(dir.resolve("groups.jsonl"), StandardCharsets.UTF_8);
        assertEquals(4, lines.size());
        int[] expectedRounds = {0, 0, 0, 1};
        int[] picks = {3, 0, 5, 4};
        for (int k = 0; k < 4; k++) {
            JsonNode o = json.readTree(lines.get(k));
            assertEquals(Set.of("pick", "rows", "variance", "round"), fieldNames(o));
            assertEquals(picks[k], o.get("pick").asInt());
            int[] rows = new int[o.get("rows").size()];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = o.get("rows").get(i).asInt();
            }
            assertArrayEquals(groups.get(k), rows);
            assertEquals(expectedRounds[k], o.get("round").asInt());
        }
        assertEquals(0.5, json.readTree(lines.get(1)).get("variance").asDouble());
        assertTrue(run.out().contains("picked 4 of 7 rows in groups of 3 (1 coverage reset)"), run.out());
        assertTrue(run.out().contains("first picks: 3, 0, 5, 4"), run.out());
        assertEquals(Set.of("r.npy", "s.npy", "picks.txt", "groups.jsonl"), listing());
    }

    private static Set<String> fieldNames(JsonNode o) {
        Set<String> names = new TreeSet<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void selectDefaultsComeFromTheEngineConfig() throws IOException {
        AtomicReference<SelectionConfig> seen = new AtomicReference<>();
        Cli.Run run = Cli.run(cl -> Cli.select(cl).selector = (backend, config, x, count, progress) -> {
            seen.set(config);
            return new SelectionResult(new int[] {2, 6}, List.of(new int[] {2}, new int[] {6}),
                    new double[] {1, 0.9}, 2.0, 0, "reference", 0.01);
        }, "select", "--embeddings", p("r.npy"), "--count", "2", "--out", p("picks.txt"),
                "--backend", "reference");
        assertEquals(0, run.status(), run.toString());
        assertEquals(SelectionConfig.defaults(), seen.get());
        assertEquals(List.of("2", "6"), Files.readAllLines(dir.resolve("picks.txt")));
        assertEquals(Set.of("r.npy", "s.npy", "picks.txt"), listing());
    }

    @Test
    void selectRejectsAnInconsistentEngineResult() throws IOException {
        Cli.Run run = Cli.run(cl -> Cli.select(cl).selector = (backend, config, x, count, progress) ->
                new SelectionResult(new int[] {2, 9}, List.of(new int[] {2}, new int[] {9}),
                        new double[] {1, 1}, 2.0, 0, "reference", 0.01),
                "select", "--embeddings", p("r.npy"), "--count", "2", "--out", p("picks.txt"),
                "--groups", p("g.jsonl"), "--backend", "reference");
        assertEquals(1, run.status(), run.toString());
        assertTrue(run.errLines().get(0).contains("engine picked row 9 of 7"), run.toString());
        assertEquals(Set.of("r.npy", "s.npy"), listing());
    }

    @Test
    void theStubbedEnginesOfThisWorktreeAreUnexpectedFailures() throws IOException {
        // Until the engine is merged, the real learner throws UnsupportedOperationException:
        // that must be exit 1 with one line, and nothing written. (After the merge the same
        // command succeeds; this test then only checks that it does not exit 2.)
        Cli.Run run = Cli.run(cl -> { }, "align", "--real-embeddings", p("r.npy"),
                "--synthetic-embeddings", p("s.npy"), "--out", p("w.npy"), "--backend", "reference",
                "--quiet");
        if (run.status() != 0) {
            assertEquals(1, run.status(), run.toString());
            assertEquals(1, run.errLines().size(), run.toString());
            assertEquals(Set.of("r.npy", "s.npy"), listing());
        }
    }
}
