package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.TestBackends;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * The permutation p-value's definition, {@code (1 + #{MMD²_perm >= MMD²_obs}) / (1 + P)} with a
 * permutation equal to the observed split counting and one below it by more than float32
 * rounding not counting, the number of permutations drawn over several batches, and the checks
 * (mutation testing, helper pit28). The statistics are written out in double from the kernel's
 * definition.
 */
class MmdPermutationPValueTest {

    /** Biased MMD² of one row of z as X against the other rows as Y, in double. */
    private static double oneAgainstRest(FloatMatrix z, int x, double sigma) {
        int total = z.rows();
        double xy = 0;
        double yy = 0;
        for (int a = 0; a < total; a++) {
            for (int b = 0; b < total; b++) {
                double k = TestBackends.rbf(z, a, z, b, sigma);
                if (a == x && b != x) {
                    xy += k;
                } else if (a != x && b != x) {
                    yy += k;
                }
            }
        }
        int m = total - 1;
        return 1 + yy / ((double) m * m) - 2 * xy / m;
    }

    /**
     * One row against one: both splits have the same statistic, so every permutation counts and
     * p is exactly 1, whatever the number of batches of {@value MmdPermutationTest#BATCH}.
     */
    @Test
    void aPermutationEqualToTheObservedSplitCountsInEveryBatch() {
        FloatMatrix x = FloatMatrix.of(new double[][] {{0.3, -1.1}});
        FloatMatrix y = FloatMatrix.of(new double[][] {{1.7, 0.4}});
        try (KernelBackend backend = new ReferenceBackend()) {
            for (int permutations : new int[] {1, 63, 64, 65, 100, 2 * MmdPermutationTest.BATCH + 7}) {
                MmdPermutationTest.Result r = MmdPermutationTest.test(backend, x, y, 1.3, permutations, 9);
                assertEquals(permutations, r.permutations());
                assertEquals(1.0, r.pValue(), 0.0, permutations + " permutations");
                assertEquals(2 - 2 * TestBackends.rbf(x, 0, y, 0, 1.3), r.mmd2(), 1e-6);
            }
        }
    }

    /**
     * An isosceles triangle whose apex is the real row: each split that takes a base vertex as X
     * has MMD² 1.5 (k - k') below the observed one, k the base's kernel value and k' the legs'.
     * That gap, 2e-6 here (written out in double), is above the relative tolerance 1e-6 x MMD²
     * for float32 rounding and far above float32's own error, so those permutations do not
     * count: p = (1 + c) / (1 + P) with c the permutations that keep the apex as X, about a
     * third. (A tolerance of 1e-6 / MMD², 6.7e-6 here, would count them all: p = 1.)
     */
    @Test
    void aPermutationBelowTheObservedSplitByMoreThanRoundingDoesNotCount() {
        double sigma = 1.0;
        double base = Math.sqrt(-2 * Math.log(0.9)); // k = 0.9 between the base vertices
        double leg2 = base * base + 2.96e-6; // k' about 1.33e-6 below k
        double height = Math.sqrt(leg2 - base * base / 4);
        FloatMatrix z = FloatMatrix.of(new double[][] {{0, height}, {-base / 2, 0}, {base / 2, 0}});
        double observed = oneAgainstRest(z, 0, sigma);
        double gap = observed - oneAgainstRest(z, 1, sigma);
        assertEquals(gap, observed - oneAgainstRest(z, 2, sigma), 1e-9, "a symmetric triangle");
        assertTrue(gap > 10 * 1e-6 * observed && gap < 1e-6 / observed / 2,
                "the set-up's gap " + gap + " at MMD² " + observed);
        int permutations = 3 * MmdPermutationTest.BATCH + 5;
        try (KernelBackend backend = new ReferenceBackend()) {
            MmdPermutationTest.Result r = MmdPermutationTest.test(backend, z.rowRange(0, 1),
                    z.rowRange(1, 3), sigma, permutations, 21);
            assertEquals(observed, r.mmd2(), 2e-7);
            double c = r.pValue() * (1 + permutations) - 1;
            assertEquals(Math.rint(c), c, 1e-9, "p = (1 + c) / (1 + P): " + r.pValue());
            assertTrue(c >= permutations / 6.0 && c <= permutations / 2.0,
                    "permutations counted: " + c + " of " + permutations + ", about a third keep the apex");
        }
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        Random r = new Random(3);
        FloatMatrix x = TestBackends.gaussian(5, 3, r, 1, 0);
        try (KernelBackend backend = new ReferenceBackend()) {
            String empty = assertThrows(IllegalArgumentException.class, () -> MmdPermutationTest.test(
                    backend, FloatMatrix.zeros(0, 3), x, 1, 10, 0)).getMessage();
            assertTrue(empty.contains("0 and 5"), empty);
            String emptyY = assertThrows(IllegalArgumentException.class, () -> MmdPermutationTest.test(
                    backend, x, FloatMatrix.zeros(0, 3), 1, 10, 0)).getMessage();
            assertTrue(emptyY.contains("5 and 0"), emptyY);
            String dims = assertThrows(IllegalArgumentException.class, () -> MmdPermutationTest.test(
                    backend, x, TestBackends.gaussian(4, 2, r, 1, 0), 1, 10, 0)).getMessage();
            assertTrue(dims.contains("3 vs 2"), dims);
            String none = assertThrows(IllegalArgumentException.class, () -> MmdPermutationTest.test(
                    backend, x, x, 1, 0, 0)).getMessage();
            assertTrue(none.contains("0"), none);
            // 46,342 pooled rows: a kernel matrix of 2,147,580,964 entries, past one array.
            FloatMatrix many = FloatMatrix.zeros(46_341, 1);
            String big = assertThrows(IllegalArgumentException.class, () -> MmdPermutationTest.test(
                    backend, many, FloatMatrix.zeros(1, 1), 1, 10, 0)).getMessage();
            assertTrue(big.contains("46342 rows"), big);
        }
    }

    /** A caller interrupted before the call computes no kernel matrix: the check comes first. */
    @Test
    void anInterruptedCallerBuildsNoKernel() {
        Random random = new Random(8);
        FloatMatrix x = TestBackends.gaussian(12, 3, random, 1.0, 0.0);
        FloatMatrix y = TestBackends.gaussian(9, 3, random, 1.0, 0.0);
        int[] kernels = new int[1];
        try (KernelBackend reference = new ReferenceBackend()) {
            KernelBackend counting = (KernelBackend) Proxy.newProxyInstance(
                    KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("rbfBlock")) {
                            kernels[0]++;
                        }
                        try {
                            return method.invoke(reference, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            Thread.currentThread().interrupt();
            try {
                assertThrows(CancellationException.class,
                        () -> MmdPermutationTest.test(counting, x, y, 2.0, 10, 5));
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            } finally {
                Thread.interrupted();
            }
            assertEquals(0, kernels[0], "kernel blocks built after the interrupt");
        }
    }
}
