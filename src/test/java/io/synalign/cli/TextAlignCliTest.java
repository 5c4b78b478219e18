package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code synalign align} on text records, end to end with the real encoder (minilm) and the real
 * MMD learner (reference backend). The pool: three labels with distinct topics; real rows are
 * on-topic; synthetic rows are half on-topic paraphrase-like sentences, half off-topic
 * (astronomy); plus a synthetic-only label. Label sizes differ between real and synthetic so
 * that keeping the real shares takes work.
 */
class TextAlignCliTest {

    /** Shared by all tests of the class: the texts are embedded once. */
    @TempDir
    static Path cache;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();
    private final TestEncoders.Counter encoders = new TestEncoders.Counter();

    private static final String[] LABELS = {"sports", "cooking", "finance"};
    private static final int[] REAL = {30, 20, 10};
    private static final int[] SYNTHETIC_HALF = {8, 12, 16};
    private static final int UNKNOWN = 6;
    private static final int N_REAL = 60;
    private static final int N_SYNTHETIC = 2 * (8 + 12 + 16) + UNKNOWN;

    @BeforeEach
    void pool() throws IOException {
        List<Map<String, Object>> real = new ArrayList<>();
        List<Map<String, Object>> synthetic = new ArrayList<>();
        for (int l = 0; l < LABELS.length; l++) {
            for (String t : TopicTexts.real(LABELS[l], REAL[l], 100 + l)) {
                real.add(record("r" + real.size(), t, LABELS[l], "on"));
            }
            List<String> on = TopicTexts.synthetic(LABELS[l], SYNTHETIC_HALF[l], 200 + l);
            List<String> off = TopicTexts.offTopic(SYNTHETIC_HALF[l], 300 + l);
            for (int k = 0; k < SYNTHETIC_HALF[l]; k++) {
                // Interleaved, so that position says nothing about topic.
                synthetic.add(record("s" + synthetic.size(), on.get(k), LABELS[l], "on"));
                synthetic.add(record("s" + synthetic.size(), off.get(k), LABELS[l], "off"));
            }
        }
        for (String t : TopicTexts.synthetic("sports", UNKNOWN, 400)) {
            synthetic.add(record("s" + synthetic.size(), t, "weather", "on"));
        }
        // Shuffle the synthetic rows deterministically, so that labels are interleaved too.
        java.util.Collections.shuffle(synthetic, new java.util.Random(9));
        writeJsonl(dir.resolve("real.jsonl"), real);
        writeJsonl(dir.resolve("synth.jsonl"), synthetic);
        Files.createDirectory(dir.resolve("reports"));
    }

