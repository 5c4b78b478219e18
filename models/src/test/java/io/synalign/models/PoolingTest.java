package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PoolingTest {

    @ParameterizedTest
    @CsvSource({"1,1,3", "7,5,4", "3,19,257", "2,1,1"})
    void meanPoolingIgnoresPaddingAndMatchesDoubleReference(int rows, int seqLen, int dim) {
        Random random = new Random(rows * 31L + seqLen * 7L + dim);
        float[] hidden = new float[rows * seqLen * dim];
        int[] lengths = new int[rows];
        for (int r = 0; r < rows; r++) {
            lengths[r] = 1 + random.nextInt(seqLen);
            for (int t = 0; t < seqLen; t++) {
                for (int j = 0; j < dim; j++) {
                    // Padding holds poison: NaN must never reach the output.
                    hidden[(r * seqLen + t) * dim + j] = t < lengths[r]
                            ? (float) random.nextGaussian() : Float.NaN;
                }
            }
        }
        float[] out = new float[1 + rows * dim];
        Pooling.MEAN.pool(hidden, rows, seqLen, dim, lengths, out, 1);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dim; j++) {
                double sum = 0;
                for (int t = 0; t < lengths[r]; t++) {
                    sum += hidden[(r * seqLen + t) * dim + j];
                }
                assertEquals(sum / lengths[r], out[1 + r * dim + j], 1e-6);
            }
        }
        assertEquals(0f, out[0], "must not write before the offset");
    }

    @Test
    void clsPoolingTakesTheFirstToken() {
        int rows = 3;
        int seqLen = 4;
        int dim = 5;
        float[] hidden = new float[rows * seqLen * dim];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = i;
        }
        float[] out = new float[rows * dim];
        Pooling.CLS.pool(hidden, rows, seqLen, dim, new int[] {1, 4, 2}, out, 0);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < dim; j++) {
                assertEquals(r * seqLen * dim + j, out[r * dim + j]);
            }
        }
    }

    @Test
    void rejectsTokenCountsOutsideTheSequence() {
        float[] out = new float[2];
        assertThrows(IllegalArgumentException.class,
                () -> Pooling.MEAN.pool(new float[4], 1, 2, 2, new int[] {0}, out, 0));
        assertThrows(IllegalArgumentException.class,
                () -> Pooling.MEAN.pool(new float[4], 1, 2, 2, new int[] {3}, out, 0));
    }

    @Test
    void l2NormaliseGivesUnitRowsAndKeepsZeroRows() {
        Random random = new Random(9);
        int dim = 257;
        float[] data = new float[3 * dim];
        for (int j = 0; j < 2 * dim; j++) {
            data[j] = (float) (random.nextGaussian() * 100);
        }
        float[] before = data.clone();
        Pooling.l2Normalise(data, 0, 3, dim);
        for (int r = 0; r < 2; r++) {
            double sq = 0;
            double sqBefore = 0;
            for (int j = 0; j < dim; j++) {
                sq += (double) data[r * dim + j] * data[r * dim + j];
                sqBefore += (double) before[r * dim + j] * before[r * dim + j];
            }
            assertEquals(1.0, Math.sqrt(sq), 1e-6);
            assertEquals(before[r * dim] / Math.sqrt(sqBefore), data[r * dim], 1e-6);
        }
        for (int j = 2 * dim; j < 3 * dim; j++) {
            assertEquals(0f, data[j]);
        }
    }
}
