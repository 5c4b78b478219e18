package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link MedianHeuristic#quantile} against the sorted pairwise distances in double, where the
 * sample is every row (37 + 23 rows of dimension 5, two of them copies, whose zero distance is
 * left out), and equal to the estimate's median at q = 1/2 for an odd count.
 */
class MedianHeuristicQuantileTest {

    @Test
    void theQuantileIsTheRankOfTheSortedNonzeroDistances() {
        FloatMatrix a = rows(37, 5, 1);
        FloatMatrix b = rows(23, 5, 2);
        System.arraycopy(a.data(), 0, b.data(), 5, 5); // b's row 1 is a's row 0
        double[] all = new double[60 * 59 / 2];
        int count = 0;
        float[][] r = new float[60][];
        for (int i = 0; i < 60; i++) {
            FloatMatrix m = i < 37 ? a : b;
            int row = i < 37 ? i : i - 37;
            r[i] = Arrays.copyOfRange(m.data(), row * 5, row * 5 + 5);
        }
        for (int i = 0; i < 60; i++) {
            for (int j = i + 1; j < 60; j++) {
                double s = 0;
                for (int c = 0; c < 5; c++) {
                    double d = (double) r[i][c] - r[j][c];
                    s += d * d;
                }
                if (s > 0) {
                    all[count++] = Math.sqrt(s);
                }
            }
        }
        assertEquals(60 * 59 / 2 - 1, count, "one pair of copies left out");
        Arrays.sort(all, 0, count);
        try (ReferenceBackend backend = new ReferenceBackend()) {
            for (double q : new double[] {0, 0.1, 0.37, 0.9, 1}) {
                double expected = all[(int) Math.floor(q * (count - 1))];
                double got = MedianHeuristic.quantile(backend, 100, 3, q, RowSource.of(a),
                        RowSource.of(b));
                assertEquals(expected, got, 1e-6 * expected, "q = " + q);
            }
            assertTrue(count % 2 == 1);
            assertEquals(MedianHeuristic.estimate(backend, 100, 3, a, b),
                    MedianHeuristic.quantile(backend, 100, 3, 0.5, RowSource.of(a),
                            RowSource.of(b)));
            assertThrows(IllegalArgumentException.class, () -> MedianHeuristic.quantile(backend,
                    100, 3, 1.5, RowSource.of(a)));
            FloatMatrix same = new FloatMatrix(3, 2, new float[] {1, 2, 1, 2, 1, 2});
            assertTrue(Double.isNaN(MedianHeuristic.quantile(backend, 100, 3, 0.1,
                    RowSource.of(same))), "every row alike: no distance");
        }
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return new FloatMatrix(n, d, data);
    }
}
