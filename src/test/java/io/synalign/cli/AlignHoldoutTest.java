package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.labelled.DoubleMmdReference;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.io.NpyFixtures;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.reference.ReferenceBackend;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align --holdout-folds K}: the figures in the summary and on stdout equal a
 * recomputation written out here (folds by the documented Fisher-Yates shuffle, fits by the
 * reference learner on the rows each fold leaves, bandwidth and MMD^2 in double by
 * {@link DoubleMmdReference}); the weights are those of a run without the check; bad values
 * exit 2 before any work. The embeddings are given as files, so no model loads.
 */
class AlignHoldoutTest {

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    private static final double TOL = 2e-6;

    /** Row-major float32-rounded Gaussian rows, label l shifted by l in column l. */
    private static double[][] rows(Random rnd, List<String> labels, List<String> names, int d,
            double offset) {
        double[][] x = new double[labels.size()][d];
        for (int i = 0; i < x.length; i++) {
            int l = names.indexOf(labels.get(i));
            for (int k = 0; k < d; k++) {
                x[i][k] = (float) (rnd.nextGaussian() + (k == l % d ? 2.0 : 0) + offset);
            }
        }
        return x;
    }

    private static double[] flat(double[][] x) {
        return Arrays.stream(x).flatMapToDouble(Arrays::stream).toArray();
    }

