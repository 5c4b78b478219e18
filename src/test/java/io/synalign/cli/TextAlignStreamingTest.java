package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.io.NpyReader;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.TextEmbedding;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text form of {@code align} streams the synthetic records: checked in one pass, embedded
 * block by block into an {@code .npy}, fitted from that file, written in another pass.
 * Every path is compared with the in-memory pipeline ({@link TextAlignment} on lists and
 * matrices, the form the streaming replaced) on the same texts: the weights must be the same
 * within 1e-12 of the largest weight, for JSON Lines and gzip CSV inputs, blocks that divide
 * the encoder's batches and ragged ones, embeddings computed or given as a file, and no
 * temporary file may be left behind.
 */
class TextAlignStreamingTest {

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private final TestEncoders.Counter encoders = new TestEncoders.Counter();

    private static final String[] LABELS = {"sports", "cooking", "finance"};

    private List<Map<String, Object>> real;
    private List<Map<String, Object>> synthetic;

    @BeforeEach
    void pool() throws IOException {
        real = new ArrayList<>();
        synthetic = new ArrayList<>();
        Random random = new Random(4);
        for (int l = 0; l < LABELS.length; l++) {
            for (String t : TopicTexts.real(LABELS[l], 9 + 4 * l, 10 + l)) {
                real.add(record("r" + real.size(), t, LABELS[l], null));
            }
            List<String> on = TopicTexts.synthetic(LABELS[l], 23 + 7 * l, 20 + l);
            List<String> off = TopicTexts.offTopic(19, 30 + l);
            for (String t : on) {
                synthetic.add(record("s" + synthetic.size(), t, LABELS[l], "on"));
            }
            for (String t : off) {
                // Some records lack a field, so a CSV output needs the union of the fields.
                synthetic.add(record("s" + synthetic.size(), t, LABELS[l],
                        random.nextBoolean() ? "off" : null));
            }
        }
        java.util.Collections.shuffle(synthetic, new Random(7));
        writeJsonl(dir.resolve("real.jsonl"), real);
        writeJsonl(dir.resolve("synth.jsonl"), synthetic);
        writeCsvGz(dir.resolve("synth.csv.gz"), synthetic);
    }

