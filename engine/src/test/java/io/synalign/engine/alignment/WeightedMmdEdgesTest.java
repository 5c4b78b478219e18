package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WeightedMmd}'s checks, its clamp at zero, its progress and the place of its interrupt
 * check, and the median-heuristic bandwidth against the median written out in double: what
 * {@link WeightedMmdTest} (values against a double reference) and
 * {@link WeightedMmdCancellationTest} left open (mutation testing, helper pitalign28).
 */
class WeightedMmdEdgesTest {

    private static final Random RANDOM = new Random(11);
    private static final FloatMatrix X = TestBackends.gaussian(29, 3, RANDOM, 1.0, 0.2);
    private static final FloatMatrix Y = TestBackends.gaussian(31, 3, RANDOM, 1.0, 0.0);

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        try (KernelBackend backend = new ReferenceBackend()) {
            FloatMatrix none = new FloatMatrix(0, 3, new float[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.mmd2(backend, none, Y, 1.0));
            assertEquals("MMD^2 needs rows on both sides, got 0 and 31", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.mmd2(backend, X, none, 1.0));
            assertEquals("MMD^2 needs rows on both sides, got 29 and 0", e.getMessage());
            FloatMatrix wide = TestBackends.gaussian(31, 4, RANDOM, 1.0, 0.0);
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.mmd2(backend, X, wide, 1.0));
            assertEquals("dimension mismatch: 3 vs 4 columns", e.getMessage());
            for (double sigma : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> WeightedMmd.mmd2(backend, X, Y, sigma));
                assertEquals("bandwidth must be positive and finite, got " + sigma, e.getMessage());
            }
            // The weights: length, none, a non-finite or negative one, all zero.
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.mmd2(backend, X, new double[28], Y, 1.0));
            assertEquals("28 weights for 29 rows", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.normalised(new double[0], 0));
            assertEquals("0 weights for 0 rows", e.getMessage());
            for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN, -1e-300}) {
                e = assertThrows(IllegalArgumentException.class,
                        () -> WeightedMmd.normalised(new double[] {1, bad, 2}, 3));
                assertEquals("weight 1 is " + bad + "; weights must be finite and >= 0",
                        e.getMessage());
            }
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.normalised(new double[3], 3));
            assertEquals("all 3 weights are zero", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> WeightedMmd.effectiveSampleSize(null));
            assertEquals("no weights (null)", e.getMessage());
        }
    }

    /**
     * X = Y, uniform: the statistic is 0 and rounding leaves it a little either side. Over
     * seeds, some raw values ({@link WeightedMmd#values}, not clamped) fall below zero (checked
     * here); {@link WeightedMmd#mmd2} reports each of them as exactly 0 and the others as they
     * are.
     */
    @Test
    void aValueRoundedBelowZeroIsReportedAsZero() {
        int negative = 0;
        try (KernelBackend backend = new ReferenceBackend()) {
            for (int seed = 0; seed < 40; seed++) {
                Random random = new Random(seed);
                FloatMatrix x = TestBackends.gaussian(5 + random.nextInt(40), 3, random, 1.0, 0.0);
                double sigma = 0.3 + random.nextDouble();
                double raw = WeightedMmd.values(backend, x, x, sigma,
                        WeightedMmd.normalised(null, x.rows()))[0];
                double reported = WeightedMmd.mmd2(backend, x, x, sigma);
                assertTrue(Math.abs(raw) < 1e-12, "x against itself: " + raw);
                if (raw < 0) {
                    negative++;
                    assertEquals(0.0, reported, 0.0, "seed " + seed + ": raw " + raw);
                } else {
                    assertEquals(raw, reported, 0.0, "seed " + seed);
                }
            }
        }
        assertTrue(negative >= 3, negative + " of 40 values below zero");
    }

    /**
     * The progress of the held-out values: the objective's kernel steps, then "evaluate" 0 of k
     * before the K_XX products and k of k after them; a null listener is none (the same bits).
     */
    @Test
    void theHeldOutValuesReportBeforeAndAfterTheirProductsAndTakeANullListener() {
        double[][] weights = {WeightedMmd.normalised(null, 29),
            TestBackends.randomSimplexPoint(29, new Random(5))};
        try (KernelBackend backend = new ReferenceBackend()) {
            double[] plain = WeightedMmd.valuesAgainstPopulation(backend, X, Y, 1.3, weights);
            List<String> evaluate = new ArrayList<>();
            double[] told = WeightedMmd.valuesAgainstPopulation(backend, X, Y, 1.3,
                    (stage, done, total, detail) -> {
                        if (stage.equals("evaluate")) {
                            evaluate.add(done + " of " + total);
                        }
                    }, weights);
            assertEquals(List.of("0 of 2", "2 of 2"), evaluate);
            assertArrayEquals(plain, told, 0.0);
            assertArrayEquals(plain, WeightedMmd.valuesAgainstPopulation(backend, X, Y, 1.3,
                    null, weights), 0.0);
            // One row of Y, or none: no pair to estimate its term from, NaN, and no kernel
            // product made for it.
            AtomicInteger products = new AtomicInteger();
            KernelBackend counting = countingProducts(backend, products, new AtomicInteger());
            for (int m = 0; m < 2; m++) {
                double[] none = WeightedMmd.valuesAgainstPopulation(counting, X,
                        new FloatMatrix(m, 3, Arrays.copyOf(Y.data(), 3 * m)), 1.3, weights);
                assertTrue(Double.isNaN(none[0]) && Double.isNaN(none[1]), Arrays.toString(none));
            }
            assertEquals(0, products.get(), "kernel products for fewer than 2 rows of Y");
        }
    }

    /**
     * An interrupt told at "evaluate" 0 stops the values before their K_XX products: no product
     * of any kernel operator is begun once the caller is interrupted (counted on the operators
     * the backend hands out), not merely the values withheld once a product notices.
     */
    @Test
    void anInterruptAtEvaluateBeginsNoProduct() {
        AtomicInteger afterInterrupt = new AtomicInteger();
        AtomicInteger products = new AtomicInteger();
        try (KernelBackend backend = new ReferenceBackend()) {
            KernelBackend counting = countingProducts(backend, products, afterInterrupt);
            double[][] weights = {WeightedMmd.normalised(null, 29),
                TestBackends.randomSimplexPoint(29, new Random(6))};
            double[] whole = WeightedMmd.valuesAgainstPopulation(counting, X, Y, 1.3, weights);
            assertTrue(products.get() > 0, "the counting view sees the products");
            assertEquals(0, afterInterrupt.get());
            assertThrows(CancellationException.class, () -> WeightedMmd.valuesAgainstPopulation(
                    counting, X, Y, 1.3, (stage, done, total, detail) -> {
                        if (stage.equals("evaluate") && done == 0) {
                            Thread.currentThread().interrupt();
                        }
                    }, weights));
            assertEquals(0, afterInterrupt.get(), "products begun after the interrupt");
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            assertArrayEquals(whole, WeightedMmd.valuesAgainstPopulation(counting, X, Y, 1.3,
                    weights), 0.0);
        }
    }

    /**
     * The same for {@link WeightedMmd#values}, interrupted as K_XX's operator is made (the
     * third {@code rbfOperator}, after the row sums of K_XY and K_YY): no product begins.
     */
    @Test
    void anInterruptAsKxxIsMadeBeginsNoProduct() {
        AtomicInteger afterInterrupt = new AtomicInteger();
        AtomicInteger products = new AtomicInteger();
        double[][] weights = {WeightedMmd.normalised(null, 29),
            TestBackends.randomSimplexPoint(29, new Random(7))};
        try (KernelBackend backend = new ReferenceBackend()) {
            io.synalign.engine.InterruptingBackend interrupting =
                    io.synalign.engine.InterruptingBackend.at("rbfOperator", 3);
            KernelBackend counting = countingProducts(interrupting.wrap(backend), products,
                    afterInterrupt);
            assertThrows(CancellationException.class,
                    () -> WeightedMmd.values(counting, X, Y, 1.3, weights));
            assertTrue(interrupting.interrupted());
            assertEquals(0, afterInterrupt.get(), "products begun after the interrupt");
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
        }
    }

    /** {@code backend} whose kernel operators count their products, and those begun interrupted. */
    private static KernelBackend countingProducts(KernelBackend backend, AtomicInteger products,
            AtomicInteger interrupted) {
        return (KernelBackend) Proxy.newProxyInstance(WeightedMmdEdgesTest.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, (proxy, m, args) -> {
                    Object result = invoke(m, backend, args);
                    if (m.getReturnType() == KernelOperator.class
                            && result instanceof KernelOperator operator) {
                        return Proxy.newProxyInstance(WeightedMmdEdgesTest.class.getClassLoader(),
                                new Class<?>[] {KernelOperator.class}, (p, om, oargs) -> {
                                    if (om.getName().startsWith("multiply")) {
                                        products.incrementAndGet();
                                        if (Thread.currentThread().isInterrupted()) {
                                            interrupted.incrementAndGet();
                                        }
                                    }
                                    return invoke(om, operator, oargs);
                                });
                    }
                    return result;
                });
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args)
            throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * The bandwidth is the median heuristic over the union of the sets: with every row in the
     * sample (fewer than 2,000), the median of the pairwise distances of the union's rows,
     * written out in double, whatever the seed. Two rows of b repeat rows of a: 7 rows, 21
     * pairs, 2 at distance 0 left out, 19 left, so the median is the 10th.
     */
    @Test
    void theBandwidthIsTheMedianDistanceOfTheUnion() {
        Random random = new Random(8);
        FloatMatrix a = TestBackends.gaussian(4, 5, random, 1.0, 0.0);
        float[] bData = TestBackends.gaussian(3, 5, random, 2.0, 1.0).data();
        System.arraycopy(a.data(), 0, bData, 0, 10);
        FloatMatrix b = new FloatMatrix(3, 5, bData);
        FloatMatrix union = new FloatMatrix(7, 5, concat(a.data(), bData));
        List<Double> distances = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            for (int j = i + 1; j < 7; j++) {
                double d = Math.sqrt(TestBackends.distance2(union, i, union, j));
                if (d > 0) {
                    distances.add(d);
                }
            }
        }
        assertEquals(19, distances.size());
        distances.sort(null);
        double median = distances.get(9);
        try (KernelBackend backend = new ReferenceBackend()) {
            for (long seed : new long[] {1, 2, 99}) {
                assertEquals(median, WeightedMmd.bandwidth(backend, seed, a, b), 1e-6 * median,
                        "seed " + seed);
            }
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
