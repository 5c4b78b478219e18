package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link BlasThreadCount} sets what ND4J's own (slow) setter sets: the count ND4J reads back,
 * and OpenBLAS's real thread count, seen in the bits of a GEMV whose rounding depends on it.
 */
class BlasThreadCountTest {

    private int configured;

    @BeforeEach
    void remember() {
        configured = Nd4j.factory().blas().getMaxThreads();
    }

    @AfterEach
    void restore() {
        Nd4j.factory().blas().setMaxThreads(configured);
    }

    @Test
    void theBundledOpenBlasTakesTheDirectPath() {
        // ND4J ships OpenBLAS, not MKL: were the fast path lost (a binding that renamed its
        // record, say), every pinned run would pay 0.4 ms again, and only this would tell.
        assertTrue(BlasThreadCount.direct(), "BlasThreadCount fell back to the binding's setter");
    }

    @Test
    void theCountSetIsTheCountNd4jReads() {
        for (int threads : new int[] {1, 3, 2, configured}) {
            BlasThreadCount.set(threads);
            assertEquals(threads, Nd4j.factory().blas().getMaxThreads());
            assertEquals(threads, BlasThreadCount.get());
        }
    }

    @Test
    void theCountSetReachesOpenBlasAsNd4jsSetterDoes() {
        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2,
                "one core: OpenBLAS runs one thread at any count");
        // A transposed GEMV of this shape rounds differently on one and two OpenBLAS threads
        // on the build machine (it splits the sums); the fast setter must give the very bits of
        // ND4J's setter at each count, so it changed the count OpenBLAS runs with.
        int rows = 1000;
        int cols = 1000;
        Random random = new Random(7);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() - 0.5f;
        }
        float[] x = new float[rows];
        for (int i = 0; i < rows; i++) {
            x[i] = random.nextFloat();
        }
        try (FloatPointer ap = new FloatPointer(a); FloatPointer xp = new FloatPointer(x);
                FloatPointer yp = new FloatPointer(cols)) {
            Nd4j.factory().blas().setMaxThreads(1);
            float[] one = transposedGemv(rows, cols, ap, xp, yp);
            Nd4j.factory().blas().setMaxThreads(2);
            float[] two = transposedGemv(rows, cols, ap, xp, yp);
            assumeFalse(Arrays.equals(one, two),
                    "this OpenBLAS rounds the same on one and two threads: nothing to see");
            // Start from the other count each time, so a setter that did nothing is caught.
            BlasThreadCount.set(1);
            assertArrayEquals(one, transposedGemv(rows, cols, ap, xp, yp), "set(1)");
            BlasThreadCount.set(2);
            assertArrayEquals(two, transposedGemv(rows, cols, ap, xp, yp), "set(2)");
            BlasThreadCount.set(1);
            assertArrayEquals(one, transposedGemv(rows, cols, ap, xp, yp), "set(1) again");
        }
    }

    private static float[] transposedGemv(int rows, int cols, FloatPointer a, FloatPointer x,
            FloatPointer y) {
        OpenBlas.gemv(true, rows, cols, a, cols, x, y);
        float[] out = new float[cols];
        y.get(out);
        return out;
    }
}