    private static Map<String, Object> record(String id, String text, String label,
            String topic) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("text", text);
        r.put("label", label);
        if (topic != null) {
            r.put("topic", topic);
        }
        return r;
    }

    private void writeJsonl(Path file, List<Map<String, Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : rows) {
            sb.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static void writeCsvGz(Path file, List<Map<String, Object>> rows)
            throws IOException {
        StringBuilder sb = new StringBuilder("id,text,label,topic\n");
        for (Map<String, Object> r : rows) {
            sb.append(r.get("id")).append(",\"").append(((String) r.get("text"))
                    .replace("\"", "\"\"")).append("\",").append(r.get("label")).append(',')
                    .append(r.getOrDefault("topic", "")).append('\n');
        }
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** align with {@code extra} options (replacing those given here). */
    private Cli.Run align(int block, String synthetic, String... extra) {
        String[] args = CliArgs.with(new String[] {"align", "--real", p("real.jsonl"),
            "--synthetic", p(synthetic), "--out", p("weighted.jsonl"), "--no-cache",
            "--backend", "reference", "--seed", "5", "--quiet"}, extra);
        return Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            cmd.loader = encoders.loader();
            cmd.embedBlock = block;
        }, args);
    }

    private static List<String> column(List<Map<String, Object>> rows, String field) {
        return rows.stream().map(r -> (String) r.get(field)).collect(Collectors.toList());
    }

    /** The in-memory pipeline's weights, and the embeddings it fitted them to. */
    private TextAlignment.Embedded embeddedInMemory() {
        return new TextAlignment(options()).embed(TestEncoders.minilm(), column(real, "text"),
                column(synthetic, "text"), null);
    }

    private static TextAlignment.Options options() {
        return new TextAlignment.Options(AlignmentConfig.defaults().withSeed(5),
                LabelMode.PER_LABEL, "reference");
    }

    private double[] weightsInMemory(TextAlignment.Embedded embedded) {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, column(real, "label"), real.size(),
                column(synthetic, "label"), synthetic.size());
        return new TextAlignment(options()).fit(plan, embedded, null).weights();
    }

    private double[] weightsWritten() throws IOException {
        List<Record> out = RecordReader.read(dir.resolve("weighted.jsonl"));
        assertEquals(synthetic.size(), out.size());
        double[] w = new double[out.size()];
        for (int i = 0; i < w.length; i++) {
            Record r = out.get(i);
            assertEquals(synthetic.get(i).get("id"), r.get("id").textValue(), "row " + i);
            w[i] = r.get(TextAlignment.WEIGHT_FIELD).doubleValue();
        }
        return w;
    }

    private static void assertSameWeights(double[] expected, double[] actual, String what) {
        double largest = 0;
        for (double w : expected) {
            largest = Math.max(largest, w);
        }
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-12 * largest, what + ", row " + i);
        }
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> !f.equals(dir)).map(f -> dir.relativize(f).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void streamedBlocksGiveTheInMemoryWeightsForJsonLinesAndGzipCsv() throws IOException {
        TextAlignment.Embedded embedded = embeddedInMemory();
        double[] expected = weightsInMemory(embedded);
        Set<String> before = listing();
        // Blocks of 64 and 32 keep the encoder's batches of 32; 1 and 50 do not.
        for (int block : new int[] {64, 32, 50, 1}) {
            for (String input : List.of("synth.jsonl", "synth.csv.gz")) {
                String run = "block " + block + ", " + input;
                Cli.Run r = align(block, input, "--run-dir", p("run"));
                assertEquals(0, r.status(), run + ": " + r);
                FloatMatrix streamed = NpyReader.readMatrix(
                        dir.resolve("run").resolve(RunFiles.SYNTHETIC_EMBEDDINGS));
                if (block % 32 == 0) {
                    assertArrayEquals(embedded.synthetic().data(), streamed.data(), run);
                    assertSameWeights(expected, weightsWritten(), run);
                } else {
                    // Other batches pad to other lengths: float32 rounding differs a little.
                    assertArrayEquals(embedded.synthetic().data(), streamed.data(), 2e-6f, run);
                }
                Set<String> after = listing();
                after.removeIf(f -> f.startsWith("run"));
                Set<String> expectedFiles = new TreeSet<>(before);
                expectedFiles.add("weighted.jsonl");
                assertEquals(expectedFiles, after, run + ": no temporary file is left");
            }
        }
    }

    @Test
    void givenEmbeddingsFilesAreReadInsteadOfEmbeddingAndGiveTheSameWeights()
            throws IOException {
        TextAlignment.Embedded embedded = embeddedInMemory();
        double[] expected = weightsInMemory(embedded);
        NpyWriter.writeMatrix(dir.resolve("S.npy"), embedded.synthetic());
        NpyWriter.writeMatrix(dir.resolve("R.npy"), embedded.real());

        Cli.Run synthOnly = align(50, "synth.jsonl", "--synthetic-embeddings", p("S.npy"));
        assertEquals(0, synthOnly.status(), synthOnly.toString());
        assertSameWeights(expected, weightsWritten(), "--synthetic-embeddings");
        assertEquals(1, encoders.loads.get(), "the model embeds the real side");
        assertEquals(real.size(), encoders.textsEncoded.get(), "and only the real side");
        assertTrue(synthOnly.out().contains("synthetic embeddings from " + p("S.npy")),
                synthOnly.out());

        Cli.Run both = align(50, "synth.csv.gz", "--synthetic-embeddings", p("S.npy"),
                "--real-embeddings", p("R.npy"), "--summary", p("summary.json"),
                "--run-dir", p("run"));
        assertEquals(0, both.status(), both.toString());
        assertSameWeights(expected, weightsWritten(), "both embeddings files");
        assertEquals(1, encoders.loads.get(), "no model loads when both sides are given");
        assertTrue(both.out().contains("embeddings: " + p("R.npy") + " and " + p("S.npy")),
                both.out());
        var summary = json.readTree(dir.resolve("summary.json").toFile()).path("embedding");
        assertEquals(p("S.npy"), summary.path("synthetic_embeddings").asText());
        assertEquals(p("R.npy"), summary.path("real_embeddings").asText());
        // The run document states the option's files as a list, like every repeatable option.
        var settings = json.readTree(dir.resolve("run").resolve(RunFiles.ALIGNMENT).toFile())
                .path("settings");
        assertEquals("[\"../S.npy\"]", settings.path("--synthetic-embeddings").toString(),
                settings.toString());
    }

    @Test
    void csvOutputHasTheUnionOfTheFieldsAndTheSampleIsDrawnFromTheStream() throws IOException {
        Cli.Run r = align(50, "synth.jsonl", "--out", p("weighted.csv"), "--sample", "20",
                "--sampled-out", p("sample.jsonl"));
        assertEquals(0, r.status(), r.toString());
        List<Record> out = RecordReader.read(dir.resolve("weighted.csv"));
        assertEquals(List.of("id", "text", "label", "topic", TextAlignment.WEIGHT_FIELD),
                out.get(0).fieldNames());
        assertEquals(synthetic.size(), out.size());
        Map<String, Record> byId = new LinkedHashMap<>();
        for (int i = 0; i < out.size(); i++) {
            Map<String, Object> in = synthetic.get(i);
            Record o = out.get(i);
            assertEquals(in.get("text"), o.get("text").textValue(), "row " + i);
            assertEquals(in.getOrDefault("topic", ""), o.get("topic").textValue(), "row " + i);
            byId.put(o.get("id").textValue(), o);
        }
        List<Record> sample = RecordReader.read(dir.resolve("sample.jsonl"));
        assertEquals(20, sample.size());
        Set<String> ids = new TreeSet<>();
        for (Record s : sample) {
            String id = s.get("id").textValue();
            assertTrue(ids.add(id), "drawn twice: " + id);
            assertTrue(Double.parseDouble(byId.get(id).get(TextAlignment.WEIGHT_FIELD)
                    .textValue()) > 0, id + " has no weight");
            Map<String, Object> in = synthetic.stream().filter(m -> m.get("id").equals(id))
                    .findFirst().orElseThrow();
            assertEquals(in.get("text"), s.get("text").textValue());
            assertEquals(in.containsKey("topic"), s.has("topic"), "sampled records unchanged");
        }
    }

    @Test
    void aFailedFitLeavesNoOutputAndNoEmbeddingsFile() throws IOException {
        Set<String> before = listing();
        Cli.Run r = Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            cmd.loader = encoders.loader();
            cmd.embedBlock = 50;
            cmd.learner = (b, c, real, s, pr) -> {
                throw new IllegalStateException("the learner broke");
            };
        }, "align", "--real", p("real.jsonl"), "--synthetic", p("synth.jsonl"), "--out",
                p("weighted.jsonl"), "--no-cache", "--backend", "reference", "--quiet",
                "--run-dir", p("run"));
        assertEquals(ExitCodes.FAILURE, r.status(), r.toString());
        assertEquals(before, listing(), "no output, no embeddings file, no run directory");
    }

    @Test
    void withoutARunDirectoryTheEmbeddingsFileBesideOutIsRemoved() throws IOException {
        Set<String> before = listing();
        Cli.Run r = align(50, "synth.jsonl");
        assertEquals(0, r.status(), r.toString());
        Set<String> expected = new TreeSet<>(before);
        expected.add("weighted.jsonl");
        assertEquals(expected, listing(), "only --out is new");
    }

    /** align whose learner first rewrites the synthetic file with {@code edit}. */
    private Cli.Run alignChangingTheFile(java.util.function.UnaryOperator<String> edit,
            boolean keepTime) {
        Path file = dir.resolve("synth.jsonl");
        return Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            cmd.loader = encoders.loader();
            TextAlignment.WeightLearner real = cmd.learner;
            cmd.learner = (b, c, r, s, pr) -> {
                try {
                    var time = Files.getLastModifiedTime(file);
                    Files.writeString(file, edit.apply(Files.readString(file)));
                    if (keepTime) {
                        Files.setLastModifiedTime(file, time);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                cmd.learner = real;
                return real.fit(b, c, r, s, pr);
            };
        }, "align", "--real", p("real.jsonl"), "--synthetic", p("synth.jsonl"), "--out",
                p("weighted.jsonl"), "--no-cache", "--backend", "reference", "--quiet");
    }

    @Test
    void aFileChangedBetweenPassesIsAnErrorAndNothingIsWritten() throws IOException {
        String original = Files.readString(dir.resolve("synth.jsonl"));
        Set<String> before = listing();
        // A record more: the size and the count differ.
        Cli.Run grown = alignChangingTheFile(t -> t + t.substring(0, t.indexOf('\n') + 1),
                false);
        Cli.assertBadInputLine(grown, dir, "@/synth.jsonl", "changed while being read");
        assertEquals(before, listing());
        // One label swapped for another of the same length, the time put back: only the
        // labels read again tell.
        Files.writeString(dir.resolve("synth.jsonl"), original);
        int at = original.indexOf("\"label\":\"finance\"");
        Cli.Run relabelled = alignChangingTheFile(t -> t.substring(0, at)
                + "\"label\":\"cooking\"" + t.substring(at + "\"label\":\"finance\"".length()),
                true);
        Cli.assertBadInputLine(relabelled, dir, "@/synth.jsonl:", "changed while being read:"
                + " the label is now 'cooking', it was 'finance'");
        assertEquals(before, listing());
    }

    @Test
    void anEmbeddingsFileOfAnotherWidthThanTheModelIsRefusedBeforeAnyTextIsEmbedded()
            throws IOException {
        Files.write(dir.resolve("R7.npy"), io.synalign.io.NpyFixtures.float32Matrix(real.size(),
                7, io.synalign.io.NpyFixtures.gaussian(real.size() * 7, 1, 1)));
        Set<String> before = listing();
        Cli.Run r = align(50, "synth.jsonl", "--real-embeddings", p("R7.npy"));
        Cli.assertBadInputLine(r, dir, "dimension mismatch: --real-embeddings @/R7.npy has 7"
                + " columns but the model minilm embeds the synthetic texts in 384");
        assertEquals(0, encoders.textsEncoded.get(), "no text was embedded");
        assertEquals(before, listing());
    }

    /** Checked with the other headers: before the model embeds the real texts or --run-dir copies it. */
    @Test
    void aSyntheticEmbeddingsFileOfAnUnreadableLayoutIsRefusedBeforeAnyTextIsEmbedded()
            throws IOException {
        String shape = "(" + synthetic.size() + ", 384)";
        byte[] data = io.synalign.io.NpyFixtures.data(io.synalign.io.NpyFixtures.gaussian(
                synthetic.size() * 384, 2, 1), 4, java.nio.ByteOrder.LITTLE_ENDIAN);
        Files.write(dir.resolve("SF.npy"), io.synalign.io.NpyFixtures.file(
                io.synalign.io.NpyFixtures.dict("<f4", true, shape), data));
        Files.write(dir.resolve("SI.npy"), io.synalign.io.NpyFixtures.file(
                io.synalign.io.NpyFixtures.dict("<i4", false, shape), data));
        Set<String> before = listing();
        Cli.assertBadInputLine(align(50, "synth.jsonl", "--synthetic-embeddings", p("SF.npy"),
                "--run-dir", p("run")), dir, "Fortran");
        Cli.assertBadInputLine(align(50, "synth.jsonl", "--synthetic-embeddings", p("SI.npy")), dir,
                "<i4");
        assertEquals(0, encoders.textsEncoded.get(), "no text was embedded");
        assertEquals(before, listing());
    }

    @Test
    void anExistingWeightFieldIsReplacedInPlace() throws IOException {
        Cli.Run plain = align(50, "synth.jsonl");
        assertEquals(0, plain.status(), plain.toString());
        double[] expected = weightsWritten();
        List<Map<String, Object>> reweighted = new ArrayList<>();
        for (Map<String, Object> r : synthetic) {
            Map<String, Object> copy = new LinkedHashMap<>();
            copy.put("id", r.get("id"));
            copy.put(TextAlignment.WEIGHT_FIELD, 0.5);
            copy.putAll(r);
            reweighted.add(copy);
        }
        writeJsonl(dir.resolve("synth.jsonl"), reweighted);
        Cli.Run again = align(50, "synth.jsonl");
        assertEquals(0, again.status(), again.toString());
        assertSameWeights(expected, weightsWritten(), "weights replacing an old field");
        assertEquals(TextAlignment.WEIGHT_FIELD, RecordReader.read(dir.resolve("weighted.jsonl"))
                .get(0).fieldNames().get(1), "the field keeps its place");
    }
}
