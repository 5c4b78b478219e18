package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.KernelStorage;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import org.junit.jupiter.api.Test;

/**
 * {@link KernelBackend#keepsKernelsOnHeap} says where a kept K_SS really lives (review33): the
 * engine adds a K_SS to the Java heap a fit needs only where the backend says so, and refuses a
 * named exact (or makes auto take rff) by that sum. Measured here: the Java heap in use, after
 * full collections, before and after a kept K_SS is built. nd4j's portable path keeps K in an
 * INDArray, which is ND4J off-heap memory (native on nd4j-native, device memory on
 * nd4j-cuda), as its CPU path does: heap33 answered true there, so auto gave up exact for rff,
 * and a named exact was refused, over a heap the kernel never touched.
 */
class KeptKernelHeapTest {

    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private static long heapInUse() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /**
     * The heap a kept K_SS of {@code n} rows takes on {@code backend}, against the bytes it
     * reports; asserts it agrees with {@link KernelBackend#keepsKernelsOnHeap}: at least 90 %
     * of the kept bytes where it says true, under a quarter where it says false (a kept K of
     * 22 MB or more against the heap's other churn, a few MB at most).
     */
    private static void checkWhereTheKernelLives(KernelBackend backend, String name) {
        int n = 2_400;
        FloatMatrix rows = GaussianRows.of(n, 8, 33);
        long kept = backend.keptKernelBytes(n, n, true, KernelStorage.FLOAT32);
        long before = heapInUse();
        long grown;
        try (KernelOperator k = backend.rbfOperator(rows, rows, 2.0,
                new TilePlan(true, n, KernelStorage.FLOAT32))) {
            assertTrue(k.materialised(), name + ": K not kept");
            grown = heapInUse() - before;
            // One product keeps the operator (and what it holds) reachable up to here.
            double[] out = new double[n];
            k.rowSums(out);
        }
        String what = name + ": a kept K_SS of " + kept + " bytes grew the heap by " + grown
                + " bytes; keepsKernelsOnHeap() = " + backend.keepsKernelsOnHeap();
        if (backend.keepsKernelsOnHeap()) {
            assertTrue(grown >= 0.9 * kept, what);
        } else {
            assertTrue(grown < 0.25 * kept, what);
        }
    }

    @Test
    void theReferenceKeepsItsKernelOnTheHeapAndSaysSo() {
        try (KernelBackend backend = new ReferenceBackend()) {
            assertTrue(backend.keepsKernelsOnHeap());
            checkWhereTheKernelLives(backend, "reference");
        }
    }

    @Test
    void nd4jsCpuPathKeepsItsKernelOffTheHeapAndSaysSo() {
        try (KernelBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS)) {
            assertFalse(backend.keepsKernelsOnHeap());
            checkWhereTheKernelLives(backend, "nd4j cpu");
        }
    }

    /** Fails on heap33's code: it said true, and the kernel grew the heap by almost nothing. */
    @Test
    void nd4jsPortablePathKeepsItsKernelOffTheHeapAndSaysSo() {
        try (KernelBackend backend = new Nd4jBackend(Nd4jPath.PORTABLE)) {
            checkWhereTheKernelLives(backend, "nd4j portable");
            assertFalse(backend.keepsKernelsOnHeap());
        }
    }
}
