package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.labelled.DoubleMmdReference;
import io.synalign.io.NpyFixtures;
import io.synalign.io.NpyReader;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Float64 inputs far from the origin (the review's case: rows near 1e6 with a spread of 0.01)
 * are centred in float64 before they are narrowed to float32, so {@code align} reports the
 * bandwidth and MMD² that a plain double computation on the stored values gives
 * ({@link DoubleMmdReference}): on the whole-array methods (exact, tiled) and the streamed ones
 * (rff, nystrom, with the chunk grid forced to 16 rows), on the double-precision reference
 * backend and the float32 nd4j one, float64 files, float32 and float64
 * shards mixed, a float32 real file beside a float64 synthetic one, and per label in the text
 * form; {@code select} picks what it picks for the same rows moved to the origin. Rows near the
 * origin are read as before: the weights of the old, uncentred path to 1e-12 of the largest;
 * ordinary float64 rows ([0,1] features, embeddings with a common mean) give the weights of
 * their float32 copies bit for bit; a float32 value beyond float32 less the centre is refused.
 *
 * <p>Sizes are awkward on purpose: 37 real and 53 synthetic rows of 5 columns, each column at
 * its own offset (1e6 to 1.4e6), so each column needs its own centre.
 */
@Tag("engine")
class FarFromOriginInputsTest {

    private static final int M = 37;
    private static final int N = 53;
    private static final int D = 5;
    /** The review's figures: rows near 1e6, spread 0.01 (float32's grid there is 0.0625). */
    private static final double OFFSET = 1e6;
    private static final double SPREAD = 0.01;

    /**
     * Relative: float32 keeps about 6e-8 of the centred rows, and the reference backend sums in
     * double (seen: 6e-8 at most); nd4j computes the kernels in float32 (seen: 9e-7 at most).
     * Uncentred, the bandwidth came from float32's grid: off by a factor of 2 and more.
     */
    private static final double BANDWIDTH_TOLERANCE = 1e-6;
    private static final double MMD_TOLERANCE = 1e-6;
    private static final double MMD_TOLERANCE_FLOAT32 = 1e-5;

    @TempDir
    Path dir;

    private final ObjectMapper json = new ObjectMapper();

    @AfterEach
    void clear() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    /** Rows {@code offset * (1 + 0.1 j) + spread * (z + shift)}, a third of them shifted by 1. */
    private static double[][] rows(int count, long seed, double offset, double spread,
            boolean shifted) {
        Random random = new Random(seed);
        double[][] x = new double[count][D];
        for (int i = 0; i < count; i++) {
            double shift = shifted && i % 3 == 0 ? 1.0 : 0.0;
            for (int j = 0; j < D; j++) {
                x[i][j] = offset * (1 + 0.1 * j) + spread * (random.nextGaussian() + shift);
            }
        }
        return x;
    }

    /** {@code x} as stored in a float32 (4) or float64 (8) file: what the reference reads. */
    private static double[][] stored(double[][] x, int itemSize) {
        double[][] s = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            s[i] = x[i].clone();
            if (itemSize == 4) {
                for (int j = 0; j < D; j++) {
                    s[i][j] = (float) s[i][j];
                }
            }
        }
        return s;
    }

    private Path npy(String name, double[][] x, int itemSize) {
        int cols = x[0].length;
        double[] flat = new double[x.length * cols];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, flat, i * cols, cols);
        }
        return NpyFixtures.write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(
                itemSize == 4 ? "<f4" : "<f8", false, "(" + x.length + ", " + cols + ")"),
                NpyFixtures.data(flat, itemSize, ByteOrder.LITTLE_ENDIAN)));
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    private Cli.Run alignEmbeddings(List<String> synthetic, String... method) {
        return alignEmbeddings("reference", synthetic, method);
    }

    private Cli.Run alignEmbeddings(String backend, List<String> synthetic, String... method) {
        List<String> args = new ArrayList<>(List.of("align", "--real-embeddings", p("r.npy")));
        for (String s : synthetic) {
            args.addAll(List.of("--synthetic-embeddings", p(s)));
        }
        args.addAll(List.of("--out", p("w.npy"), "--summary", p("summary.json"), "--backend",
                backend, "--seed", "3", "--quiet"));
        args.addAll(List.of(method));
        return Cli.run(cl -> { }, args.toArray(String[]::new));
    }

    private double[] weights(String name) throws IOException {
        return NpyFixtures.float64(NpyFixtures.parse(Files.readAllBytes(dir.resolve(name)))
                .data());
    }

    private static String[] method(String name) {
        return name.equals("rff") || name.equals("nystrom")
                ? new String[] {"--method", name, "--features", "64"}
                : new String[] {"--method", name};
    }

    /** The summary's bandwidth and MMD² against the double reference on the stored rows. */
    private static void assertFit(JsonNode fit, double[][] real, double[][] synthetic,
            double[] weights, String what) {
        assertFit(fit, real, synthetic, weights, MMD_TOLERANCE, what);
    }

    private static void assertFit(JsonNode fit, double[][] real, double[][] synthetic,
            double[] weights, double mmdTolerance, String what) {
        double sigma = DoubleMmdReference.medianBandwidth(real, synthetic);
        double uniform = DoubleMmdReference.mmd2(real, synthetic,
                DoubleMmdReference.uniform(synthetic.length), sigma);
        double weighted = DoubleMmdReference.mmd2(real, synthetic, weights, sigma);
        assertEquals(sigma, fit.get("bandwidth").asDouble(), BANDWIDTH_TOLERANCE * sigma,
                what + ": bandwidth");
        assertEquals(uniform, fit.get("mmd2_uniform").asDouble(), mmdTolerance * uniform,
                what + ": MMD^2 of the uniform weights");
        assertEquals(weighted, fit.get("mmd2_weighted").asDouble(), mmdTolerance * uniform,
                what + ": MMD^2 of the weights written");
        assertTrue(weighted < 0.5 * uniform, what + ": the fit halves MMD^2 at least ("
                + weighted + " of " + uniform + ")");
    }

    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"exact, reference", "tiled, reference", "rff, reference", "nystrom, reference",
        "exact, nd4j", "rff, nd4j"})
    void float64RowsFarFromTheOriginGiveTheFloat64BandwidthAndMmd(String name, String backend)
            throws IOException {
        double[][] real = rows(M, 1, OFFSET, SPREAD, false);
        double[][] synthetic = rows(N, 2, OFFSET, SPREAD, true);
        npy("r.npy", real, 8);
        npy("s.npy", synthetic, 8);
        // The streamed methods read S in chunks of 16 rows (53 = 3 x 16 + 5).
        System.setProperty("synalign.rff.chunkRows", "16");
        Cli.Run run = alignEmbeddings(backend, List.of("s.npy"), method(name));
        assertEquals(0, run.status(), run.toString());
        assertFit(json.readTree(dir.resolve("summary.json").toFile()), real, synthetic,
                weights("w.npy"), backend.equals("reference") ? MMD_TOLERANCE
                        : MMD_TOLERANCE_FLOAT32, name + ", " + backend);
    }

    /**
     * One centre for every input, whatever its dtype: float32 shards (on float32's grid of
     * 0.0625 there, which the reference reads too) beside float64 ones, and a float32 real
     * file beside a float64 synthetic one.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"exact, shards", "rff, shards", "exact, float32 real", "rff, float32 real"})
    void float32AndFloat64InputsOfOneProblemShareOneCentre(String name, String mix)
            throws IOException {
        double[][] real = rows(M, 1, OFFSET, SPREAD, false);
        double[][] synthetic = rows(N, 2, OFFSET, SPREAD, true);
        List<String> files;
        double[][] storedSynthetic;
        int realItem;
        if (mix.equals("shards")) {
            realItem = 8;
            npy("a.npy", Arrays.copyOfRange(synthetic, 0, 19), 4);
            npy("b.npy", Arrays.copyOfRange(synthetic, 19, 20), 8);
            npy("c.npy", Arrays.copyOfRange(synthetic, 20, N), 8);
            files = List.of("a.npy", "b.npy", "c.npy");
            storedSynthetic = new double[N][];
            double[][] a = stored(Arrays.copyOfRange(synthetic, 0, 19), 4);
            System.arraycopy(a, 0, storedSynthetic, 0, 19);
            System.arraycopy(stored(Arrays.copyOfRange(synthetic, 19, N), 8), 0,
                    storedSynthetic, 19, N - 19);
        } else {
            realItem = 4;
            npy("s.npy", synthetic, 8);
            files = List.of("s.npy");
            storedSynthetic = stored(synthetic, 8);
        }
        npy("r.npy", real, realItem);
        System.setProperty("synalign.rff.chunkRows", "16");
        Cli.Run run = alignEmbeddings(files, method(name));
        assertEquals(0, run.status(), run.toString());
        JsonNode summary = json.readTree(dir.resolve("summary.json").toFile());
        double[][] storedReal = stored(real, realItem);
        double sigma = DoubleMmdReference.medianBandwidth(storedReal, storedSynthetic);
        double uniform = DoubleMmdReference.mmd2(storedReal, storedSynthetic,
                DoubleMmdReference.uniform(N), sigma);
        assertEquals(sigma, summary.get("bandwidth").asDouble(), BANDWIDTH_TOLERANCE * sigma,
                "bandwidth");
        assertEquals(uniform, summary.get("mmd2_uniform").asDouble(), MMD_TOLERANCE * uniform,
                "MMD^2 of the uniform weights");
        double weighted = DoubleMmdReference.mmd2(storedReal, storedSynthetic, weights("w.npy"),
                sigma);
        assertEquals(weighted, summary.get("mmd2_weighted").asDouble(), MMD_TOLERANCE * uniform,
                "MMD^2 of the weights written");
    }

    /**
     * The text form with both embeddings files given, per label: each label is its own
     * problem, fitted from rows read less the one centre of the real rows.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"exact", "rff"})
    void perLabelFitsOfFarFloat64RowsGiveEachLabelsFloat64Figures(String name)
            throws IOException {
        double[][] real = rows(M, 1, OFFSET, SPREAD, false);
        double[][] synthetic = rows(N, 2, OFFSET, SPREAD, true);
        // Label b's rows sit 0.05 (5 spreads) from label a's in column 0.
        String[] realLabels = new String[M];
        String[] syntheticLabels = new String[N];
        for (int i = 0; i < M; i++) {
            realLabels[i] = i % 2 == 0 ? "a" : "b";
            real[i][0] += realLabels[i].equals("b") ? 5 * SPREAD : 0;
        }
        for (int i = 0; i < N; i++) {
            syntheticLabels[i] = i % 5 < 3 ? "a" : "b";
            synthetic[i][0] += syntheticLabels[i].equals("b") ? 5 * SPREAD : 0;
        }
        npy("r.npy", real, 8);
        npy("s.npy", synthetic, 8);
        records("real.jsonl", "r", realLabels);
        records("synth.jsonl", "s", syntheticLabels);
        List<String> args = new ArrayList<>(List.of("align", "--real", p("real.jsonl"),
                "--synthetic", p("synth.jsonl"), "--real-embeddings", p("r.npy"),
                "--synthetic-embeddings", p("s.npy"), "--out", p("weighted.jsonl"),
                "--summary", p("summary.json"), "--backend", "reference", "--seed", "3",
                "--quiet"));
        args.addAll(List.of(method(name)));
        System.setProperty("synalign.rff.chunkRows", "16");
        Cli.Run run = Cli.run(cl -> { }, args.toArray(String[]::new));
        assertEquals(0, run.status(), run.toString());
        double[] weights = new double[N];
        List<String> lines = Files.readAllLines(dir.resolve("weighted.jsonl"),
                StandardCharsets.UTF_8);
        for (int i = 0; i < N; i++) {
            weights[i] = json.readTree(lines.get(i)).get("synalign_weight").asDouble();
        }
        JsonNode labels = json.readTree(dir.resolve("summary.json").toFile()).get("labels");
        assertEquals(2, labels.size(), labels.toString());
        for (JsonNode row : labels) {
            String label = row.get("label").asText();
            double[][] r = pick(real, realLabels, label);
            double[][] s = pick(synthetic, syntheticLabels, label);
            double[] w = new double[s.length];
            double sum = 0;
            for (int i = 0, k = 0; i < N; i++) {
                if (syntheticLabels[i].equals(label)) {
                    w[k++] = weights[i];
                    sum += weights[i];
                }
            }
            for (int k = 0; k < w.length; k++) {
                w[k] /= sum;
            }
            assertFit(row.get("fit"), r, s, w, name + ", label " + label);
        }
    }

    private void records(String file, String prefix, String[] labels) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < labels.length; i++) {
            sb.append("{\"text\": \"").append(prefix).append(i).append("\", \"label\": \"")
                    .append(labels[i]).append("\"}\n");
        }
        Files.writeString(dir.resolve(file), sb.toString(), StandardCharsets.UTF_8);
    }

    private static double[][] pick(double[][] x, String[] labels, String label) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (labels[i].equals(label)) {
                out.add(x[i]);
            }
        }
        return out.toArray(double[][]::new);
    }

    /**
     * Float64 rows near the origin are read as before (no centre): the weights of the engine
     * fed the uncentred narrowed rows, to 1e-12 of the largest weight.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"exact", "rff"})
    void float64RowsNearTheOriginGiveTheWeightsOfTheUncentredRows(String name)
            throws IOException {
        double[][] real = rows(M, 1, 0.3, 1.0, false);
        double[][] synthetic = rows(N, 2, 0.3, 1.0, true);
        npy("r.npy", real, 8);
        npy("s.npy", synthetic, 8);
        Cli.Run run = alignEmbeddings(List.of("s.npy"), method(name));
        assertEquals(0, run.status(), run.toString());
        AlignmentConfig config = AlignmentConfig.defaults()
                .withMethod(AlignmentMethod.parse(name)).withFeatures(64).withSeed(3);
        AlignmentResult before;
        try (KernelBackend backend = KernelBackends.create("reference")) {
            before = new MmdWeightLearner(backend, config).fit(
                    NpyReader.readMatrix(dir.resolve("r.npy")),
                    NpyReader.readMatrix(dir.resolve("s.npy")), ProgressListener.NONE);
        }
        double largest = Arrays.stream(before.weights()).max().orElseThrow();
        assertArrayEquals(before.weights(), weights("w.npy"), 1e-12 * largest);
    }

    /** Rows uniform on [0,1]^8, each value raised to {@code power} (1: uniform; 2: skewed). */
    private static double[][] unitCube(int count, long seed, double power) {
        Random random = new Random(seed);
        double[][] x = new double[count][8];
        for (double[] row : x) {
            for (int j = 0; j < 8; j++) {
                row[j] = Math.pow(random.nextDouble(), power);
            }
        }
        return x;
    }

    /**
     * Unit vectors in 16 columns, each plus a common mean of norm 3 (embeddings with a common
     * mean direction); {@code pull} moves the directions toward column 0.
     */
    private static double[][] shiftedUnitRows(int count, long seed, double pull) {
        Random random = new Random(seed);
        double[][] x = new double[count][16];
        for (double[] row : x) {
            double norm = 0;
            for (int j = 0; j < 16; j++) {
                row[j] = random.nextGaussian() + (j == 0 ? pull : 0);
                norm += row[j] * row[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < 16; j++) {
                row[j] = row[j] / norm + (j % 2 == 0 ? 0.75 : -0.75) * (1 + 0.01 * j);
            }
        }
        return x;
    }

    /**
     * Ordinary float64 inputs (features on [0,1], embeddings with a common mean direction) lie
     * farther from the origin than from their median but lose nothing that matters in float32,
     * so they are not centred: the weights are those of the same rows saved as float32, bit for
     * bit, on exact and on rff (whose draw a centre would change). The first rule centred them
     * (on the review's 400 x 1,500 [0,1]^8 rows: exact 6 %, rff 27 % of the largest weight).
     */
    @ParameterizedTest(name = "{0}, {1}")
    @CsvSource({"exact, unit cube", "rff, unit cube", "exact, shifted unit rows",
        "rff, shifted unit rows", "exact, unit cube beside a constant column of 100",
        "rff, unit cube beside a constant column of 100"})
    void ordinaryFloat64RowsGiveTheWeightsOfTheirFloat32Copies(String name, String rows)
            throws IOException {
        boolean cube = rows.startsWith("unit cube");
        double[][] real = cube ? unitCube(M, 1, 1) : shiftedUnitRows(M, 1, 0);
        double[][] synthetic = cube ? unitCube(N, 2, 2) : shiftedUnitRows(N, 2, 1.5);
        if (rows.endsWith("constant column of 100")) {
            // A bias column: float32 keeps its differences (all 0), so it must not count
            // towards the grid (counted, it centred these rows; a review found it).
            real = withColumn(real, 100);
            synthetic = withColumn(synthetic, 100);
        }
        List<double[]> weights = new ArrayList<>();
        for (int item : new int[] {8, 4}) {
            npy("r" + item + ".npy", real, item);
            npy("s" + item + ".npy", synthetic, item);
            List<String> args = new ArrayList<>(List.of("align", "--real-embeddings",
                    p("r" + item + ".npy"), "--synthetic-embeddings", p("s" + item + ".npy"),
                    "--out", p("w" + item + ".npy"), "--backend", "reference", "--seed", "3",
                    "--quiet"));
            args.addAll(List.of(method(name)));
            Cli.Run run = Cli.run(cl -> { }, args.toArray(String[]::new));
            assertEquals(0, run.status(), run.toString());
            weights.add(weights("w" + item + ".npy"));
        }
        assertArrayEquals(weights.get(1), weights.get(0), 0.0, "float64 against float32");
    }

    private static double[][] withColumn(double[][] x, double value) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = java.util.Arrays.copyOf(x[i], x[i].length + 1);
            out[i][x[i].length] = value;
        }
        return out;
    }

    /**
     * A float32 input read less the centre of a float64 one: a value near the float32 limit
     * less a centre of the other sign is beyond float32, refused as a float64 value is (one
     * line naming the file, row and column; exit 2; nothing written), not read as infinite.
     */
    @Test
    void aFloat32ValueBeyondFloat32LessTheCentreIsOneLineNamingIt() throws IOException {
        double[][] real = rows(M, 1, -1e38, 1e36, false);
        double[][] synthetic = rows(N, 2, -1e38, 1e36, true);
        synthetic[9][4] = 3e38; // less the centre, about -1.4e38: 4.4e38
        npy("r.npy", real, 8);
        npy("s.npy", synthetic, 4);
        Cli.Run run = alignEmbeddings(List.of("s.npy"), method("exact"));
        Cli.assertBadInputLine(run, dir, "@/s.npy", "row 9, column 4", "too large for float32");
        assertTrue(!Files.exists(dir.resolve("w.npy")) && !Files.exists(dir.resolve(
                "summary.json")), "nothing written");
    }

    /**
     * select: the GP's length scale and variances depend on differences only, so rows far from
     * the origin pick what the same rows moved to the origin (in double) pick.
     */
    @Test
    void selectPicksFromFarFloat64RowsWhatItPicksFromThemAtTheOrigin() throws IOException {
        double[][] far = rows(N, 4, OFFSET, SPREAD, true);
        double[][] near = new double[N][D];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < D; j++) {
                near[i][j] = far[i][j] - OFFSET * (1 + 0.1 * j);
            }
        }
        npy("far.npy", far, 8);
        npy("near.npy", near, 8);
        List<String> picks = new ArrayList<>();
        for (String input : List.of("far.npy", "near.npy")) {
            Cli.Run run = Cli.run(cl -> { }, "select", "--embeddings", p(input), "--count",
                    "11", "--group-size", "3", "--out", p(input + ".picks"), "--groups",
                    p(input + ".groups"), "--backend", "reference", "--quiet");
            assertEquals(0, run.status(), run.toString());
            picks.add(Files.readString(dir.resolve(input + ".picks"))
                    + Files.readString(dir.resolve(input + ".groups"))
                            .replaceAll("\"variance\": ?[^,}]*", ""));
        }
        assertEquals(picks.get(1), picks.get(0));
    }
}
