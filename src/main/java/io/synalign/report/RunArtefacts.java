package io.synalign.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.pipeline.RunFiles;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.io.InputException;
import io.synalign.io.NpyRowSource;
import io.synalign.kernels.RowSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What a run directory holds (names in {@link RunFiles}), each part {@code null} when its file
 * is absent. A file that is present but unusable (not JSON, a weight that is not a
 * non-negative number, embedding rows that do not match the records) is an
 * {@link InputException} naming it: a report from a half-broken run would mislead.
 *
 * @param dir the run directory
 * @param alignment {@code alignment.json} (the align summary plus settings)
 * @param weighted the synthetic weights and labels of {@code weighted.jsonl}
 * @param embeddings both embedding matrices, when both files exist
 * @param evaluation {@code evaluation.json}
 * @param testPredictions the test predictions that {@code evaluation.json} keeps, checked, or
 *     {@code null} (none kept: written before they were, or a retrieval evaluation)
 * @param testRanks the test queries' first relevant ranks that a retrieval's
 *     {@code evaluation.json} keeps, checked, or {@code null} (none kept: written before they
 *     were, or a classification)
 * @param generation {@code generation.json}
 * @param realLabels the real rows' labels from {@code labels.json}, or {@code null}
 * @param realTexts the real rows' texts, read from the {@code --real} file that
 *     {@code alignment.json} names (relative to the run directory); never {@code null}
 * @param test {@code test.json}, the two-sample test
 * @param provenance whether generation.json and evaluation.json describe this alignment
 */
