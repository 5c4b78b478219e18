package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign test} on the real encoder: a split of one real set passes, synthetic rows of
 * other labels fail in every label, and weighting a drifted pool raises the p-value.
 */
class TestCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOPICS = List.of("sports", "cooking", "finance");

    @TempDir
    Path dir;

    private void write(String name, List<String> texts, List<String> labels, List<Double> weights) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            var o = JSON.createObjectNode().put("text", texts.get(i)).put("label", labels.get(i));
            if (weights != null) {
                o.put("synalign_weight", weights.get(i));
            }
            sb.append(o).append('\n');
        }
        Files.writeString(dir.resolve(name), sb);
    }

    private JsonNode test(String real, String synthetic, String... extra) throws IOException {
        TestEncoders.Counter counter = new TestEncoders.Counter();
        List<String> args = new java.util.ArrayList<>(List.of("test", "--real", dir.resolve(real).toString(),
                "--synthetic", dir.resolve(synthetic).toString(), "--summary", dir.resolve("t.json").toString(),
                "--permutations", "199", "--seed", "1", "--no-cache", "-q"));
        args.addAll(List.of(extra));
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader = counter.loader(),
                args.toArray(String[]::new));
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("(overall)"), run.out());
        JsonNode summary = JSON.readTree(dir.resolve("t.json").toFile());
        assertEquals(summary.has("labels_in_one_file"), run.out().contains("not tested on their own (in one"
                + " file only; their rows count in (overall)): "), run.out());
        return summary;
    }

    /** A label of wide characters is padded by the columns a terminal shows (session 24's Open). */
    @Test
    void aWideLabelIsPaddedByTerminalColumns() throws IOException {
        List<String> texts = new java.util.ArrayList<>(TopicTexts.real("sports", 24, 3));
        texts.addAll(TopicTexts.real("cooking", 24, 4));
        List<String> labels = new java.util.ArrayList<>();
        for (int i = 0; i < 48; i++) {
            labels.add(i < 24 ? "日本語" : "cooking");
        }
        write("real.jsonl", texts.subList(0, 48), labels, null);
        List<String> synthetic = new java.util.ArrayList<>(TopicTexts.real("sports", 24, 5));
        synthetic.addAll(TopicTexts.real("cooking", 24, 6));
        write("synthetic.jsonl", synthetic, labels, null);
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader
                = new TestEncoders.Counter().loader(), "test", "--real", dir.resolve("real.jsonl").toString(),
                "--synthetic", dir.resolve("synthetic.jsonl").toString(), "--permutations", "199",
                "--seed", "1", "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        List<String> lines = run.out().lines().toList();
        // The header's "real" ends in column 22 (15 for the label, a space, 6 for the count).
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("label" + " ".repeat(10) + "   real ")),
                run.out());
        // 日本語 takes 6 columns, so 9 spaces of padding and the separator, then "    24".
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("日本語" + " ".repeat(9) + "     24 ")),
                run.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("cooking" + " ".repeat(8) + "     24 ")),
                run.out());
    }

    /** Texts cut to --max-length are counted in one note, as embed, align and run count them. */
    @Test
    void textsTruncatedByTheEncoderAreNoted() throws IOException {
        List<String> texts = new java.util.ArrayList<>(TopicTexts.real("sports", 40, 7));
        texts.set(3, "a long match report " + "with one more sentence about the game ".repeat(60));
        List<String> labels = java.util.Collections.nCopies(40, "sports");
        write("real.jsonl", texts.subList(0, 20), labels.subList(0, 20), null);
        write("synthetic.jsonl", texts.subList(20, 40), labels.subList(20, 40), null);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = counter.loader(), "test", "--real", dir.resolve("real.jsonl").toString(),
                "--synthetic", dir.resolve("synthetic.jsonl").toString(), "--permutations", "199",
                "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().startsWith("note: 1 of 40 texts were longer than 128 tokens and were"
                + " truncated (--max-length)\n"), run.out());
    }

    @Test
    void aSplitOfOneSetPassesAndOtherLabelsFail() throws IOException {
        List<String> texts = new java.util.ArrayList<>();
        List<String> labels = new java.util.ArrayList<>();
        List<String> texts2 = new java.util.ArrayList<>();
        List<String> labels2 = new java.util.ArrayList<>();
        List<String> swapped = new java.util.ArrayList<>();
        for (String t : TOPICS) {
            List<String> all = TopicTexts.real(t, 60, t.hashCode());
            texts.addAll(all.subList(0, 30));
            texts2.addAll(all.subList(30, 60));
            for (int i = 0; i < 30; i++) {
                labels.add(t);
                labels2.add(t);
                // the next topic's label on this topic's rows
                swapped.add(TOPICS.get((TOPICS.indexOf(t) + 1) % 3));
            }
        }
        write("real.jsonl", texts, labels, null);
        write("same.jsonl", texts2, labels2, null);
        write("other.jsonl", texts2, swapped, null);

        JsonNode same = test("real.jsonl", "same.jsonl");
        int passing = 0;
        for (String t : TOPICS) {
            JsonNode l = same.path("labels").path(t);
            assertEquals(30, l.path("real").asInt());
            assertTrue(l.path("mmd2").isNumber() && l.path("p_value").isNumber(), l.toString());
            passing += l.path("p_value").asDouble() >= 0.01 ? 1 : 0;
        }
        assertTrue(passing >= 2, "a split of one set passes in most labels: " + same);
        assertTrue(same.path("overall").path("p_value").asDouble() >= 0.01, same.toString());
        assertFalse(same.path("overall").has("p_value_weighted"), "no --weighted");

        int indistinct = 0;
        for (String t : TOPICS) {
            indistinct += same.path("labels").path(t).path("auc").asDouble() < 0.75 ? 1 : 0;
        }
        assertTrue(indistinct >= 2, "the classifier cannot tell a split apart in most labels: " + same);

        // A label in one file only cannot be tested on its own: it was left out silently.
        List<String> renamed = new java.util.ArrayList<>(labels2);
        renamed.replaceAll(l -> l.equals(TOPICS.get(0)) ? "NEW" : l);
        write("partial.jsonl", texts2, renamed, null);
        JsonNode partial = test("real.jsonl", "partial.jsonl");
        assertEquals(List.of(TOPICS.get(1), TOPICS.get(2)), iterable(partial.path("labels").fieldNames()));
        assertEquals("[\"" + TOPICS.get(0) + "\"]", partial.path("labels_in_one_file").path("real").toString());
        assertEquals("[\"NEW\"]", partial.path("labels_in_one_file").path("synthetic").toString());
        assertFalse(same.has("labels_in_one_file"), same.toString());

        JsonNode other = test("real.jsonl", "other.jsonl");
        for (String t : TOPICS) {
            JsonNode l = other.path("labels").path(t);
            assertTrue(l.path("p_value").asDouble() < 0.01, other.toString());
            assertTrue(l.path("auc").asDouble() > 0.9, "the classifier tells other topics apart: " + l);
        }
    }

    @Test
    void weightingADriftedPoolRaisesThePValue() throws IOException {
        List<String> real = TopicTexts.real("cooking", 40, 5);
        // The pool: more rows like the real ones, and off-topic astronomy; the weights keep the first.
        List<String> pool = new java.util.ArrayList<>(TopicTexts.real("cooking", 70, 5).subList(40, 70));
        pool.addAll(TopicTexts.offTopic(30, 7));
        List<Double> w = new java.util.ArrayList<>();
        for (int i = 0; i < 60; i++) {
            w.add(i < 30 ? 1.0 : 0.0);
        }
        write("real.jsonl", real, java.util.Collections.nCopies(40, "cooking"), null);
        write("pool.jsonl", pool, java.util.Collections.nCopies(60, "cooking"), w);
        JsonNode t = test("real.jsonl", "pool.jsonl", "--weighted", dir.resolve("pool.jsonl").toString(),
                "--run-dir", dir.resolve("run").toString());
        JsonNode c = t.path("labels").path("cooking");
        assertTrue(c.path("mmd2_weighted").asDouble() < c.path("mmd2").asDouble(), c.toString());
        assertTrue(c.path("p_value_weighted").asDouble() > c.path("p_value").asDouble(), c.toString());
        assertEquals(1.0 / 200, c.path("p_value").asDouble(), 1e-12, "the drifted pool is distinguishable");
        assertTrue(c.path("auc_weighted").asDouble() < c.path("auc").asDouble(), c.toString());
        // Under the weights, the rows listed as over-represented are rows that carry weight.
        assertEquals(io.synalign.pipeline.TwoSampleTesting.DEFAULT_WITNESS_ROWS, c.path("over_represented").size(), c.toString());
        for (JsonNode r : c.path("over_represented")) {
            assertTrue(r.path("row").asInt() < 30, "a row with weight: " + r);
            assertEquals(pool.get(r.path("row").asInt()), r.path("text").asText());
        }
        com.fasterxml.jackson.databind.node.ObjectNode inRun = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(dir.resolve("run/test.json").toFile());
        assertEquals("format", inRun.fieldNames().next(), "the run document's format number first");
        inRun.remove("format");
        assertEquals(JSON.readTree(dir.resolve("t.json").toFile()), inRun,
                "--run-dir writes the summary as test.json (numbered)");

        // Uniform, the over-represented synthetic rows are the off-topic ones, and the witness
        // lists them from the most negative on.
        JsonNode u = test("real.jsonl", "pool.jsonl").path("labels").path("cooking");
        double last = Double.NEGATIVE_INFINITY;
        for (JsonNode r : u.path("over_represented")) {
            assertTrue(r.path("row").asInt() >= 30, "an off-topic row: " + r);
            assertTrue(r.path("witness").asDouble() < 0 && r.path("witness").asDouble() >= last, u.toString());
            last = r.path("witness").asDouble();
        }
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode r : u.path("under_covered")) {
            assertEquals(real.get(r.path("row").asInt()), r.path("text").asText());
            assertTrue(r.path("witness").asDouble() <= previous, u.toString());
            previous = r.path("witness").asDouble();
        }
    }

    /**
     * Synthetic rows that copy the real rows pass the MMD test, and the classifier does worse
     * than chance: a held-out real row is scored like its copies, which sit in the training folds
     * as synthetic rows. The command says what that means.
     */
    @Test
    void copiesOfTheRealRowsGiveAnAucBelowChanceAndANote() throws IOException {
        List<String> real = new java.util.ArrayList<>(TopicTexts.real("cooking", 14, 9));
        real.addAll(TopicTexts.real("sports", 13, 9));
        real.addAll(TopicTexts.real("finance", 13, 9));
        // Each real text three times, as a generator that copies its demonstrations writes.
        List<String> copies = new java.util.ArrayList<>();
        for (String t : real) {
            for (int k = 0; k < 3; k++) {
                copies.add(t);
            }
        }
        write("real.jsonl", real, java.util.Collections.nCopies(real.size(), "mixed"), null);
        write("copies.jsonl", copies, java.util.Collections.nCopies(copies.size(), "mixed"), null);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader = counter.loader(),
                "test", "--real", dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("copies.jsonl").toString(), "--summary", dir.resolve("t.json").toString(),
                "--permutations", "100", "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        // 99 permutations cannot give p < 0.01 (1/100 is not below it): refused before any work.
        Cli.assertBadInputLine(Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = counter.loader(), "test", "--real", dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("copies.jsonl").toString(), "--summary", dir.resolve("t98.json").toString(),
                "--permutations", "99", "--no-cache", "-q"), dir, "--permutations 99: at least 100 (the"
                + " smallest p-value is 1/(P+1) = 0.01,");
        assertFalse(Files.exists(dir.resolve("t98.json")));
        JsonNode c = JSON.readTree(dir.resolve("t.json").toFile()).path("labels").path("mixed");
        assertTrue(c.path("auc").asDouble() < io.synalign.pipeline.TwoSampleTesting.COPY_AUC, c.toString());
        assertTrue(c.path("p_value").asDouble() >= 0.01, "the MMD test cannot tell copies apart: " + c);
        assertTrue(run.out().contains("AUC below 0.35 (and 3 standard deviations of chance) in mixed, (overall): the classifier does worse"
                + " than chance, which near-copies of real rows cause"), run.out());
    }

    /**
     * Weights that favour synthetic rows next to the very real rows tested (here, copies of them
     * weighted 1 beside other rows weighted 0.02) give a weighted AUC below chance at the weights'
     * effective sample size, which the command names; with weights, it always notes that the
     * weighted columns are in-sample for weights learned against these rows.
     */
    @Test
    void weightsFavouringRowsNextToTheRealRowsAreNamedAndTheWeightedColumnsSaidInSample() throws IOException {
        List<String> real = new java.util.ArrayList<>(TopicTexts.real("cooking", 20, 9));
        real.addAll(TopicTexts.real("sports", 20, 9));
        List<String> pool = new java.util.ArrayList<>(real);
        pool.addAll(TopicTexts.real("cooking", 60, 9).subList(20, 60));
        pool.addAll(TopicTexts.real("sports", 60, 9).subList(20, 60));
        List<Double> w = new java.util.ArrayList<>();
        for (int i = 0; i < pool.size(); i++) {
            w.add(i < real.size() ? 1.0 : 0.02);
        }
        write("real.jsonl", real, java.util.Collections.nCopies(real.size(), "mixed"), null);
        write("pool.jsonl", pool, java.util.Collections.nCopies(pool.size(), "mixed"), w);
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader = counter.loader(),
                "test", "--real", dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("pool.jsonl").toString(), "--weighted", dir.resolve("pool.jsonl").toString(),
                "--summary", dir.resolve("t.json").toString(), "--permutations", "199", "--no-cache", "-q");
        assertEquals(0, run.status(), run.toString());
        JsonNode c = JSON.readTree(dir.resolve("t.json").toFile()).path("labels").path("mixed");
        double sum = 0;
        double sumSq = 0;
        for (double v : w) {
            sum += v;
            sumSq += v * v;
        }
        assertEquals(sum * sum / sumSq, c.path("ess_weighted").asDouble(), 1e-9, c.toString());
        double bound = Math.min(io.synalign.pipeline.TwoSampleTesting.COPY_AUC,
                io.synalign.pipeline.TwoSampleTesting.copyAucBound(real.size(),
                        (int) Math.round(sum * sum / sumSq)));
        assertTrue(c.path("auc_weighted").asDouble() < bound, c.toString());
        assertTrue(run.out().contains("weighted AUC below 0.35 (and 3 standard deviations of chance at the"
                + " weights' effective sample size) in mixed, (overall): the weights favour synthetic rows"
                + " next to these very real rows"), run.out());
        String note = "note: the weighted columns score the weights against these real rows; weights"
                + " learned against them (align --real this file) are scored in-sample";
        assertTrue(run.out().contains(note), run.out());

        var chance = new io.synalign.pipeline.TwoSampleTesting.Figures(16, 60, 0, 1, 0.5, 0.0, 1.0,
                0.20, 8.0, List.of(), List.of());
        assertFalse(chance.weightedBelowChance(), "0.20 is chance at an ESS of 8 (bound 0.12)");
        var fitted = new io.synalign.pipeline.TwoSampleTesting.Figures(16, 60, 0, 1, 0.5, 0.0, 1.0,
                0.20, 60.0, List.of(), List.of());
        assertTrue(fitted.weightedBelowChance(), "0.20 at an ESS of 60 beside 16 real rows (bound 0.25)");

        Cli.Run unweighted = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand()).loader = counter.loader(),
                "test", "--real", dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("pool.jsonl").toString(), "--permutations", "199", "--no-cache", "-q");
        assertEquals(0, unweighted.status(), unweighted.toString());
        assertFalse(unweighted.out().contains("in-sample"), unweighted.out());
    }

    private static List<String> iterable(java.util.Iterator<String> names) {
        List<String> out = new java.util.ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }

    /**
     * Labelled real rows against unlabelled synthetic or weighted rows: every per-label test was
     * dropped without a word (exit 0, the overall row alone). Now the pooled test runs with a
     * note, and a --label-field given explicitly is refused before the model loads. The
     * near-copies note needs an AUC three null deviations below chance: 0.34 from 12 rows a side
     * is chance.
     */
    @Test
    void unlabelledRowsBesideLabelledOnesAreNotedOrRefusedAndSmallAucsAreNoCopies() throws IOException {
        write("real.jsonl", List.of("a cat", "a dog", "the sea", "a lake"), List.of("x", "x", "y", "y"), null);
        Files.writeString(dir.resolve("plain.jsonl"), "{\"text\": \"a bird\"}\n{\"text\": \"a river\"}\n");
        Files.writeString(dir.resolve("plainw.jsonl"), "{\"text\": \"a bird\", \"synalign_weight\": 1}\n");
        TestEncoders.Counter counter = new TestEncoders.Counter();
        Cli.assertBadInputLine(Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = counter.forbidden(), "test", "--real", dir.resolve("real.jsonl").toString(),
                "--synthetic", dir.resolve("plain.jsonl").toString(), "--label-field", "label"), dir,
                "plain.jsonl: no record has the label field 'label' given with --label-field, which the"
                + " --real records have: the per-label tests need it in --synthetic too");
        Cli.Run pooled = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = counter.loader(), "test", "--real", dir.resolve("real.jsonl").toString(),
                "--synthetic", dir.resolve("plain.jsonl").toString(), "--weighted",
                dir.resolve("plainw.jsonl").toString(), "--permutations", "199", "--no-cache", "-q");
        assertEquals(0, pooled.status(), pooled::toString);
        assertTrue(pooled.out().contains("note: --synthetic " + dir.resolve("plain.jsonl") + " has no"
                + " label field 'label': only the pooled test (overall) is run, not one per label"),
                pooled::toString);
        assertTrue(pooled.out().contains("note: --weighted " + dir.resolve("plainw.jsonl")), pooled::toString);
        assertTrue(pooled.out().contains("(overall)"), pooled::toString);

        double bound = io.synalign.pipeline.TwoSampleTesting.copyAucBound(12, 12);
        assertTrue(bound < 0.2, "three deviations of chance at 12 a side: " + bound);
        assertTrue(io.synalign.pipeline.TwoSampleTesting.copyAucBound(4000, 4000) > 0.47);
        var chance = new io.synalign.pipeline.TwoSampleTesting.Figures(12, 12, 0, 1, 0.34, null, null,
                null, null, List.of(), List.of());
        assertFalse(chance.suggestsCopies(), "0.34 at 12 a side");
        var copies = new io.synalign.pipeline.TwoSampleTesting.Figures(400, 400, 0, 1, 0.34, null, null,
                null, null, List.of(), List.of());
        assertTrue(copies.suggestsCopies(), "0.34 at 400 a side");
    }
}
