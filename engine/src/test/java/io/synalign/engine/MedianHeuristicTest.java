package io.synalign.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The median heuristic against a float64 median of the same rows' pairwise distances, at every
 * scale float32 can hold, and its errors.
 */
class MedianHeuristicTest {

    private static FloatMatrix rows(int n, int d, double scale, long seed) {
        Random r = new Random(seed);
        FloatMatrix m = FloatMatrix.zeros(n, d);
        for (int i = 0; i < m.data().length; i++) {
            m.data()[i] = (float) (r.nextGaussian() * scale);
        }
        return m;
    }

    /** The float64 median of the pairwise distances of the float32 rows. */
    private static double referenceMedian(FloatMatrix x) {
        return referenceMedian(x, false);
    }

    /** The same, over the nonzero distances only when {@code distinct} (equal rows dropped). */
    private static double referenceMedian(FloatMatrix x, boolean distinct) {
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < x.rows(); i++) {
            for (int j = i + 1; j < x.rows(); j++) {
                double s = 0;
                for (int k = 0; k < x.cols(); k++) {
                    double diff = (double) x.get(i, k) - x.get(j, k);
                    s += diff * diff;
                }
                if (!distinct || s > 0) {
                    d.add(Math.sqrt(s));
                }
            }
        }
        Collections.sort(d);
        int c = d.size();
        return c % 2 == 1 ? d.get(c / 2) : 0.5 * (d.get(c / 2 - 1) + d.get(c / 2));
    }

    @Test
    void allRowsEqualComparesEveryCoordinateOfEveryRow() {
        assertTrue(MedianHeuristic.allRowsEqual(FloatMatrix.zeros(0, 3)));
        assertTrue(MedianHeuristic.allRowsEqual(rows(1, 7, 1, 2)));
        FloatMatrix x = FloatMatrix.zeros(5, 7);
        for (int i = 0; i < 5; i++) {
            for (int k = 0; k < 7; k++) {
                x.data()[i * 7 + k] = 0.25f * k - 1;
            }
        }
        x.data()[2 * 7 + 4] = -0f + x.data()[4]; // the same value written another way
        assertTrue(MedianHeuristic.allRowsEqual(x));
        for (int at : new int[] {7, 7 * 3 + 3, 5 * 7 - 1}) {
            FloatMatrix y = new FloatMatrix(5, 7, x.data().clone());
            y.data()[at] = Math.nextUp(y.data()[at]);
            assertFalse(MedianHeuristic.allRowsEqual(y), "differs at " + at);
        }
    }

    @Test
    void tinyAndHugeRowsGiveTheirMedianNotAnUnderflowOrOverflow() {
        try (KernelBackend backend = new ReferenceBackend()) {
            for (double scale : new double[] {1e-17, 1e-12, 1, 1e12, 1e16}) {
                FloatMatrix x = rows(37, 11, scale, 3);
                double want = referenceMedian(x);
                double got = MedianHeuristic.estimate(backend, 100, 1, x);
                assertEquals(want, got, 1e-5 * want, "rows of scale " + scale);
            }
        }
    }

    @Test
    void aMedianOutsideTheUsableRangeOrNoSpreadIsNamed() {
        try (KernelBackend backend = new ReferenceBackend()) {
            IllegalArgumentException tiny = assertThrows(IllegalArgumentException.class,
                    () -> MedianHeuristic.estimate(backend, 100, 1, rows(20, 5, 1e-25, 4)));
            assertTrue(tiny.getMessage().startsWith("the median pairwise distance of the rows is")
                    && tiny.getMessage().contains("outside the usable range [1.0E-18, 1.0E18]"),
                    tiny.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> MedianHeuristic.estimate(backend, 100, 1, rows(20, 5, 1e19, 4)));
            FloatMatrix same = FloatMatrix.zeros(5, 3);
            java.util.Arrays.fill(same.data(), 2f);
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> MedianHeuristic.estimate(backend, 100, 1, same));
            assertTrue(none.getMessage().contains("every sampled row identical"), none.getMessage());
        }
    }

    /**
     * Mode collapse: most rows one repeated row (an LLM repeating itself), rows far from 0 so
     * that a float32 GEMM distance of equal rows rounds to about 1e-7 of their norms rather than
     * 0. Every backend must drop those pairs as the float64 reference does; ND4J counted them
     * and gave a bandwidth thousands of times too small.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.synalign.engine.AvailableBackends#names")
    void repeatedRowsAreDroppedOnEveryBackend(String name) {
        for (int d : new int[] {3, 128, 385}) {
            FloatMatrix spread = rows(23, d, 1, 5);
            FloatMatrix repeated = FloatMatrix.zeros(180, d);
            for (int i = 0; i < repeated.rows(); i++) {
                for (int c = 0; c < d; c++) {
                    repeated.data()[i * d + c] = 3f + 0.37f * spread.get(0, c);
                }
            }
            FloatMatrix all = FloatMatrix.zeros(203, d);
            System.arraycopy(repeated.data(), 0, all.data(), 0, repeated.data().length);
            System.arraycopy(spread.data(), 0, all.data(), repeated.data().length,
                    spread.data().length);
            double want = referenceMedian(all, true);
            try (KernelBackend backend = io.synalign.kernels.KernelBackends.create(name)) {
                double got = MedianHeuristic.estimate(backend, 1000, 1, repeated, spread);
                assertEquals(want, got, 1e-4 * want, name + ", d = " + d);
                IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                        () -> MedianHeuristic.estimate(backend, 1000, 1, repeated));
                assertTrue(none.getMessage().contains("every sampled row identical"),
                        name + ", d = " + d + ": " + none.getMessage());
            }
        }
    }

    @Test
    void bandwidthsOutsideTheFloat32RangeAreRefused() {
        assertEquals(1e-18, Bandwidth.parse("1e-18").value());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Bandwidth.parse("1e-30"));
        assertTrue(e.getMessage().contains("must lie in [1.0E-18, 1.0E18]")
                && e.getMessage().endsWith("got 1e-30"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Bandwidth.of(1e19));
    }
}
