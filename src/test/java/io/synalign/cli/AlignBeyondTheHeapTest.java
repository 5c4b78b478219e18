package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyFixtures;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code align --method exact} (or {@code tiled}) on a synthetic {@code .npy} whose rows are
 * larger than the JVM's whole heap: refused before any row is read, exit 2, one line naming the
 * file, its shape and bytes, the heap and the remedies, nothing written. The command read such
 * a file whole itself before it reached the engine (it checked only the one-array limit), so the
 * run ended in "out of memory (Java heap space)", exit 1, and the engine's refusal (helper
 * heap32) was never reached. Run in a child JVM with a small heap; the synthetic file is sparse
 * (a header, then a hole), so it costs no disk and is never read.
 */
class AlignBeyondTheHeapTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"exact", "tiled"})
    void aNamedKernelMethodIsRefusedNotRunOutOfMemory(String method) throws Exception {
        int rows = 3_000;
        int cols = 10_000; // 114.4 MiB of float32 rows against a heap of 96 MiB
        Path real = NpyFixtures.write(dir.resolve("r.npy"),
                NpyFixtures.float32Matrix(50, cols, NpyFixtures.gaussian(50 * cols, 1, 1.0)));
        Path synthetic = dir.resolve("s.npy");
        byte[] header = NpyFixtures.file(NpyFixtures.dict("<f4", false,
                "(" + rows + ", " + cols + ")"), new byte[0]);
        Files.write(synthetic, header);
        try (RandomAccessFile f = new RandomAccessFile(synthetic.toFile(), "rw")) {
            f.setLength(header.length + 4L * rows * cols);
        }
        Path out = dir.resolve("w.npy");
        Path errors = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), SynAlignCommand.class.getName(),
                "align", "--backend", "reference", "--method", method, "--bandwidth", "1",
                "--real-embeddings", real.toString(), "--synthetic-embeddings",
                synthetic.toString(), "--out", out.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile())
                .start();
        int status = child.waitFor();
        List<String> lines = Files.readAllLines(errors).stream()
                .filter(l -> l.startsWith("synalign: error:")).toList();
        assertEquals(2, status, Files.readString(errors));
        assertEquals(1, lines.size(), Files.readString(errors));
        String line = lines.get(0);
        assertTrue(line.startsWith("synalign: error: " + synthetic + ": 3000 x 10000 synthetic"
                + " rows take 114.4 MiB (120000000 bytes) as floats, more than the JVM's whole"
                + " heap ("), line);
        assertTrue(line.endsWith("and method " + method + " reads them whole into it; method rff"
                + " (--method rff) streams them, or give the JVM a larger heap with -Xmx"), line);
        assertFalse(Files.readString(errors).contains("out of memory"), Files.readString(errors));
        assertFalse(Files.exists(out), "nothing written at --out");
    }

    /** The child JVM's exit status and stderr of {@code align} with a 96 MiB heap. */
    private record Run(int status, String errors) {
    }

    private Run align(String... args) throws Exception {
        Path errors = dir.resolve("stderr.txt");
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx96m",
                "-cp", System.getProperty("java.class.path"), SynAlignCommand.class.getName(),
                "align", "--backend", "reference", "--bandwidth", "5"));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile())
                .start();
        int status = child.waitFor();
        return new Run(status, Files.readString(errors));
    }

    /**
     * A named exact whose rows fit the heap but whose K_SS, as the reference backend keeps it
     * (float64 on the heap, 122.1 MiB at n = 4,000), does not: refused before K_SS is built,
     * exit 2, one line naming the bytes and the ways out (helper heap33). On the old code the
     * build ran out of memory: exit 1, "out of memory (Java heap space)".
     */
    @org.junit.jupiter.api.Test
    void aNamedExactWhoseKernelIsBeyondTheHeapIsRefusedNotRunOutOfMemory() throws Exception {
        Path real = NpyFixtures.write(dir.resolve("r.npy"),
                NpyFixtures.float32Matrix(200, 32, NpyFixtures.gaussian(200 * 32, 1, 1.0)));
        Path synthetic = NpyFixtures.write(dir.resolve("s.npy"),
                NpyFixtures.float32Matrix(4000, 32, NpyFixtures.gaussian(4000 * 32, 2, 1.0)));
        Path out = dir.resolve("w.npy");
        Run run = align("--method", "exact", "--real-embeddings", real.toString(),
                "--synthetic-embeddings", synthetic.toString(), "--out", out.toString());
        List<String> lines = run.errors().lines()
                .filter(l -> l.startsWith("synalign: error:")).toList();
        assertEquals(2, run.status(), run.errors());
        assertEquals(1, lines.size(), run.errors());
        assertTrue(lines.get(0).contains("method exact on the reference backend would hold"
                + " 123.0 MiB (128985600 bytes): the 4000 x 32 synthetic rows (500.0 KiB), the"
                + " 200 real (25.0 KiB), K_SS as reference keeps it on the heap (122.1 MiB), the"
                + " optimiser's vectors (437.5 KiB) on the Java heap at once, more than the"
                + " JVM's whole heap ("), lines.get(0));
        assertTrue(lines.get(0).endsWith("method rff (--method rff) streams the rows, method"
                + " tiled (--method tiled) keeps no K_SS, or give the JVM a larger heap with"
                + " -Xmx"), lines.get(0));
        assertFalse(run.errors().contains("out of memory"), run.errors());
        assertFalse(Files.exists(out), "nothing written at --out");
    }

    /**
     * rff at d = 10,000 on a 96 MiB heap: its chunk of rows keeps within a sixteenth of the
     * heap (157 rows), so the fit runs. On the old code the chunk was sized by the features
     * alone (D = 16: 214,748 rows, all 3,000 in one 114 MiB buffer) and the run ended in "out of
     * memory", exit 1. The synthetic file is sparse (zeros, a header then a hole).
     */
    @org.junit.jupiter.api.Test
    void rffAtVeryWideRowsRunsWithinASmallHeap() throws Exception {
        int rows = 3_000;
        int cols = 10_000;
        Path real = NpyFixtures.write(dir.resolve("r.npy"),
                NpyFixtures.float32Matrix(50, cols, NpyFixtures.gaussian(50 * cols, 1, 1.0)));
        Path synthetic = dir.resolve("s.npy");
        byte[] header = NpyFixtures.file(NpyFixtures.dict("<f4", false,
                "(" + rows + ", " + cols + ")"), new byte[0]);
        Files.write(synthetic, header);
        try (RandomAccessFile f = new RandomAccessFile(synthetic.toFile(), "rw")) {
            f.setLength(header.length + 4L * rows * cols);
        }
        Path out = dir.resolve("w.npy");
        Run run = align("--method", "rff", "--features", "16", "--iterations", "3",
                "--real-embeddings", real.toString(), "--synthetic-embeddings",
                synthetic.toString(), "--out", out.toString());
        assertEquals(0, run.status(), run.errors());
        assertTrue(Files.size(out) > 4L * rows, "weights written");
    }

    /**
     * rff on the reference backend, whose random features are float64 on the heap, under a
     * 96 MiB heap: 45,000 x 32 synthetic rows, D = 256 (enough kernel entries that the exact
     * report is skipped). Before (helper chunkgrid34b) a chunk was the default 32 MiB of
     * float32 features, 32,768 rows, which this backend holds as 64 MiB of double Phi: one
     * kept chunk and the one being rebuilt ran out of memory, exit 1, on main and on
     * chunkgrid34's first commit alike (on that commit at wide rows too, where heap33's cap
     * had shrunk the chunk). Now a chunk holds at most 16 MiB of double Phi (8,192 rows at
     * D = 256), whatever the heap, and the reference's feature budget counts 8 bytes a feature.
     */
    @org.junit.jupiter.api.Test
    void rffOnTheReferenceBackendKeepsItsDoubleFeaturesWithinASmallHeap() throws Exception {
        int rows = 45_000;
        int cols = 32;
        Path real = NpyFixtures.write(dir.resolve("r.npy"),
                NpyFixtures.float32Matrix(100, cols, NpyFixtures.gaussian(100 * cols, 2, 1.0)));
        Path synthetic = NpyFixtures.write(dir.resolve("s.npy"),
                NpyFixtures.float32Matrix(rows, cols, NpyFixtures.gaussian(rows * cols, 3, 1.0)));
        Path out = dir.resolve("w.npy");
        Run run = align("--method", "rff", "--features", "256", "--iterations", "3",
                "--real-embeddings", real.toString(), "--synthetic-embeddings",
                synthetic.toString(), "--out", out.toString());
        assertEquals(0, run.status(), run.errors());
        assertTrue(Files.size(out) > 4L * rows, "weights written");
    }

    /**
     * exact on nd4j at wide rows, 2,000 x 8,000 synthetic (64 MB) and 200 real, under a 160 MiB
     * heap, the bandwidth from the median heuristic: the command reads S whole only where the
     * heuristic's sample (2,000 sampled rows as one float matrix, 64 MB, and 16 MB of distances:
     * {@code MedianHeuristic.heapBytes}) fits beside it; otherwise it passes the file on and the
     * engine takes the sample before it reads S. On the old code (S's bytes alone against half
     * of the free heap) the command read S here, the sample did not fit beside it, and the run
     * ended "out of memory (Java heap space)", exit 1, while the same run at -Xmx128m (S passed
     * on) ran (the lead, session 33).
     */
    @org.junit.jupiter.api.Test
    void aWideFitLeavesTheMedianHeuristicsSampleRoomBesideItsRows() throws Exception {
        int cols = 8_000;
        Path real = NpyFixtures.write(dir.resolve("r.npy"),
                NpyFixtures.float32Matrix(200, cols, NpyFixtures.gaussian(200 * cols, 4, 1.0)));
        Path synthetic = dir.resolve("s.npy");
        int rows = 2_000;
        Files.write(synthetic, NpyFixtures.file(NpyFixtures.dict("<f4", false,
                "(" + rows + ", " + cols + ")"), new byte[0]));
        java.util.Random random = new java.util.Random(5);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(synthetic,
                java.nio.file.StandardOpenOption.APPEND)) {
            java.nio.ByteBuffer row = java.nio.ByteBuffer.allocate(4 * cols)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < rows; i++) {
                row.clear();
                for (int k = 0; k < cols; k++) {
                    row.putFloat((float) random.nextGaussian());
                }
                row.flip();
                while (row.hasRemaining()) {
                    channel.write(row);
                }
            }
        }
        Path out = dir.resolve("w.npy");
        Path errors = dir.resolve("stderr-wide.txt");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx160m",
                "-cp", System.getProperty("java.class.path"), SynAlignCommand.class.getName(),
                "align", "--backend", "nd4j", "--method", "exact", "--iterations", "5",
                "--real-embeddings", real.toString(), "--synthetic-embeddings",
                synthetic.toString(), "--out", out.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile())
                .start();
        int status = child.waitFor();
        String err = Files.readString(errors);
        assertEquals(0, status, err);
        assertFalse(err.contains("out of memory"), err);
        assertTrue(Files.exists(out), "the weights written at --out");
    }
    /**
     * The command's read rule is one of sizes and -Xmx (helper median34): 1,000 x 4,000
     * synthetic rows with 100 real and the median heuristic's sample take 45 MB by
     * {@code MmdWeightLearner.wholeReadBytes}, so under -Xmx64m the command passes the file on
     * (the engine reads it whole after the heuristic) and under -Xmx256m it reads S here; the
     * weights written are the same bytes either way: the read's place changes no bit. Not run
     * on the old code (it lacks {@code wholeReadBytes}); there the same held by hand (the old
     * jar's 2,000 x 8,000 exact fit streamed at -Xmx320m and read S whole at -Xmx400m, the
     * same weights' sha256; docs/RELIABILITY.md, helper median34).
     */
    @org.junit.jupiter.api.Test
    void theWeightsAreTheSameBitsWhetherTheCommandReadsTheRowsWholeOrNot() throws Exception {
        int cols = 4_000;
        Path real = NpyFixtures.write(dir.resolve("r4.npy"),
                NpyFixtures.float32Matrix(100, cols, NpyFixtures.gaussian(100 * cols, 6, 1.0)));
        Path synthetic = NpyFixtures.write(dir.resolve("s4.npy"), NpyFixtures.float32Matrix(
                1_000, cols, NpyFixtures.gaussian(1_000 * cols, 7, 1.2)));
        long bytes = io.synalign.engine.alignment.MmdWeightLearner.wholeReadBytes(1_000, cols,
                io.synalign.kernels.FloatMatrix.zeros(100, cols), true, 0);
        assertTrue(bytes > (64L << 20) / 2 && bytes <= (256L << 20) / 2, "" + bytes);
        byte[][] weights = new byte[2][];
        String[] heaps = {"-Xmx64m", "-Xmx256m"};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("w" + i + ".npy");
            Path errors = dir.resolve("stderr-bits" + i + ".txt");
            Process child = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), heaps[i],
                    "-cp", System.getProperty("java.class.path"), SynAlignCommand.class.getName(),
                    "align", "--backend", "nd4j", "--method", "exact", "--iterations", "20",
                    "--real-embeddings", real.toString(), "--synthetic-embeddings",
                    synthetic.toString(), "--out", out.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(errors.toFile())
                    .start();
            assertEquals(0, child.waitFor(), Files.readString(errors));
            weights[i] = Files.readAllBytes(out);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(weights[0], weights[1]);
    }
}
