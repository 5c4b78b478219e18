package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-product heap garbage of a tiled product, pooled (helper spare33): a block buffer's own
 * views run ND4J's clamp and exp with ops made once per view ({@link BlockBuffer#kernelValues})
 * and give the bits of ops made anew ({@link DistanceGemm#kernelValues}), also when run again
 * on new exponents; any other view takes the plain path. The prefix sums of the shifted pieces
 * are written into the operator's own array with the bits of a fresh one. A tiled operator's
 * products make no new ops after the first. Before, every block's exp made its ops anew (about
 * 3.5 KB of heap each) and every product its prefix sums (8 (m + 1) bytes); the old code has
 * neither method, so these do not compile there.
 */
class PooledKernelValuesTest {

    /** Exponents as a fit's are: mostly in [-30, 0], a few rounding-level above 0. */
    private static float[] exponents(int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] e = new float[length];
        for (int i = 0; i < length; i++) {
            e[i] = r.nextInt(50) == 0 ? (float) r.nextDouble(0, 1e-6) : (float) r.nextDouble(-30, 0);
        }
        return e;
    }

    @Test
    void aBuffersOwnViewsReuseTheirOpsWithTheBitsOfFreshOnes() {
        int capacity = 1013;
        BlockBuffer buffer = new BlockBuffer(capacity, capacity, 389);
        try {
            for (int round = 0; round < 3; round++) {
                for (int length : new int[] {capacity, 389}) {
                    float[] e = exponents(length, 31L * round + length);
                    INDArray view = buffer.view(length);
                    view.assign(Nd4j.createFromArray(e));
                    INDArray fresh = Nd4j.createFromArray(e.clone());
                    buffer.kernelValues(view);
                    DistanceGemm.kernelValues(fresh);
                    assertArrayEquals(fresh.toFloatVector(), view.toFloatVector(),
                            "round " + round + ", view of " + length);
                    for (float k : view.toFloatVector()) {
                        assertTrue(k >= 0 && k <= 1, "kernel value " + k);
                    }
                }
            }
            assertEquals(2, buffer.opsMade(), "one pair of ops a view, whatever the rounds");

            // Not one of its views (a range made for the call): the plain path, no op kept.
            INDArray other = Buffers.range(buffer.view(capacity), 0, 500);
            float[] e = exponents(500, 99);
            other.assign(Nd4j.createFromArray(e));
            INDArray fresh = Nd4j.createFromArray(e.clone());
            buffer.kernelValues(other);
            DistanceGemm.kernelValues(fresh);
            assertArrayEquals(fresh.toFloatVector(), other.toFloatVector());
            assertEquals(2, buffer.opsMade());
        } finally {
            buffer.close();
        }
    }

    @Test
    void prefixSumsIntoAnArrayOfTheirOwnHaveTheBitsOfFreshOnes() {
        SplittableRandom r = new SplittableRandom(5);
        double[] into = null;
        for (int round = 0; round < 3; round++) {
            double[] w = new double[997];
            for (int i = 0; i < w.length; i++) {
                w[i] = r.nextDouble(0, 2e-3);
            }
            double[] before = into;
            into = ShiftedTiles.prefixSums(w, into);
            if (before != null) {
                assertSame(before, into, "reused");
            }
            assertArrayEquals(ShiftedTiles.prefixSums(w), into);
        }
        assertNotSame(into, ShiftedTiles.prefixSums(new double[5], into), "another length");
    }

    /**
     * A tiled K_XX whose blocks have both plain and shifted pieces (a bandwidth about the rows'
     * spread) and a narrow one: three more products give the bits of the first, and the block
     * buffers make at most one pair of ops per worker and block shape in all.
     */
    @Test
    void aTiledProductMakesItsOpsOnce() {
        int n = 700;
        FloatMatrix x = GaussianRows.of(n, 5, 3);
        for (double sigma : new double[] {Math.sqrt(5.0), 0.3}) {
            try (Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
                    KernelOperator op = backend.rbfOperator(x, x, sigma, TilePlan.tiled(97))) {
                double[] w = new double[n];
                SplittableRandom r = new SplittableRandom(11);
                for (int i = 0; i < n; i++) {
                    w[i] = r.nextDouble(0, 2.0 / n);
                }
                double[] first = new double[n];
                op.multiply(w, first);
                int made = ((Nd4jKernelOperator) op).opsMadeForTests();
                assertTrue(made > 0, "sigma " + sigma + ": the pooled path ran");
                for (int k = 0; k < 3; k++) {
                    double[] again = new double[n];
                    op.multiply(w, again);
                    assertArrayEquals(first, again, "sigma " + sigma + ", product " + k);
                }
                // Blocks go to whichever worker is free, so a later product may show a worker a
                // block shape it had not met: at most one pair per worker and shape (4 shapes:
                // whole, last row, last column, corner), however many products and blocks.
                int bound = PinnedWorkers.count() * 4;
                int blocks = (n + 96) / 97 * ((n + 96) / 97 + 1) / 2;
                assertTrue(((Nd4jKernelOperator) op).opsMadeForTests() <= bound,
                        "sigma " + sigma + ": " + ((Nd4jKernelOperator) op).opsMadeForTests()
                        + " pairs of ops made in 4 products of " + blocks + " blocks");
            }
        }
    }

    /** This thread's allocated bytes, or -1 where the JVM cannot tell. */
    static long allocated() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!(mx instanceof com.sun.management.ThreadMXBean sun)
                || !sun.isThreadAllocatedMemorySupported()) {
            return -1;
        }
        return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    @Test
    void aBuffersOwnViewAllocatesLessThanFreshOps() {
        assumeTrue(allocated() >= 0, "thread allocation not measurable here");
        BlockBuffer buffer = new BlockBuffer(4096, 4096);
        try {
            INDArray view = buffer.view(4096);
            INDArray plain = Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4096);
            for (int k = 0; k < 200; k++) { // both paths compiled and their caches warm
                buffer.kernelValues(view);
                DistanceGemm.kernelValues(plain);
            }
            long t0 = allocated();
            for (int k = 0; k < 500; k++) {
                buffer.kernelValues(view);
            }
            long pooled = (allocated() - t0) / 500;
            t0 = allocated();
            for (int k = 0; k < 500; k++) {
                DistanceGemm.kernelValues(plain);
            }
            long fresh = (allocated() - t0) / 500;
            assertTrue(2 * pooled < fresh, "bytes a call: pooled " + pooled + ", fresh " + fresh);
        } finally {
            buffer.close();
        }
    }
}
