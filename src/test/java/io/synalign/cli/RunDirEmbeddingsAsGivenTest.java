package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.NpyFixtures;
import io.synalign.io.NpyReader;
import io.synalign.io.NpyWriter;
import io.synalign.pipeline.RunFiles;
import io.synalign.report.DoublePca;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code align --run-dir} keeps a float64 {@code --real-embeddings} file as given (a copy, as
 * it keeps {@code --synthetic-embeddings}), so {@code report}'s PCA draws the rows the user
 * gave: rows near 1e6 with a spread of 0.01 (the review's case) were written as float32, on
 * float32's grid there (0.0625), and the picture was the grid's. A float32 file is written as
 * before, byte for byte; a float64 file beside rows the model embedded is copied too.
 */
class RunDirEmbeddingsAsGivenTest {

    private static final int M = 13;
    private static final int N = 17;
    private static final int D = 5;

    @TempDir
    Path dir;

    private void records(String file, String prefix, int count) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append("{\"text\": \"").append(prefix).append(' ').append(i)
                    .append("\", \"label\": \"").append(i % 2 == 0 ? "a" : "b").append("\"}\n");
        }
        Files.writeString(dir.resolve(file), sb.toString(), StandardCharsets.UTF_8);
    }

    private Path npy(String name, double[][] x, String descr) {
        int cols = x[0].length;
        double[] flat = new double[x.length * cols];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, flat, i * cols, cols);
        }
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return NpyFixtures.write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(descr,
                false, "(" + x.length + ", " + cols + ")"),
                NpyFixtures.data(flat, descr.endsWith("8") ? 8 : 4, order)));
    }

    private Cli.Run align(Path run, String... embeddings) throws IOException {
        records("real.jsonl", "real", M);
        records("synth.jsonl", "synthetic", N);
        List<String> args = new ArrayList<>(List.of("align", "--real",
                dir.resolve("real.jsonl").toString(), "--synthetic",
                dir.resolve("synth.jsonl").toString(), "--out",
                dir.resolve("weighted.jsonl").toString(), "--run-dir", run.toString(),
                "--no-cache", "--backend", "reference", "--quiet"));
        args.addAll(List.of(embeddings));
        return Cli.run(cl -> Cli.align(cl).loader = (spec, options)
                -> new GenerateCommandTest.HashEncoder(), args.toArray(String[]::new));
    }

    @Test
    void farFloat64RowsAreKeptAsGivenAndTheReportsPcaDrawsThem() throws IOException {
        double[][] real = DoublePca.farRows(M, D, 1, 1e6, 0.01);
        double[][] synthetic = DoublePca.farRows(N, D, 2, 1e6, 0.01);
        Path r = npy("r.npy", real, "<f8");
        Path s = npy("s.npy", synthetic, "<f8");
        Path run = dir.resolve("run");
        Cli.Run aligned = align(run, "--real-embeddings", r.toString(),
                "--synthetic-embeddings", s.toString());
        assertEquals(0, aligned.status(), aligned::toString);
        assertArrayEquals(Files.readAllBytes(r),
                Files.readAllBytes(run.resolve(RunFiles.REAL_EMBEDDINGS)), "a copy of R.npy");
        assertArrayEquals(Files.readAllBytes(s),
                Files.readAllBytes(run.resolve(RunFiles.SYNTHETIC_EMBEDDINGS)));

        Cli.Run report = Cli.run(cl -> { }, "report", "--run", run.toString());
        assertEquals(0, report.status(), report::toString);
        String html = Files.readString(run.resolve(RunFiles.REPORT));
        // The real points, in row order, against an independent double PCA of the real rows:
        // the plot maps each component affinely to pixels (to 0.1 px), so each pixel
        // coordinate is a linear function of the component's coordinate.
        DoublePca.Fit reference = DoublePca.fit(real);
        String panel = html.substring(html.indexOf("<svg id=\"pca-uniform\""));
        panel = panel.substring(0, panel.indexOf("</svg>"));
        Matcher m = Pattern.compile("<circle class=\"real c\\d+\" cx=\"([-0-9.]+)\" cy=\""
                + "([-0-9.]+)\"").matcher(panel);
        double[][] pixels = new double[2][M];
        double[][] components = new double[2][M];
        for (int i = 0; i < M; i++) {
            assertTrue(m.find(), "real point " + i);
            pixels[0][i] = Double.parseDouble(m.group(1));
            pixels[1][i] = Double.parseDouble(m.group(2));
            double[] p = reference.project(real[i]);
            components[0][i] = p[0];
            components[1][i] = p[1];
        }
        for (int k = 0; k < 2; k++) {
            double rho = correlation(pixels[k], components[k]);
            assertTrue(Math.abs(rho) > 0.9999, "PC" + (k + 1) + ": correlation " + rho
                    + " of the drawn points with the double PCA's");
        }
        assertTrue(html.contains(String.format(Locale.ROOT, "PC1 %.1f%% and PC2 %.1f%%",
                100 * reference.explained()[0], 100 * reference.explained()[1])), html);
    }

    /** A float32 file is written as read, as before: the same bytes NpyWriter gave. */
    @Test
    void aFloat32RealEmbeddingsFileIsWrittenAsBefore() throws IOException {
        double[][] real = DoublePca.farRows(M, D, 1, 3, 0.5);
        double[][] synthetic = DoublePca.farRows(N, D, 2, 3, 0.5);
        // Big-endian and a NumPy header: the run directory's float32 file is NpyWriter's.
        Path r = npy("r.npy", real, ">f4");
        Path s = npy("s.npy", synthetic, "<f8");
        Path run = dir.resolve("run");
        Cli.Run aligned = align(run, "--real-embeddings", r.toString(),
                "--synthetic-embeddings", s.toString());
        assertEquals(0, aligned.status(), aligned::toString);
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        NpyWriter.writeMatrix(before, NpyReader.readMatrix(r));
        assertArrayEquals(before.toByteArray(),
                Files.readAllBytes(run.resolve(RunFiles.REAL_EMBEDDINGS)));
        assertEquals(0, Cli.run(cl -> { }, "report", "--run", run.toString()).status());
    }

    /** The model embeds the synthetic texts (float32) beside a float64 real file, copied. */
    @Test
    void aFloat64RealFileBesideEmbeddedRowsIsCopied() throws IOException {
        int dims = new GenerateCommandTest.HashEncoder().dimension();
        double[][] real = DoublePca.farRows(M, dims, 1, 0, 0.1);
        Path r = npy("r.npy", real, ">f8");
        Path run = dir.resolve("run");
        Cli.Run aligned = align(run, "--real-embeddings", r.toString());
        assertEquals(0, aligned.status(), aligned::toString);
        assertArrayEquals(Files.readAllBytes(r),
                Files.readAllBytes(run.resolve(RunFiles.REAL_EMBEDDINGS)));
        assertEquals("<f4", NpyReader.readHeader(run.resolve(RunFiles.SYNTHETIC_EMBEDDINGS))
                .descr());
        Cli.Run report = Cli.run(cl -> { }, "report", "--run", run.toString());
        assertEquals(0, report.status(), report::toString);
        assertTrue(Files.readString(run.resolve(RunFiles.REPORT))
                .contains("Showing " + M + " of " + M + " real and " + N + " of " + N));
    }

    private static double correlation(double[] a, double[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] / a.length;
            mb += b[i] / b.length;
        }
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }
        return ab / Math.sqrt(aa * bb);
    }
}
