package io.synalign.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowSource;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Reading less a {@link NarrowingCentre}: every reader gives {@code (float) (x - c_j)}, the
 * subtraction in double from the value as stored (a float32 value widened exactly), however the
 * values are split: the whole-array reader in chunks of any size, the row source in reads that
 * split rows, in ranges, over tasks, and scattered rows read together; and
 * {@link NarrowingCentre#NONE} reads as before.
 */
class NarrowingCentreTest {

    private static final int ROWS = 53;
    private static final int COLS = 7;

    @TempDir
    Path dir;

    /** Rows near 1e6 * (1 + j) with a spread of 0.01, the review's case, column by column. */
    private static double[] farRows(long seed) {
        Random random = new Random(seed);
        double[] v = new double[ROWS * COLS];
        for (int i = 0; i < v.length; i++) {
            v[i] = 1e6 * (1 + i % COLS) + 0.01 * random.nextGaussian();
        }
        return v;
    }

    private static double[] centre() {
        double[] c = new double[COLS];
        for (int j = 0; j < COLS; j++) {
            c[j] = 1e6 * (1 + j) + 0.003 * j; // not a float32 value
        }
        return c;
    }

    /** What a reader must give: the stored value (float32 widened) less c, narrowed once. */
    private static float[] expected(double[] values, int itemSize, double[] c) {
        float[] want = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            double stored = itemSize == 4 ? (double) (float) values[i] : values[i];
            want[i] = (float) (stored - c[i % COLS]);
        }
        return want;
    }

    private Path write(String descr, double[] values) {
        int item = descr.endsWith("4") ? 4 : 8;
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return NpyFixtures.write(dir.resolve("m.npy"), NpyFixtures.file(NpyFixtures.dict(descr,
                false, "(" + ROWS + ", " + COLS + ")"), NpyFixtures.data(values, item, order)));
    }

    @ParameterizedTest(name = "{0}, chunks of {1} bytes")
    @CsvSource({"<f8, 8", "<f8, 13", ">f8, 4096", "<f4, 12", ">f4, 1000", "<f8, 4194304"})
    void theWholeArrayReaderNarrowsEachValueLessItsColumnsCentre(String descr, int chunk)
            throws Exception {
        double[] values = farRows(1);
        Path file = write(descr, values);
        int item = descr.endsWith("4") ? 4 : 8;
        FloatMatrix m = new NpyReader(chunk).matrix(file, NarrowingCentre.at(centre()));
        assertArrayEquals(expected(values, item, centre()), m.data());
        // No centre: as before, each value narrowed as it is.
        float[] plain = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            plain[i] = (float) values[i];
        }
        assertArrayEquals(plain, new NpyReader(chunk).matrix(file, NarrowingCentre.NONE).data());
    }

    @ParameterizedTest(name = "{0}, reads of {1} bytes")
    @CsvSource({"<f8, 8", "<f8, 40", ">f8, 1048576", "<f4, 12", "<f4, 200"})
    void theRowSourceNarrowsEachValueLessItsColumnsCentreInAnySplit(String descr, int readBytes)
            throws Exception {
        double[] values = farRows(2);
        Path file = write(descr, values);
        int item = descr.endsWith("4") ? 4 : 8;
        float[] want = expected(values, item, centre());
        try (NpyRowSource source = NpyRowSource.open(file, readBytes,
                NarrowingCentre.at(centre()))) {
            // Ranges starting mid-file, so the first value's column is not 0 of a read.
            for (int start : new int[] {0, 1, 17, 52}) {
                int count = ROWS - start;
                float[] got = new float[count * COLS];
                source.read(start, count, got);
                for (int k = 0; k < got.length; k++) {
                    assertEquals(want[start * COLS + k], got[k], 0f, "from row " + start);
                }
            }
            // Split over tasks of 3 values at least: tasks start mid-row.
            float[] split = new float[ROWS * COLS];
            source.read(0, ROWS, split, 8, 3);
            assertArrayEquals(want, split);
            // Scattered rows read together (one read of the span, rows converted apart).
            long[] rows = {2, 3, 7, 8, 30, 29, 52};
            float[] scattered = new float[rows.length * COLS];
            try (RowSource view = source.select(rows)) {
                view.read(0, rows.length, scattered);
            }
            for (int k = 0; k < rows.length; k++) {
                for (int j = 0; j < COLS; j++) {
                    assertEquals(want[(int) rows[k] * COLS + j], scattered[k * COLS + j], 0f,
                            "row " + rows[k]);
                }
            }
            // readExact: the row as stored, no centre.
            double[] exact = new double[COLS];
            source.readExact(17, exact);
            for (int j = 0; j < COLS; j++) {
                double stored = item == 4 ? (double) (float) values[17 * COLS + j]
                        : values[17 * COLS + j];
                assertEquals(stored, exact[j], 0.0);
            }
        }
    }

    /** The review's case: float32 at 1e6 keeps nothing of a 0.01 spread; the centre keeps it. */
    @Test
    void aCentreKeepsTheSpreadOfFloat64RowsFarFromTheOrigin() throws Exception {
        double[] values = farRows(3);
        Path file = write("<f8", values);
        FloatMatrix plain = NpyReader.readMatrix(file);
        FloatMatrix centred = NpyReader.readMatrix(file, NarrowingCentre.at(centre()));
        double worstPlain = 0;
        double worstCentred = 0;
        for (int i = 0; i < values.length; i++) {
            double truth = values[i] - centre()[i % COLS];
            worstPlain = Math.max(worstPlain, Math.abs(plain.data()[i] - centre()[i % COLS]
                    - truth));
            worstCentred = Math.max(worstCentred, Math.abs(centred.data()[i] - truth));
        }
        assertTrue(worstPlain > 0.01, "float32's grid at 1e6 is 0.0625: " + worstPlain);
        assertTrue(worstCentred < 1e-8, "centred: " + worstCentred);
    }

    @Test
    void aCentreOfAnotherWidthOrNotFiniteIsRefused() throws Exception {
        Path file = write("<f8", farRows(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NpyReader.readMatrix(file, NarrowingCentre.at(new double[COLS - 1])));
        assertTrue(e.getMessage().contains("6 columns") && e.getMessage().contains("has 7"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NpyRowSource.open(file, NarrowingCentre.at(new double[COLS + 1])));
        assertThrows(IllegalArgumentException.class,
                () -> NarrowingCentre.at(new double[] {1, Double.NaN}));
    }

    /** Values are still checked: a NaN is named as before, and so is a difference beyond float32. */
    @Test
    void badValuesAreNamedWithTheCentre() throws Exception {
        double[] values = farRows(5);
        values[9 * COLS + 4] = Double.NaN;
        Path file = write("<f8", values);
        InputException nan = assertThrows(InputException.class,
                () -> NpyReader.readMatrix(file, NarrowingCentre.at(centre())));
        assertTrue(nan.getMessage().contains("NaN at row 9, column 4"), nan.getMessage());
        double[] c = centre();
        c[2] = -1e300;
        InputException big = assertThrows(InputException.class,
                () -> NpyReader.readMatrix(write("<f8", farRows(5)), NarrowingCentre.at(c)));
        assertTrue(big.getMessage().contains("row 0, column 2")
                && big.getMessage().contains("too large for float32"), big.getMessage());
    }

    /**
     * A float32 value near the float32 limit less a centre of the other sign is beyond float32:
     * refused as the float64 path refuses it, naming the row and column, in both readers.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"<f4", ">f4", "<f8"})
    void aDifferenceBeyondFloat32IsRefusedForFloat32FilesToo(String descr) throws Exception {
        double[] values = farRows(7);
        values[9 * COLS + 4] = 3.0e38; // a float32 value; less -1e38 it is 4e38
        Path file = write(descr, values);
        double[] c = centre();
        c[4] = -1e38;
        InputException whole = assertThrows(InputException.class,
                () -> NpyReader.readMatrix(file, NarrowingCentre.at(c)));
        assertTrue(whole.getMessage().contains("row 9, column 4")
                && whole.getMessage().contains("too large for float32")
                && whole.getMessage().contains(file.toString()), whole.getMessage());
        try (NpyRowSource source = NpyRowSource.open(file, 40, NarrowingCentre.at(c))) {
            InputException streamed = assertThrows(InputException.class,
                    () -> source.read(3, 10, new float[10 * COLS]));
            assertTrue(streamed.getMessage().contains("row 9, column 4")
                    && streamed.getMessage().contains("too large for float32"),
                    streamed.getMessage());
            float[] before = new float[9 * COLS];
            source.read(0, 9, before); // the rows before it read
        }
        // Without the centre the value is an ordinary float32.
        assertEquals(3.0e38f, NpyReader.readMatrix(file).data()[9 * COLS + 4]);
    }

    @Test
    void shiftingAMatrixIsReadingItsFloat32FileLessTheCentre() throws Exception {
        double[] values = farRows(6);
        Path file = write("<f4", values);
        FloatMatrix m = NpyReader.readMatrix(file);
        assertSame(m, NarrowingCentre.NONE.shift(m));
        assertArrayEquals(NpyReader.readMatrix(file, NarrowingCentre.at(centre())).data(),
                NarrowingCentre.at(centre()).shift(m).data());
        assertNull(NarrowingCentre.NONE.values());
    }
}
