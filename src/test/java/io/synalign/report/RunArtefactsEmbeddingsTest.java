package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.InputException;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report reads only the embedding rows it plots, from the files: the rows it holds
 * are exactly {@link Subsample}'s picks, with the values of those rows, for float32 and float64
 * files, and the totals are the files' row counts.
 */
class RunArtefactsEmbeddingsTest {

    @TempDir
    Path dir;

    /** Row i of a set is (i, -i / 2, offset): each row says which one it is. */
    private static double[] rows(int n, int cols, double offset) {
        double[] v = new double[n * cols];
        for (int i = 0; i < n; i++) {
            v[i * cols] = i;
            v[i * cols + 1] = -i / 2.0;
            v[i * cols + 2] = offset;
        }
        return v;
    }

    private static void writeFloat32(Path file, int n, double offset) throws IOException {
        double[] v = rows(n, 3, offset);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        NpyWriter.writeMatrix(file, new FloatMatrix(n, 3, f));
    }

    private static void writeFloat64(Path file, int n, double offset) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            NpyWriter.writeMatrix(out, n, 3, rows(n, 3, offset));
        }
    }

    /** The rows as stored: float32's (i, -i / 2, offset) are exact, so both dtypes give them. */
    private static void assertSampled(double[][] got, int[] picked, double offset) {
        assertEquals(picked.length, got.length);
        for (int r = 0; r < picked.length; r++) {
            double[] want = {picked[r], -picked[r] / 2.0, offset};
            assertArrayEquals(want, got[r], 0, "sampled row " + r + " (file row " + picked[r]
                    + ")");
        }
    }

    @Test
    void onlyThePlottedRowsAreReadAndTheyAreTheSubsamplesPicks() throws IOException {
        int realRows = 517;
        int syntheticRows = ReportPage.MAX_POINTS_PER_SIDE * 3 + 7;
        writeFloat64(dir.resolve(RunFiles.REAL_EMBEDDINGS), realRows, 9);
        writeFloat32(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS), syntheticRows, -4);
        RunArtefacts.Embeddings e = RunArtefacts.load(dir).embeddings();
        assertEquals(realRows, e.realTotal());
        assertEquals(syntheticRows, e.syntheticTotal());
        int[] realPicked = Subsample.indices(realRows, ReportPage.MAX_POINTS_PER_SIDE, 1);
        int[] synthPicked = Subsample.indices(syntheticRows, ReportPage.MAX_POINTS_PER_SIDE, 2);
        assertEquals(realRows, realPicked.length, "a set below the cap is plotted whole");
        assertEquals(ReportPage.MAX_POINTS_PER_SIDE, synthPicked.length);
        assertArrayEquals(realPicked, e.realRows());
        assertArrayEquals(synthPicked, e.syntheticRows());
        assertSampled(e.real(), realPicked, 9);
        assertSampled(e.synthetic(), synthPicked, -4);
    }

    @Test
    void mismatchedColumnsNameTheSyntheticFile() throws IOException {
        writeFloat32(dir.resolve(RunFiles.REAL_EMBEDDINGS), 5, 0);
        NpyWriter.writeMatrix(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS),
                new FloatMatrix(4, 2, new float[8]));
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.SYNTHETIC_EMBEDDINGS)
                && e.getMessage().contains("2 columns"), e.getMessage());
    }

    /**
     * The real rows must agree with labels.json and alignment.json: 3 labels for 12 rows
     * coloured 9 points as the first label, and 5 rows showed "5 of 5 real" beside tables
     * counting 12; both exited 0.
     */
    @Test
    void realRowsThatDisagreeWithTheLabelsOrTheAlignmentNameTheFile() throws IOException {
        writeFloat32(dir.resolve(RunFiles.REAL_EMBEDDINGS), 12, 0);
        writeFloat32(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS), 4, 1);
        Files.writeString(dir.resolve(RunFiles.LABELS), "{\"real\": [\"a\", \"b\", \"a\"], \"synthetic\": null}");
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.LABELS) && e.getMessage().contains("'real' has 3 labels but "
                + RunFiles.REAL_EMBEDDINGS + " has 12 rows"), e.getMessage());
        Files.delete(dir.resolve(RunFiles.LABELS));
        Files.writeString(dir.resolve(RunFiles.ALIGNMENT), "{\"n_real\": 5, \"n_synthetic\": 4}");
        e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.REAL_EMBEDDINGS + ": has 12 rows but "
                + RunFiles.ALIGNMENT + " counts 5 real rows"), e.getMessage());
        Files.writeString(dir.resolve(RunFiles.ALIGNMENT), "{\"n_real\": 12, \"n_synthetic\": 4}");
        assertEquals(12, RunArtefacts.load(dir).embeddings().realTotal());
    }

    @Test
    void aNonFiniteValueInAPlottedRowNamesTheFile() throws IOException {
        writeFloat32(dir.resolve(RunFiles.REAL_EMBEDDINGS), 5, 0);
        NpyWriter.writeMatrix(dir.resolve(RunFiles.SYNTHETIC_EMBEDDINGS),
                new FloatMatrix(2, 3, new float[] {0, 1, 2, 3, Float.NaN, 5}));
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.SYNTHETIC_EMBEDDINGS), e.getMessage());
    }

    /**
     * A test.json left by an earlier command in a reused run directory judged other rows: the
     * report said "Indistinguishable in 6 of 6 labels" for a set the test told apart in 4.
     * Refused, naming the label and both counts; a test.json of these rows loads.
     */
    @Test
    void aTestOfOtherRowsIsRefusedAndATestOfTheseRowsLoads() throws IOException {
        Files.writeString(dir.resolve(RunFiles.LABELS), "{\"label_field\": \"label\","
                + " \"real\": [\"a\", \"b\", \"a\"], \"synthetic\": [\"a\", \"a\", \"b\", \"a\"]}");
        Files.writeString(dir.resolve(RunFiles.TEST), "{\"labels\": {\"a\": {\"real\": 2,"
                + " \"synthetic\": 3}, \"b\": {\"real\": 1, \"synthetic\": 1}}}");
        assertTrue(RunArtefacts.load(dir).test() != null);
        Files.writeString(dir.resolve(RunFiles.TEST), "{\"labels\": {\"a\": {\"real\": 2,"
                + " \"synthetic\": 64}, \"b\": {\"real\": 1, \"synthetic\": 1}}}");
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.TEST) && e.getMessage().contains("label 'a':"
                + " tested 64 synthetic rows but labels.json has 3"), e.getMessage());
    }
}