    private static Map<String, Object> record(String id, String text, String label, String topic) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("label", label);
        r.put("text", text);
        r.put("meta", Map.of("topic", topic, "n", List.of(1, 2.5)));
        return r;
    }

    private void writeJsonl(Path file, List<Map<String, Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : rows) {
            sb.append(json.writeValueAsString(r)).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private Set<String> listing() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(f -> !f.equals(dir)).map(f -> dir.relativize(f).toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** Calls of the real learner, recorded: (real rows, synthetic rows, seed). */
    private final List<long[]> fits = new ArrayList<>();

    private Cli.Run align(TextAlignment.WeightLearner learner, String... extra) {
        List<String> args = new ArrayList<>(List.of("align", "--real", p("real.jsonl"),
                "--synthetic", p("synth.jsonl"), "--out", p("weighted.jsonl"),
                "--cache-dir", cache.toString(), "--backend", "reference", "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            TextAlignment.WeightLearner real = cmd.learner;
            cmd.learner = learner != null ? learner : (b, c, r, s, pr) -> {
                fits.add(new long[] {r.rows(), s.rows(), c.seed()});
                return real.fit(b, c, r, s, pr);
            };
            cmd.loader = encoders.loader();
        }, args.toArray(String[]::new));
    }

    /**
     * The summary named the model's id ("minilm-l6-v2-q") for vectors of --max-length 64, which
     * the cache keys as another encoder, and said nothing of the length.
     */
    @Test
    void theSummaryRecordsTheEncodersIdAndMaxLength() throws IOException {
        // The production loader: the shared test encoder has the default length.
        Cli.Run run = Cli.run(cl -> { }, "align", "--real", p("real.jsonl"), "--synthetic",
                p("synth.jsonl"), "--out", p("weighted.jsonl"), "--no-cache", "--max-length",
                "64", "--backend", "reference", "--quiet", "--summary", p("reports/summary.json"));
        assertEquals(0, run.status(), run::toString);
        JsonNode embedding = json.readTree(dir.resolve("reports/summary.json").toFile())
                .path("embedding");
        assertEquals("minilm-l6-v2-q;max=64;rev=2", embedding.path("model_id").asText(),
                embedding.toString());
        assertEquals(64, embedding.path("max_length").asInt(), embedding.toString());
        assertEquals(0, embedding.path("texts_truncated").asLong(-1), embedding.toString());
    }

    private List<JsonNode> readJsonl(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(name), StandardCharsets.UTF_8)) {
            out.add(json.readTree(line));
        }
        return out;
    }

    private static List<String> fieldNames(JsonNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void perLabelWeightsFavourOnTopicRowsKeepRealSharesAndSample() throws IOException {
        Cli.Run run = align(null, "--sample", "24", "--sampled-out", p("aligned.jsonl"),
                "--summary", p("reports/summary.json"), "--seed", "3");
        assertEquals(0, run.status(), run.toString());
        assertEquals("", run.err());
        assertEquals(1, encoders.loads.get());

        // One fit per real label, with that label's rows, each with its own seed.
        assertEquals(3, fits.size());
        Set<Long> seeds = new HashSet<>();
        for (int l = 0; l < 3; l++) {
            assertEquals(REAL[l], fits.get(l)[0], LABELS[l]);
            assertEquals(2 * SYNTHETIC_HALF[l], fits.get(l)[1], LABELS[l]);
            seeds.add(fits.get(l)[2]);
        }
        assertEquals(3, seeds.size());

        // weighted.jsonl: every synthetic record in input order, every field kept, plus the weight.
        List<Record> input = RecordReader.read(dir.resolve("synth.jsonl"));
        List<JsonNode> out = readJsonl("weighted.jsonl");
        assertEquals(N_SYNTHETIC, out.size());
        Map<String, Double> labelSum = new HashMap<>();
        Map<String, Double> onTopic = new HashMap<>();
        double total = 0;
        for (int i = 0; i < out.size(); i++) {
            JsonNode o = out.get(i);
            assertEquals(List.of("id", "label", "text", "meta", "synalign_weight"), fieldNames(o));
            for (String f : input.get(i).fieldNames()) {
                assertEquals(input.get(i).get(f).toString(), o.get(f).toString(),
                        "row " + i + " field " + f);
            }
            double w = o.get("synalign_weight").doubleValue();
            assertTrue(w >= 0, "weight " + w);
            String label = o.get("label").textValue();
            labelSum.merge(label, w, Double::sum);
            if (o.get("meta").get("topic").textValue().equals("on")) {
                onTopic.merge(label, w, Double::sum);
            }
            total += w;
        }
        assertEquals(1.0, total, 1e-9);
        assertEquals(0.0, labelSum.get("weather"), "a label the real set lacks gets weight 0");
        for (int l = 0; l < 3; l++) {
            double share = (double) REAL[l] / N_REAL;
            assertEquals(share, labelSum.get(LABELS[l]), 1e-9, LABELS[l]);
            double onFraction = onTopic.get(LABELS[l]) / labelSum.get(LABELS[l]);
            assertTrue(onFraction >= 0.75, LABELS[l] + ": only " + onFraction
                    + " of the weight on on-topic rows");
        }

        // aligned.jsonl: 24 distinct synthetic records with positive weight, unchanged.
        List<JsonNode> sample = readJsonl("aligned.jsonl");
        assertEquals(24, sample.size());
        Map<String, JsonNode> byId = new HashMap<>();
        for (JsonNode o : out) {
            byId.put(o.get("id").textValue(), o);
        }
        Set<String> ids = new HashSet<>();
        for (JsonNode o : sample) {
            String id = o.get("id").textValue();
            assertTrue(ids.add(id), "duplicate " + id);
            assertEquals(List.of("id", "label", "text", "meta"), fieldNames(o));
            assertTrue(byId.get(id).get("synalign_weight").doubleValue() > 0, id);
            ObjectNode expected = ((ObjectNode) byId.get(id)).deepCopy();
            expected.remove("synalign_weight");
            assertEquals(expected, o);
        }

        // The report: stdout table and the summary.
        String stdout = run.out();
        assertTrue(stdout.lines().anyMatch(l -> l.matches("sports\\s+30\\s+16\\s+.*\\s50\\.0%\\s+50\\.0%")),
                stdout);
        assertTrue(stdout.lines().anyMatch(l -> l.matches("weather\\s+0\\s+6\\s+-\\s+-\\s+0\\.0\\s+0\\.0%\\s+0\\.0%")),
                stdout);
        assertTrue(stdout.contains("note: synthetic label 'weather' (6 rows) does not occur in the"
                + " real set; its rows get weight 0"), stdout);
        assertTrue(stdout.contains("sample: drew 24 of"), stdout);
        assertTrue(stdout.contains("wrote " + p("weighted.jsonl") + ", " + p("aligned.jsonl")
                + " and " + p("reports/summary.json")), stdout);

        JsonNode summary = json.readTree(dir.resolve("reports/summary.json").toFile());
        assertEquals("per-label", summary.get("mode").asText());
        assertEquals(N_REAL, summary.get("n_real").asInt());
        assertEquals(N_SYNTHETIC, summary.get("n_synthetic").asInt());
        assertEquals(List.of("weather"), List.of(summary.get("synthetic_labels_not_in_real").get(0).asText()));
        assertEquals(0, summary.get("real_labels_without_synthetic").size());
        assertTrue(summary.get("global_fit").isNull());
        JsonNode labels = summary.get("labels");
        assertEquals(4, labels.size());
        for (int l = 0; l < 3; l++) {
            JsonNode row = labels.get(l);
            assertEquals(LABELS[l], row.get("label").asText());
            assertEquals("aligned", row.get("status").asText());
            assertEquals(REAL[l], row.get("n_real").asInt());
            assertEquals(2 * SYNTHETIC_HALF[l], row.get("n_synthetic").asInt());
            assertEquals((double) REAL[l] / N_REAL, row.get("weight_share").asDouble(), 1e-9);
            JsonNode fit = row.get("fit");
            assertTrue(fit.get("mmd2_weighted").asDouble() < fit.get("mmd2_uniform").asDouble(),
                    fit.toString());
            assertEquals(fits.get(l)[2], fit.get("seed").asLong());
        }
        assertEquals("not_in_real", labels.get(3).get("status").asText());
        assertTrue(labels.get(3).get("fit").isNull());
        assertEquals(24, summary.get("sample").get("n").asInt());
        assertEquals(3, summary.get("settings").get("seed").asLong());
        assertEquals("minilm", summary.get("embedding").get("model").asText());
        assertEquals(384, summary.get("embedding").get("dim").asInt());
        assertEquals(Set.of("real.jsonl", "synth.jsonl", "reports", "reports/summary.json",
                "weighted.jsonl", "aligned.jsonl"), listing());

        // Reproducible: the same command gives the same files, and the cache answers every text.
        byte[] weighted = Files.readAllBytes(dir.resolve("weighted.jsonl"));
        byte[] aligned = Files.readAllBytes(dir.resolve("aligned.jsonl"));
        int encodedBefore = encoders.textsEncoded.get();
        Cli.Run again = align(null, "--sample", "24", "--sampled-out", p("aligned.jsonl"),
                "--seed", "3");
        assertEquals(0, again.status(), again.toString());
        assertTrue(Arrays.equals(weighted, Files.readAllBytes(dir.resolve("weighted.jsonl"))));
        assertTrue(Arrays.equals(aligned, Files.readAllBytes(dir.resolve("aligned.jsonl"))));
        assertEquals(encodedBefore, encoders.textsEncoded.get(), "a rerun embeds nothing");
        assertTrue(again.out().contains("from the cache, 0 embedded"), again.out());
    }

    @Test
    void globalFitsOnceAndDoesNotForceTheShares() throws IOException {
        Cli.Run run = align(null, "--scope", "global", "--summary", p("summary.json"));
        assertEquals(0, run.status(), run.toString());
        assertEquals(1, fits.size(), "one fit over all rows");
        assertEquals(N_REAL, fits.get(0)[0]);
        assertEquals(N_SYNTHETIC, fits.get(0)[1]);
        assertEquals(0, fits.get(0)[2], "the global fit uses --seed itself");

        List<JsonNode> out = readJsonl("weighted.jsonl");
        Map<String, Double> labelSum = new HashMap<>();
        for (JsonNode o : out) {
            labelSum.merge(o.get("label").textValue(), o.get("synalign_weight").doubleValue(),
                    Double::sum);
        }
        assertEquals(1.0, labelSum.values().stream().mapToDouble(Double::doubleValue).sum(), 1e-9);
        double maxDeviation = 0;
        for (int l = 0; l < 3; l++) {
            maxDeviation = Math.max(maxDeviation,
                    Math.abs(labelSum.get(LABELS[l]) - (double) REAL[l] / N_REAL));
        }
        assertTrue(maxDeviation > 1e-6, "global mode does not pin label shares: " + labelSum);

        JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
        assertEquals("global", summary.get("mode").asText());
        assertNotNull(summary.get("global_fit").get("mmd2_weighted"));
        for (JsonNode row : summary.get("labels")) {
            assertTrue(row.get("fit").isNull(), row.toString());
        }
        assertTrue(run.out().contains("note: synthetic label 'weather' (6 rows) does not occur in"
                + " the real set\n"), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("total") && !l.contains(" - ")),
                "the total row carries the global MMD^2: " + run.out());
    }

    @Test
    void aFailureAfterTheFitWritesNothing() throws IOException {
        Files.writeString(dir.resolve("weighted.jsonl"), "old\n");
        AtomicInteger calls = new AtomicInteger();
        Cli.Run run = align(null);
        assertEquals(0, run.status(), run.toString());
        fits.clear();
        Files.writeString(dir.resolve("weighted.jsonl"), "old\n");
        TextAlignment.WeightLearner[] real = new TextAlignment.WeightLearner[1];
        run = Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            real[0] = cmd.learner;
            cmd.loader = encoders.loader();
            cmd.learner = (b, c, r, s, pr) -> {
                AlignmentResult result = real[0].fit(b, c, r, s, pr);
                if (calls.incrementAndGet() == 3) {
                    // After the last fit the summary's directory disappears.
                    try {
                        Files.delete(dir.resolve("reports"));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }
                return result;
            };
        }, "align", "--real", p("real.jsonl"), "--synthetic", p("synth.jsonl"),
                "--out", p("weighted.jsonl"), "--sample", "10", "--sampled-out", p("aligned.jsonl"),
                "--summary", p("reports/summary.json"), "--cache-dir", cache.toString(),
                "--backend", "reference", "--quiet");
        assertEquals(1, run.status(), run.toString());
        assertEquals(3, calls.get());
        assertEquals(1, run.errLines().size(), run.toString());
        assertTrue(run.errLines().get(0).contains("reports"), run.toString());
        assertEquals("old\n", Files.readString(dir.resolve("weighted.jsonl")),
                "an existing output is replaced only when every output is written");
        assertEquals(Set.of("real.jsonl", "synth.jsonl", "weighted.jsonl"), listing(),
                "no sample, no temporary file");
    }

    @Test
    void aSampleLargerThanTheSupportIsRefusedBeforeAnythingIsWritten() throws IOException {
        // A learner that gives weight only to every other row of each label.
        TextAlignment.WeightLearner half = (b, c, r, s, pr) -> {
            double[] w = new double[(int) s.rows()];
            int positive = (int) (s.rows() + 1) / 2;
            for (int i = 0; i < w.length; i += 2) {
                w[i] = 1.0 / positive;
            }
            return new AlignmentResult(w, 1, 0.1, 0.05, "exact", 1, true, positive,
                    AlignmentMethod.EXACT, "reference", 0.0);
        };
        Cli.Run run = align(half, "--sample", "37", "--sampled-out", p("aligned.jsonl"),
                "--summary", p("summary.json"));
        assertEquals(2, run.status(), run.toString());
        assertEquals(List.of("synalign: error: --sample 37 exceeds the 36 synthetic rows with a"
                + " positive weight; records are drawn without replacement, so at most 36 can be"
                + " drawn"), run.errLines());
        assertEquals(Set.of("real.jsonl", "synth.jsonl", "reports"), listing());

        // More than the rows of labels the real set has: refused before the model is loaded.
        Cli.Run early = align(half, "--sample", "73", "--sampled-out", p("aligned.jsonl"));
        assertEquals(2, early.status(), early.toString());
        assertEquals(List.of("synalign: error: --sample 73 exceeds the 72 synthetic rows whose"
                + " label is in the real set; records are drawn without replacement, so at most 72"
                + " can be drawn"), early.errLines());
        assertEquals(1, encoders.loads.get(), "only the first run loaded the model");

        Cli.Run fits36 = align(half, "--sample", "36", "--sampled-out", p("aligned.jsonl"));
        assertEquals(0, fits36.status(), fits36.toString());
        assertTrue(fits36.out().contains("note: the sample is more than half of the rows with a"
                + " positive weight"), fits36.out());
        assertEquals(36, readJsonl("aligned.jsonl").size());
    }

    @Test
    void withReplacementDrawsAnyNumberFromThePositiveRowsOnly() throws IOException {
        TextAlignment.WeightLearner half = (b, c, r, s, pr) -> {
            double[] w = new double[(int) s.rows()];
            int positive = (int) (s.rows() + 1) / 2;
            for (int i = 0; i < w.length; i += 2) {
                w[i] = 1.0 / positive;
            }
            return new AlignmentResult(w, 1, 0.1, 0.05, "exact", 1, true, positive,
                    AlignmentMethod.EXACT, "reference", 0.0);
        };
        Cli.Run run = align(half, "--sample", "100", "--with-replacement", "--sampled-out",
                p("aligned.jsonl"), "--summary", p("summary.json"));
        assertEquals(0, run.status(), run.toString());
        assertTrue(run.out().contains("sample: drew 100 rows with replacement from the 36 with a"
                + " positive weight"), run.out());
        assertFalse(run.out().contains("more than half"), run.out());
        List<JsonNode> aligned = readJsonl("aligned.jsonl");
        assertEquals(100, aligned.size());
        Set<String> positive = new HashSet<>();
        List<JsonNode> weighted = readJsonl("weighted.jsonl");
        for (JsonNode r : weighted) {
            if (r.path("synalign_weight").asDouble() > 0) {
                positive.add(r.path("text").asText());
            }
        }
        for (JsonNode a : aligned) {
            assertTrue(positive.contains(a.path("text").asText()), "drawn from a positive row: " + a);
        }
        assertTrue(new HashSet<>(aligned).size() < 100, "rows repeat");
        assertTrue(json.readTree(dir.resolve("summary.json").toFile()).path("sample")
                .path("with_replacement").asBoolean());
        Cli.Run alone = align(half, "--with-replacement");
        assertEquals(2, alone.status(), alone.toString());
        assertTrue(alone.err().contains("--with-replacement needs --sampled-out"), alone.err());
    }

    @Test
    void csvInTsvOutCustomFieldsAndNoLabels() throws IOException {
        // Real rows as CSV with other field names, synthetic as gzip TSV; no label field at all.
        List<String> realTexts = TopicTexts.real("cooking", 12, 7);
        List<String> synTexts = new ArrayList<>(TopicTexts.synthetic("cooking", 6, 8));
        synTexts.addAll(TopicTexts.offTopic(6, 9));
        StringBuilder csv = new StringBuilder("body,source\n");
        for (String t : realTexts) {
            csv.append('"').append(t.replace("\"", "\"\"")).append("\",forum\n");
        }
        Files.writeString(dir.resolve("real.csv"), csv.toString());
        StringBuilder tsv = new StringBuilder("n\tbody\tlabel_x\n");
        for (int i = 0; i < synTexts.size(); i++) {
            tsv.append(i).append('\t').append(synTexts.get(i)).append("\tq\n");
        }
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve("syn.tsv.gz")))) {
            gz.write(tsv.toString().getBytes(StandardCharsets.UTF_8));
        }
        Cli.Run run = Cli.run(cl -> {
            AlignCommand cmd = Cli.align(cl);
            cmd.loader = encoders.loader();
        }, "align", "--real", p("real.csv"), "--synthetic", p("syn.tsv.gz"), "--out", p("w.csv"),
                "--text-field", "body", "--no-cache", "--backend", "reference", "--quiet");
        assertEquals(0, run.status(), run.toString());
        List<Record> out = RecordReader.read(dir.resolve("w.csv"));
        assertEquals(12, out.size());
        double on = 0;
        double sum = 0;
        for (int i = 0; i < out.size(); i++) {
            Record r = out.get(i);
            assertEquals(List.of("n", "body", "label_x", "synalign_weight"), r.fieldNames());
            assertEquals(Integer.toString(i), r.get("n").textValue());
            assertEquals(synTexts.get(i), r.get("body").textValue());
            double w = Double.parseDouble(r.get("synalign_weight").textValue());
            sum += w;
            on += i < 6 ? w : 0;
        }
        assertEquals(1.0, sum, 1e-9);
        assertTrue(on >= 0.75, "on-topic weight " + on);
        assertTrue(run.out().lines().anyMatch(l -> l.startsWith("(all)")), run.out());
        assertEquals(24, encoders.textsEncoded.get(), "--no-cache sends every text to the model");
    }
}