    private void records(Path file, List<String> labels) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < labels.size(); i++) {
            sb.append("{\"text\": \"t").append(i).append("\", \"label\": \"")
                    .append(labels.get(i)).append("\"}\n");
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static List<String> labels(Random rnd, String[] names, int[] counts) {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < names.length; l++) {
            out.addAll(Collections.nCopies(counts[l], names[l]));
        }
        Collections.shuffle(out, rnd);
        return out;
    }

    private static int[] where(List<String> labels, String label) {
        return IntStream.range(0, labels.size()).filter(i -> labels.get(i).equals(label))
                .toArray();
    }

    private static double[][] pick(double[][] x, int[] idx) {
        return Arrays.stream(idx).mapToObj(i -> x[i]).toArray(double[][]::new);
    }

    private static int[][] folds(int[] rows, int k, long seed) {
        return io.synalign.engine.labelled.ReferenceFolds.of(rows, k, seed);
    }

    /** {uniform, weighted} held-out MMD^2 of one group, averaged over its folds by their rows. */
    private static double[] expected(double[][] real, double[][] syn, int folds, long seed) {
        int[] all = IntStream.range(0, real.length).toArray();
        double u = 0;
        double w = 0;
        for (int[] held : folds(all, folds, seed)) {
            int[] fit = Arrays.stream(all).filter(r -> Arrays.binarySearch(held, r) < 0)
                    .toArray();
            AlignmentResult r = new MmdWeightLearner(new ReferenceBackend(),
                    AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT).withSeed(seed))
                    .fit(FloatMatrix.of(pick(real, fit)), FloatMatrix.of(syn),
                            ProgressListener.NONE);
            double sigma = DoubleMmdReference.medianBandwidth(pick(real, fit), syn);
            double[] weights = r.weights().clone();
            double sum = Arrays.stream(weights).sum();
            for (int i = 0; i < weights.length; i++) {
                weights[i] /= sum;
            }
            u += held.length * DoubleMmdReference.populationMmd2(pick(real, held), syn,
                    DoubleMmdReference.uniform(syn.length), sigma);
            w += held.length * DoubleMmdReference.populationMmd2(pick(real, held), syn, weights,
                    sigma);
        }
        return new double[] {u / real.length, w / real.length};
    }

    private static void close(double want, JsonNode got, String what) {
        assertTrue(got.isNumber(), what + ": " + got);
        assertEquals(want, got.asDouble(), TOL * Math.max(1, Math.abs(want)), what);
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static final List<String> NAMES = List.of("a", "b", "c", "z");

    /** Labels a (9 real rows), b (7), c (2: too few for 3 folds), z (synthetic only). */
    private List<String> realLabels;
    private List<String> synLabels;
    private double[][] real;
    private double[][] syn;

    private void textInputs() throws IOException {
        Random rnd = new Random(61);
        realLabels = labels(rnd, new String[] {"a", "b", "c"}, new int[] {9, 7, 2});
        synLabels = labels(rnd, new String[] {"a", "b", "c", "z"}, new int[] {13, 8, 5, 3});
        real = rows(rnd, realLabels, NAMES, 4, 0);
        syn = rows(rnd, synLabels, NAMES, 4, 0.3);
        records(dir.resolve("real.jsonl"), realLabels);
        records(dir.resolve("synth.jsonl"), synLabels);
        NpyFixtures.write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(real.length, 4, flat(real)));
        NpyFixtures.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(syn.length, 4, flat(syn)));
    }

    private Cli.Run textAlign(String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real", dir + "/real.jsonl",
                "--synthetic", dir + "/synth.jsonl", "--real-embeddings", dir + "/r.npy",
                "--synthetic-embeddings", dir + "/s.npy", "--out", dir + "/" + out,
                "--backend", "reference", "--method", "exact", "--seed", "17", "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> { }, args.toArray(String[]::new));
    }

    @Test
    void perLabelHeldOutFiguresEqualARecomputationAndLeaveTheWeightsAlone() throws IOException {
        textInputs();
        Cli.Run plain = textAlign("w0.jsonl");
        assertEquals(0, plain.status(), plain::toString);
        Cli.Run run = textAlign("w.jsonl", "--holdout-folds", "3", "--summary",
                dir + "/summary.json", "--run-dir", dir + "/run");
        assertEquals(0, run.status(), run::toString);
        assertEquals(Files.readString(dir.resolve("w0.jsonl")),
                Files.readString(dir.resolve("w.jsonl")), "the check changes no weight");

        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, realLabels, real.length, synLabels,
                syn.length);
        JsonNode held = json.readTree(dir.resolve("summary.json").toFile()).path("held_out");
        assertEquals(held, json.readTree(dir.resolve("run/alignment.json").toFile())
                .path("held_out"), "alignment.json records the same check");
        assertEquals(3, held.path("folds").asInt());
        double u = 0;
        double w = 0;
        int lower = 0;
        List<String> seen = new ArrayList<>();
        for (JsonNode l : held.path("labels")) {
            String label = l.path("label").asText();
            seen.add(label);
            if (label.equals("c")) {
                assertEquals("2 real rows, fewer than the 6 that 3 folds of at least 2 need", l.path("skipped").asText());
                assertTrue(l.path("mmd2_uniform").isNull());
                continue;
            }
            assertTrue(l.path("skipped").isNull(), l.toString());
            double[] want = expected(pick(real, where(realLabels, label)),
                    pick(syn, where(synLabels, label)), 3, plan.seedFor(label, 17));
            close(want[0], l.path("mmd2_uniform"), label + " uniform");
            close(want[1], l.path("mmd2_weighted"), label + " weighted");
            close(want[1] - want[0], l.path("mmd2_change"), label + " change");
            int n = where(realLabels, label).length;
            u += n * want[0];
            w += n * want[1];
            lower += want[1] < want[0] ? 1 : 0;
        }
        assertEquals(new TreeSet<>(List.of("a", "b", "c")), new TreeSet<>(seen),
                "the fitted labels; z has no real rows");
        close(u / 16, held.path("mmd2_uniform"), "overall uniform");
        close(w / 16, held.path("mmd2_weighted"), "overall weighted");
        assertEquals(16, held.path("n_held_out").asInt());
        assertEquals(2, held.path("labels_checked").asInt());
        assertEquals(lower, held.path("labels_lower").asInt());
        assertEquals(6, held.path("fits").asInt());
        assertTrue(run.out().contains(String.format(java.util.Locale.ROOT,
                "held-out check (3 folds, 16 real rows not fitted to): MMD^2 %s uniform -> %s"
                        + " weighted (", Numbers.short4(u / 16), Numbers.short4(w / 16))),
                run.out());
        assertTrue(run.out().contains("lower in " + lower + " of 2 labels; 6 extra fits"),
                run.out());
        assertTrue(run.out().contains("note: held-out check skipped label 'c': 2 real rows,"
                + " fewer than the 6 that 3 folds of at least 2 need"), run.out());
        assertTrue(json.readTree(dir.resolve("run/alignment.json").toFile()).path("held_out")
                .isObject());
    }

    @Test
    void aGlobalScopeIsCheckedAsOneGroupWithTheSeedItself() throws IOException {
        textInputs();
        Cli.Run run = textAlign("w.jsonl", "--scope", "global", "--holdout-folds", "4",
                "--summary", dir + "/summary.json");
        assertEquals(0, run.status(), run::toString);
        JsonNode held = json.readTree(dir.resolve("summary.json").toFile()).path("held_out");
        assertEquals(1, held.path("labels").size());
        assertEquals(LabelPlan.ALL, held.path("labels").get(0).path("label").asText());
        double[] want = expected(real, syn, 4, 17);
        close(want[0], held.path("mmd2_uniform"), "uniform");
        close(want[1], held.path("mmd2_weighted"), "weighted");
        assertTrue(run.out().contains("held-out check (4 folds, 18 real rows not fitted to)"),
                run.out());
        assertTrue(!run.out().contains("lower in"), "one fit, no count of labels: " + run.out());
    }

    @Test
    void theEmbeddingsFormChecksItsOneFit() throws IOException {
        Random rnd = new Random(5);
        List<String> r = Collections.nCopies(10, "a");
        List<String> s = Collections.nCopies(23, "a");
        real = rows(rnd, r, NAMES, 3, 0);
        syn = rows(rnd, s, NAMES, 3, 0.4);
        NpyFixtures.write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(10, 3, flat(real)));
        NpyFixtures.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(23, 3, flat(syn)));
        Cli.Run run = Cli.run(cl -> { }, "align", "--real-embeddings", dir + "/r.npy",
                "--synthetic-embeddings", dir + "/s.npy", "--out", dir + "/w.npy", "--summary",
                dir + "/summary.json", "--backend", "reference", "--method", "exact", "--seed",
                "8", "--holdout-folds", "5", "--quiet");
        assertEquals(0, run.status(), run::toString);
        JsonNode held = json.readTree(dir.resolve("summary.json").toFile()).path("held_out");
        double[] want = expected(real, syn, 5, 8);
        close(want[0], held.path("mmd2_uniform"), "uniform");
        close(want[1], held.path("mmd2_weighted"), "weighted");
        assertEquals(List.of(2, 2, 2, 2, 2), json.convertValue(held.path("labels").get(0)
                .path("folds").findValues("n_held_out"), List.class));
        assertTrue(run.out().contains("held-out check (5 folds, 10 real rows not fitted to)"),
                run.out());
        // The top-level peak is measured when the weights are written, before the check; the
        // check's record carries the peak through it (VmHWM never falls, so not below).
        long fitPeak = json.readTree(dir.resolve("summary.json").toFile())
                .path("peak_rss_bytes").asLong();
        assertTrue(held.path("peak_rss_bytes").isIntegralNumber(), held::toString);
        assertTrue(held.path("peak_rss_bytes").asLong() >= fitPeak,
                () -> held + " against the fit's " + fitPeak);
        // Without the option the summary says there was no check.
        Cli.Run plain = Cli.run(cl -> { }, "align", "--real-embeddings", dir + "/r.npy",
                "--synthetic-embeddings", dir + "/s.npy", "--out", dir + "/w0.npy", "--summary",
                dir + "/s0.json", "--backend", "reference", "--method", "exact", "--seed", "8",
                "--quiet");
        assertEquals(0, plain.status(), plain::toString);
        assertTrue(json.readTree(dir.resolve("s0.json").toFile()).path("held_out").isNull());
        assertTrue(!plain.out().contains("held-out"), plain.out());
        assertEquals(Arrays.toString(Files.readAllBytes(dir.resolve("w0.npy"))),
                Arrays.toString(Files.readAllBytes(dir.resolve("w.npy"))));
    }

    /**
     * A document less what differs between two runs of the same fit: its timings, the peak
     * memory, and the --holdout-folds setting a check was asked with.
     */
    static JsonNode untimed(JsonNode doc) {
        JsonNode copy = doc.deepCopy();
        strip(copy);
        if (copy.path("settings") instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.remove("--holdout-folds");
        }
        if (copy.path("given") instanceof com.fasterxml.jackson.databind.node.ArrayNode given) {
            for (int i = given.size() - 1; i >= 0; i--) {
                if (given.get(i).asText().equals("--holdout-folds")) {
                    given.remove(i);
                }
            }
        }
        return copy;
    }

    private static void strip(JsonNode node) {
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            o.remove(List.of("seconds", "fit_seconds", "peak_rss_bytes"));
        }
        node.forEach(AlignHoldoutTest::strip);
    }

    /**
     * The reference learner, except that a fit to a number of real rows none of the main fits
     * has (a held-out fold's fit: 6 of a's 9 rows, 4 or 5 of b's 7) runs out of memory, as a
     * check's fit could where the heap guard did not foresee it.
     */
    private static TextAlignment.WeightLearner failingInTheCheck(Set<Integer> mainRealRows) {
        return (backend, config, r, s, progress) -> {
            if (!mainRealRows.contains(r.rows())) {
                throw new OutOfMemoryError("Java heap space");
            }
            return TextAlignment.WeightLearner.MMD.fit(backend, config, r, s, progress);
        };
    }

    private Cli.Run textAlignWith(TextAlignment.WeightLearner learner, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real", dir + "/real.jsonl",
                "--synthetic", dir + "/synth.jsonl", "--real-embeddings", dir + "/r.npy",
                "--synthetic-embeddings", dir + "/s.npy", "--out", dir + "/w.jsonl",
                "--summary", dir + "/summary.json", "--run-dir", dir + "/run",
                "--backend", "reference", "--method", "exact", "--seed", "17", "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> Cli.align(cl).learner = learner, args.toArray(String[]::new));
    }

    /** The outputs of a text align: --out's bytes, the summary and alignment.json, untimed. */
    private List<Object> textOutputs() throws IOException {
        return List.of(Files.readString(dir.resolve("w.jsonl")),
                untimed(json.readTree(dir.resolve("summary.json").toFile())),
                untimed(json.readTree(dir.resolve("run/alignment.json").toFile())),
                Files.readString(dir.resolve("run/weighted.jsonl")));
    }

    /**
     * The check runs after the outputs are written: one that fails leaves them as a run without
     * it writes them (was: the check ran first, and its failure lost the weights), but for
     * held_out, which says that it was asked for and failed, and why (was: null, and the report
     * advised asking for it), says so in one line and exits 1; one that succeeds adds held_out
     * to the documents and changes nothing else.
     */
    @Test
    void aFailingCheckLeavesTheOutputsOfARunWithoutIt() throws IOException {
        textInputs();
        TextAlignment.WeightLearner failing = failingInTheCheck(Set.of(9, 7, 2));
        Cli.Run plain = textAlignWith(failing);
        assertEquals(0, plain.status(), plain::toString);
        List<Object> without = textOutputs();
        assertTrue(json.readTree(dir.resolve("summary.json").toFile()).path("held_out")
                .isNull());
        for (String f : List.of("w.jsonl", "summary.json")) {
            Files.delete(dir.resolve(f));
        }
        deleteTree(dir.resolve("run"));

        Cli.Run failed = textAlignWith(failing, "--holdout-folds", "3");
        assertEquals(ExitCodes.FAILURE, failed.status(), failed::toString);
        String why = "out of memory (Java heap space); give the JVM more with"
                + " SYNALIGN_JAVA_OPTS=-Xmx...; align can also hold less with --method rff,"
                + " nystrom or tiled, or fewer --features";
        assertEquals(List.of("synalign: error: the outputs were written, weights included ("
                + dir + "/w.jsonl, " + dir + "/summary.json and the run directory " + dir
                + "/run), complete and without the check's figures (held_out in " + dir
                + "/summary.json and " + dir + "/run/alignment.json records the failure); then"
                + " the held-out check failed: " + why), failed.errLines());
        // Each document says the check was asked for and failed, and why (was: held_out null,
        // as in a run that never asked for it); nothing else differs from a run without it.
        JsonNode failedRecord = json.createObjectNode().put("failed", why).put("folds", 3);
        List<Object> failedOutputs = textOutputs();
        for (int i : new int[] {1, 2}) {
            com.fasterxml.jackson.databind.node.ObjectNode doc =
                    (com.fasterxml.jackson.databind.node.ObjectNode) failedOutputs.get(i);
            assertEquals(failedRecord, doc.path("held_out"), doc::toString);
            doc.putNull("held_out");
        }
        assertEquals(without, failedOutputs, "the outputs of a run without the check");
        // The report says the check failed, not to ask for one.
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", dir + "/run", "--out",
                dir + "/r.html");
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains("The held-out check was asked for (<code>--holdout-folds"
                + " 3</code>) and failed after the outputs were written, so nothing was measured"
                + " on real rows the weights were not fitted to: out of memory (Java heap space);"
                + " give the JVM more with SYNALIGN_JAVA_OPTS=-Xmx...;"), html);
        assertFalse(html.contains("align --holdout-folds"), "no advice to ask for the check");
        Files.delete(dir.resolve("r.html"));
        assertTrue(failed.out().contains("wrote " + dir + "/w.jsonl and " + dir
                + "/summary.json"), failed.out());
        assertFalse(failed.out().contains("held-out check ("), failed.out());

        Cli.Run checked = textAlignWith(TextAlignment.WeightLearner.MMD, "--holdout-folds", "3");
        assertEquals(0, checked.status(), checked::toString);
        JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
        JsonNode alignment = json.readTree(dir.resolve("run/alignment.json").toFile());
        assertTrue(summary.path("held_out").isObject(), summary::toString);
        assertEquals(summary.path("held_out"), alignment.path("held_out"));
        ((com.fasterxml.jackson.databind.node.ObjectNode) summary).putNull("held_out");
        ((com.fasterxml.jackson.databind.node.ObjectNode) alignment).putNull("held_out");
        assertEquals(without, List.of(Files.readString(dir.resolve("w.jsonl")), untimed(summary),
                untimed(alignment), Files.readString(dir.resolve("run/weighted.jsonl"))),
                "held_out added, nothing else changed");
        String out = checked.out();
        int wrote = out.indexOf("wrote " + dir + "/w.jsonl");
        int line = out.indexOf("held-out check (3 folds");
        int added = out.indexOf("added held_out to " + dir + "/summary.json and " + dir
                + "/run/alignment.json");
        assertTrue(wrote >= 0 && wrote < line && line < added, out);
    }

    /** The embeddings form: the weights and the summary of a run without the check. */
    @Test
    void aFailingCheckOfTheEmbeddingsFormLeavesItsWeightsAndSummary() throws IOException {
        Random rnd = new Random(9);
        real = rows(rnd, Collections.nCopies(10, "a"), NAMES, 3, 0);
        syn = rows(rnd, Collections.nCopies(23, "a"), NAMES, 3, 0.4);
        NpyFixtures.write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(10, 3, flat(real)));
        NpyFixtures.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(23, 3, flat(syn)));
        String[] base = {"align", "--real-embeddings", dir + "/r.npy", "--synthetic-embeddings",
            dir + "/s.npy", "--out", dir + "/w.npy", "--summary", dir + "/summary.json",
            "--backend", "reference", "--method", "exact", "--seed", "8", "--quiet"};
        TextAlignment.WeightLearner failing = failingInTheCheck(Set.of(10));
        Cli.Run plain = Cli.run(cl -> Cli.align(cl).learner = failing, base);
        assertEquals(0, plain.status(), plain::toString);
        byte[] weights = Files.readAllBytes(dir.resolve("w.npy"));
        JsonNode summary = untimed(json.readTree(dir.resolve("summary.json").toFile()));
        Files.delete(dir.resolve("w.npy"));
        Files.delete(dir.resolve("summary.json"));

        List<String> args = new ArrayList<>(List.of(base));
        args.addAll(List.of("--holdout-folds", "5"));
        Cli.Run failed = Cli.run(cl -> Cli.align(cl).learner = failing,
                args.toArray(String[]::new));
        assertEquals(ExitCodes.FAILURE, failed.status(), failed::toString);
        assertEquals(1, failed.errLines().size(), failed::toString);
        assertTrue(failed.errLines().get(0).startsWith("synalign: error: the outputs were"
                + " written, weights included (" + dir + "/w.npy and " + dir + "/summary.json),"
                + " complete and without the check's figures (held_out in " + dir
                + "/summary.json records the failure); then the held-out check failed: out of"
                + " memory"), failed::toString);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("w.npy")));
        JsonNode written = untimed(json.readTree(dir.resolve("summary.json").toFile()));
        assertEquals(5, written.path("held_out").path("folds").asInt(), written::toString);
        assertTrue(written.path("held_out").path("failed").asText().startsWith("out of memory"
                + " (Java heap space)"), written::toString);
        ((com.fasterxml.jackson.databind.node.ObjectNode) written).putNull("held_out");
        assertEquals(summary, written);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * S's header alone says that every fit is too large for the check's exact score, so the run
     * is refused before the fit (was: the fit paid for, then "no fit could be checked", exit 0).
     */
    @Test
    void rowsBeyondTheExactScoresLimitAreRefusedFromTheHeaders() throws IOException {
        int n = 44_720; // n^2 + 4 n + 16 just above 2e9 kernel entries
        NpyFixtures.write(dir.resolve("r.npy"), NpyFixtures.float32Matrix(4, 1,
                new double[] {0, 1, 2, 3}));
        NpyFixtures.write(dir.resolve("s.npy"), NpyFixtures.float32Matrix(n, 1,
                IntStream.range(0, n).mapToDouble(i -> i % 7).toArray()));
        Set<String> before = listing();
        int[] fits = {0};
        Cli.Run run = Cli.run(cl -> Cli.align(cl).learner = (b, c, r, s, p) -> {
            fits[0]++;
            double[] w = new double[(int) s.rows()];
            Arrays.fill(w, 1.0 / w.length);
            return new AlignmentResult(w, 1, 0, 0, "exact", 1, true, w.length,
                    AlignmentMethod.EXACT, "stub", 0);
        }, "align", "--real-embeddings", dir + "/r.npy", "--synthetic-embeddings",
                dir + "/s.npy", "--out", dir + "/w.npy", "--summary", dir + "/summary.json",
                "--backend", "reference", "--holdout-folds", "2", "--quiet");
        Cli.assertBadInputLine(run, dir, "--holdout-folds 2: 44,720 synthetic and 4 real rows are"
                + " more than the check's exact MMD^2 takes (n^2 + n m + m^2 = 2,000,057,296"
                + " kernel entries, more than 2,000,000,000: at most 44,719"
                + " synthetic rows beside 4 real); give 0 for no check");
        assertEquals(0, fits[0], "nothing fitted");
        assertEquals(before, listing(), "nothing written");
    }

    @Test
    void moreFoldsThanAnyLabelHasRowsIsRefusedBeforeAnyWork() throws IOException {
        textInputs();
        Set<String> before = listing();
        Cli.Run run = textAlign("w.jsonl", "--holdout-folds", "10", "--summary",
                dir + "/summary.json", "--run-dir", dir + "/run");
        Cli.assertBadInputLine(run, dir, "--holdout-folds 10: the largest label's 9 real rows"
                + " cannot make 10 folds of at least 2 rows (20 needed); give fewer folds, or 0"
                + " for no check");
        assertEquals(before, listing(), "nothing written");
        Cli.Run one = textAlign("w.jsonl", "--holdout-folds", "1");
        Cli.assertBadInputLine(one, dir, "--holdout-folds", "got 1");
        assertEquals(before, listing(), "nothing written");
    }
}
