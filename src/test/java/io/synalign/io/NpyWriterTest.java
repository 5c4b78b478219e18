package io.synalign.io;

import static io.synalign.io.NpyFixtures.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyWriterTest {

    @TempDir
    Path dir;

    private static final int[] SIZES = {1, 7, 257, 20_011};

    /** NumPy's rule: magic + version + length + header is a multiple of 64 and ends in '\n'. */
    private static void assertHeader(NpyFixtures.Parsed p, String descr, String shape) {
        assertEquals(1, p.major());
        assertEquals(0, p.minor());
        assertEquals(0, (10 + p.headerLength()) % 64, "header length " + p.headerLength());
        assertTrue(p.dict().endsWith("\n"));
        String prefix = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        assertTrue(p.dict().startsWith(prefix), p.dict());
        assertTrue(p.dict().substring(prefix.length(), p.dict().length() - 1).isBlank(),
                "only spaces pad the header");
    }

    @Test
    void headerIsWhatNumpyWrites() {
        // numpy 2.4: np.save(f, np.zeros(3)) starts with exactly these 128 bytes.
        String expected = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
                + " ".repeat(60) + "\n";
        NpyFixtures.Parsed p = NpyFixtures.parse(NpyWriter.header("<f8", 3));
        assertEquals(expected, p.dict());
        assertEquals(118, p.headerLength());
    }

    @Test
    void headerPaddingHoldsForManyShapes() {
        long[][] shapes = {{0}, {1}, {9}, {10}, {123456789012L}, {1, 1}, {3, 4}, {1000000, 384},
            {Long.MAX_VALUE, 2}};
        for (long[] s : shapes) {
            byte[] h = NpyWriter.header("<f4", s);
            NpyFixtures.Parsed p = NpyFixtures.parse(h);
            assertHeader(p, "<f4", NpyHeader.shapeText(s));
            assertEquals(0, h.length % 64);
        }
    }

    @Test
    void vectorsFloat64() throws IOException {
        for (int n : SIZES) {
            double[] v = gaussian(n, n, 1e-3);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            NpyWriter.writeVector(out, v);
            NpyFixtures.Parsed p = NpyFixtures.parse(out.toByteArray());
            assertHeader(p, "<f8", "(" + n + ",)");
            assertArrayEquals(v, NpyFixtures.float64(p.data()));
        }
    }

    @Test
    void vectorsFloat32() throws IOException {
        for (int n : SIZES) {
            double[] d = gaussian(n, n, 1);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) d[i];
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            NpyWriter.writeVector(out, v);
            NpyFixtures.Parsed p = NpyFixtures.parse(out.toByteArray());
            assertHeader(p, "<f4", "(" + n + ",)");
            assertArrayEquals(v, NpyFixtures.float32(p.data()));
        }
    }

    @Test
    void matricesFloat32AndFloat64() throws IOException {
        for (int n : SIZES) {
            int cols = 3;
            double[] d = gaussian(n * cols, n, 5);
            FloatMatrix m = FloatMatrix.zeros(n, cols);
            for (int i = 0; i < d.length; i++) {
                m.data()[i] = (float) d[i];
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            NpyWriter.writeMatrix(out, m);
            NpyFixtures.Parsed p = NpyFixtures.parse(out.toByteArray());
            assertHeader(p, "<f4", "(" + n + ", 3)");
            assertArrayEquals(m.data(), NpyFixtures.float32(p.data()));

            ByteArrayOutputStream out8 = new ByteArrayOutputStream();
            NpyWriter.writeMatrix(out8, n, cols, d);
            NpyFixtures.Parsed p8 = NpyFixtures.parse(out8.toByteArray());
            assertHeader(p8, "<f8", "(" + n + ", 3)");
            assertArrayEquals(d, NpyFixtures.float64(p8.data()));
        }
    }

    @Test
    void roundTripsThroughTheReader() throws IOException {
        double[] v = gaussian(257, 1, 1);
        Path vf = dir.resolve("v.npy");
        NpyWriter.writeVector(vf, v);
        assertArrayEquals(v, NpyReader.readVector(vf));

        FloatMatrix m = FloatMatrix.of(new double[][] {{1, 2, 3}, {4, 5, 6.5}});
        Path mf = dir.resolve("m.npy");
        NpyWriter.writeMatrix(mf, m);
        assertEquals(m, NpyReader.readMatrix(mf));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left");
        }
    }

    @Test
    void matrixLengthMustMatchShape() {
        assertThrows(IllegalArgumentException.class,
                () -> NpyWriter.writeMatrix(new ByteArrayOutputStream(), 2, 3, new double[5]));
    }
}
