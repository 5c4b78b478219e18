package io.synalign.io;

import static io.synalign.io.NpyFixtures.data;
import static io.synalign.io.NpyFixtures.dict;
import static io.synalign.io.NpyFixtures.file;
import static io.synalign.io.NpyFixtures.gaussian;
import static io.synalign.io.NpyFixtures.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NpyReaderTest {

    @TempDir
    Path dir;

    private static ByteOrder orderOf(char c) {
        return c == '<' ? ByteOrder.LITTLE_ENDIAN : c == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
    }

    /** Every version x dtype x byte order x awkward shape, with the default and a tiny odd chunk. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void readsEveryVersionDtypeAndByteOrder(int major) throws IOException {
        int[][] shapes = {{1, 1}, {7, 3}, {257, 5}, {2, 1}};
        int seed = 0;
        for (String descr : List.of("<f4", ">f4", "=f4", "<f8", ">f8", "=f8")) {
            int item = descr.charAt(2) - '0';
            for (int[] shape : shapes) {
                double[] values = gaussian(shape[0] * shape[1], seed++, 1e3);
                Path p = write(dir.resolve("m" + seed + ".npy"), file(major,
                        dict(descr, false, "(" + shape[0] + ", " + shape[1] + ")"),
                        data(values, item, orderOf(descr.charAt(0))), major == 2 ? 16 : 64));
                for (NpyReader reader : List.of(new NpyReader(NpyReader.DEFAULT_CHUNK_BYTES),
                        new NpyReader(13))) {
                    FloatMatrix m = reader.matrix(p);
                    assertEquals(shape[0], m.rows(), descr);
                    assertEquals(shape[1], m.cols(), descr);
                    for (int i = 0; i < values.length; i++) {
                        // float64 is narrowed once, float32 read exactly: both equal (float) v.
                        assertEquals((float) values[i], m.data()[i], descr + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void publicReadMatrixMatchesBytes() throws IOException {
        double[] values = gaussian(12, 5, 1);
        Path p = write(dir.resolve("a.npy"), NpyFixtures.float32Matrix(4, 3, values));
        FloatMatrix m = NpyReader.readMatrix(p);
        assertEquals(4, m.rows());
        assertEquals(3, m.cols());
        assertEquals((float) values[11], m.get(3, 2));
        NpyHeader h = NpyReader.readHeader(p);
        assertEquals("<f4", h.descr());
        assertArrayEquals(new long[] {4, 3}, h.shape());
        assertEquals(1, h.majorVersion());
        assertEquals(128, h.dataOffset());
    }

    @ParameterizedTest
    @ValueSource(strings = {"<f4", ">f4", "<f8", ">f8"})
    void readsVectors(String descr) throws IOException {
        double[] values = gaussian(257, 9, 3);
        int item = descr.charAt(2) - '0';
        Path p = write(dir.resolve("v.npy"), file(2, dict(descr, false, "(257,)"),
                data(values, item, orderOf(descr.charAt(0))), 64));
        double[] read = new NpyReader(12).vector(p);
        for (int i = 0; i < values.length; i++) {
            double expected = item == 4 ? (double) (float) values[i] : values[i];
            assertEquals(expected, read[i], descr + " index " + i);
        }
    }

    @Test
    void acceptsHeaderSpellingVariants() throws IOException {
        double[] values = {1, 2, 3, 4, 5, 6};
        byte[] le = data(values, 4, ByteOrder.LITTLE_ENDIAN);
        List<String> dicts = List.of(
                "{'descr':'<f4','fortran_order':False,'shape':(2,3)}",
                "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
                "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3,), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }",
                "  {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': [1, None]}  ");
        int k = 0;
        for (String d : dicts) {
            Path p = write(dir.resolve("h" + k++ + ".npy"), file(1, d, le, 32));
            FloatMatrix m = NpyReader.readMatrix(p);
            assertEquals(2, m.rows(), d);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.data(), d);
        }
    }

    @Test
    void version3HeaderIsUtf8() throws IOException {
        String d = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), 'note': 'Größe µ'}";
        Path p = write(dir.resolve("u.npy"), file(3, d, data(new double[] {7, 8}, 4,
                ByteOrder.LITTLE_ENDIAN), 64));
        assertArrayEquals(new float[] {7, 8}, NpyReader.readMatrix(p).data());
        // The same header bytes are not valid UTF-8 when encoded as Latin-1.
        byte[] bad = file(2, d, data(new double[] {7, 8}, 4, ByteOrder.LITTLE_ENDIAN), 64);
        bad[6] = 3;
        Path q = write(dir.resolve("u2.npy"), bad);
        assertMessage(() -> NpyReader.readMatrix(q), q, "malformed .npy header", "UTF-8");
    }

    @Test
    void trailingBytesAreIgnored() throws IOException {
        byte[] f = NpyFixtures.float32Matrix(1, 2, new double[] {1, 2});
        byte[] longer = Arrays.copyOf(f, f.length + 5);
        Path p = write(dir.resolve("t.npy"), longer);
        assertArrayEquals(new float[] {1, 2}, NpyReader.readMatrix(p).data());
    }

    /**
     * The warning about trailing bytes is said once per file however often it is read, and the
     * files remembered for that are bounded: a long-running host reading file after file used to
     * keep every path for the life of the process.
     */
    @Test
    void trailingBytesAreWarnedOnceAndTheFilesRememberedAreBounded() throws IOException {
        byte[] f = NpyFixtures.float32Matrix(1, 2, new double[] {1, 2});
        Path once = write(dir.resolve("once.npy"), Arrays.copyOf(f, f.length + 3));
        java.io.PrintStream originalErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        // slf4j-simple writes to the current System.err on each call.
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        String said;
        try {
            NpyReader.readMatrix(once);
            NpyReader.readMatrix(once);
            said = err.toString(StandardCharsets.UTF_8);
            for (int i = 0; i < NpyReader.WARNED_TRAILING_KEPT + 100; i++) {
                NpyReader.warnTrailingBytes(dir.resolve("many-" + i + ".npy"), 1);
            }
        } finally {
            System.setErr(originalErr);
        }
        assertEquals(1, said.split("3 bytes after the array data are ignored", -1).length - 1, said);
        assertEquals(NpyReader.WARNED_TRAILING_KEPT, NpyReader.warnedTrailingRemembered());
    }

    // ---- errors: each names the file and says what is wrong ----

    private static void assertMessage(Executable read, Path file, String... fragments) {
        InputException e = assertThrows(InputException.class, read);
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' missing from: " + e.getMessage());
        }
    }

    private Path f32(String name, String shape, boolean fortran, double... values) {
        return write(dir.resolve(name), file(dict("<f4", fortran, shape),
                data(values, 4, ByteOrder.LITTLE_ENDIAN)));
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.npy");
        assertMessage(() -> NpyReader.readMatrix(missing), missing, "file not found");
        assertMessage(() -> NpyReader.readHeader(dir), dir, "is a directory");
    }

    @Test
    void notAnNpyFile() throws IOException {
        Path empty = write(dir.resolve("empty.npy"), new byte[0]);
        assertMessage(() -> NpyReader.readMatrix(empty), empty, "file is empty (0 bytes)");
        Path text = write(dir.resolve("text.npy"), "1.0,2.0\n3.0,4.0\n".getBytes(StandardCharsets.US_ASCII));
        assertMessage(() -> NpyReader.readMatrix(text), text, "not an .npy file", "magic");
        Path npz = write(dir.resolve("a.npz"), new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0});
        assertMessage(() -> NpyReader.readMatrix(npz), npz, "zip archive");
        Path magicOnly = write(dir.resolve("magic.npy"), Arrays.copyOf(
                NpyFixtures.float32Matrix(1, 1, new double[] {1}), 7));
        assertMessage(() -> NpyReader.readMatrix(magicOnly), magicOnly, "malformed .npy header",
                "ends inside the header");
    }

    @Test
    void unsupportedVersion() {
        byte[] f = NpyFixtures.float32Matrix(1, 1, new double[] {1});
        f[6] = 4;
        Path p = write(dir.resolve("v4.npy"), f);
        assertMessage(() -> NpyReader.readMatrix(p), p, "unsupported .npy format version 4.0");
    }

    @Test
    void headerLongerThanFile() {
        byte[] f = NpyFixtures.float32Matrix(1, 1, new double[] {1});
        f[8] = (byte) 200;
        f[9] = 1; // 456 bytes
        Path p = write(dir.resolve("long.npy"), Arrays.copyOf(f, 100));
        assertMessage(() -> NpyReader.readMatrix(p), p, "malformed .npy header",
                "header length says 456 bytes, only 90 are present");
    }

    @Test
    void malformedHeaders() {
        byte[] d = data(new double[] {1, 2}, 4, ByteOrder.LITTLE_ENDIAN);
        String[][] cases = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2}", "expected ',' or ')'"},
            {"{'descr': '<f4', 'fortran_order': False}", "the key 'shape' is missing"},
            {"{'fortran_order': False, 'shape': (1, 2)}", "the key 'descr' is missing"},
            {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 2)}", "'fortran_order' must be True or False"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': [1, 2]}", "'shape' must be a tuple"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, -2)}", "non-negative integers"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1.5, 2)}", "only integers"},
            {"['descr', '<f4']", "expected a dict"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)} junk", "unexpected text"},
            {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 2)}", "duplicate key"},
            {"{'descr': '<f4, 'fortran_order': False, 'shape': (1, 2)}", "malformed"},
            // Deep nesting and huge numbers: one short line, no StackOverflowError.
            {"{'descr': '<f4', 'fortran_order': False, 'shape': " + "[".repeat(5000) + "}",
                "nesting deeper than 32 levels"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(50000) + "}",
                "nesting deeper than 32 levels"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9".repeat(100000) + ", 2)}",
                "an integer of more than 40 digits"},
        };
        int k = 0;
        for (String[] c : cases) {
            Path p = write(dir.resolve("bad" + k++ + ".npy"), file(c[0], d));
            assertMessage(() -> NpyReader.readMatrix(p), p, "malformed .npy header", c[1]);
            String m = assertThrows(InputException.class, () -> NpyReader.readMatrix(p)).getMessage();
            assertTrue(m.length() < 400, "a short line: " + m.length() + " characters");
        }
    }

    @Test
    void truncatedData() {
        byte[] full = NpyFixtures.float32Matrix(3, 4, gaussian(12, 1, 1));
        Path p = write(dir.resolve("trunc.npy"), Arrays.copyOf(full, full.length - 28));
        assertMessage(() -> NpyReader.readMatrix(p), p, "truncated", "(3, 4)",
                "needs 48 bytes of data, but only 20 are present");
        assertMessage(() -> NpyReader.inspectMatrix(p), p, "truncated");
    }

    @Test
    void unsupportedDtypes() {
        String[][] cases = {
            {"<i8", "'<i8' (int64)"}, {"<f2", "'<f2' (float16)"}, {"|u1", "'|u1' (uint8)"},
            {"|b1", "(bool)"}, {"<c16", "(complex128)"}, {"<U10", "(unicode string)"},
            {"|O", "(Python object)"}, {"<M8[ns]", "(datetime64)"},
        };
        int k = 0;
        for (String[] c : cases) {
            Path p = write(dir.resolve("dt" + k++ + ".npy"), file(dict(c[0], false, "(1, 2)"), new byte[64]));
            assertMessage(() -> NpyReader.readMatrix(p), p, "unsupported dtype", c[1],
                    "float32 or float64 expected");
        }
        Path structured = write(dir.resolve("st.npy"), file("{'descr': [('a', '<f4'), ('b', '<f4')],"
                + " 'fortran_order': False, 'shape': (3,), }", new byte[24]));
        assertMessage(() -> NpyReader.readMatrix(structured), structured,
                "unsupported dtype '[('a', '<f4'), ('b', '<f4')]'");
    }

    @Test
    void unsupportedRank() {
        Path r1 = f32("r1.npy", "(5,)", false, 1, 2, 3, 4, 5);
        assertMessage(() -> NpyReader.readMatrix(r1), r1, "shape (5,) (1-D)", "2-D array (rows, columns) expected");
        Path r3 = f32("r3.npy", "(2, 2, 2)", false, 1, 2, 3, 4, 5, 6, 7, 8);
        assertMessage(() -> NpyReader.readMatrix(r3), r3, "shape (2, 2, 2) (3-D)");
        Path r0 = f32("r0.npy", "()", false, 1);
        assertMessage(() -> NpyReader.readMatrix(r0), r0, "shape () (0-D)");
        Path m = f32("m.npy", "(2, 3)", false, 1, 2, 3, 4, 5, 6);
        assertMessage(() -> NpyReader.readVector(m), m, "shape (2, 3) (2-D)", "1-D array expected");
    }

    @Test
    void fortranOrder() {
        Path p = f32("f.npy", "(2, 3)", true, 1, 2, 3, 4, 5, 6);
        assertMessage(() -> NpyReader.readMatrix(p), p, "Fortran", "(2, 3)");
        assertMessage(() -> NpyReader.inspectMatrix(p), p, "Fortran");
    }

    @Test
    void emptyArrays() {
        Path rows = f32("e0.npy", "(0, 3)", false);
        assertMessage(() -> NpyReader.readMatrix(rows), rows, "array is empty (shape (0, 3))");
        Path cols = f32("e1.npy", "(3, 0)", false);
        assertMessage(() -> NpyReader.readMatrix(cols), cols, "array is empty (shape (3, 0))");
        Path vec = f32("e2.npy", "(0,)", false);
        assertMessage(() -> NpyReader.readVector(vec), vec, "array is empty");
    }

    @Test
    void tooLargeForOneArray() {
        Path p = f32("big.npy", "(100000, 100000)", false, 1);
        assertMessage(() -> NpyReader.inspectMatrix(p), p, "more values than one Java array can hold");
    }

    @Test
    void nonFiniteValuesNameRowAndColumn() throws IOException {
        double[] v = gaussian(40 * 3, 3, 1);
        v[2 * 3 + 1] = Double.NaN;
        Path nan = f32("nan.npy", "(40, 3)", false, v);
        assertMessage(() -> NpyReader.readMatrix(nan), nan, "array has NaN at row 2, column 1");
        // Header-only inspection does not read values.
        assertEquals(40, NpyReader.inspectMatrix(nan).shape()[0]);

        double[] w = gaussian(40 * 3, 4, 1);
        w[37 * 3 + 2] = Double.NEGATIVE_INFINITY;
        w[38 * 3] = Double.POSITIVE_INFINITY;
        Path inf = f32("inf.npy", "(40, 3)", false, w);
        // A chunk of 13 bytes splits values across reads; the position must still be exact.
        assertMessage(() -> new NpyReader(13).matrix(inf), inf, "array has -Inf at row 37, column 2");

        double[] x = gaussian(6, 5, 1);
        x[4] = Double.POSITIVE_INFINITY;
        Path f8 = write(dir.resolve("f8.npy"), file(dict(">f8", false, "(2, 3)"), data(x, 8, ByteOrder.BIG_ENDIAN)));
        assertMessage(() -> NpyReader.readMatrix(f8), f8, "array has +Inf at row 1, column 1");

        double[] y = {1, 2, 3, 4, 1e300, 6};
        Path huge = write(dir.resolve("huge.npy"), file(dict("<f8", false, "(3, 2)"), data(y, 8, ByteOrder.LITTLE_ENDIAN)));
        assertMessage(() -> NpyReader.readMatrix(huge), huge, "value 1.0E300 at row 2, column 0 is too large for float32");

        double[] z = {1, Double.NaN};
        Path vec = write(dir.resolve("vnan.npy"), file(dict("<f8", false, "(2,)"), data(z, 8, ByteOrder.LITTLE_ENDIAN)));
        assertMessage(() -> NpyReader.readVector(vec), vec, "array has NaN at index 1");
    }

    @Test
    void chunkMustHoldAValue() {
        assertThrows(IllegalArgumentException.class, () -> new NpyReader(7));
    }
}
