package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --holdout-folds K}: the check of the alignment a run wrote is the one
 * {@code align --holdout-folds K} makes of the same rows (the run directory's embeddings,
 * labels and settings), in alignment.json, the --summary and on stdout; with --rounds it checks
 * the final alignment, of every round's rows; bad values exit 2 before any LLM request; and the
 * report of a run directory names {@code run --holdout-folds}, the command its user ran.
 */
class RunHoldoutTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_VAR = "SYNALIGN_TEST_KEY";

    @TempDir
    Path dir;

    /** 8 real rows of pos, 5 of neg: 2 folds fit both labels, 3 folds pos alone. */
    @BeforeEach
    void writeReal() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String t : GenerateCommandTest.POS) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "pos")).append('\n');
        }
        for (String t : GenerateCommandTest.NEG) {
            sb.append(JSON.createObjectNode().put("text", t).put("label", "neg")).append('\n');
        }
        Files.writeString(dir.resolve("real.jsonl"), sb.toString(), StandardCharsets.UTF_8);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private static Cli.Run run(Map<String, String> env, List<String> args) {
        return Cli.run(cl -> {
            RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
            cmd.loader = (spec, options) -> new GenerateCommandTest.HashEncoder();
            cmd.environment = env;
            cmd.builderHook = b -> b.sleeper(d -> { });
        }, args.toArray(String[]::new));
    }

    private List<String> offline(String runDir, String... extra) {
        List<String> a = new ArrayList<>(List.of("run", "--real", p("real.jsonl"), "--out",
                p(runDir + ".aligned.jsonl"), "--llm", "offline", "--synthetic-per-label", "9",
                "--no-cache", "--seed", "5", "--backend", "reference", "--method", "exact",
                "--quiet", "--run-dir", p(runDir)));
        a.addAll(List.of(extra));
        return a;
    }

    /**
     * {@code align --holdout-folds K} of the rows {@code runDir} holds, with the run's seed and
     * alignment settings; returns its summary.
     */
    private JsonNode alignOf(String runDir, int folds, String... extra) throws IOException {
        List<String> a = new ArrayList<>(List.of("align", "--real", p("real.jsonl"),
                "--synthetic", p(runDir + "/" + RunFiles.WEIGHTED), "--real-embeddings",
                p(runDir + "/" + RunFiles.REAL_EMBEDDINGS), "--synthetic-embeddings",
                p(runDir + "/" + RunFiles.SYNTHETIC_EMBEDDINGS), "--out", p(runDir + ".w.jsonl"),
                "--summary", p(runDir + ".align.json"), "--seed", "5", "--backend", "reference",
                "--method", "exact", "--quiet", "--holdout-folds", String.valueOf(folds)));
        a.addAll(List.of(extra));
        Cli.Run align = Cli.run(cl -> { }, a.toArray(String[]::new));
        assertEquals(0, align.status(), align::toString);
        assertTrue(align.out().contains("held-out check (" + folds + " folds"), align.out());
        return JSON.readTree(dir.resolve(runDir + ".align.json").toFile());
    }

    /** The check less its timing and peak memory, which differ between any two runs. */
    private static JsonNode untimed(JsonNode heldOut) {
        assertTrue(heldOut.isObject(), "a held_out object: " + heldOut);
        ObjectNode copy = heldOut.deepCopy();
        copy.remove("seconds");
        copy.remove("peak_rss_bytes");
        return copy;
    }

    /** The stdout line of the check, up to its timing. */
    private static String heldOutLine(String out) {
        return out.lines().filter(l -> l.startsWith("held-out check (")).findFirst()
                .map(l -> l.substring(0, l.lastIndexOf(", ")))
                .orElseThrow(() -> new AssertionError("no held-out line in: " + out));
    }

    @Test
    void theCheckOfARunIsAlignsCheckOfTheSameRows() throws IOException {
        Cli.Run plain = run(Map.of(), offline("rd0"));
        assertEquals(0, plain.status(), plain::toString);
        Cli.Run checked = run(Map.of(), offline("rd", "--holdout-folds", "2", "--summary",
                p("summary.json")));
        assertEquals(0, checked.status(), checked::toString);
        assertEquals(Files.readString(dir.resolve("rd0/" + RunFiles.WEIGHTED)),
                Files.readString(dir.resolve("rd/" + RunFiles.WEIGHTED)),
                "the check changes no weight");

        JsonNode alignment = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile());
        assertEquals("run", alignment.path("command").asText(), "the document names its writer");
        JsonNode held = alignment.path("held_out");
        JsonNode want = alignOf("rd", 2).path("held_out");
        assertEquals(untimed(want), untimed(held), "run's check is align's of the same rows");
        assertEquals(2, held.path("labels_checked").asInt(), held::toString);
        assertEquals(13, held.path("n_held_out").asInt(), held::toString);
        assertEquals(held, JSON.readTree(dir.resolve("summary.json").toFile())
                .path("alignment").path("held_out"), "the --summary records the same check");
        Cli.Run align = Cli.run(cl -> { }, "align", "--real", p("real.jsonl"), "--synthetic",
                p("rd/" + RunFiles.WEIGHTED), "--real-embeddings",
                p("rd/" + RunFiles.REAL_EMBEDDINGS), "--synthetic-embeddings",
                p("rd/" + RunFiles.SYNTHETIC_EMBEDDINGS), "--out", p("again.jsonl"), "--seed",
                "5", "--backend", "reference", "--method", "exact", "--quiet", "--holdout-folds",
                "2");
        assertEquals(heldOutLine(align.out()), heldOutLine(checked.out()), checked.out());
        assertFalse(plain.out().contains("held-out"), plain.out());

        // The setting is the alignment's: stated in alignment.json, not in generation.json.
        assertEquals(2, alignment.path("settings").path("--holdout-folds").asInt(-1));
        assertTrue(alignment.path("given").toString().contains("--holdout-folds"));
        assertFalse(JSON.readTree(dir.resolve("rd/" + RunFiles.GENERATION).toFile())
                .path("settings").has("--holdout-folds"));
        assertEquals(0, JSON.readTree(dir.resolve("rd0/" + RunFiles.ALIGNMENT).toFile())
                .path("settings").path("--holdout-folds").asInt(-1));
    }

    /**
     * A check that fails once the outputs are written leaves them as a run without it writes
     * them (was: it ran first, and its failure lost the generated rows' weights), exit 1 and
     * one line; a check that succeeds adds held_out and changes nothing else.
     */
    @Test
    void aFailingCheckLeavesTheRunsOutputsAsWithoutIt() throws IOException {
        // pos has 8 real rows, neg 5: the folds' fits see 4, 2 or 3 and run out of memory.
        TextAlignment.WeightLearner failing = (backend, config, r, s, progress) -> {
            if (r.rows() != 8 && r.rows() != 5) {
                throw new OutOfMemoryError("Java heap space");
            }
            return TextAlignment.WeightLearner.MMD.fit(backend, config, r, s, progress);
        };
        List<String> plainArgs = offline("rd", "--summary", p("summary.json"));
        Cli.Run plain = runWith(failing, plainArgs);
        assertEquals(0, plain.status(), plain::toString);
        List<Object> without = outputs("rd");
        for (String f : List.of("rd.aligned.jsonl", "summary.json")) {
            Files.delete(dir.resolve(f));
        }
        try (Stream<Path> files = Files.walk(dir.resolve("rd"))) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
        List<String> checkedArgs = new ArrayList<>(plainArgs);
        checkedArgs.addAll(List.of("--holdout-folds", "2"));

        Cli.Run failed = runWith(failing, checkedArgs);
        assertEquals(ExitCodes.FAILURE, failed.status(), failed::toString);
        assertEquals(1, failed.errLines().size(), failed::toString);
        assertTrue(failed.errLines().get(0).startsWith("synalign: error: the outputs were"
                + " written, weights included (" + p("rd.aligned.jsonl") + ", "
                + p("summary.json") + " and the run directory " + p("rd") + "), complete and"
                + " without the check's figures (held_out in " + p("summary.json") + " and "
                + p("rd/" + RunFiles.ALIGNMENT) + " records the failure); then the held-out"
                + " check failed: out of memory"), failed::toString);
        List<Object> failedOutputs = outputs("rd");
        ObjectNode failedSummary = (ObjectNode) ((JsonNode) failedOutputs.get(2)).path("alignment");
        ObjectNode failedAlignment = (ObjectNode) failedOutputs.get(3);
        for (ObjectNode doc : List.of(failedSummary, failedAlignment)) {
            assertEquals(2, doc.path("held_out").path("folds").asInt(), doc::toString);
            assertTrue(doc.path("held_out").path("failed").asText().startsWith("out of memory"
                    + " (Java heap space); give the JVM more"), doc::toString);
            doc.putNull("held_out");
        }
        assertEquals(without, failedOutputs, "the outputs of a run without the check");

        Cli.Run checked = runWith(TextAlignment.WeightLearner.MMD, checkedArgs);
        assertEquals(0, checked.status(), checked::toString);
        JsonNode summary = JSON.readTree(dir.resolve("summary.json").toFile());
        JsonNode alignment = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile());
        assertTrue(alignment.path("held_out").isObject(), alignment::toString);
        assertEquals(alignment.path("held_out"), summary.path("alignment").path("held_out"));
        ((ObjectNode) summary.path("alignment")).putNull("held_out");
        ((ObjectNode) alignment).putNull("held_out");
        assertEquals(without, List.of(Files.readString(dir.resolve("rd.aligned.jsonl")),
                Files.readString(dir.resolve("rd/" + RunFiles.WEIGHTED)),
                AlignHoldoutTest.untimed(summary), AlignHoldoutTest.untimed(alignment)),
                "held_out added, nothing else changed");
        String out = checked.out();
        int wrote = out.indexOf("wrote the run directory " + p("rd"));
        int line = out.indexOf("held-out check (2 folds");
        int added = out.indexOf("added held_out to " + p("summary.json") + " and "
                + p("rd/" + RunFiles.ALIGNMENT));
        assertTrue(wrote >= 0 && wrote < line && line < added, out);
    }

    private static Cli.Run runWith(TextAlignment.WeightLearner learner, List<String> args) {
        return Cli.run(cl -> {
            RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
            cmd.loader = (spec, options) -> new GenerateCommandTest.HashEncoder();
            cmd.environment = Map.of();
            cmd.learner = learner;
        }, args.toArray(String[]::new));
    }

    /** A run's aligned rows and weights (bytes), its summary and alignment.json (untimed). */
    private List<Object> outputs(String runDir) throws IOException {
        return List.of(Files.readString(dir.resolve(runDir + ".aligned.jsonl")),
                Files.readString(dir.resolve(runDir + "/" + RunFiles.WEIGHTED)),
                AlignHoldoutTest.untimed(JSON.readTree(dir.resolve("summary.json").toFile())),
                AlignHoldoutTest.untimed(JSON.readTree(dir.resolve(runDir + "/"
                        + RunFiles.ALIGNMENT).toFile())));
    }

    @Test
    void aGlobalScopeChecksTheOneFitAsAlignDoes() throws IOException {
        Cli.Run checked = run(Map.of(), offline("rd", "--scope", "global", "--holdout-folds",
                "3"));
        assertEquals(0, checked.status(), checked::toString);
        JsonNode held = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile())
                .path("held_out");
        assertEquals(untimed(alignOf("rd", 3, "--scope", "global").path("held_out")),
                untimed(held));
        assertEquals(13, held.path("n_held_out").asInt(), held::toString);
        assertTrue(checked.out().contains("held-out check (3 folds, 13 real rows not fitted to)"),
                checked.out());
    }

    @Test
    void withRoundsTheFinalAlignmentOfEveryRoundsRowsIsChecked() throws IOException {
        String key = "sk-holdout-" + System.nanoTime();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            Cli.Run r = run(Map.of(KEY_VAR, key), List.of("run", "--real", p("real.jsonl"),
                    "--out", p("aligned.jsonl"), "--llm", server.baseUrl(), "--model",
                    "fake-model", "--api-key-env", KEY_VAR, "--synthetic-per-label", "8",
                    "--samples-per-summary", "2", "--demos-per-prompt", "2", "--no-cache",
                    "--seed", "5", "--backend", "reference", "--method", "exact", "--quiet",
                    "--rounds", "2", "--holdout-folds", "2", "--run-dir", p("rd")));
            assertEquals(0, r.status(), r::toString);
        }
        JsonNode alignment = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile());
        assertEquals("run", alignment.path("command").asText(), "the document names its writer");
        JsonNode held = alignment.path("held_out");
        assertEquals(untimed(alignOf("rd", 2).path("held_out")), untimed(held));
        JsonNode rounds = JSON.readTree(dir.resolve("rd/" + RunFiles.GENERATION).toFile())
                .path("rounds");
        assertEquals(2, rounds.size(), rounds::toString);
        int synthetic = 0;
        for (JsonNode l : held.path("labels")) {
            synthetic += l.path("n_synthetic").asInt();
        }
        assertEquals(Files.readAllLines(dir.resolve("rd/" + RunFiles.WEIGHTED)).size(), synthetic,
                "the check's synthetic rows are every round's");
        assertEquals(2, held.path("fits").asInt() / held.path("labels_checked").asInt(),
                "K fits per label, for the final alignment alone");
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void badFoldCountsExit2BeforeAnyRequestAndWriteNothing() throws IOException {
        String key = "sk-holdout-" + System.nanoTime();
        Set<String> before = listing();
        try (FakeOpenAiServer server = new FakeOpenAiServer(key).samplesPerReply(2)) {
            List<String> base = List.of("run", "--real", p("real.jsonl"), "--out",
                    p("aligned.jsonl"), "--llm", server.baseUrl(), "--model", "fake-model",
                    "--api-key-env", KEY_VAR, "--synthetic-per-label", "4", "--no-cache",
                    "--backend", "reference", "--quiet", "--run-dir", p("rd"), "--summary",
                    p("s.json"));
            String[][] cases = {
                {"1", "--holdout-folds", "must be 0 (no check) or a number of folds >= 2, got 1"},
                {"-3", "--holdout-folds", "got -3"},
                {"five", "--holdout-folds", "'five' is not an integer"},
                {"5", "--holdout-folds 5: the largest label's 8 real rows cannot make 5 folds of"
                        + " at least 2 rows (10 needed); give fewer folds, or 0 for no check"},
            };
            for (String[] c : cases) {
                List<String> args = new ArrayList<>(base);
                args.addAll(List.of("--holdout-folds", c[0]));
                Cli.assertBadInputLine(run(Map.of(KEY_VAR, key), args), dir,
                        java.util.Arrays.copyOfRange(c, 1, c.length));
            }
            List<String> global = new ArrayList<>(base);
            global.addAll(List.of("--scope", "global", "--holdout-folds", "7"));
            Cli.assertBadInputLine(run(Map.of(KEY_VAR, key), global), dir, "--holdout-folds 7:"
                    + " the 13 real rows cannot make 7 folds of at least 2 rows (14 needed)");
            // Rows past the exact score's limit, planned from the quotas: refused before any
            // request, as align refuses them from its inputs (the plan counted one row a label).
            for (String scope : List.of("per-label", "global")) {
                List<String> large = new ArrayList<>(base);
                large.set(large.indexOf("--synthetic-per-label") + 1, "45000");
                large.addAll(List.of("--scope", scope, "--holdout-folds", "2"));
                Cli.assertBadInputLine(run(Map.of(KEY_VAR, key), large), dir, "--holdout-folds 2:",
                        "synthetic and", "give 0 for no check");
            }
            assertEquals(0, server.requests.get(), "no LLM request");
        }
        assertEquals(before, listing(), "nothing written");
    }

    /**
     * Labels the check will skip, known before the LLM is asked for rows, are named up front in
     * one warning while others can still be checked: a label whose real rows cannot make the
     * folds (neg: 5 real rows, 3 folds need 6), and one no row is asked for (neg's share of
     * --synthetic-rows 1 rounds to 0). Shown before the encoder loads (a loader that fails
     * stops the run there, the warning already given); the run then goes on and the check's own
     * line names the skipped label as before.
     */
    @Test
    void labelsTheCheckWillSkipAreNamedBeforeAnyRowIsGenerated() throws IOException {
        String folds = "--holdout-folds 3: the check will skip label 'neg' (5 real rows, fewer than the 6 that"
                + " 3 folds of at least 2 need), and check the other 1 label";
        String quota = "--holdout-folds 2: the check will skip label 'neg' (no synthetic rows are asked for it),"
                + " and check the other 1 label";
        String[][] cases = {
            {folds, "--synthetic-per-label", "9", "--holdout-folds", "3"},
            {quota, "--synthetic-rows", "1", "--holdout-folds", "2"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("run", "--real", p("real.jsonl"), "--out", p("a.jsonl"),
                    "--llm", "offline", "--no-cache", "--seed", "5", "--backend", "reference", "--method", "exact",
                    "--quiet"));
            args.addAll(List.of(c).subList(1, c.length));
            Cli.Run stopped = Cli.run(cl -> {
                RunCommand cmd = (RunCommand) cl.getSubcommands().get("run").getCommand();
                cmd.loader = (spec, options) -> {
                    throw new IllegalStateException("the encoder loads after the warning");
                };
            }, args.toArray(String[]::new));
            assertTrue(stopped.status() != 0, stopped::toString);
            assertTrue(stopped.err().startsWith("synalign: warning: " + c[0] + "\n"), stopped.err());
            assertEquals(1, stopped.err().split("will skip", -1).length - 1, stopped.err());

            Cli.Run ran = run(Map.of(), args);
            assertEquals(0, ran.status(), ran::toString);
            assertTrue(ran.err().contains("synalign: warning: " + c[0] + "\n"), ran.err());
            assertTrue(ran.out().contains("note: held-out check skipped label 'neg': "), ran.out());
            assertTrue(ran.out().contains("held-out check (" + c[c.length - 1] + " folds, 8 real rows not fitted"
                    + " to)"), ran.out());
        }
        // Every label checkable: no warning.
        Cli.Run all = run(Map.of(), offline("rd", "--holdout-folds", "2"));
        assertEquals(0, all.status(), all::toString);
        assertFalse(all.err().contains("will skip"), all.err());
    }

    /**
     * A label left without generated rows after the LLM work (here every neg row generated is
     * removed by --leakage-against, which cannot be known before they exist): the check goes on
     * for the other label and its line names the one left out and why, in alignment.json too;
     * before, neg was left out of the check without a word.
     */
    @Test
    void aLabelLeftWithoutRowsAfterGenerationIsNamedAndTheRestIsChecked() throws IOException {
        Cli.Run first = run(Map.of(), offline("rd0", "--synthetic-out", p("every.jsonl")));
        assertEquals(0, first.status(), first::toString);
        StringBuilder negRows = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("every.jsonl"))) {
            if (JSON.readTree(line).path("label").asText().equals("neg")) {
                negRows.append(JSON.createObjectNode().put("text", JSON.readTree(line).path("text").asText()))
                        .append('\n');
            }
        }
        assertTrue(negRows.length() > 0);
        Files.writeString(dir.resolve("leak.jsonl"), negRows.toString());
        Cli.Run r = run(Map.of(), offline("rd", "--leakage-against", p("leak.jsonl"), "--filter-threshold",
                "0.9999", "--holdout-folds", "2"));
        assertEquals(0, r.status(), r::toString);
        assertFalse(r.err().contains("will skip"), "not known up front: " + r.err());
        assertTrue(r.out().contains("held-out check (2 folds, 8 real rows not fitted to): "), r.out());
        assertTrue(r.out().contains("lower in ") && r.out().contains(" of 1 label;"), r.out());
        assertTrue(r.out().contains("note: held-out check skipped label 'neg': no synthetic rows, so no weights were"
                + " fitted to check\n"), r.out());
        JsonNode held = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile()).path("held_out");
        assertEquals(1, held.path("labels_checked").asInt(), held::toString);
        JsonNode neg = null;
        for (JsonNode l : held.path("labels")) {
            neg = l.path("label").asText().equals("neg") ? l : neg;
        }
        assertTrue(neg != null, held::toString);
        assertEquals(0, neg.path("n_synthetic").asInt(-1));
        assertEquals(5, neg.path("n_real").asInt());
        assertEquals("no synthetic rows, so no weights were fitted to check", neg.path("skipped").asText());
    }

    @Test
    void theReportOfARunNamesRunHoldoutFolds() throws IOException {
        Cli.Run plain = run(Map.of(), offline("rd"));
        assertEquals(0, plain.status(), plain::toString);
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("rd"), "--out", p("r.html"));
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(dir.resolve("r.html"));
        // 8 real rows a label: 4 folds of 2 is the most the advice can name without a refusal.
        assertTrue(html.contains("Run <code>synalign run --holdout-folds 4</code> to measure it"),
                html);
        assertTrue(html.contains("<code>synalign run --holdout-folds 4</code> measures it on real"
                + " rows the weights did not see."), html);
        assertTrue(html.contains("(<code>run --holdout-folds K</code> measures that"), html);
        assertFalse(html.contains("align --holdout-folds"), html);
        // run's own test scores the very rows it fitted to, and says so as a fact.
        assertTrue(html.contains("id=\"two-sample-in-sample\">The weights were fitted to these"
                + " very real rows (the run directory&#39;s alignment.json records the same 13"
                + " rows)"), html);
        assertEquals("same", JSON.readTree(dir.resolve("rd/" + RunFiles.TEST).toFile())
                .path("in_sample").path("status").asText());
        assertEquals(JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile())
                .path("real_rows").path("sha256").asText(), io.synalign.pipeline
                .ReferenceFingerprint.set(
                        java.util.stream.Stream.concat(
                                java.util.Collections.nCopies(8, "pos").stream(),
                                java.util.Collections.nCopies(5, "neg").stream()).toList(),
                        java.util.stream.Stream.concat(GenerateCommandTest.POS.stream(),
                                GenerateCommandTest.NEG.stream()).toList()));

        // With the check, the report shows its figures instead of the advice.
        Cli.Run checked = run(Map.of(), offline("rc", "--holdout-folds", "2"));
        assertEquals(0, checked.status(), checked::toString);
        Cli.Run report2 = Cli.run(cl -> { }, "report", "--run", p("rc"), "--out", p("c.html"));
        assertEquals(0, report2.status(), report2::toString);
        String withCheck = Files.readString(dir.resolve("c.html"));
        assertTrue(withCheck.contains("On real rows each fit left out (2-fold cross-fitting, 13"
                + " rows)"), withCheck);
        assertTrue(withCheck.contains("<table id=\"mmd-heldout-table\">"), withCheck);
        assertFalse(withCheck.contains("--holdout-folds 5"), withCheck);
    }
}
