package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The close-order rule of {@link io.synalign.kernels.KernelBackend#close()}: once the backend is
 * closed, it and every operator, submatrix and tracker it made refuse to compute with an
 * {@link IllegalStateException}, on both execution paths; closing them afterwards still works.
 */
class Nd4jBackendCloseTest {

    private static FloatMatrix rows(int n, int d, long seed) {
        return GaussianRows.of(n, d, seed);
    }

    private static void assertRefused(Executable call, String what) {
        IllegalStateException e = assertThrows(IllegalStateException.class, call, what);
        assertTrue(e.getMessage().startsWith("the nd4j backend is closed"), what + ": "
                + e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(Nd4jPath.class)
    void everythingTheBackendMadeRefusesToRunOnceItIsClosed(Nd4jPath path) {
        FloatMatrix x = rows(9, 3, 1);
        FloatMatrix y = rows(5, 3, 2);
        FourierFeatures map = FourierFeatures.sample(3, 7, 1.0, 3);
        Nd4jBackend backend = new Nd4jBackend(path);
        List<KernelOperator> operators = new ArrayList<>();
        operators.add(backend.rbfOperator(x, y, 1.0, TilePlan.tiled(4)));
        operators.add(backend.rbfOperator(x, y, 1.0, new TilePlan(true, 4)));
        KernelOperator self = backend.rbfOperator(x, x, 1.0, new TilePlan(true, 9));
        operators.add(self);
        KernelOperator sub = self.principalSubmatrix(new int[] {1, 4, 6}, Long.MAX_VALUE);
        if (sub != null) {
            operators.add(sub);
        }
        FeatureOperator features = backend.fourierFeatureOperator(x, map);
        GpVarianceTracker tracker = backend.gpVarianceTracker(x, 1.0, 1e-3, 2);
        tracker.condition(0);
        double[] before = new double[9];
        operators.get(0).multiply(new double[5], before); // all of them ran while open

        backend.close();
        backend.close(); // idempotent

        for (KernelOperator op : operators) {
            String what = path + " " + op.storageDescription() + " " + op.rows() + " x "
                    + op.cols();
            assertRefused(() -> op.multiply(new double[op.cols()], new double[op.rows()]), what);
            assertRefused(() -> op.rowSums(new double[op.rows()]), what + " row sums");
        }
        assertRefused(() -> self.principalSubmatrix(new int[] {0, 1}, Long.MAX_VALUE),
                "a new submatrix");
        assertRefused(() -> features.transposeTimes(new double[9], new double[7]), "Phi^T w");
        assertRefused(() -> features.times(new double[7], new double[9]), "Phi z");
        if (path == Nd4jPath.CPU_BLAS) {
            assertRefused(() -> features.reload(x), "reload");
        } else {
            assertFalse(features.reload(x), "the portable operator never reloads");
        }
        assertRefused(() -> tracker.condition(1), "condition");
        assertRefused(() -> tracker.variances(new double[9]), "variances");
        assertRefused(() -> tracker.variance(0), "variance");
        assertRefused(() -> tracker.argmax(new BitSet()), "argmax");
        assertRefused(tracker::reset, "reset");
        float[] block = new float[9 * 5];
        assertRefused(() -> backend.squaredDistances(x, y, block), "squaredDistances");
        assertRefused(() -> backend.innerProducts(x, y, block), "innerProducts");
        assertRefused(() -> backend.innerProducts(x, y, java.nio.FloatBuffer.wrap(block)),
                "innerProducts into a buffer");
        assertRefused(() -> backend.rbfBlock(x, y, 1.0, block), "rbfBlock");
        assertRefused(() -> backend.randomFourierFeatures(x, map, new float[9 * 7]),
                "randomFourierFeatures");
        assertRefused(() -> backend.rbfOperator(x, y, 1.0, TilePlan.tiled(4)), "rbfOperator");
        assertRefused(() -> backend.fourierFeatureOperator(x, map), "fourierFeatureOperator");
        assertRefused(() -> backend.gpVarianceTracker(x, 1.0, 1e-3, 1), "gpVarianceTracker");
        assertRefused(backend::vectors, "vectors");
        assertNotNull(backend.description(), "what it is may still be asked");
        assertEquals(1, tracker.rank());

        // Closing the children after the backend frees their buffers and throws nothing.
        for (KernelOperator op : operators) {
            op.close();
        }
        features.close();
        tracker.close();
    }

    /**
     * Review 22: the stateless products' native scratch (operands and tile, per calling thread)
     * lived as long as the thread, whatever backend made it: one product on each of 8 pool
     * threads left 364 MiB of JavaCPP memory after {@code close()}, counted against
     * {@code maxbytes}. Closing the backend now frees every thread's scratch while the threads
     * live on. Each thread's tile here is 4 MiB (512 x 2,048 floats), its operands 0.6 MiB;
     * the tolerance, 1 MiB, is below one tile.
     */
    @Test
    void closingTheBackendFreesEveryThreadsNativeScratch() throws Exception {
        FloatMatrix x = rows(512, 64, 11);
        FloatMatrix y = rows(2048, 64, 12);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            System.gc();
            long before = Pointer.totalBytes();
            Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);
            List<Future<?>> calls = new ArrayList<>();
            java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(threads);
            for (int t = 0; t < threads; t++) {
                calls.add(pool.submit(() -> {
                    all.countDown();
                    all.await(); // one call on each pool thread, not two on one
                    backend.innerProducts(x, y, new float[x.rows() * y.rows()]);
                    return null;
                }));
            }
            for (Future<?> call : calls) {
                call.get();
            }
            long open = Pointer.totalBytes() - before;
            assertTrue(open >= threads * 4L * 512 * 2048,
                    "scratch held while the backend is open: " + open + " bytes");
            backend.close();
            long after = Pointer.totalBytes() - before;
            assertTrue(after < (1L << 20), "JavaCPP bytes left by " + threads
                    + " pool threads' products after close: " + after);
            assertRefused(() -> backend.innerProducts(x, y, new float[x.rows() * y.rows()]),
                    "innerProducts after close");
        } finally {
            pool.shutdown();
        }
    }
}
