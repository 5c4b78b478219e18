package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.kernels.FloatMatrix;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.alignment.WeightedSampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The job end to end on JSON Lines and Parquet with a precomputed embedding field. */
class SynAlignSparkJobTest {

    @TempDir
    Path dir;

    /** Writes records {id, text, label, emb} and returns their rows. */
    static SparkWeightLearnerTest.Rows write(Path file, Random random, int n, double shift)
            throws IOException {
        List<String> lines = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        int d = 3;
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            String label = random.nextInt(3) == 0 ? "neg" : "pos";
            labels.add(label);
            StringBuilder emb = new StringBuilder();
            for (int j = 0; j < d; j++) {
                float v = (float) (random.nextGaussian() + (j == 0 ? shift * random.nextDouble()
                        : 0) + (label.equals("neg") && j == 1 ? 1 : 0));
                data[i * d + j] = v;
                emb.append(j == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.9g", v));
            }
            lines.add("{\"id\":" + i + ",\"text\":\"row " + i + "\",\"label\":\"" + label
                    + "\",\"emb\":[" + emb + "]}");
        }
        Files.write(file, lines);
        return new SparkWeightLearnerTest.Rows(labels, new FloatMatrix(n, d, data));
    }

    /** The job's output weights indexed by the records' {@code id} field (n records). */
    static double[] weightsById(Dataset<Row> rows, int n) {
        double[] w = new double[n];
        for (Row row : rows.collectAsList()) {
            w[(int) row.getLong(row.fieldIndex("id"))] = row.getDouble(row.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD));
        }
        return w;
    }

    static SynAlignSparkJob job(String... args) {
        SynAlignSparkJob job = new SynAlignSparkJob();
        new CommandLine(job).parseArgs(args);
        return job;
    }

    @Test
    void weightsAndSampleMatchTheSingleMachineResults() throws IOException {
        Random random = new Random(9);
        Path real = dir.resolve("real.jsonl");
        Path synthetic = dir.resolve("synthetic.jsonl");
        SparkWeightLearnerTest.Rows r = write(real, random, 40, 0);
        SparkWeightLearnerTest.Rows s = write(synthetic, random, 97, 2);
        String out = dir.resolve("weighted.parquet").toString();
        String sampled = dir.resolve("sampled.parquet").toString();
        SparkSession spark = TestSpark.session();
        SynAlignSparkJob.Outcome outcome = job("--real", real.toString(), "--synthetic",
                synthetic.toString(), "--out", out, "--format", "auto", "--embedding-field",
                "emb", "--features", "32", "--iterations", "40", "--max-weight-ratio", "5",
                "--seed", "4", "--backend", "reference", "--sample", "20", "--sampled-out",
                sampled).run(spark);
        // --out / --sampled-out are Parquet by name, the inputs JSON Lines by name.
        assertThrows(IllegalArgumentException.class, () -> DataFrames.format("x.csv", "auto"));

        double[] weights = new double[97];
        Set<Long> seen = new HashSet<>();
        for (Row row : spark.read().parquet(out).collectAsList()) {
            long id = row.getLong(row.fieldIndex("id"));
            assertEquals("row " + id, row.getString(row.fieldIndex("text")));
            weights[(int) id] = row.getDouble(row.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD));
            seen.add(id);
        }
        assertEquals(97, seen.size());
        AlignmentConfig config = SparkWeightLearnerTest.config(32, 40, 4)
                .withBandwidth(Bandwidth.auto());
        double[] expected = SparkWeightLearnerTest.singleMachine(LabelMode.PER_LABEL, config,
                r, s, true).weights();
        SparkWeightLearnerTest.assertSameWeights(expected, weights, s.labels(), 1e-5);

        List<Long> drawn = new ArrayList<>();
        for (Row row : spark.read().parquet(sampled).collectAsList()) {
            drawn.add(row.getLong(row.fieldIndex("id")));
        }
        assertEquals(20, drawn.size());
        assertEquals(20, new HashSet<>(drawn).size());
        assertEquals(20, outcome.sampled().length);
        for (long id : drawn) {
            assertTrue(weights[(int) id] > 0);
        }
        // The sampled file holds exactly the drawn rows (ids are row numbers here).
        assertEquals(java.util.Arrays.stream(outcome.sampled()).boxed().collect(
                java.util.stream.Collectors.toSet()), new HashSet<>(drawn));
        int[] cli = WeightedSampler.sample(weights, 20, 4);
        for (int i = 0; i < cli.length; i++) {
            assertEquals(cli[i], outcome.sampled()[i], "the CLI's draw for the same weights");
        }
    }

    @Test
    void sampleIsTheSingleMachineDrawWhenRowOrderIsKept() throws IOException {
        Random random = new Random(2);
        Path real = dir.resolve("r.jsonl");
        Path synthetic = dir.resolve("s.jsonl");
        write(real, random, 30, 0);
        write(synthetic, random, 50, 1);
        String out = dir.resolve("w.jsonl").toString();
        String sampled = dir.resolve("d.jsonl").toString();
        SynAlignSparkJob.Outcome outcome = job("--real", real.toString(), "--synthetic",
                synthetic.toString(), "--out", out, "--embedding-field", "emb", "--scope", "global",
                "--features", "16", "--iterations", "20", "--bandwidth", "1.5", "--seed", "8",
                "--backend", "reference", "--sample", "10", "--sampled-out", sampled)
                .run(TestSpark.session());
        double[] weights = weightsById(TestSpark.session().read().json(out), 50);
        int[] expected = WeightedSampler.sample(weights, 10, 8);
        long[] actual = outcome.sampled();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i]);
        }
    }

    @Test
    void labelFieldOnOneSideOnlyIsRejectedPerLabel() throws IOException {
        Path real = dir.resolve("r1.jsonl");
        Files.write(real, List.of("{\"text\":\"a\",\"emb\":[1.0,2.0]}",
                "{\"text\":\"b\",\"emb\":[2.0,1.0]}"));
        Path synthetic = dir.resolve("s1.jsonl");
        write(synthetic, new Random(1), 5, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", dir.resolve("o.jsonl").toString(), "--embedding-field", "emb")
                        .run(TestSpark.session()));
        assertTrue(e.getMessage().startsWith("only the synthetic records have the label field"),
                e.getMessage());
    }

    @Test
    void aSampleTooLargeKeepsTheWeightsAndLeavesNoSampleBehind() throws IOException {
        Random random = new Random(6);
        Path real = dir.resolve("r2.jsonl");
        Path synthetic = dir.resolve("s2.jsonl");
        write(real, random, 20, 0);
        write(synthetic, random, 30, 1);
        Path out = dir.resolve("w2.parquet");
        Path sampled = dir.resolve("d2.jsonl");
        // The draw fails after the fit: more rows than exist. The fit is kept.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", out.toString(), "--embedding-field", "emb", "--features", "8",
                        "--iterations", "5", "--backend", "reference", "--sample", "1000",
                        "--sampled-out", sampled.toString(), "--summary",
                        dir.resolve("fit.json").toString()).run(TestSpark.session()));
        assertTrue(Files.readString(dir.resolve("fit.json")).contains("\"synthetic_rows\" : 30"),
                "the fit's summary is written too");
        Files.delete(dir.resolve("fit.json"));
        assertTrue(e.getMessage().startsWith("--sample 1000: cannot draw 1000 rows without"
                + " replacement from "), e.getMessage());
        assertTrue(e.getMessage().endsWith("the weights were written to --out " + out
                + " (draw fewer rows, or from them)"), e.getMessage());
        assertEquals(30, TestSpark.session().read().parquet(out.toString()).count(), "the weights are kept");
        assertFalse(Files.exists(sampled), "no partial --sampled-out");
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("r2.jsonl", "s2.jsonl", "w2.parquet"),
                    files.map(f -> f.getFileName().toString()).collect(
                            java.util.stream.Collectors.toSet()), "no staging directory left");
        }
        // And an existing output is refused before any work, naming it.
        IllegalArgumentException exists = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", out.toString(), "--embedding-field", "emb")
                        .run(TestSpark.session()));
        assertEquals("--out " + out + " already exists", exists.getMessage());
        // A missing input is named with its option.
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> job("--real", dir.resolve("nope.jsonl").toString(), "--synthetic",
                        synthetic.toString(), "--out", dir.resolve("w9.jsonl").toString(),
                        "--embedding-field", "emb").run(TestSpark.session()));
        assertTrue(missing.getMessage().startsWith("--real ") && missing.getMessage().endsWith(
                "nope.jsonl: no such file or directory"), missing.getMessage());
    }

    /**
     * --summary is checked with the outputs before any work (a directory, or the path of an
     * output, is refused; paths are compared qualified), and written before the outputs are
     * committed: a summary that cannot be written leaves nothing at --out.
     */
    @Test
    void theSummaryIsCheckedFirstAndAFailedOneLeavesNoOutputs() throws IOException {
        Random random = new Random(8);
        Path real = dir.resolve("r3.jsonl");
        Path synthetic = dir.resolve("s3.jsonl");
        write(real, random, 20, 0);
        write(synthetic, random, 30, 1);
        Path out = dir.resolve("w3.jsonl");
        Files.createDirectories(dir.resolve("adir"));
        String[] base = {"--real", real.toString(), "--synthetic", synthetic.toString(),
            "--out", out.toString(), "--embedding-field", "emb", "--features", "8",
            "--iterations", "3", "--backend", "reference"};
        IllegalArgumentException isDir = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--summary", dir.resolve("adir").toString()))
                        .run(TestSpark.session()));
        assertEquals("--summary " + dir.resolve("adir") + " is a directory; give the path of a"
                + " file", isDir.getMessage());
        IllegalArgumentException sameAsOut = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--summary", "file://" + out)).run(TestSpark.session()));
        assertEquals("--summary and --out are the same path: file://" + out,
                sameAsOut.getMessage());
        IllegalArgumentException sampleIsOut = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--sample", "3", "--sampled-out", "file://" + out))
                        .run(TestSpark.session()));
        assertEquals("--out and --sampled-out are the same path: " + out,
                sampleIsOut.getMessage());
        // Paths inside another output (each is a directory of parts): found only at commit,
        // with --out already committed inside the sample's path or an empty --out left.
        IllegalArgumentException summaryInOut = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--summary", out.resolve("summary.json").toString()))
                        .run(TestSpark.session()));
        assertTrue(summaryInOut.getMessage().startsWith("--summary " + out.resolve("summary.json")
                + " is inside --out "), summaryInOut.getMessage());
        IllegalArgumentException outInSample = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", out.resolve("w.jsonl").toString(), "--embedding-field", "emb",
                        "--features", "8", "--iterations", "3", "--backend", "reference",
                        "--sample", "3", "--sampled-out", out.toString())
                        .run(TestSpark.session()));
        assertEquals("--out " + out.resolve("w.jsonl") + " and --sampled-out " + out
                + " are one inside the other; give separate paths", outInSample.getMessage());
        // The summary's parent is a file: refused before the fit (it failed after it, exit 1).
        Files.writeString(dir.resolve("afile"), "x");
        IllegalArgumentException parentIsFile = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--summary", dir.resolve("afile/fit.json").toString()))
                        .run(TestSpark.session()));
        assertTrue(parentIsFile.getMessage().endsWith("afile is a file, not a directory"),
                parentIsFile.getMessage());
        IllegalArgumentException outParentIsFile = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(), "--out",
                        dir.resolve("afile/w.jsonl").toString(), "--embedding-field", "emb")
                        .run(TestSpark.session()));
        assertTrue(outParentIsFile.getMessage().startsWith("--out " + dir.resolve("afile/w.jsonl")),
                outParentIsFile.getMessage());
        // The summary replaces a file: never an input's (it replaced the real records, exit 0).
        byte[] realBytes = Files.readAllBytes(real);
        IllegalArgumentException overInput = assertThrows(IllegalArgumentException.class,
                () -> job(plus(base, "--summary", real.toString())).run(TestSpark.session()));
        assertEquals("--summary " + real + " would overwrite the input given with --real ("
                + real + ")", overInput.getMessage());
        IllegalArgumentException overGlob = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", dir.resolve("s3*").toString(),
                        "--out", out.toString(), "--embedding-field", "emb", "--summary",
                        synthetic.toString()).run(TestSpark.session()));
        assertTrue(overGlob.getMessage().contains("would overwrite the input given with"
                + " --synthetic"), overGlob.getMessage());
        assertArrayEquals(realBytes, Files.readAllBytes(real));
        assertFalse(Files.exists(out), "no --out without its summary");
        try (var files = Files.list(dir)) {
            assertEquals(Set.of("r3.jsonl", "s3.jsonl", "adir", "afile"),
                    files.map(f -> f.getFileName().toString()).collect(
                            java.util.stream.Collectors.toSet()), "nothing staged is left");
        }
    }

    /**
     * Inputs the CLI refuses or reads otherwise: numeric labels split by their JSON text (one
     * label 2.5 widened a file's labels to doubles, and "1.0" matched no real label "1"); a
     * mistyped --label-field, one that names the embedding, a label that is an object, an
     * empty input, a JSON Lines file read as Parquet and a single-quoted line are refused with
     * one message naming the option or file (exit 0 with one group, or exit 1, before).
     */
    @Test
    void labelsAndUnreadableInputsAreTakenAsTheCliTakesThem() throws IOException {
        Random random = new Random(12);
        List<String> realLines = new ArrayList<>();
        List<String> synthLines = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            realLines.add("{\"id\":" + i + ",\"label\":" + (1 + i % 2) + ",\"emb\":["
                    + random.nextGaussian() + "," + random.nextGaussian() + "]}");
        }
        for (int i = 0; i < 18; i++) {
            String label = i % 3 == 2 ? "2.5" : Integer.toString(1 + i % 3);
            synthLines.add("{\"id\":" + i + ",\"label\":" + label + ",\"emb\":["
                    + random.nextGaussian() + "," + random.nextGaussian() + "]}");
        }
        Path real = Files.write(dir.resolve("rn.jsonl"), realLines);
        Path synthetic = Files.write(dir.resolve("sn.jsonl"), synthLines);
        String[] base = {"--real", real.toString(), "--synthetic", synthetic.toString(),
            "--embedding-field", "emb", "--features", "8", "--iterations", "5", "--backend",
            "reference"};
        SynAlignSparkJob.Outcome outcome = job(plus(base, "--out", dir.resolve("wn.jsonl")
                .toString())).run(TestSpark.session());
        Map<String, LabelFit> fits = new java.util.TreeMap<>();
        for (LabelFit f : outcome.result().fits()) {
            fits.put(f.label(), f);
        }
        assertEquals(Set.of("1", "2", "2.5"), fits.keySet());
        assertTrue(fits.get("1").fitted() && fits.get("2").fitted() && !fits.get("2.5").fitted(),
                fits::toString);
        assertEquals(12, fits.get("1").realRows());

        Path labelled = dir.resolve("r5.jsonl");
        write(labelled, random, 20, 0);
        String[] plain = {"--real", labelled.toString(), "--synthetic", labelled.toString(),
            "--embedding-field", "emb", "--features", "8", "--iterations", "3", "--backend",
            "reference"};
        Map<String, String[]> refused = new LinkedHashMap<>();
        refused.put("no record of --real " + labelled + " or --synthetic " + labelled
                + " has the label field 'lable' given with --label-field",
                plus(plain, "--label-field", "lable"));
        refused.put("--embedding-field and --label-field both name 'emb'",
                plus(plain, "--label-field", "emb"));
        Path objectLabel = Files.writeString(dir.resolve("obj.jsonl"),
                "{\"label\":{\"k\":\"a\"},\"emb\":[1,2]}\n");
        refused.put("--real " + objectLabel + ": label field 'label' holds struct<k:string> values;"
                + " labels must be strings, numbers or booleans", new String[] {"--real",
                    objectLabel.toString(), "--synthetic", labelled.toString(), "--embedding-field",
                    "emb"});
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        refused.put("--synthetic " + empty + ": no records", new String[] {"--real",
            labelled.toString(), "--synthetic", empty.toString(), "--embedding-field", "emb"});
        refused.put("--real " + labelled + ": cannot be read as parquet", plus(plain, "--format",
                "parquet"));
        Path quoted = Files.writeString(dir.resolve("quoted.jsonl"), Files.readString(labelled)
                + "{'id': 99, 'label': 'pos', 'emb': [1, 2, 3]}\n");
        refused.put(quoted.getFileName() + " line 21: malformed JSON at column 2", new String[] {"--real", labelled.toString(),
            "--synthetic", quoted.toString(), "--embedding-field", "emb"});
        int n = 0;
        for (Map.Entry<String, String[]> e : refused.entrySet()) {
            String[] args = plus(e.getValue(), "--out", dir.resolve("x" + n++ + ".jsonl").toString());
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                    () -> job(args).run(TestSpark.session()), e.getKey());
            assertTrue(x.getMessage().contains(e.getKey()), x.getMessage());
        }
    }

    /** A label whose rows are all one point is named, with the option that helps. */
    @Test
    void anUnusableMedianHeuristicNamesTheLabelAndTheOption() throws IOException {
        Random random = new Random(9);
        for (String side : List.of("r4.jsonl", "s4.jsonl")) {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                boolean flat = i % 2 == 0;
                String emb = flat ? "1,1,1" : String.format(Locale.ROOT, "%.6f,%.6f,%.6f",
                        random.nextGaussian(), random.nextGaussian(), random.nextGaussian());
                lines.add("{\"id\":" + i + ",\"text\":\"t\",\"label\":\""
                        + (flat ? "flat" : "spread") + "\",\"emb\":[" + emb + "]}");
            }
            Files.write(dir.resolve(side), lines);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> job("--real", dir.resolve("r4.jsonl").toString(), "--synthetic",
                        dir.resolve("s4.jsonl").toString(), "--out", dir.resolve("w4.jsonl")
                        .toString(), "--embedding-field", "emb", "--features", "8",
                        "--backend", "reference").run(TestSpark.session()));
        assertTrue(e.getMessage().startsWith("label 'flat': the median heuristic found every"
                + " sampled row identical"), e.getMessage());
        assertTrue(e.getMessage().endsWith(" (give --bandwidth SIGMA)"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("w4.jsonl")));
    }

    private static String[] plus(String[] base, String... more) {
        String[] all = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /**
     * The job's own output reweighted (its synalign_weight replaced, not a second column), and
     * one input file spread over more partitions than it was read in gives the same weights.
     */
    @Test
    void reweightingTheJobsOutputReplacesTheWeightAndSpreadingKeepsTheWeights() throws IOException {
        Random random = new Random(21);
        Path real = dir.resolve("r5.jsonl");
        Path synthetic = dir.resolve("s5.jsonl");
        write(real, random, 30, 0);
        write(synthetic, random, 61, 1);
        String first = dir.resolve("w5.parquet").toString();
        String[] common = {"--real", real.toString(), "--embedding-field", "emb", "--features", "16",
            "--iterations", "30", "--seed", "2", "--backend", "reference"};
        List<String> a = new ArrayList<>(List.of(common));
        a.addAll(List.of("--synthetic", synthetic.toString(), "--out", first, "--partitions", "1"));
        job(a.toArray(String[]::new)).run(TestSpark.session());
        List<String> b = new ArrayList<>(List.of(common));
        String second = dir.resolve("w6.parquet").toString();
        b.addAll(List.of("--synthetic", first, "--out", second, "--partitions", "5"));
        job(b.toArray(String[]::new)).run(TestSpark.session());
        Dataset<Row> again = TestSpark.session().read().parquet(second);
        assertEquals(1, java.util.Arrays.stream(again.columns())
                .filter(SynAlignSparkJob.WEIGHT_FIELD::equals).count(), String.join(",", again.columns()));
        double[] w1 = weightsById(TestSpark.session().read().parquet(first), 61);
        double[] w2 = weightsById(again, 61);
        org.junit.jupiter.api.Assertions.assertArrayEquals(w1, w2, 0.0,
                "the same rows, spread over 5 partitions, weigh the same");
    }

    @Test
    void globalModeIgnoresLabelsSoRecordsWithoutOneAreFine() throws IOException {
        Random random = new Random(12);
        Path real = dir.resolve("r3.jsonl");
        Path synthetic = dir.resolve("s3.jsonl");
        SparkWeightLearnerTest.Rows r = write(real, random, 25, 0);
        SparkWeightLearnerTest.Rows s = write(synthetic, random, 33, 1.5);
        for (Path file : List.of(real, synthetic)) {
            List<String> lines = new ArrayList<>(Files.readAllLines(file));
            lines.set(4, lines.get(4).replaceFirst(",\"label\":\"[a-z]+\"", ""));
            Files.write(file, lines);
        }
        String out = dir.resolve("w3.jsonl").toString();
        job("--real", real.toString(), "--synthetic", synthetic.toString(), "--out", out,
                "--embedding-field", "emb", "--scope", "global", "--features", "16", "--iterations", "20",
                "--seed", "3", "--backend", "reference").run(TestSpark.session());
        double[] weights = weightsById(TestSpark.session().read().json(out), 33);
        AlignmentConfig config = SparkWeightLearnerTest.config(16, 20, 3)
                .withMaxWeightRatio(10);
        double[] expected = SparkWeightLearnerTest.singleMachine(LabelMode.GLOBAL, config,
                r, s, false).weights();
        SparkWeightLearnerTest.assertSameWeights(expected, weights,
                java.util.Collections.nCopies(33, "all"), 1e-5);
    }

    @Test
    void anEmbeddingOfAnotherLengthIsRejectedNotCutShort() throws IOException {
        Random random = new Random(14);
        Path real = dir.resolve("r4.jsonl");
        Path synthetic = dir.resolve("s4.jsonl");
        write(real, random, 20, 0);
        write(synthetic, random, 30, 1);
        // Real record 9 has a 4th value: the learner would read its first 3 only.
        List<String> lines = new ArrayList<>(Files.readAllLines(real));
        lines.set(9, lines.get(9).replace("]}", ",7.5]}"));
        Files.write(real, lines);
        Exception e = assertThrows(Exception.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", dir.resolve("w4.jsonl").toString(), "--embedding-field", "emb",
                        "--features", "8", "--iterations", "5", "--backend", "reference")
                        .run(TestSpark.session()));
        Throwable bad = JobErrors.badInput(e);
        assertTrue(bad != null && bad.getMessage().startsWith(
                "a record's embedding 'emb' has 4 values, the first synthetic record's has 3: "
                        + "{id=9, text=row 9, label="), String.valueOf(bad == null ? e : bad));
        assertFalse(Files.exists(dir.resolve("w4.jsonl")));

        // A NaN (Spark's JSON reader takes one) is refused by record, as the CLI refuses one in
        // a .npy: it reached the solver and failed there (exit 1, an index out of bounds).
        write(real, random, 20, 0);
        List<String> nan = new ArrayList<>(Files.readAllLines(synthetic));
        nan.set(10, nan.get(10).replaceFirst("\\[[^,\\]]+,", "[NaN,"));
        Files.write(synthetic, nan);
        Exception n = assertThrows(Exception.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", dir.resolve("w4.jsonl").toString(), "--embedding-field", "emb",
                        "--features", "8", "--iterations", "5", "--bandwidth", "1.0",
                        "--backend", "reference").run(TestSpark.session()));
        Throwable badNan = JobErrors.badInput(n);
        assertTrue(badNan != null && badNan.getMessage().startsWith(
                "a record's embedding 'emb' has NaN at position 0, not a finite float32: "
                        + "{id=10, text=row 10, label="), String.valueOf(badNan == null ? n : badNan));
        assertFalse(Files.exists(dir.resolve("w4.jsonl")));
        write(synthetic, random, 30, 1);

        // A field that is not an array of numbers is named.
        Files.write(real, List.of("{\"emb\":\"0.5,1\",\"label\":\"pos\"}"));
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(),
                        "--out", dir.resolve("w4.jsonl").toString(), "--embedding-field", "emb")
                        .run(TestSpark.session()));
        assertEquals("--real " + real + ": the embedding field 'emb' is string, expected an"
                + " array of numbers", type.getMessage());
    }

    /**
     * JSON Lines as the CLI treats it: a malformed line is named with file, line and column
     * before any work; the output keeps the input's field order; --summary states the fit with
     * the exact MMD^2 (small labels), ESS and positive rows.
     */
    @Test
    void malformedLinesAreNamedFieldsKeepTheirOrderAndTheSummaryStatesTheFit() throws IOException {
        Random random = new Random(31);
        Path real = dir.resolve("r7.jsonl");
        Path synthetic = dir.resolve("s7.jsonl");
        SparkWeightLearnerTest.Rows r = write(real, random, 24, 0);
        SparkWeightLearnerTest.Rows s = write(synthetic, random, 40, 1.5);
        List<String> lines = new ArrayList<>(Files.readAllLines(synthetic));
        String good = lines.get(6);
        lines.set(6, "{\"id\": 6, \"text\": \"broken");
        Files.write(synthetic, lines);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> job("--real", real.toString(), "--synthetic", synthetic.toString(), "--out",
                        dir.resolve("w7.jsonl").toString(), "--embedding-field", "emb")
                        .run(TestSpark.session()));
        assertTrue(bad.getMessage().startsWith("--synthetic ") && bad.getMessage().contains(
                "s7.jsonl line 7: malformed JSON at column "), bad.getMessage());
        assertFalse(Files.exists(dir.resolve("w7.jsonl")));
        lines.set(6, good);
        Files.write(synthetic, lines);

        String out = dir.resolve("w8.jsonl").toString();
        String summary = dir.resolve("summary.json").toString();
        job("--real", real.toString(), "--synthetic", synthetic.toString(), "--out", out,
                "--embedding-field", "emb", "--features", "32", "--iterations", "40", "--seed", "4",
                "--backend", "reference", "--summary", summary).run(TestSpark.session());
        String firstOut;
        try (var parts = Files.list(Path.of(out))) {
            Path part = parts.filter(p -> p.getFileName().toString().startsWith("part-")).sorted()
                    .findFirst().orElseThrow();
            firstOut = Files.readAllLines(part).get(0);
        }
        assertTrue(firstOut.startsWith("{\"id\":0,\"text\":\"row 0\",\"label\":"), "input field order: " + firstOut);

        com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(new java.io.File(summary));
        double[] weights = weightsById(TestSpark.session().read().json(out), 40);
        for (String label : List.of("pos", "neg")) {
            com.fasterxml.jackson.databind.JsonNode l = doc.path("labels").path(label);
            assertEquals("exact", l.path("mmd2_kind").asText(), l.toString());
            assertTrue(l.path("rff_centred").isBoolean(), l.toString());
            assertFalse(l.path("rff_centred").asBoolean(), "rows near the origin: " + l);
            // The exact MMD^2, recomputed here from the rows, the weights and the bandwidth.
            List<Integer> si = new ArrayList<>();
            List<Integer> ri = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                if (s.labels().get(i).equals(label)) {
                    si.add(i);
                }
            }
            for (int i = 0; i < 24; i++) {
                if (r.labels().get(i).equals(label)) {
                    ri.add(i);
                }
            }
            FloatMatrix y = s.vectors().selectRows(si.stream().mapToInt(Integer::intValue).toArray());
            FloatMatrix x = r.vectors().selectRows(ri.stream().mapToInt(Integer::intValue).toArray());
            double[] w = si.stream().mapToDouble(i -> weights[i]).toArray();
            double sum = java.util.Arrays.stream(w).sum();
            double[] v = java.util.Arrays.stream(w).map(a -> a / sum).toArray();
            double sigma = l.path("bandwidth").asDouble();
            assertEquals(directMmd2(y, x, v, sigma),
                    l.path("mmd2_weighted").asDouble(), 1e-9);
            double ess = 1 / java.util.Arrays.stream(v).map(a -> a * a).sum();
            assertEquals(ess, l.path("ess").asDouble(), 1e-9);
            assertEquals(java.util.Arrays.stream(w).filter(a -> a > 0).count(), l.path("positive").asLong());
            assertEquals(si.size(), l.path("synthetic").asInt());
        }
        assertEquals(40, doc.path("synthetic_rows").asInt());
        assertTrue(doc.path("passes").asInt() > 0);
    }

    /** The weighted biased MMD^2 from its definition, in double. */
    private static double directMmd2(FloatMatrix s, FloatMatrix r, double[] w, double sigma) {
        double ss = 0;
        double sr = 0;
        double rr = 0;
        for (int i = 0; i < s.rows(); i++) {
            for (int j = 0; j < s.rows(); j++) {
                ss += w[i] * w[j] * rbf(s, i, s, j, sigma);
            }
            for (int j = 0; j < r.rows(); j++) {
                sr += w[i] * rbf(s, i, r, j, sigma) / r.rows();
            }
        }
        for (int i = 0; i < r.rows(); i++) {
            for (int j = 0; j < r.rows(); j++) {
                rr += rbf(r, i, r, j, sigma) / ((double) r.rows() * r.rows());
            }
        }
        return ss - 2 * sr + rr;
    }

    private static double rbf(FloatMatrix a, int i, FloatMatrix b, int j, double sigma) {
        double d = 0;
        for (int t = 0; t < a.cols(); t++) {
            double diff = (double) a.get(i, t) - b.get(j, t);
            d += diff * diff;
        }
        return Math.exp(-d / (2 * sigma * sigma));
    }
}
