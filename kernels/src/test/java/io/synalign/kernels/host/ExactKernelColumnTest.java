package io.synalign.kernels.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ExactKernelColumn} against the RBF kernel written out here in double, one coordinate at
 * a time, on dimensions around its four-lane unrolling (1 to 9, and 33) and on a column large
 * enough to be split over threads. Its own module had no test of it (mutation testing: every
 * mutant of it lived, reached only through the GP trackers' tests elsewhere).
 */
class ExactKernelColumnTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        Random random = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (2 * random.nextGaussian() + 0.5);
        }
        return new FloatMatrix(n, d, data);
    }

    private static double distance2(FloatMatrix x, int i, int j) {
        double s = 0;
        for (int k = 0; k < x.cols(); k++) {
            double diff = (double) x.get(i, k) - (double) x.get(j, k);
            s += diff * diff;
        }
        return s;
    }

    private static void checkColumn(FloatMatrix x, int p, double lengthScale) {
        int n = x.rows();
        double[] out = new double[n];
        Arrays.fill(out, Double.NaN);
        ExactKernelColumn.compute(x, p, lengthScale, out);
        for (int i = 0; i < n; i++) {
            double d2 = distance2(x, i, p);
            // The four lanes sum in another order: a few ulps of the distance.
            assertEquals(d2, ExactKernelColumn.squaredDistance(x, i, p), 1e-14 * d2,
                    "squared distance of rows " + i + " and " + p);
            double want = Math.exp(-d2 / (2 * lengthScale * lengthScale));
            assertEquals(want, out[i], 1e-12 * want + Double.MIN_VALUE,
                    "k(x_" + i + ", x_" + p + ") of " + n + " x " + x.cols());
        }
        assertEquals(1.0, out[p], 0.0, "the diagonal is exactly 1");
    }

    @Test
    void everyEntryIsTheKernelOfTheDefinitionAroundTheUnrolling() {
        for (int d : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 33}) {
            FloatMatrix x = rows(17, d, d);
            for (int p : new int[] {0, 6, 16}) {
                checkColumn(x, p, 0.8 * Math.sqrt(d));
            }
        }
    }

    @Test
    void aColumnSplitOverThreadsIsTheSame() {
        // N d = 8,009 x 67 > 2 x 2^18 multiply-adds: two or more tasks wherever two cores run.
        FloatMatrix x = rows(8_009, 67, 11);
        checkColumn(x, 4_321, 9.0);
        assertTrue(ParallelRanges.tasks(8_009L * 67, 2, ExactKernelColumn.MIN_TASK_WORK) >= 2);
    }

    @Test
    void rowsOutsideTheMatrixAndMisSizedOutputsAreRefused() {
        FloatMatrix x = rows(4, 3, 1);
        assertThrows(IndexOutOfBoundsException.class,
                () -> ExactKernelColumn.compute(x, 4, 1.0, new double[4]));
        assertThrows(IndexOutOfBoundsException.class,
                () -> ExactKernelColumn.compute(x, -1, 1.0, new double[4]));
        assertThrows(IllegalArgumentException.class,
                () -> ExactKernelColumn.compute(x, 0, 1.0, new double[5]));
    }
}
