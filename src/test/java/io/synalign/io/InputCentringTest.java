package io.synalign.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One centre per problem: taken when any input file is float64 (the real file or a synthetic
 * one, whatever the other's dtype), estimated from the real rows (a file, or rows embedded in
 * memory), and none for float32 files alone or rows near the origin.
 */
class InputCentringTest {

    private static final int ROWS = 29;
    private static final int COLS = 3;

    @TempDir
    Path dir;

    private static double[] rows(double offset, long seed) {
        Random random = new Random(seed);
        double[] v = new double[ROWS * COLS];
        for (int i = 0; i < v.length; i++) {
            v[i] = offset * (1 + i % COLS) + 0.01 * random.nextGaussian();
        }
        return v;
    }

    private Path write(String name, int itemSize, double[] values) {
        return NpyFixtures.write(dir.resolve(name), NpyFixtures.file(NpyFixtures.dict(
                itemSize == 4 ? "<f4" : "<f8", false, "(" + ROWS + ", " + COLS + ")"),
                NpyFixtures.data(values, itemSize, ByteOrder.LITTLE_ENDIAN)));
    }

    /** The real rows' estimate as stored (float32 values widened). */
    private static double[] median(double[] values, int itemSize) {
        double[][] x = new double[ROWS][COLS];
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < COLS; j++) {
                double v = values[i * COLS + j];
                x[i][j] = itemSize == 4 ? (float) v : v;
            }
        }
        return CentreEstimate.of(ROWS, COLS, (r, out) -> System.arraycopy(x[(int) r], 0, out,
                0, COLS)).median();
    }

    @Test
    void anyFloat64FileCentresTheWholeProblemOnTheRealRowsMedian() throws Exception {
        double[] far = rows(1e6, 1);
        Path real64 = write("r64.npy", 8, far);
        Path real32 = write("r32.npy", 4, far);
        Path synthetic64 = write("s64.npy", 8, rows(1e6, 2));
        Path synthetic32 = write("s32.npy", 4, rows(1e6, 2));
        assertArrayEquals(median(far, 8),
                InputCentring.forFiles(real64, List.of(synthetic32)).values());
        assertArrayEquals(median(far, 4),
                InputCentring.forFiles(real32, List.of(synthetic64)).values());
        assertArrayEquals(median(far, 8), InputCentring.forFiles(real64, List.of()).values());
        assertTrue(InputCentring.forFiles(real32, List.of(synthetic32)).isNone(),
                "float32 alone: nothing to keep");
        Path near = write("near.npy", 8, rows(0.001, 3));
        assertTrue(InputCentring.forFiles(near, List.of(synthetic64)).isNone(),
                "rows nearer the origin than to each other: read as before");
    }

    @Test
    void rowsEmbeddedInMemoryGiveTheCentreBesideAFloat64File() throws Exception {
        double[] far = rows(1e6, 4);
        float[] data = new float[far.length];
        for (int i = 0; i < far.length; i++) {
            data[i] = (float) far[i];
        }
        FloatMatrix real = new FloatMatrix(ROWS, COLS, data);
        assertArrayEquals(median(far, 4), InputCentring.forRows(real,
                List.of(write("s64.npy", 8, rows(1e6, 5)))).values());
        assertTrue(InputCentring.forRows(real, List.of(write("s32.npy", 4, rows(1e6, 5))))
                .isNone());
        assertTrue(InputCentring.forRows(real, List.of()).isNone());
    }
}
