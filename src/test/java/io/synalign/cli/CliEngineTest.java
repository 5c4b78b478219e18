package io.synalign.cli;

import static io.synalign.io.NpyFixtures.gaussian;
import static io.synalign.io.NpyFixtures.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.io.NpyFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end through the real engine ({@code --backend reference}). Needs the engine
 * implementations (MmdWeightLearner.fit, ExplorationSelector.select); excluded in worktrees
 * where they are stubs with {@code -DexcludedGroups=engine}.
 */
@Tag("engine")
class CliEngineTest {

    @TempDir
    Path dir;

    @BeforeEach
    void inputs() {
        // Real rows around 0; synthetic rows: half around 0, half shifted, so weighting can help.
        double[] real = gaussian(40 * 4, 1, 1);
        double[] synthetic = gaussian(31 * 4, 2, 1);
        for (int i = 16 * 4; i < synthetic.length; i++) {
            synthetic[i] += 2.5;
        }
        write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(40, 4, real));
        write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(31, 4, synthetic));
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void alignWritesNormalisedFloat64WeightsAndASummary() throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "align",
                "--real-embeddings", dir.resolve("r.npy").toString(),
                "--synthetic-embeddings", dir.resolve("s.npy").toString(),
                "--out", dir.resolve("w.npy").toString(),
                "--summary", dir.resolve("summary.json").toString(),
                "--backend", "reference", "--quiet");
        assertEquals(0, run.status(), run.toString());

        NpyFixtures.Parsed npy = NpyFixtures.parse(Files.readAllBytes(dir.resolve("w.npy")));
        assertTrue(npy.dict().startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (31,), }"),
                npy.dict());
        double[] w = NpyFixtures.float64(npy.data());
        assertEquals(31, w.length);
        double sum = 0;
        for (double x : w) {
            assertTrue(x >= 0, "weight " + x);
            sum += x;
        }
        assertEquals(1.0, sum, 1e-9);

        JsonNode summary = new ObjectMapper().readTree(dir.resolve("summary.json").toFile());
        for (String key : List.of("bandwidth", "mmd2_uniform", "mmd2_weighted", "mmd_estimator",
                "iterations", "converged", "effective_sample_size", "method", "backend", "seconds",
                "n_real", "n_synthetic", "dim", "seed", "max_weight_ratio")) {
            assertTrue(summary.has(key), key + " missing from " + summary);
        }
        assertEquals("reference", summary.get("backend").asText());
        assertEquals(40, summary.get("n_real").asInt());
        assertEquals(31, summary.get("n_synthetic").asInt());
        assertEquals(4, summary.get("dim").asInt());
        assertTrue(summary.get("mmd2_weighted").asDouble() <= summary.get("mmd2_uniform").asDouble(),
                summary.toString());
        double ess = 1 / java.util.Arrays.stream(w).map(x -> x * x).sum();
        assertEquals(ess, summary.get("effective_sample_size").asDouble(), 1e-6 * ess);
        assertTrue(run.out().contains("MMD^2"), run.out());
        assertEquals(Set.of("r.npy", "s.npy", "w.npy", "summary.json"), listing());
    }

    @Test
    void selectWritesDistinctPicksAndGroups() throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "select",
                "--embeddings", dir.resolve("r.npy").toString(), "--count", "6",
                "--out", dir.resolve("picks.txt").toString(),
                "--groups", dir.resolve("groups.jsonl").toString(),
                "--backend", "reference", "--quiet");
        assertEquals(0, run.status(), run.toString());
        List<String> lines = Files.readAllLines(dir.resolve("picks.txt"));
        assertEquals(6, lines.size());
        Set<Integer> picks = new HashSet<>();
        for (String l : lines) {
            int i = Integer.parseInt(l.strip());
            assertTrue(i >= 0 && i < 40, l);
            picks.add(i);
        }
        assertEquals(6, picks.size(), "picks are distinct: " + lines);
        List<String> groups = Files.readAllLines(dir.resolve("groups.jsonl"));
        assertEquals(6, groups.size());
        ObjectMapper json = new ObjectMapper();
        for (int k = 0; k < 6; k++) {
            JsonNode o = json.readTree(groups.get(k));
            assertEquals(Integer.parseInt(lines.get(k).strip()), o.get("pick").asInt());
            assertEquals(o.get("pick").asInt(), o.get("rows").get(0).asInt());
            assertTrue(o.has("variance") && o.has("round"), o.toString());
        }
        assertEquals(Set.of("r.npy", "s.npy", "picks.txt", "groups.jsonl"), listing());
    }

    /**
     * A group size of at least the row count: the summary names groups of N (it said "groups of
     * 100" over 40 rows) and says the picks after the first follow index order.
     */
    @Test
    void selectWithGroupsOfEveryRowSaysSo() throws IOException {
        Cli.Run run = Cli.run(cl -> { }, "select",
                "--embeddings", dir.resolve("r.npy").toString(), "--count", "5",
                "--out", dir.resolve("picks.txt").toString(), "--group-size", "100",
                "--backend", "reference");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("picked 5 of 40 rows in groups of 40 (4 coverage resets)"),
                run.out());
        assertTrue(run.out().contains("note: --group-size 100 covers all 40 rows in one group:"
                + " every pick after the first starts a new round with nothing to condition on,"
                + " so the picks follow index order (the lowest row not yet picked)"), run.out());
        List<Integer> picks = Files.readAllLines(dir.resolve("picks.txt")).stream()
                .map(l -> Integer.parseInt(l.strip())).toList();
        List<Integer> after = java.util.stream.IntStream.range(0, 40).boxed()
                .filter(i -> !i.equals(picks.get(0))).limit(4).toList();
        assertEquals(after, picks.subList(1, 5), "index order after the first pick");
    }

    /**
     * {@code select --out /dev/stdout > file} (or into a pipe): the file held the picks followed
     * by "picked 5 of 40 rows ...", the summary lines read as data. They go to stderr now.
     */
    @Test
    void withTheDataOnStandardOutputTheSummaryGoesToStderr() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/stdout")));
        Path out = dir.resolve("stdout.txt");
        Path errors = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SynAlignCommand.class.getName(), "select",
                "--embeddings", dir.resolve("r.npy").toString(), "--count", "5", "--out",
                "/dev/stdout", "--backend", "reference", "-q")
                .redirectOutput(out.toFile()).redirectError(errors.toFile()).start();
        assertEquals(0, child.waitFor(), Files.readString(errors));
        List<String> lines = Files.readAllLines(out);
        assertEquals(5, lines.size(), "the picks alone: " + lines);
        for (String line : lines) {
            Integer.parseInt(line.strip());
        }
        assertTrue(Files.readString(errors).contains("picked 5 of 40 rows"),
                Files.readString(errors));
    }

    /**
     * Warnings read "synalign: warning: ..." (simplelogger.properties' warnLevelString): slf4j-simple
     * 2.0.17 ignored that setting and printed "WARN ..." (qos-ch/slf4j#471, mended in 2.0.18).
     * Checked in a child JVM, where the logger is configured from the class path as in the jar.
     */
    @Test
    void warningsCarryTheCommandsPrefix() throws Exception {
        Path trailing = dir.resolve("trailing.npy");
        Files.write(trailing, Files.readAllBytes(dir.resolve("r.npy")));
        Files.write(trailing, new byte[] {'x', 'x'}, java.nio.file.StandardOpenOption.APPEND);
        Path errors = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), SynAlignCommand.class.getName(), "select",
                "--embeddings", trailing.toString(), "--count", "3", "--out",
                dir.resolve("picks.txt").toString(), "--backend", "reference")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile())
                .start();
        assertEquals(0, child.waitFor(), Files.readString(errors));
        String stderr = Files.readString(errors);
        assertTrue(stderr.contains("synalign: warning: " + trailing
                + ": 2 bytes after the array data are ignored"), stderr);
        assertTrue(stderr.lines().noneMatch(l -> l.startsWith("WARN")), stderr);
    }

    /** Names ending in .gz are written gzip-compressed (they held plain text, which readers refused). */
    @Test
    void selectCompressesOutputsNamedGz() throws IOException {
        String[] plain = {"select", "--embeddings", dir.resolve("r.npy").toString(), "--count", "5",
            "--out", dir.resolve("p.txt").toString(), "--groups", dir.resolve("g.jsonl").toString(),
            "--backend", "reference", "--quiet"};
        assertEquals(0, Cli.run(cl -> { }, plain).status());
        String[] gz = plain.clone();
        gz[6] = dir.resolve("p.txt.gz").toString();
        gz[8] = dir.resolve("g.jsonl.gz").toString();
        Cli.Run run = Cli.run(cl -> { }, gz);
        assertEquals(0, run.status(), run.toString());
        for (String[] pair : new String[][] {{"p.txt", "p.txt.gz"}, {"g.jsonl", "g.jsonl.gz"}}) {
            byte[] unzipped;
            try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(
                    dir.resolve(pair[1])))) {
                unzipped = in.readAllBytes();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    Files.readAllBytes(dir.resolve(pair[0])), unzipped, pair[1]);
        }
    }
}
