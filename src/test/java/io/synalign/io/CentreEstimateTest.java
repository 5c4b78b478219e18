package io.synalign.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The centre estimate against a plain double reference (the strided sample's coordinate-wise
 * median and median non-zero distance, by sorting) on odd, even and sampled row counts; the
 * decision to centre (float64 inputs far from the origin only); robustness to an outlier; and the
 * float32 warning (the review's rows near 1e6 warn, ordinary embeddings and identical rows do
 * not).
 */
class CentreEstimateTest {

    private static double[][] rows(int count, int cols, double offset, double spread, long seed) {
        Random random = new Random(seed);
        double[][] x = new double[count][cols];
        for (double[] row : x) {
            for (int j = 0; j < cols; j++) {
                row[j] = offset * (1 + j) + spread * random.nextGaussian();
            }
        }
        return x;
    }

    private static CentreEstimate estimate(double[][] x) {
        return CentreEstimate.of(x.length, x[0].length,
                (row, out) -> System.arraycopy(x[(int) row], 0, out, 0, out.length));
    }

    private static double sortedMedian(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    @ParameterizedTest(name = "{0} rows")
    @ValueSource(ints = {1, 2, 37, 38, 2048, 2500})
    void theEstimateIsTheStridedSamplesMedianAndMedianDistance(int count) {
        double[][] x = rows(count, 3, 1e6, 0.01, count);
        int s = Math.min(count, 2048);
        double[][] sample = new double[s][];
        for (int k = 0; k < s; k++) {
            sample[k] = x[(int) ((long) k * count / s)];
        }
        double[] median = new double[3];
        for (int j = 0; j < 3; j++) {
            double[] column = new double[s];
            for (int k = 0; k < s; k++) {
                column[k] = sample[k][j];
            }
            median[j] = sortedMedian(column);
        }
        double[] distances = Arrays.stream(sample).mapToDouble(r -> {
            double sum = 0;
            for (int j = 0; j < 3; j++) {
                sum += (r[j] - median[j]) * (r[j] - median[j]);
            }
            return Math.sqrt(sum);
        }).filter(d -> d > 0).toArray();
        CentreEstimate e = estimate(x);
        for (int j = 0; j < 3; j++) {
            assertEquals(median[j], e.median()[j], 1e-9 * Math.abs(median[j]), "column " + j);
        }
        double typical = distances.length == 0 ? 0 : sortedMedian(distances);
        assertEquals(typical, e.typicalDistance(), 1e-9 * (1e-12 + typical));
    }

    @Test
    void float64RowsAreCentredOnlyWhenTheyLieFartherFromTheOriginThanFromEachOther() {
        CentreEstimate far = estimate(rows(37, 5, 1e6, 0.01, 1));
        NarrowingCentre centre = far.narrowingCentre(true);
        assertArrayEquals(far.median(), centre.values());
        assertTrue(far.narrowingCentre(false).isNone(), "float32 inputs alone: nothing to keep");
        assertTrue(estimate(rows(37, 5, 0.1, 1, 2)).narrowingCentre(true).isNone(),
                "near the origin: read as before");
        // A large common part (2.9 from the origin) and a spread of 0.1 a column: centred.
        assertTrue(!estimate(rows(37, 5, 0.4, 0.1, 3)).narrowingCentre(true).isNone());
    }

    /** One row 1e5 out among rows near 1e6: the median stays with the others (a mean moves 2,700). */
    @Test
    void anOutlierDoesNotMoveTheCentreFromTheBulkOfTheRows() {
        double[][] x = rows(37, 4, 1e6, 0.01, 4);
        x[11][2] += 1e5;
        CentreEstimate e = estimate(x);
        for (int j = 0; j < 4; j++) {
            assertEquals(1e6 * (1 + j), e.median()[j], 0.05, "column " + j);
        }
        assertTrue(e.typicalDistance() < 0.05, "typical distance " + e.typicalDistance());
    }

    @Test
    void float32RowsWhoseSpreadIsBelowFloat32sGridAreReported() {
        // The review's rows as float32 (1e6 to 5e6, grid 0.0625 to 0.5), spread 0.05.
        double[][] x = rows(37, 5, 1e6, 0.05, 5);
        for (double[] row : x) {
            for (int j = 0; j < row.length; j++) {
                row[j] = (float) row[j];
            }
        }
        CentreEstimate far = estimate(x);
        String warning = far.float32Warning(List.of("r.npy"));
        assertNotNull(warning);
        assertTrue(warning.startsWith("r.npy is float32") && warning.contains("float64"),
                warning);
        assertNull(far.float32Warning(List.of()), "no float32 input, nothing to report");
        assertNull(estimate(rows(37, 384, 0.05, 0.05, 6)).float32Warning(List.of("e.npy")),
                "embeddings near the origin");
        assertNull(estimate(rows(37, 3, 100, 1, 7)).float32Warning(List.of("e.npy")),
                "rows at 100 to 300 with a spread of 1: float32 keeps 2e-5 of it");
        double[][] same = new double[9][];
        Arrays.fill(same, new double[] {1e6, 2e6});
        assertNull(estimate(same).float32Warning(List.of("e.npy")), "no spread to compare");
        assertTrue(estimate(same).narrowingCentre(true).values()[0] == 1e6);
    }

    @Test
    void aMatrixIsEstimatedAsItsRows() {
        double[][] x = rows(41, 3, 10, 1, 8);
        float[] data = new float[41 * 3];
        double[][] widened = new double[41][3];
        for (int i = 0; i < 41; i++) {
            for (int j = 0; j < 3; j++) {
                data[i * 3 + j] = (float) x[i][j];
                widened[i][j] = data[i * 3 + j];
            }
        }
        CentreEstimate a = CentreEstimate.of(new FloatMatrix(41, 3, data));
        CentreEstimate b = estimate(widened);
        assertArrayEquals(b.median(), a.median());
        assertEquals(b.typicalDistance(), a.typicalDistance());
    }
}
