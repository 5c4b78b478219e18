package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rff map's centre: the rule against a plain reference (each column's first nine values
 * sorted, the lower middle one; the norm in double against 2 sigma), each side of the threshold,
 * with fewer rows than nine and rows past the ninth; and a fit on rows far from the origin,
 * nd4j against the float64 reference backend.
 */
class FeatureCentreTest {

    static java.util.List<String> backends() {
        return TestBackends.available();
    }

    private static FloatMatrix rows(int n, int d, double offset, long seed) {
        return TestBackends.gaussian(n, d, new Random(seed), 1.0, offset);
    }

    /**
     * The plain reference: rows {@code floor(k n / s)} for k < s = min(n, 9) (by a loop over
     * every row, kept when some k maps to it), each column's values sorted, the lower middle.
     */
    private static float[] lowerMedian(FloatMatrix x) {
        int n = x.rows();
        int s = Math.min(n, 9);
        java.util.List<Integer> picked = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < s; k++) {
                if ((long) k * n / s == i) {
                    picked.add(i);
                    break;
                }
            }
        }
        assertEquals(s, picked.size());
        float[] out = new float[x.cols()];
        for (int k = 0; k < x.cols(); k++) {
            float[] column = new float[s];
            for (int i = 0; i < s; i++) {
                column[i] = x.get(picked.get(i), k);
            }
            Arrays.sort(column);
            out[k] = column[(s - 1) / 2];
        }
        return out;
    }

    @Test
    void farRowsAreCentredAtTheLowerMedianOfNineRowsSpreadThroughThem() {
        for (int n : new int[] {1, 2, 4, 9, 10, 17, 301}) {
            for (int d : new int[] {1, 7, 53}) {
                FloatMatrix x = rows(n, d, 1e3, 31L * n + d);
                float[] centre = FeatureCentre.choose(x, 1.0);
                assertNotNull(centre, n + " x " + d);
                assertArrayEquals(lowerMedian(x), centre, n + " x " + d);
            }
        }
        assertArrayEquals(new long[] {0, 33, 66, 100, 133, 167, 200, 234, 267},
                FeatureCentre.sampleRows(301));
        assertArrayEquals(new long[] {0, 1, 2}, FeatureCentre.sampleRows(3));
        assertArrayEquals(new long[0], FeatureCentre.sampleRows(0));
        long big = 3_000_000_000L;
        long[] far = FeatureCentre.sampleRows(big);
        assertEquals(8 * big / 9, far[8], "no overflow past 2^31 rows");
    }

    /**
     * A review's case: nine rows at + 1,000 in every coordinate first, then 10,000 near the
     * origin. The first nine rows' median would have centred the map among the outliers, 700
     * bandwidths from the bulk, whose phases were then worse than about the origin; nine rows
     * spread through the set put the median near the origin: no centre.
     */
    @Test
    void outliersFirstDoNotCarryTheCentreAway() {
        int d = 384;
        FloatMatrix outliers = rows(9, d, 1e3, 1);
        FloatMatrix bulk = rows(10_000, d, 0, 2);
        float[] data = new float[(9 + 10_000) * d];
        System.arraycopy(outliers.data(), 0, data, 0, 9 * d);
        System.arraycopy(bulk.data(), 0, data, 9 * d, 10_000 * d);
        FloatMatrix x = new FloatMatrix(9 + 10_000, d, data);
        assertNull(FeatureCentre.choose(x, Math.sqrt(2 * d)));
        assertNotNull(FeatureCentre.fromSample(outliers, Math.sqrt(2 * d)),
                "the first nine alone would have centred it");
    }

    @Test
    void theCentreIsTakenOnlyBeyondTwoBandwidthsFromTheOrigin() {
        // Every row the same point p: the median is p, its norm |p| = 5 exactly.
        float[] data = new float[11 * 2];
        for (int i = 0; i < 11; i++) {
            data[2 * i] = 3;
            data[2 * i + 1] = 4;
        }
        FloatMatrix x = new FloatMatrix(11, 2, data);
        assertArrayEquals(new float[] {3, 4}, FeatureCentre.choose(x, 2.499));
        assertNull(FeatureCentre.choose(x, 2.5), "|c| = 2 sigma is not beyond");
        assertNull(FeatureCentre.choose(x, 10));
        // sqrt(d): the order of the median heuristic's bandwidth for such rows.
        assertNull(FeatureCentre.choose(rows(500, 384, 0, 3), Math.sqrt(384)),
                "rows about the origin are not centred");
    }

    @Test
    void badArgumentsNameTheValue() {
        FloatMatrix x = rows(3, 2, 0, 1);
        assertEquals("bandwidth must be a positive finite number, got NaN",
                assertThrows(IllegalArgumentException.class,
                        () -> FeatureCentre.choose(x, Double.NaN)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> FeatureCentre.choose(x, 0));
        assertThrows(IllegalArgumentException.class,
                () -> FeatureCentre.choose(x, Double.POSITIVE_INFINITY));
        assertEquals("a feature map's centre needs at least one row",
                assertThrows(IllegalArgumentException.class, () -> FeatureCentre.choose(
                        new FloatMatrix(0, 2, new float[0]), 1.0)).getMessage());
    }

    /**
     * An rff fit on rows 10,000 out in every coordinate, a fixed 60 iterations (so the stopping
     * rule cannot move the end point): each backend's weights against the float64 reference
     * backend's, which evaluates the same centred map in double. Measured (L1 of the weights):
     * nd4j 2.4e-5 and its portable path 1.6e-5, as at the origin (the same rows less 1e4: 2.4e-5
     * and 1.8e-5); with the map uncentred (the code before) 1.13e-3 on both.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void anRffFitOnRowsFarFromTheOriginMatchesTheReference(String backendName) {
        int d = 53;
        FloatMatrix real = rows(150, d, 1e4, 5);
        FloatMatrix synthetic = TestBackends.gaussian(401, d, new Random(6), 1.3, 1e4 + 0.2);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withFeatures(512).withSeed(9).withIterations(60, 1e-300);
        AlignmentResult want;
        try (KernelBackend reference = TestBackends.create("reference")) {
            want = new MmdWeightLearner(reference, config).fit(real, synthetic,
                    ProgressListener.NONE);
        }
        try (KernelBackend backend = TestBackends.create(backendName)) {
            AlignmentResult got = new MmdWeightLearner(backend, config).fit(real, synthetic,
                    ProgressListener.NONE);
            double l1 = MmdWeightLearnerTest.l1(want.weights(), got.weights());
            assertTrue(l1 <= 1e-4, backendName + ": weights " + l1 + " (L1) from the reference's");
            assertEquals(want.mmd2Weighted(), got.mmd2Weighted(), 1e-5 * want.mmd2Weighted(),
                    backendName);
        }
    }
}
