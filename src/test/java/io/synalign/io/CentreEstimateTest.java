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
 * decision to centre (float64 inputs only, where float32's grid exceeds 1e-6 of the spread:
 * far rows yes, [0,1] features and embeddings with a common mean no); robustness to an
 * outlier; and the float32 warning (the review's rows near 1e6 warn, ordinary embeddings and
 * identical rows do not).
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

    /** Rows uniform on [0,1]^cols: non-negative, min-max scaled features. */
    private static double[][] uniform(int count, int cols, long seed) {
        Random random = new Random(seed);
        double[][] x = new double[count][cols];
        for (double[] row : x) {
            for (int j = 0; j < cols; j++) {
                row[j] = random.nextDouble();
            }
        }
        return x;
    }

    /** Unit vectors in random directions, each plus {@code mean} (a common mean direction). */
    static double[][] shiftedUnitRows(int count, double[] mean, long seed) {
        Random random = new Random(seed);
        double[][] x = new double[count][mean.length];
        for (double[] row : x) {
            double norm = 0;
            for (int j = 0; j < row.length; j++) {
                row[j] = random.nextGaussian();
                norm += row[j] * row[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < row.length; j++) {
                row[j] = row[j] / norm + mean[j];
            }
        }
        return x;
    }

    /** A mean of norm {@code norm} over {@code cols} columns, alternating signs, unequal. */
    static double[] commonMean(int cols, double norm) {
        double[] m = new double[cols];
        double sum = 0;
        for (int j = 0; j < cols; j++) {
            m[j] = (j % 2 == 0 ? 1 : -1) * (1 + 0.01 * j);
            sum += m[j] * m[j];
        }
        for (int j = 0; j < cols; j++) {
            m[j] *= norm / Math.sqrt(sum);
        }
        return m;
    }

    /**
     * The rule itself: centred exactly when float32's grid at the median exceeds 2^-18 of the
     * typical distance, each side of the boundary; never without a float64 input.
     */
    @Test
    void float64RowsAreCentredWhenFloat32sGridExceedsTwoToTheMinus18OfTheirSpread() {
        double[] median = {1.0, -3.0, 0.0};
        double grid = Math.hypot(Math.ulp(1f), Math.ulp(3f)); // 2.66e-7
        CentreEstimate e = new CentreEstimate(median, grid);
        assertEquals(grid, e.float32Grid(), 1e-22);
        double fraction = 0x1p-18;
        assertTrue(new CentreEstimate(median, grid / fraction * 1.01).narrowingCentre(true)
                .isNone(), "grid 0.99 x 2^-18 of the spread: read as stored");
        NarrowingCentre past = new CentreEstimate(median, grid / fraction * 0.99)
                .narrowingCentre(true);
        assertArrayEquals(median, past.values(), "grid 1.01 x 2^-18 of the spread: centred");
        assertTrue(new CentreEstimate(median, 1e-9).narrowingCentre(false).isNone());
    }

    @Test
    void rowsFarFromTheOriginAgainstTheirSpreadAreCentred() {
        CentreEstimate far = estimate(rows(37, 5, 1e6, 0.01, 1));
        NarrowingCentre centre = far.narrowingCentre(true);
        assertArrayEquals(far.median(), centre.values());
        assertTrue(far.narrowingCentre(false).isNone(), "float32 inputs alone: nothing to keep");
        // Rows at 1e3 to 5e3 with a spread of 1 a column: float32 keeps 3e-4 of the spread, not
        // 1e-7; at 100 to 500, 2e-5: two decimal digits and more lost, so centred.
        for (double offset : new double[] {1e3, 100}) {
            CentreEstimate e = estimate(rows(37, 5, offset, 1, 3));
            assertTrue(e.float32Grid() > 1e-5 * e.typicalDistance(), "offset " + offset);
            assertTrue(!e.narrowingCentre(true).isNone(), "offset " + offset);
        }
    }

    /**
     * Ordinary float64 inputs are read as stored (as their float32 copies): features on [0,1]
     * (grid 1.7e-7 of the spread), unit embeddings shifted by a common mean of norm 3, and of
     * norm 9 (pairs at cosine 0.99 once normalised), rows near the origin. Each but the last
     * lies farther from the origin than from its median, which the first rule centred.
     */
    @Test
    void ordinaryRowsAreNotCentred() {
        List<double[][]> ordinary = List.of(uniform(400, 8, 9), uniform(37, 1, 10),
                shiftedUnitRows(53, commonMean(16, 3), 11),
                shiftedUnitRows(53, commonMean(384, 3), 12),
                shiftedUnitRows(53, commonMean(384, 9), 13), rows(37, 5, 0.1, 1, 2));
        for (double[][] x : ordinary) {
            CentreEstimate e = estimate(x);
            String what = x.length + " x " + x[0].length + " rows " + e.distanceFromOrigin()
                    + " from the origin, " + e.typicalDistance() + " from their median, grid "
                    + e.float32Grid();
            assertTrue(e.narrowingCentre(true).isNone(), what);
            assertTrue(e.float32Grid() < 0x1p-20 * e.typicalDistance(), what);
        }
        for (double[][] x : ordinary.subList(0, 5)) {
            CentreEstimate e = estimate(x);
            assertTrue(e.distanceFromOrigin() > e.typicalDistance(), "the first rule centred it");
        }
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

    /**
     * A column float32 keeps exactly adds nothing to the grid: [0,1]^8 features beside a
     * constant column of 100 (or 2024), or beside a column of years 2000 to 2024, are not
     * centred (the constant column's ulp, counted, put them at 9.4e-6 and 1.5e-4 of the spread,
     * past 2^-18, a review found), and weigh as the features alone; a varying column at 1e6 is
     * still centred.
     */
    @Test
    void columnsFloat32KeepsExactlyDoNotCountTowardsTheGrid() {
        double[][] features = uniform(400, 8, 21);
        Random random = new Random(22);
        for (double extra : new double[] {100, 2024, -1}) {
            double[][] x = new double[features.length][9];
            for (int i = 0; i < x.length; i++) {
                System.arraycopy(features[i], 0, x[i], 0, 8);
                x[i][8] = extra > 0 ? extra : 2000 + random.nextInt(25);
            }
            CentreEstimate e = CentreEstimate.of(x.length, 9, true,
                    (row, out) -> System.arraycopy(x[(int) row], 0, out, 0, 9));
            String what = "ninth column " + (extra > 0 ? "constant " + extra : "years");
            assertTrue(!estimate(x).exactColumns()[8], what + ": float32 as stored, unknown");
            assertTrue(e.exactColumns()[8], what);
            assertEquals(estimate(features).float32Grid(), e.float32Grid(), 0, what);
            assertTrue(e.narrowingCentre(true).isNone(), what);
            assertNull(e.float32Warning(List.of("x.npy")), what);
        }
        double[][] far = new double[features.length][9];
        for (int i = 0; i < far.length; i++) {
            System.arraycopy(features[i], 0, far[i], 0, 8);
            far[i][8] = 1e6 + 0.5 * random.nextDouble();
        }
        CentreEstimate e = CentreEstimate.of(far.length, 9, true,
                (row, out) -> System.arraycopy(far[(int) row], 0, out, 0, 9));
        assertTrue(!e.exactColumns()[8] && !e.narrowingCentre(true).isNone(), "a varying 1e6 column");
    }
}