public record RunArtefacts(Path dir, JsonNode alignment, Weighted weighted,
        Embeddings embeddings, JsonNode evaluation, TestPredictions testPredictions,
        TestRanks testRanks, JsonNode generation, List<String> realLabels, RealTexts realTexts, JsonNode test, Provenance provenance) {

    /** The field that carries each synthetic record's weight. */
    static final String WEIGHT_FIELD = "synalign_weight";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The synthetic rows' weights, in input order, and their labels.
     *
     * @param labels one label per row, or {@code null} when the rows have none
     * @param corpusIds the passage each row targets ({@code corpus_id} of query rows), or
     *     {@code null} when the rows are not query rows
     */
    public record Weighted(double[] weights, List<String> labels, List<String> texts,
            List<String> corpusIds) {
    }

    /**
     * The real rows' texts and labels, for the report's examples; where they could not be read
     * (no {@code --real} in the settings, the file moved), {@code texts} is null and
     * {@code problem} says why. The report shows that line instead; it is not an error.
     */
    public record RealTexts(List<String> texts, List<String> labels, String problem) {
    }

    /**
     * The embedding rows the report plots: at most {@link ReportPage#MAX_POINTS_PER_SIDE} of
     * each set, drawn by {@link Subsample} (seeds 1 for real, 2 for synthetic), read from the
     * files row by row, so a run of any size (a 15 GB synthetic {@code .npy} of
     * 10^7 rows) is reported without reading its embeddings whole.
     *
     * <p>The rows are the values as stored, in double: a float64 file's values exactly, a
     * float32 file's widened exactly. Not narrowed to float32: rows of a float64 file near 1e6
     * with a spread of 0.01 would land on float32's grid there (0.0625) and the PCA would show
     * the grid, not the rows (the PCA centres them in double, {@link Pca}).
     *
     * @param real the sampled real rows, in input order
     * @param realRows their row numbers in the file, ascending
     * @param synthetic the sampled synthetic rows, in input order
     * @param syntheticRows their row numbers in the file, ascending
     * @param realTotal rows in the real file
     * @param syntheticTotal rows in the synthetic file
     * @param cols the columns of both files
     */
    public record Embeddings(double[][] real, int[] realRows, double[][] synthetic,
            int[] syntheticRows, long realTotal, long syntheticTotal, int cols) {
    }

    /** Whether any artefact is present. */
    public boolean isEmpty() {
        return alignment == null && weighted == null && embeddings == null && evaluation == null
                && generation == null && test == null;
    }

    /**
     * Reads every artefact present in {@code dir}.
     *
     * @throws InputException when {@code dir} is not a directory, holds no artefact at all, or an
     *     artefact is unusable
     */
    public static RunArtefacts load(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new InputException(dir, "run directory does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new InputException(dir, "a file, not a run directory");
        }
        JsonNode alignment = json(dir.resolve(RunFiles.ALIGNMENT));
        JsonNode labels = json(dir.resolve(RunFiles.LABELS));
        Weighted weighted = weighted(dir, alignment, labels);
        Embeddings embeddings = embeddings(dir, weighted);
        List<String> realLabels = labels == null ? null
                : labelList(dir.resolve(RunFiles.LABELS), labels, "real");
        if (embeddings != null) {
            // The synthetic side is checked against weighted.jsonl; the real side must agree
            // with labels.json and alignment.json too (3 labels for 12 rows coloured 9 points
            // as the first label; 5 rows showed "5 of 5 real" beside tables of 12).
            Path realFile = dir.resolve(RunFiles.REAL_EMBEDDINGS);
            if (realLabels != null && realLabels.size() != embeddings.realTotal()) {
                throw new InputException(dir.resolve(RunFiles.LABELS), "'real' has "
                        + realLabels.size() + " labels but " + realFile.getFileName() + " has "
                        + embeddings.realTotal() + " rows");
            }
            JsonNode nReal = alignment == null ? null : alignment.get("n_real");
            if (nReal != null && nReal.canConvertToLong() && nReal.asLong() != embeddings.realTotal()) {
                throw new InputException(realFile, "has " + embeddings.realTotal() + " rows but "
                        + RunFiles.ALIGNMENT + " counts " + nReal.asLong() + " real rows");
            }
        }
        JsonNode test = json(dir.resolve(RunFiles.TEST));
        if (test != null && labels != null) {
            checkTestRows(dir, test, labels);
        }
        JsonNode evaluation = json(dir.resolve(RunFiles.EVALUATION));
        TestPredictions predictions = evaluation == null ? null
                : TestPredictions.read(dir.resolve(RunFiles.EVALUATION), evaluation);
        TestRanks ranks = evaluation == null ? null
                : TestRanks.read(dir.resolve(RunFiles.EVALUATION), evaluation);
        JsonNode generation = json(dir.resolve(RunFiles.GENERATION));
        RunArtefacts run = new RunArtefacts(dir, alignment, weighted, embeddings, evaluation,
                predictions, ranks, generation, realLabels, realTexts(dir, alignment, labels), test,
                Provenance.check(dir, alignment, generation, evaluation));
        if (run.isEmpty()) {
            throw new InputException(dir, "no run artefacts here (expected any of "
                    + String.join(", ", RunFiles.ALIGNMENT, RunFiles.WEIGHTED,
                            RunFiles.REAL_EMBEDDINGS + " + " + RunFiles.SYNTHETIC_EMBEDDINGS,
                            RunFiles.EVALUATION, RunFiles.GENERATION, RunFiles.TEST)
                    + "; the commands' run-directory option and io.synalign.pipeline.RunFiles"
                    + " name them)");
        }
        return run;
    }

    /**
     * test.json must describe the rows of labels.json: per label, the real and synthetic rows it
     * read are every row of the label, or a subsample of {@link
     * io.synalign.pipeline.TwoSampleTesting#DEFAULT_MAX_ROWS} when there are more. A test.json
     * an earlier command left in a reused directory judged other rows: the report said
     * "Indistinguishable in 6 of 6 labels" (64 synthetic rows a label) for 30 a label that the
     * test told apart in 4. Refused, naming both counts.
     */
    static void checkTestRows(Path dir, JsonNode test, JsonNode labels) {
        Path file = dir.resolve(RunFiles.TEST);
        JsonNode perLabel = test.path("labels");
        if (!perLabel.isObject()) {
            return;
        }
        for (String side : List.of("real", "synthetic")) {
            JsonNode given = labels.get(side);
            if (given == null || !given.isArray()) {
                continue;
            }
            Map<String, Long> counts = new java.util.HashMap<>();
            for (JsonNode l : given) {
                if (!l.isNull()) {
                    counts.merge(l.asText(), 1L, Long::sum);
                }
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = perLabel.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode n = e.getValue().get(side);
                if (n == null || !n.canConvertToLong()) {
                    continue;
                }
                long have = counts.getOrDefault(e.getKey(), 0L);
                long expected = Math.min(have,
                        io.synalign.pipeline.TwoSampleTesting.DEFAULT_MAX_ROWS);
                if (n.asLong() != expected) {
                    throw new InputException(file, "label '" + e.getKey() + "': tested "
                            + n.asLong() + " " + side + " rows but " + RunFiles.LABELS + " has "
                            + have + "; it describes other rows (an earlier command's): test"
                            + " these with 'synalign test ... --run-dir " + dir + "' or remove it");
                }
            }
        }
    }

    /** A JSON object file, or {@code null} when absent. */
    private static JsonNode json(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InputException(file, "not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InputException(file, "expected a JSON object");
        }
        return io.synalign.pipeline.RunDocuments.requireReadable(file, node);
    }

    /**
     * Reads {@code weighted.jsonl} record by record, keeping only what the report uses of each
     * (its weight, text, label and corpus id; equal labels share one string), so a run of
     * millions of records is reported without holding their parsed records.
     */
    private static Weighted weighted(Path dir, JsonNode alignment, JsonNode labels)
            throws IOException {
        Path file = dir.resolve(RunFiles.WEIGHTED);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        String textField = setting(alignment, "--text-field", "text");
        String labelField = setting(alignment, "--label-field", "label");
        double[] weights = new double[1024];
        List<String> texts = new ArrayList<>();
        List<String> recordLabels = new ArrayList<>();
        List<String> corpusIds = new ArrayList<>();
        java.util.Map<String, String> shared = new java.util.HashMap<>();
        boolean anyText = false;
        boolean anyLabel = false;
        boolean queryRows = true;
        int count = 0;
        try (RecordReader.Cursor cursor = RecordReader.open(file,
                maxLineBytes(alignment))) {
            for (Record r = cursor.next(); r != null; r = cursor.next()) {
                JsonNode w = r.get(WEIGHT_FIELD);
                if (w == null || !w.isNumber() || !(w.doubleValue() >= 0)
                        || Double.isInfinite(w.doubleValue())) {
                    throw new InputException(file, r.line(), "field '" + WEIGHT_FIELD
                            + "' must be a finite number >= 0, got "
                            + (w == null ? "none" : w.toString()));
                }
                if (count == weights.length) {
                    weights = Arrays.copyOf(weights,
                            (int) Math.max(count + 1L, Math.min(Integer.MAX_VALUE - 8L, 2L * count)));
                }
                weights[count++] = w.doubleValue();
                JsonNode t = r.get(textField);
                anyText |= t != null && t.isTextual();
                texts.add(t != null && t.isTextual() ? t.textValue() : null);
                JsonNode l = r.get(labelField);
                anyLabel |= l != null;
                String label = l == null || l.isNull() ? "(no label)"
                        : l.isTextual() ? l.textValue() : l.toString();
                recordLabels.add(shared.computeIfAbsent(label, k -> k));
                JsonNode c = r.get(io.synalign.retrieval.QueryRows.CORPUS_ID);
                String id = c == null || c.isNull() ? null : c.asText();
                queryRows &= id != null;
                corpusIds.add(id);
            }
        }
        weights = Arrays.copyOf(weights, count);
        List<String> labelList = syntheticLabels(dir, count, labels,
                anyLabel ? recordLabels : null);
        return new Weighted(weights, labelList, anyText ? texts : null,
                queryRows && count > 0 ? corpusIds : null);
    }

    /** A setting of {@code alignment.json} as text, or {@code fallback}. */
    /**
     * The line limit {@code weighted.jsonl} was written under: the run's {@code --max-line-size}
     * (as recorded, e.g. {@code 4MiB}) where above the default, else the default. A run made with
     * a larger limit could not be reported: its own output exceeded the default, and report has
     * no such option.
     */
    static long maxLineBytes(JsonNode alignment) {
        String given = setting(alignment, "--max-line-size", null);
        java.util.regex.Matcher m = given == null ? null
                : java.util.regex.Pattern.compile("(\\d{1,12})(TiB|GiB|MiB|KiB)?").matcher(given.strip());
        if (m == null || !m.matches()) {
            return RecordReader.DEFAULT_MAX_LINE_BYTES;
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
            case "KiB" -> 10;
            case "MiB" -> 20;
            case "GiB" -> 30;
            default -> 40;
        };
        long bytes = Long.parseLong(m.group(1)) << shift;
        return Math.max(RecordReader.DEFAULT_MAX_LINE_BYTES, Math.min(bytes, RecordReader.MAX_LINE_LIMIT));
    }

    static String setting(JsonNode alignment, String option, String fallback) {
        JsonNode v = alignment == null ? null : alignment.path("settings").get(option);
        return v != null && v.isTextual() ? v.textValue() : fallback;
    }

    /**
     * The {@code --real} file that {@code alignment} names (see {@link RunFiles#settingPath}),
     * or null where it names none.
     */
    public static Path realFile(Path dir, JsonNode alignment) {
        String real = setting(alignment, "--real", null);
        return real == null ? null : RunFiles.settingPath(dir, real);
    }

    /** The real texts from the --real file the settings name, or why they cannot be shown. */
    private static RealTexts realTexts(Path dir, JsonNode alignment, JsonNode labels) {
        String real = setting(alignment, "--real", null);
        if (real == null) {
            return new RealTexts(null, null, "the real file is not named in "
                    + RunFiles.ALIGNMENT);
        }
        Path file = realFile(dir, alignment);
        if (!Files.isRegularFile(file)) {
            return new RealTexts(null, null, "the real file " + real + " (relative to the run"
                    + " directory) is not there");
        }
        String textField = setting(alignment, "--text-field", "text");
        String labelField = labels != null && labels.path("label_field").isTextual()
                ? labels.get("label_field").textValue()
                : setting(alignment, "--label-field", "label");
        try {
            List<Record> records = RecordReader.read(file);
            List<String> texts = new ArrayList<>(records.size());
            List<String> out = new ArrayList<>(records.size());
            for (Record r : records) {
                JsonNode t = r.get(textField);
                JsonNode l = r.get(labelField);
                texts.add(t != null && t.isTextual() ? t.textValue() : null);
                out.add(l == null || l.isNull() ? null : l.isTextual() ? l.textValue()
                        : l.toString());
            }
            return new RealTexts(texts, out, null);
        } catch (IOException | RuntimeException e) {
            return new RealTexts(null, null, "the real file " + real + " could not be read: "
                    + e.getMessage());
        }
    }

    /** From labels.json when present, else the label field of the weighted records. */
    private static List<String> syntheticLabels(Path dir, int records, JsonNode labels,
            List<String> fromRecords) {
        if (labels != null) {
            List<String> fromFile = labelList(dir.resolve(RunFiles.LABELS), labels, "synthetic");
            if (fromFile != null && fromFile.size() != records) {
                throw new InputException(dir.resolve(RunFiles.LABELS), "'synthetic' has "
                        + fromFile.size() + " labels but " + RunFiles.WEIGHTED + " has "
                        + records + " rows");
            }
            return fromFile;
        }
        return fromRecords;
    }

    private static List<String> labelList(Path file, JsonNode labels, String key) {
        JsonNode a = labels.get(key);
        if (a == null || a.isNull()) {
            return null;
        }
        if (!a.isArray()) {
            throw new InputException(file, "'" + key + "' must be an array of labels or null");
        }
        List<String> out = new ArrayList<>(a.size());
        for (JsonNode v : a) {
            out.add(v.isTextual() ? v.textValue() : v.toString());
        }
        return out;
    }

    private static Embeddings embeddings(Path dir, Weighted weighted) throws IOException {
        Path realFile = dir.resolve(RunFiles.REAL_EMBEDDINGS);
        Path syntheticFile = dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS);
        if (!Files.isRegularFile(realFile) || !Files.isRegularFile(syntheticFile)) {
            return null;
        }
        try (NpyRowSource real = NpyRowSource.open(realFile);
                NpyRowSource synthetic = NpyRowSource.open(syntheticFile)) {
            if (real.cols() != synthetic.cols()) {
                throw new InputException(syntheticFile, "has " + synthetic.cols()
                        + " columns but " + realFile.getFileName() + " has " + real.cols());
            }
            if (weighted != null && weighted.weights().length != synthetic.rows()) {
                throw new InputException(syntheticFile, "has " + synthetic.rows() + " rows but "
                        + RunFiles.WEIGHTED + " has " + weighted.weights().length + " records");
            }
            int[] realRows = Subsample.indices(rowCount(realFile, real),
                    ReportPage.MAX_POINTS_PER_SIDE, 1);
            int[] syntheticRows = Subsample.indices(rowCount(syntheticFile, synthetic),
                    ReportPage.MAX_POINTS_PER_SIDE, 2);
            return new Embeddings(asStored(real, realRows), realRows,
                    asStored(synthetic, syntheticRows), syntheticRows, real.rows(),
                    synthetic.rows(), real.cols());
        }
    }

    /** The rows {@code rows} of {@code file} as stored, in double (see {@link Embeddings}). */
    private static double[][] asStored(NpyRowSource file, int[] rows) {
        double[][] out = new double[rows.length][file.cols()];
        for (int i = 0; i < rows.length; i++) {
            file.readExact(rows[i], out[i]);
        }
        return out;
    }

    private static int rowCount(Path file, RowSource rows) {
        if (rows.rows() > Integer.MAX_VALUE - 8) {
            throw new InputException(file, rows.rows() + " rows are more than a run holds ("
                    + (Integer.MAX_VALUE - 8) + ")");
        }
        return (int) rows.rows();
    }
}
