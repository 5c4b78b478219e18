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
}
