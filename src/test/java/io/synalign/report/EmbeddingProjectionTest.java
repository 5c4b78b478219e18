package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.io.NpyFixtures;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The report's PCA draws the embedding rows as stored: float64 rows far from the origin (the
 * review's case: near 1e6 with a spread of 0.01, where float32's grid is 0.0625) are read in
 * double and centred in double, so every plotted row's coordinates and the variance shares
 * are those of an independent double PCA ({@link DoublePca}: two-pass mean, Jacobi) of the
 * values in the files. Read through float32, as before, the rows of a column fell on one or
 * two grid points and the picture was float32's grid. Awkward sizes, both byte orders, one
 * column; fitted on the real rows, and on all rows where there are fewer than 3 real rows.
 */
class EmbeddingProjectionTest {

    private static final double OFFSET = 1e6;
    private static final double SPREAD = 0.01;
    /**
     * Absolute, on coordinates of about the spread: both PCAs centre in double, and their means
     * of rows near 1e6 differ by a few of double's ulps there (1.2e-10); seen: 1.2e-10 to
     * 5.8e-10. Through float32 the rows were off by up to half its grid, 0.03.
     */
    private static final double COORDINATE_TOLERANCE = 1e-6 * SPREAD;

    @TempDir
    Path dir;

    private void npy(String name, double[][] x, String descr) {
        int cols = x[0].length;
        double[] flat = new double[x.length * cols];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, flat, i * cols, cols);
        }
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        NpyFixtures.write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(descr, false,
                "(" + x.length + ", " + cols + ")"), NpyFixtures.data(flat, 8, order)));
    }

    @ParameterizedTest(name = "{0} real, {1} synthetic, {2} columns, {3}")
    @CsvSource({"37, 53, 5, <f8", "37, 53, 5, >f8", "2, 29, 7, <f8", "13, 17, 1, >f8",
            "101, 3, 11, <f8"})
    void farFloat64RowsAreProjectedAsADoublePcaOfTheStoredValues(int m, int n, int d,
            String descr) throws IOException {
        double[][] real = DoublePca.farRows(m, d, 1, OFFSET, SPREAD);
        double[][] synthetic = DoublePca.farRows(n, d, 2, OFFSET, SPREAD);
        npy(RunFiles.REAL_EMBEDDINGS, real, descr);
        npy(RunFiles.SYNTHETIC_EMBEDDINGS, synthetic, descr);

        RunArtefacts.Embeddings e = RunArtefacts.load(dir).embeddings();
        for (int i = 0; i < m; i++) {
            assertArrayEquals(real[e.realRows()[i]], e.real()[i], 0, "real row " + i);
        }
        for (int i = 0; i < n; i++) {
            assertArrayEquals(synthetic[e.syntheticRows()[i]], e.synthetic()[i], 0,
                    "synthetic row " + i);
        }
        EmbeddingProjection projection = EmbeddingProjection.of(e);

        boolean onReal = m >= EmbeddingProjection.MIN_REAL_ROWS;
        assertEquals(onReal, projection.fittedOnReal());
        double[][] fitted = onReal ? real : concat(real, synthetic);
        DoublePca.Fit reference = DoublePca.fit(fitted);
        for (int k = 0; k < reference.explained().length; k++) {
            assertEquals(reference.explained()[k], projection.pca().explained(k), 1e-9,
                    "share of PC" + (k + 1));
        }
        for (int i = 0; i < m; i++) {
            assertArrayEquals(reference.project(real[i]), projection.real()[i],
                    COORDINATE_TOLERANCE, "real row " + i);
        }
        for (int i = 0; i < n; i++) {
            assertArrayEquals(reference.project(synthetic[i]), projection.synthetic()[i],
                    COORDINATE_TOLERANCE, "synthetic row " + i);
        }
    }

    private static double[][] concat(double[][] a, double[][] b) {
        double[][] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
