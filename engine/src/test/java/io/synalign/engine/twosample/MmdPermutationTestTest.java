package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import io.synalign.engine.alignment.TestBackends;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The permutation two-sample test: the batched statistic against a direct double-precision
 * MMD² for arbitrary splits, the p-value's calibration on two samples of one distribution, and
 * its power on shifted samples, on every backend.
 */
class MmdPermutationTestTest {

    static List<String> backends() {
        return TestBackends.available();
    }

    /** Biased MMD² of the split: rows order[0..n) as X, the rest as Y, in double. */
    private static double direct(FloatMatrix z, int[] order, int n, double sigma) {
        int total = z.rows();
        double xx = 0;
        double yy = 0;
        double xy = 0;
        for (int a = 0; a < total; a++) {
            for (int b = 0; b < total; b++) {
                double d2 = 0;
                for (int t = 0; t < z.cols(); t++) {
                    double diff = (double) z.get(order[a], t) - z.get(order[b], t);
                    d2 += diff * diff;
                }
                double k = Math.exp(-d2 / (2 * sigma * sigma));
                if (a < n && b < n) {
                    xx += k;
                } else if (a >= n && b >= n) {
                    yy += k;
                } else {
                    xy += k;
                }
            }
        }
        int m = total - n;
        return xx / ((double) n * n) + yy / ((double) m * m) - xy / ((double) n * m);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void batchedStatisticsEqualADirectComputation(String backendName) {
        Random r = new Random(4);
        FloatMatrix z = TestBackends.gaussian(37, 6, r, 1.0, 0.0);
        int n = 13;
        int[][] orders = new int[5][];
        for (int p = 0; p < orders.length; p++) {
            orders[p] = new int[37];
            for (int i = 0; i < 37; i++) {
                orders[p][i] = i;
            }
            for (int i = 36; i > 0 && p > 0; i--) {
                int j = r.nextInt(i + 1);
                int t = orders[p][i];
                orders[p][i] = orders[p][j];
                orders[p][j] = t;
            }
        }
        double sigma = 2.5;
        try (KernelBackend backend = TestBackends.create(backendName)) {
            float[] k = new float[37 * 37];
            backend.rbfBlock(z, z, sigma, k);
            double[] got = MmdPermutationTest.statistics(backend, new FloatMatrix(37, 37, k), orders, n, 37 - n);
            for (int p = 0; p < orders.length; p++) {
                double want = direct(z, orders[p], n, sigma);
                assertEquals(want, got[p], 1e-5 * Math.max(1, Math.abs(want)), "split " + p);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void oneDistributionPassesAndAShiftFails(String backendName) {
        try (KernelBackend backend = TestBackends.create(backendName)) {
            int passed = 0;
            for (int trial = 0; trial < 10; trial++) {
                Random r = new Random(100 + trial);
                FloatMatrix x = TestBackends.gaussian(60, 5, r, 1.0, 0.0);
                FloatMatrix y = TestBackends.gaussian(45, 5, r, 1.0, 0.0);
                MmdPermutationTest.Result res = MmdPermutationTest.test(backend, x, y, 2.0, 199, trial);
                if (res.pValue() >= 0.01) {
                    passed++;
                }
            }
            assertTrue(passed >= 9, "same distribution: p >= 0.01 in " + passed + " of 10 trials");
            Random r = new Random(7);
            FloatMatrix x = TestBackends.gaussian(60, 5, r, 1.0, 0.0);
            FloatMatrix shifted = TestBackends.gaussian(45, 5, r, 1.0, 1.0);
            MmdPermutationTest.Result res = MmdPermutationTest.test(backend, x, shifted, 2.0, 199, 3);
            assertEquals(1.0 / 200, res.pValue(), 1e-12, "no permutation reaches a shift of 1 per coordinate");
            assertEquals(res, MmdPermutationTest.test(backend, x, shifted, 2.0, 199, 3), "seeded");
        }
    }

    /**
     * Cancelling the test by interrupting its thread (session 22's review: every permutation
     * ran): it stops before the next batch of {@value MmdPermutationTest#BATCH} permutations with
     * a {@link CancellationException}, the status kept; afterwards the thread tests again, to the
     * same result. Batches are counted as the backend's products K A, not timed.
     */
    @Test
    void anInterruptStopsTheTestBeforeItsNextBatch() {
        Random random = new Random(8);
        FloatMatrix x = TestBackends.gaussian(30, 3, random, 1.0, 0.0);
        FloatMatrix y = TestBackends.gaussian(25, 3, random, 1.0, 0.0);
        int permutations = 10 * MmdPermutationTest.BATCH;
        int[] products = new int[1];
        int[] interruptAt = {3}; // the observed split's product, then two batches
        try (KernelBackend reference = new ReferenceBackend()) {
            KernelBackend counting = (KernelBackend) Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("innerProducts")
                                && ++products[0] == interruptAt[0]) {
                            Thread.currentThread().interrupt();
                        }
                        try {
                            return method.invoke(reference, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            try {
                assertThrows(CancellationException.class,
                        () -> MmdPermutationTest.test(counting, x, y, 2.0, permutations, 5),
                        "the batches after the interrupt ran");
                assertEquals(3, products[0], "products K A: the observed split and 2 batches");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            } finally {
                Thread.interrupted();
            }
            products[0] = 0;
            interruptAt[0] = -1;
            assertEquals(MmdPermutationTest.test(reference, x, y, 2.0, permutations, 5),
                    MmdPermutationTest.test(counting, x, y, 2.0, permutations, 5));
            assertEquals(1 + 10, products[0]);
        }
    }
}
