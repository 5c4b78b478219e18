package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.TestBackends;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The witness function against a direct double-precision sum on awkward sizes, uniform and
 * weighted, in one block and in many; its defining identity (mean over X minus weighted mean
 * over Y equals the MMD²); and the ranking helper.
 */
class MmdWitnessTest {

    static List<String> backends() {
        return TestBackends.available();
    }

    private static double[] direct(FloatMatrix p, FloatMatrix x, FloatMatrix y, double[] w, double sigma) {
        double sum = 0;
        for (int j = 0; j < y.rows(); j++) {
            sum += w == null ? 1 : w[j];
        }
        double[] out = new double[p.rows()];
        for (int i = 0; i < p.rows(); i++) {
            double a = 0;
            for (int j = 0; j < x.rows(); j++) {
                a += TestBackends.rbf(p, i, x, j, sigma);
            }
            double b = 0;
            for (int j = 0; j < y.rows(); j++) {
                b += (w == null ? 1 : w[j]) / sum * TestBackends.rbf(p, i, y, j, sigma);
            }
            out[i] = a / x.rows() - b;
        }
        return out;
    }

    @ParameterizedTest
    @MethodSource("backends")
    void equalsTheDirectSumUniformAndWeightedInOneBlockAndInMany(String name) {
        Random r = new Random(11);
        FloatMatrix x = TestBackends.gaussian(37, 7, r, 1.0, 0.0);
        FloatMatrix y = TestBackends.gaussian(53, 7, r, 1.3, 0.4);
        FloatMatrix p = TestBackends.gaussian(29, 7, r, 1.1, 0.2);
        double[] w = new double[y.rows()];
        for (int j = 0; j < w.length; j++) {
            w[j] = j % 5 == 0 ? 0 : r.nextDouble();
        }
        double sigma = 2.3;
        double tol = 2e-6; // kernel values come back as float32 on every backend
        try (KernelBackend b = TestBackends.create(name)) {
            for (double[] weights : new double[][] {null, w}) {
                double[] want = direct(p, x, y, weights, sigma);
                assertArrayEquals(want, MmdWitness.values(b, p, x, y, weights, sigma), tol);
                // 3 points per block: ragged last block of 29 = 9 * 3 + 2.
                assertArrayEquals(want, MmdWitness.values(b, p, x, y, weights, sigma, 3 * 53), tol);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void itsMeanOverRealMinusWeightedMeanOverSyntheticIsTheMmd2(String name) {
        Random r = new Random(5);
        FloatMatrix x = TestBackends.gaussian(41, 5, r, 1.0, 0.0);
        FloatMatrix y = TestBackends.gaussian(23, 5, r, 1.0, 0.7);
        double[] w = TestBackends.randomSimplexPoint(y.rows(), r);
        double sigma = 1.7;
        try (KernelBackend b = TestBackends.create(name)) {
            double[] fx = MmdWitness.values(b, x, x, y, w, sigma);
            double[] fy = MmdWitness.values(b, y, x, y, w, sigma);
            double mean = 0;
            for (double v : fx) {
                mean += v / fx.length;
            }
            for (int j = 0; j < fy.length; j++) {
                mean -= w[j] * fy[j];
            }
            assertEquals(TestBackends.directMmd2(y, x, w, sigma), mean, 1e-5);
            assertEquals(WeightedMmd.mmd2(b, y, w, x, sigma), mean, 1e-5);
        }
    }

    @Test
    void largestRanksDescendingWithTiesByIndexAndHonoursEligibility() {
        double[] v = {0.5, 2.0, -1.0, 2.0, 0.7};
        assertArrayEquals(new int[] {1, 3, 4}, MmdWitness.largest(v, 3, null));
        assertArrayEquals(new int[] {3, 0}, MmdWitness.largest(v, 2,
                new boolean[] {true, false, true, true, false}));
        assertArrayEquals(new int[] {1, 3, 4, 0, 2}, MmdWitness.largest(v, 10, null));
    }

    @Test
    void refusesEmptySidesAndMismatchedColumns() {
        Random r = new Random(1);
        FloatMatrix x = TestBackends.gaussian(3, 4, r, 1, 0);
        try (KernelBackend b = TestBackends.create("reference")) {
            assertThrows(IllegalArgumentException.class, () -> MmdWitness.values(b, x, x,
                    new FloatMatrix(0, 4, new float[0]), null, 1));
            assertThrows(IllegalArgumentException.class, () -> MmdWitness.values(b, x, x,
                    TestBackends.gaussian(3, 5, r, 1, 0), null, 1));
            assertThrows(IllegalArgumentException.class, () -> MmdWitness.values(b, x, x, x, null, 0));
            // The witness's own checks, not the backend's that would follow (pit28): each side's
            // columns, and every bandwidth that is not positive and finite.
            String points = assertThrows(IllegalArgumentException.class, () -> MmdWitness.values(b,
                    TestBackends.gaussian(2, 5, r, 1, 0), x, x, null, 1)).getMessage();
            assertTrue(points.contains("points 5, real 4, synthetic 4 columns"), points);
            String synthetic = assertThrows(IllegalArgumentException.class, () -> MmdWitness.values(b,
                    x, x, TestBackends.gaussian(3, 5, r, 1, 0), null, 1)).getMessage();
            assertTrue(synthetic.contains("points 4, real 4, synthetic 5 columns"), synthetic);
            for (double sigma : new double[] {Double.POSITIVE_INFINITY, Double.NaN, -1, 0}) {
                String m = assertThrows(IllegalArgumentException.class,
                        () -> MmdWitness.values(b, x, x, x, null, sigma)).getMessage();
                assertTrue(m.equals("bandwidth must be positive and finite, got " + sigma), m);
            }
        }
    }
}
