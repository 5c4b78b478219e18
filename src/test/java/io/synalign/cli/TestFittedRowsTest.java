package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.pipeline.ReferenceFingerprint;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code test --weighted --run-dir DIR} knows whether its real rows are those the weights in DIR
 * were fitted to: align records them (a fingerprint, count and, for a few-shot set, the rows'
 * digests) in alignment.json and the summary; test compares its own {@code --real} rows with
 * the record and says as a fact that the weighted columns are in-sample, partly, or not, in its
 * note and in test.json, which the report reads; with no record it words it as a condition, as
 * before, naming why.
 */
class TestFittedRowsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<String> texts = new ArrayList<>();
    private final List<String> labels = new ArrayList<>();

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private void jsonl(String name, List<String> t, List<String> l) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < t.size(); i++) {
            sb.append(JSON.createObjectNode().put("text", t.get(i)).put("label", l.get(i)))
                    .append('\n');
        }
        Files.writeString(dir.resolve(name), sb.toString(), StandardCharsets.UTF_8);
    }

    /** 13 real rows (8 pos, 5 neg) and 20 synthetic ones; align writes the run directory rd. */
    @BeforeEach
    void align() throws IOException {
        texts.addAll(GenerateCommandTest.POS);
        texts.addAll(GenerateCommandTest.NEG);
        labels.addAll(Collections.nCopies(GenerateCommandTest.POS.size(), "pos"));
        labels.addAll(Collections.nCopies(GenerateCommandTest.NEG.size(), "neg"));
        jsonl("real.jsonl", texts, labels);
        List<String> st = new ArrayList<>();
        List<String> sl = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            st.add((i % 2 == 0 ? "a fine film, number " : "a dull film, number ") + i);
            sl.add(i % 2 == 0 ? "pos" : "neg");
        }
        jsonl("synth.jsonl", st, sl);
        Cli.Run align = Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), "align", "--real", p("real.jsonl"),
                "--synthetic", p("synth.jsonl"), "--out", p("w.jsonl"), "--summary",
                p("summary.json"), "--run-dir", p("rd"), "--backend", "reference", "--method",
                "exact", "--no-cache", "--quiet");
        assertEquals(0, align.status(), align::toString);
    }

    private Cli.Run test(String real, String... extra) {
        List<String> args = new ArrayList<>(List.of("test", "--real", p(real), "--synthetic",
                p("synth.jsonl"), "--weighted", p("w.jsonl"), "--summary", p("t.json"),
                "--permutations", "100", "--no-cache", "-q"));
        args.addAll(List.of(extra));
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                args.toArray(String[]::new));
        assertEquals(0, run.status(), run::toString);
        return run;
    }

    private JsonNode finding() throws IOException {
        return JSON.readTree(dir.resolve("t.json").toFile()).path("in_sample");
    }

    private static String note(Cli.Run run) {
        return run.out().lines().filter(l -> l.startsWith("note: ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no note in: " + run.out()));
    }

    @Test
    void alignRecordsTheRealRowsByTheirDefinition() throws IOException {
        JsonNode record = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile())
                .path("real_rows");
        assertEquals(13, record.path("count").asInt());
        assertEquals(ReferenceFingerprint.set(labels, texts), record.path("sha256").asText());
        List<String> digests = new ArrayList<>();
        record.path("row_digests").forEach(d -> digests.add(d.asText()));
        assertEquals(ReferenceFingerprint.rows(null, texts).stream()
                .map(h -> h.substring(0, 16)).toList(), digests, "the texts' digests");
        assertEquals(ReferenceFingerprint.set(null, texts), record.path("texts_sha256").asText());
        assertTrue(record.path("about").asText().startsWith("the real rows the weights were"
                + " fitted to: sha256 is the SHA-256"), record::toString);
        assertEquals(record, JSON.readTree(dir.resolve("summary.json").toFile())
                .path("real_rows"), "the summary records the same");
    }

    /**
     * align writes alignment.json and labels.json with their format first; test --run-dir
     * writes test.json so. An alignment.json of a newer format is refused by test --weighted
     * --run-dir, exit 2 naming it, before anything is written; one without a format is read.
     */
    @Test
    void runDocumentsCarryTheirFormatAndANewerAlignmentIsRefused() throws IOException {
        Path rd = dir.resolve("rd");
        for (String name : List.of(RunFiles.ALIGNMENT, RunFiles.LABELS)) {
            assertEquals("format", JSON.readTree(rd.resolve(name).toFile()).fieldNames().next(), name);
            assertEquals(1, JSON.readTree(rd.resolve(name).toFile()).path("format").asInt(), name);
        }
        test("real.jsonl", "--run-dir", p("rd"));
        assertEquals(1, JSON.readTree(rd.resolve(RunFiles.TEST).toFile()).path("format").asInt());
        Files.delete(rd.resolve(RunFiles.TEST));
        Files.delete(dir.resolve("t.json"));

        Path alignment = rd.resolve(RunFiles.ALIGNMENT);
        ObjectNode doc = (ObjectNode) JSON.readTree(alignment.toFile());
        JSON.writeValue(alignment.toFile(), doc.put("format", 2));
        Cli.Run refused = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(), "test", "--real",
                p("real.jsonl"), "--synthetic", p("synth.jsonl"), "--weighted", p("w.jsonl"), "--summary",
                p("t.json"), "--permutations", "100", "--no-cache", "-q", "--run-dir", p("rd"));
        assertEquals(2, refused.status(), refused::toString);
        assertEquals(List.of("synalign: error: " + alignment + ": written by a newer SynAlign (format 2;"
                + " this build reads format 1): use that build or a newer one"), refused.errLines());
        assertFalse(Files.exists(rd.resolve(RunFiles.TEST)), "nothing written");
        assertFalse(Files.exists(dir.resolve("t.json")), "nothing written");

        doc.remove("format");
        JSON.writeValue(alignment.toFile(), doc);
        test("real.jsonl", "--run-dir", p("rd"));
        assertEquals("same", finding().path("status").asText(), "read as before formats: " + finding());
    }

    /** The same rows as CSV, in reverse order: the same set; the report says so too. */
    @Test
    void theSameRowsReformattedAreSaidToBeInSample() throws IOException {
        StringBuilder csv = new StringBuilder("label,text\n");
        for (int i = texts.size() - 1; i >= 0; i--) {
            csv.append(labels.get(i)).append(",\"").append(texts.get(i).replace("\"", "\"\""))
                    .append("\"\n");
        }
        Files.writeString(dir.resolve("real.csv"), csv.toString(), StandardCharsets.UTF_8);
        Cli.Run run = test("real.csv", "--run-dir", p("rd"));
        assertEquals("note: the weights were fitted to these very real rows (the run directory's"
                + " alignment.json records the same 13 rows), so the weighted columns score them"
                + " in-sample, which flatters them: for a fair figure, test against real rows the"
                + " weights were not fitted to (align --holdout-folds K measures that from the"
                + " real rows alone)", note(run));
        JsonNode f = finding();
        assertEquals("same", f.path("status").asText());
        assertEquals(13, f.path("real_rows").asInt());
        assertEquals(13, f.path("fitted_rows").asInt());
        assertEquals(13, f.path("among_fitted").asInt());
        assertEquals(f, JSON.readTree(dir.resolve("rd/" + RunFiles.TEST).toFile())
                .path("in_sample"), "test.json records what the summary does");

        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("rd"), "--out", p("r.html"));
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains("<p class=\"meta\" id=\"two-sample-in-sample\">The weights were"
                + " fitted to these very real rows (the run directory&#39;s alignment.json records"
                + " the same 13 rows), so the weighted columns score them in-sample, which"
                + " flatters them: for a fair figure, test against real rows the weights were not"
                + " fitted to (<code>align --holdout-folds K</code> measures that from the real"
                + " rows alone).</p>"), html);
    }

    /** 5 of the fitted rows beside 3 new ones; the fitted texts under other labels: all; other texts: none. */
    @Test
    void someOrNoneOfTheFittedRowsAreCounted() throws IOException {
        List<String> t = new ArrayList<>(texts.subList(3, 8));
        List<String> l = new ArrayList<>(labels.subList(3, 8));
        t.addAll(List.of("A film I will forget", "Great fun for the family", "Too loud"));
        l.addAll(List.of("neg", "pos", "neg"));
        jsonl("some.jsonl", t, l);
        Cli.Run some = test("some.jsonl", "--run-dir", p("rd"));
        assertTrue(note(some).startsWith("note: 5 of these 8 real rows are, by their texts,"
                + " among the 13 the"
                + " weights were fitted to (by the run directory's alignment.json), so the"
                + " weighted columns score the weights partly in-sample, which flatters them"),
                some.out());
        assertEquals("overlap", finding().path("status").asText());
        assertEquals(5, finding().path("among_fitted").asInt());

        // The fitted texts under other labels: the test scores the texts' embeddings, so these
        // are the rows the weights were fitted to (review final22: was "disjoint").
        List<String> swapped = labels.stream().map(x -> x.equals("pos") ? "neg" : "pos").toList();
        jsonl("swapped.jsonl", texts, swapped);
        Cli.Run relabelled = test("swapped.jsonl", "--run-dir", p("rd"));
        assertTrue(note(relabelled).startsWith("note: all 13 of these 13 real rows are, by their"
                + " texts, among the 13 the weights were fitted to"), relabelled.out());
        assertEquals("overlap", finding().path("status").asText());
        assertEquals(13, finding().path("among_fitted").asInt());

        List<String> others = List.of("A film I will forget", "Great fun for the family",
                "Too loud", "The plot made no sense at all");
        jsonl("others.jsonl", others, List.of("neg", "pos", "neg", "pos"));
        Cli.Run none = test("others.jsonl", "--run-dir", p("rd"));
        assertEquals("note: the weights were fitted to other real rows (the run directory's"
                + " alignment.json records 13, none of their texts among these 4): the weighted"
                + " columns score the weights on real rows they were not fitted to", note(none));
        assertEquals("disjoint", finding().path("status").asText());
        assertEquals(0, finding().path("among_fitted").asInt());
    }

    /**
     * Aligned per label of a field {@code topic}, tested pooled (test's default field
     * {@code label} is in neither file): the same texts, so in-sample (review final22: the
     * label in each row's digest made it "disjoint", "not fitted to").
     */
    @Test
    void theFittedTextsReadWithAnotherLabelFieldAreTheFittedRows() throws IOException {
        StringBuilder real = new StringBuilder();
        for (int i = 0; i < texts.size(); i++) {
            real.append(JSON.createObjectNode().put("text", texts.get(i)).put("topic",
                    labels.get(i))).append('\n');
        }
        Files.writeString(dir.resolve("real-topic.jsonl"), real.toString(), StandardCharsets.UTF_8);
        StringBuilder synth = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("synth.jsonl"))) {
            synth.append(line.replace("\"label\"", "\"topic\"")).append('\n');
        }
        Files.writeString(dir.resolve("synth-topic.jsonl"), synth.toString(), StandardCharsets.UTF_8);
        Cli.Run align = Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), "align", "--real", p("real-topic.jsonl"),
                "--synthetic", p("synth-topic.jsonl"), "--label-field", "topic", "--out",
                p("w-topic.jsonl"), "--run-dir", p("rd-topic"), "--backend", "reference",
                "--method", "exact", "--no-cache", "--quiet");
        assertEquals(0, align.status(), align::toString);
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                "test", "--real", p("real-topic.jsonl"), "--synthetic", p("synth-topic.jsonl"),
                "--weighted", p("w-topic.jsonl"), "--summary", p("t.json"), "--permutations",
                "100", "--no-cache", "-q", "--run-dir", p("rd-topic"));
        assertEquals(0, run.status(), run::toString);
        assertEquals("overlap", finding().path("status").asText(), run.out());
        assertEquals(13, finding().path("among_fitted").asInt());
        assertTrue(note(run).startsWith("note: all 13 of these 13 real rows are, by their texts,"
                + " among the 13 the weights were fitted to"), run.out());
    }

    /** No record to compare with: the conditional wording of before, and why. */
    @Test
    void withoutARecordTheNoteIsAConditionNamingWhy() throws IOException {
        String condition = "note: the weighted columns score the weights against these real"
                + " rows; weights learned against them (align --real this file) are scored"
                + " in-sample, which flatters them: for a fair figure, test against real rows the"
                + " weights were not learned against (align --holdout-folds K measures that from"
                + " the real rows alone); ";
        assertEquals(condition + "test --run-dir with the alignment's run directory tells"
                + " whether they were", note(test("real.jsonl")));
        assertEquals("unknown", finding().path("status").asText());
        assertEquals("unknown", origin().path("status").asText());
        assertEquals("no --run-dir, whose alignment.json would record the alignment's weights",
                origin().path("why").asText());
        assertEquals(20, origin().path("rows").asInt());

        Files.createDirectories(dir.resolve("empty"));
        assertEquals(condition + dir.resolve("empty") + " has no alignment.json to tell whether"
                + " they were", note(test("real.jsonl", "--run-dir", p("empty"))));

        Path alignment = dir.resolve("rd/" + RunFiles.ALIGNMENT);
        ObjectNode doc = (ObjectNode) JSON.readTree(alignment.toFile());
        ObjectNode older = doc.deepCopy();
        older.remove("real_rows");
        Files.writeString(alignment, older.toString());
        assertEquals(condition + alignment + " was written before alignments recorded their real"
                + " rows (align or run again records them)",
                note(test("real.jsonl", "--run-dir", p("rd"))));
        assertEquals("unknown", finding().path("status").asText());

        // Written before synthetic_rows (session 22): W is told from another alignment's
        // weights by its row count alone, as before.
        doc.remove("synthetic_rows");
        doc.put("n_synthetic", 21);
        Files.writeString(alignment, doc.toString());
        assertEquals(condition + "--weighted " + p("w.jsonl") + " has 20 rows but " + alignment
                + " weighted 21: it records other weights",
                note(test("real.jsonl", "--run-dir", p("rd"))));
        assertEquals("other_rows", JSON.readTree(dir.resolve("t.json").toFile())
                .path("weighted_file").path("status").asText());
    }

    private static List<String> notes(Cli.Run run) {
        return run.out().lines().filter(l -> l.startsWith("note: ")).toList();
    }

    private JsonNode origin() throws IOException {
        return JSON.readTree(dir.resolve("t.json").toFile()).path("weighted_file");
    }

    /** W's lines with their weights replaced by {@code weight(row)}. */
    private void reweighted(String name, java.util.function.IntToDoubleFunction weight)
            throws IOException {
        List<String> lines = Files.readAllLines(dir.resolve("w.jsonl"));
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode row = (ObjectNode) JSON.readTree(lines.get(i));
            row.put("synalign_weight", weight.applyAsDouble(i));
            sb.append(row).append('\n');
        }
        Files.writeString(dir.resolve(name), sb.toString(), StandardCharsets.UTF_8);
    }

    /**
     * align records the synthetic rows it weighted, in order, and the weights it wrote, by
     * their definition (the real side's row digests, in order; each weight's float64 bytes);
     * the summary the same.
     */
    @Test
    void alignRecordsTheSyntheticRowsAndWeightsByTheirDefinition() throws IOException {
        JsonNode record = JSON.readTree(dir.resolve("rd/" + RunFiles.ALIGNMENT).toFile())
                .path("synthetic_rows");
        List<String> st = new ArrayList<>();
        List<String> sl = new ArrayList<>();
        List<Double> w = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("w.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            st.add(row.path("text").asText());
            sl.add(row.path("label").asText());
            w.add(row.path("synalign_weight").doubleValue());
        }
        assertEquals(20, record.path("count").asInt());
        assertEquals(ReferenceFingerprint.inOrder(sl, st), record.path("sha256").asText());
        assertEquals(ReferenceFingerprint.inOrder(null, st), record.path("texts_sha256").asText());
        assertEquals(ReferenceFingerprint.weights(w.stream().mapToDouble(Double::doubleValue)
                .toArray()), record.path("weights_sha256").asText());
        assertTrue(record.path("about").asText().startsWith("the synthetic rows weighted and"
                + " the weights written, in the order weighted"), record::toString);
        assertEquals(record, JSON.readTree(dir.resolve("summary.json").toFile())
                .path("synthetic_rows"), "the summary records the same");
    }

    /**
     * W is told apart from the weights DIR's alignment wrote: the same file as CSV is the
     * alignment's; one weight edited is other weights; another alignment's file of as many
     * rows is other rows. Only the alignment's own is compared with DIR's real rows (was: any
     * W of 20 rows, so edited weights, or another alignment's, were said to be fitted to these
     * very rows).
     */
    @Test
    void aWeightedFileIsComparedWithTheRealRowsOnlyWhenItIsTheAlignments() throws IOException {
        StringBuilder csv = new StringBuilder("text,label,synalign_weight\n");
        for (String line : Files.readAllLines(dir.resolve("w.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            csv.append('"').append(row.path("text").asText()).append("\",")
                    .append(row.path("label").asText()).append(',')
                    .append(row.path("synalign_weight").asText()).append('\n');
        }
        Files.writeString(dir.resolve("w.csv"), csv.toString(), StandardCharsets.UTF_8);
        Cli.Run copy = testWeighted("w.csv");
        assertEquals("same", origin().path("status").asText(), copy.out());
        assertTrue(origin().path("why").isNull());
        assertEquals("same", finding().path("status").asText());
        assertEquals(1, notes(copy).size(), copy.out());

        List<Double> weights = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("w.jsonl"))) {
            weights.add(JSON.readTree(line).path("synalign_weight").doubleValue());
        }
        reweighted("edited.jsonl", i -> i == 3 ? 0.5 : weights.get(i));
        Cli.Run edited = testWeighted("edited.jsonl");
        assertEquals("other_weights", origin().path("status").asText(), edited.out());
        assertEquals("unknown", finding().path("status").asText());
        String alignment = dir.resolve("rd/" + RunFiles.ALIGNMENT).toString();
        assertTrue(note(edited).endsWith("; --weighted " + p("edited.jsonl") + " holds the"
                + " synthetic rows " + alignment + " records, in its order, but not the weights"
                + " that alignment wrote (edited, or written by another alignment of these rows),"
                + " so which real rows they were fitted to is not recorded"), edited.out());

        // Another alignment, of other synthetic rows as many, its W beside DIR.
        StringBuilder other = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            other.append(JSON.createObjectNode().put("text", "another film, take " + i)
                    .put("label", i % 2 == 0 ? "pos" : "neg")).append('\n');
        }
        Files.writeString(dir.resolve("other.jsonl"), other.toString(), StandardCharsets.UTF_8);
        Cli.Run align = Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), "align", "--real", p("real.jsonl"),
                "--synthetic", p("other.jsonl"), "--out", p("w-other.jsonl"), "--backend",
                "reference", "--method", "exact", "--no-cache", "--quiet");
        assertEquals(0, align.status(), align::toString);
        Cli.Run another = testWeighted("w-other.jsonl");
        assertEquals("other_rows", origin().path("status").asText(), another.out());
        assertEquals("unknown", finding().path("status").asText());
        assertTrue(note(another).endsWith("; --weighted " + p("w-other.jsonl") + "'s 20 rows"
                + " are not the synthetic rows " + alignment + " records weighting (other texts,"
                + " or another order): it records other weights"), another.out());
    }

    private Cli.Run testWeighted(String weightedFile) {
        List<String> args = new ArrayList<>(List.of("test", "--real", p("real.jsonl"),
                "--synthetic", p("synth.jsonl"), "--weighted", p(weightedFile), "--summary",
                p("t.json"), "--permutations", "100", "--no-cache", "-q", "--run-dir", p("rd")));
        Cli.Run run = Cli.run(cl -> ((TestCommand) cl.getSubcommands().get("test").getCommand())
                .loader = (spec, options) -> new GenerateCommandTest.HashEncoder(),
                args.toArray(String[]::new));
        assertEquals(0, run.status(), run::toString);
        return run;
    }

    /**
     * A real_rows record of embeddings (the embeddings form's) is never compared with texts:
     * unknown, naming the kinds (was: read as a text fingerprint, "fitted to other real rows").
     */
    @Test
    void realEmbeddingsAreNotComparedWithRealTexts() throws IOException {
        Path alignment = dir.resolve("rd/" + RunFiles.ALIGNMENT);
        ObjectNode doc = (ObjectNode) JSON.readTree(alignment.toFile());
        // As the embeddings form writes it (AlignEmbeddingsRealRowsTest), written out here.
        doc.set("real_rows", JSON.createObjectNode().put("about", "the real embeddings ...")
                .put("kind", "embeddings").put("count", 13).put("sha256", "ab".repeat(32)));
        Files.writeString(alignment, doc.toString());
        Cli.Run run = test("real.jsonl", "--run-dir", p("rd"));
        assertEquals("unknown", finding().path("status").asText(), run.out());
        assertTrue(note(run).endsWith("; the run directory's alignment.json records real"
                + " embeddings (13 rows), which these real texts cannot be compared with"),
                run.out());
    }

    /**
     * An alignment.json written before synthetic_rows (session 22's) is read as before: W of
     * its row count is taken as its weights and the real rows compared; a second note says that
     * only the count told W.
     */
    @Test
    void anAlignmentWrittenBeforeTheSyntheticRecordTellsWByItsRowCount() throws IOException {
        Path alignment = dir.resolve("rd/" + RunFiles.ALIGNMENT);
        ObjectNode doc = (ObjectNode) JSON.readTree(alignment.toFile());
        doc.remove("synthetic_rows");
        Files.writeString(alignment, doc.toString());
        Cli.Run run = test("real.jsonl", "--run-dir", p("rd"));
        assertEquals("same", finding().path("status").asText(), run.out());
        assertEquals("unknown", origin().path("status").asText());
        String why = alignment + " was written before alignments recorded their synthetic rows"
                + " and weights (align or run again records them), so --weighted " + p("w.jsonl")
                + " is taken as its weights by the row count alone (20)";
        assertEquals(why, origin().path("why").asText());
        assertEquals("note: " + why, notes(run).get(notes(run).size() - 1), run.out());

        // The report says so too, beside the real rows' note, from test.json.
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("rd"), "--out", p("r.html"));
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains(" <span id=\"two-sample-weighted-file\">Note: " + why
                + ".</span></p>"), html); // the why holds none of < > & ' "
    }

    /** W another alignment's: the real rows' note carries the reason; no second sentence. */
    @Test
    void theReportAddsNoOriginSentenceWhereTheRealRowsNoteCarriesIt() throws IOException {
        Path alignment = dir.resolve("rd/" + RunFiles.ALIGNMENT);
        ObjectNode doc = (ObjectNode) JSON.readTree(alignment.toFile());
        ((ObjectNode) doc.path("synthetic_rows")).put("weights_sha256", "0".repeat(64));
        Files.writeString(alignment, doc.toString());
        test("real.jsonl", "--run-dir", p("rd"));
        assertEquals("other_weights", origin().path("status").asText());
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", p("rd"), "--out", p("r.html"));
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(dir.resolve("r.html"));
        assertTrue(html.contains("id=\"two-sample-in-sample\">"), html);
        assertFalse(html.contains("two-sample-weighted-file"), html);
        assertTrue(html.contains("not the weights that alignment wrote"), html);
    }
}
