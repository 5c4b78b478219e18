package io.synalign.kernels.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The parts of the reference backend that the contract cannot check, because the contract's
 * oracle is this backend: its random Fourier features and feature products against the
 * definition written out here in double, the tracker's reset, the closed backend's refusals and
 * the planning boundaries. Found by mutation testing (PIT): each test kills mutants that the
 * contract let live (a dropped feature loop, a phase subtracted, a reset that kept the
 * variances, a budget check turned off).
 */
class ReferenceBackendOracleTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        Random random = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (1.5 * random.nextGaussian() - 0.25);
        }
        return new FloatMatrix(n, d, data);
    }

    /** {@code phi[i][f] = sqrt(2 / D) cos(x_i . omega_f + b_f)}, summed phase last. */
    private static double[][] features(FloatMatrix x, FourierFeatures map) {
        int features = map.features();
        double[][] phi = new double[x.rows()][features];
        for (int i = 0; i < x.rows(); i++) {
            for (int f = 0; f < features; f++) {
                double dot = 0;
                for (int k = 0; k < x.cols(); k++) {
                    dot += (double) x.get(i, k) * map.omega()[k * features + f];
                }
                phi[i][f] = Math.sqrt(2.0 / features) * Math.cos(dot + map.phase()[f]);
            }
        }
        return phi;
    }

    @Test
    void randomFourierFeaturesAreTheDefinitionOnAwkwardShapes() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            for (int[] shape : new int[][] {{1, 1, 1}, {5, 3, 7}, {13, 7, 17}, {4, 2, 1}}) {
                int n = shape[0];
                int d = shape[1];
                int features = shape[2];
                FloatMatrix x = rows(n, d, 31L * n + d);
                FourierFeatures map = FourierFeatures.sample(d, features, 1.7, n + 7L * d);
                double[][] want = features(x, map);
                float[] out = new float[n * features];
                Arrays.fill(out, Float.NaN);
                backend.randomFourierFeatures(x, map, out);
                for (int i = 0; i < n; i++) {
                    for (int f = 0; f < features; f++) {
                        double got = out[i * features + f];
                        // float32 output of a double value: within one float rounding.
                        assertEquals(want[i][f], got, 1e-6, "phi[" + i + "][" + f + "] of " + n
                                + " x " + d + ", D = " + features);
                    }
                }
                assertThrows(IllegalArgumentException.class,
                        () -> backend.randomFourierFeatures(x, map, new float[n * features + 1]));
            }
        }
    }

    @Test
    void featureProductsAreThoseOfTheDefinitionsMatrix() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            for (int[] shape : new int[][] {{1, 1, 3}, {9, 4, 5}, {23, 3, 11}}) {
                int n = shape[0];
                int d = shape[1];
                int features = shape[2];
                FloatMatrix x = rows(n, d, 5L * n + d);
                FourierFeatures map = FourierFeatures.sample(d, features, 0.9, 3L * n + d);
                double[][] phi = features(x, map);
                Random random = new Random(n);
                double[] w = random.doubles(n, -1, 2).toArray();
                double[] z = random.doubles(features, -2, 1).toArray();
                double[] wantZ = new double[features];
                double[] wantW = new double[n];
                double absZ = 0;
                double absW = 0;
                for (int i = 0; i < n; i++) {
                    for (int f = 0; f < features; f++) {
                        wantZ[f] += phi[i][f] * w[i];
                        wantW[i] += phi[i][f] * z[f];
                        absZ += Math.abs(phi[i][f] * w[i]);
                        absW += Math.abs(phi[i][f] * z[f]);
                    }
                }
                try (FeatureOperator op = backend.fourierFeatureOperator(x, map)) {
                    double[] gotZ = new double[features];
                    double[] gotW = new double[n];
                    Arrays.fill(gotZ, Double.NaN);
                    Arrays.fill(gotW, Double.NaN);
                    op.transposeTimes(w, gotZ);
                    op.times(z, gotW);
                    for (int f = 0; f < features; f++) {
                        assertEquals(wantZ[f], gotZ[f], 1e-13 * absZ, "(Phi^T w)[" + f + "]");
                    }
                    for (int i = 0; i < n; i++) {
                        assertEquals(wantW[i], gotW[i], 1e-13 * absW, "(Phi z)[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void aResetTrackerConditionsLikeAFreshOne() {
        FloatMatrix x = rows(11, 3, 4);
        try (ReferenceBackend backend = new ReferenceBackend();
                GpVarianceTracker used = backend.gpVarianceTracker(x, 1.3, 1e-4, 4);
                GpVarianceTracker fresh = backend.gpVarianceTracker(x, 1.3, 1e-4, 4)) {
            used.condition(2);
            used.condition(7);
            used.reset();
            assertEquals(0, used.rank());
            double[] prior = new double[11];
            used.variances(prior);
            double[] ones = new double[11];
            Arrays.fill(ones, 1.0);
            assertArrayEquals(ones, prior, "the prior variance of every row");
            for (int p : new int[] {5, 0, 9}) {
                used.condition(p);
                fresh.condition(p);
            }
            double[] a = new double[11];
            double[] b = new double[11];
            used.variances(a);
            fresh.variances(b);
            assertArrayEquals(b, a);
        }
    }

    @Test
    void aClosedBackendRefusesTrackersAndInnerProducts() {
        FloatMatrix x = rows(3, 2, 1);
        ReferenceBackend backend = new ReferenceBackend();
        backend.close();
        assertThrows(IllegalStateException.class, () -> backend.gpVarianceTracker(x, 1, 0, 1));
        assertThrows(IllegalStateException.class,
                () -> backend.innerProducts(x, x, new float[9]));
    }

    @Test
    void distancesRefuseMismatchedColumnsAndOutputsEvenWithoutRows() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            FloatMatrix none = new FloatMatrix(0, 3, new float[0]);
            FloatMatrix two = rows(2, 4, 2);
            assertThrows(IllegalArgumentException.class,
                    () -> backend.squaredDistances(none, two, new float[0]));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.rbfBlock(none, two, 1.0, new float[0]));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.squaredDistances(two, two, new float[5]));
        }
    }

    @Test
    void aKeptKernelIsEightBytesAnEntryUpToOneJavaArray() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            long most = Integer.MAX_VALUE - 8;
            assertEquals(8 * most, backend.keptKernelBytes(most, 1, true, KernelStorage.FLOAT16));
            assertEquals(Long.MAX_VALUE,
                    backend.keptKernelBytes(most + 1, 1, false, KernelStorage.FLOAT32));
        }
    }

    @Test
    void aKeptSubmatrixIsOfferedOnlyWithinTheBudgetOfBoth() {
        FloatMatrix x = rows(6, 3, 9);
        int[] picked = {0, 2, 5};
        long both = 8L * 36 + 8L * 9;
        try (ReferenceBackend backend = new ReferenceBackend();
                KernelOperator kept = backend.rbfOperator(x, x, 1.1,
                        new TilePlan(true, 6, KernelStorage.FLOAT32));
                KernelOperator tiled = backend.rbfOperator(x, x, 1.1, TilePlan.tiled(2))) {
            assertNull(kept.principalSubmatrix(picked, both - 1));
            try (KernelOperator sub = kept.principalSubmatrix(picked, both)) {
                assertNotNull(sub);
                assertTrue(sub.materialised());
                // Its products are those of the kernel of the picked rows.
                double[] w = {0.2, -1.0, 0.7};
                double[] got = new double[3];
                sub.multiply(w, got);
                for (int a = 0; a < 3; a++) {
                    double want = 0;
                    for (int b = 0; b < 3; b++) {
                        double d2 = 0;
                        for (int k = 0; k < 3; k++) {
                            double diff = (double) x.get(picked[a], k) - x.get(picked[b], k);
                            d2 += diff * diff;
                        }
                        want += Math.exp(-d2 / (2 * 1.1 * 1.1)) * w[b];
                    }
                    assertEquals(want, got[a], 1e-14);
                }
            }
            try (KernelOperator sub = tiled.principalSubmatrix(picked, 0)) {
                assertNotNull(sub, "a tiled operator keeps nothing: any budget fits");
            }
            try (KernelOperator between = backend.rbfOperator(x, rows(6, 3, 10), 1.1,
                    new TilePlan(true, 6, KernelStorage.FLOAT32))) {
                assertNull(between.principalSubmatrix(picked, Long.MAX_VALUE),
                        "a kernel between two row sets has no principal submatrix");
            }
        }
    }
}
