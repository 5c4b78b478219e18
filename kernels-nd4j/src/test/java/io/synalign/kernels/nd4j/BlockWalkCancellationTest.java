package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every {@link PinnedWorkers#forEachBlock} walk of the CPU path stops within one block per worker
 * once the calling thread is interrupted (session 25's Open: the random features Phi, the
 * distance, kernel, feature and inner-product blocks, the GP tracker's factor blocks and a kept
 * kernel's product ran to their end; Phi of 250,000 rows is 23 s in one call on the build VM):
 * it throws the {@link CancellationException} naming the walk, the status kept set, with the
 * native memory it took back and its inputs unchanged, and a call after it gives the same bits
 * as one never interrupted. The interrupt is placed at a chosen block by the walks' hook
 * ({@link PinnedWorkers#blockStarted}), not timed.
 */
class BlockWalkCancellationTest {

    /** The block whose start interrupts the caller (the second one started). */
    private static final int INTERRUPT_AT = 2;

    private final Nd4jBackend backend = new Nd4jBackend(Nd4jPath.CPU_BLAS);

    @AfterEach
    void restore() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
        PinnedWorkers.blockStarted = (work, block) -> { };
        backend.close();
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        return GaussianRows.of(n, d, seed);
    }

    private static double[] vector(int length, int period) {
        double[] w = new double[length];
        for (int j = 0; j < length; j++) {
            w[j] = (j % period - period / 2) / 11.0;
        }
        return w;
    }

    /** The blocks of walk {@code work} that {@code call} starts, uninterrupted. */
    private static int blocksOf(String work, Runnable call) {
        AtomicInteger count = new AtomicInteger();
        PinnedWorkers.blockStarted = (w, b) -> {
            if (w.equals(work)) {
                count.incrementAndGet();
            }
        };
        try {
            call.run();
        } finally {
            PinnedWorkers.blockStarted = (w, b) -> { };
        }
        return count.get();
    }

    /**
     * Runs {@code call} with the caller interrupted when the {@link #INTERRUPT_AT}-th block of
     * walk {@code work} starts, and checks what every cancelled walk must do: throw naming the
     * walk, keep the status set, start at most one block per other worker after the interrupt,
     * and leave out at least one of the {@code blocks} a whole call starts.
     */
    private static void cancelAtABlock(String work, int blocks, Runnable call) {
        assertTrue(blocks > INTERRUPT_AT + PinnedWorkers.count(), "too few blocks to tell: " + blocks);
        UnitStarts cut = new UnitStarts(INTERRUPT_AT);
        PinnedWorkers.blockStarted = (w, b) -> {
            if (w.equals(work)) {
                cut.start(b);
            }
        };
        CancellationException e;
        try {
            e = assertThrows(CancellationException.class, call::run,
                    work + ": the walk ran to its end after the interrupt");
        } finally {
            PinnedWorkers.blockStarted = (w, b) -> { };
        }
        assertTrue(e.getMessage().startsWith(work + ": cancelled"), e.getMessage());
        assertTrue(Thread.interrupted(), "the interrupt status is kept");
        // A worker that had asked just before the interrupt starts that one block, no more.
        assertTrue(cut.afterInterrupt().size() <= PinnedWorkers.count() - 1,
                work + ": blocks started after the interrupt: " + cut.afterInterrupt());
        assertTrue(cut.started().size() < blocks, work + ": blocks started: " + cut.started());
    }

    /**
     * The process's resident bytes. Not {@link Pointer#totalBytes()}: ND4J's buffers bypass
     * JavaCPP's count (a 4 MiB array adds 16 bytes to it), so only the resident set sees them.
     * Every buffer a test measures this way is above glibc's largest mmap threshold (32 MiB),
     * so it is mapped alone and unmapped when freed, not kept in the heap's arenas.
     */
    static long resident() {
        return Pointer.physicalBytes();
    }

    /** Resident bytes now beyond {@code before}: below {@code bound}, or the assertion fails. */
    static void memoryBack(long before, long bound, String what) {
        long kept = resident() - before;
        assertTrue(kept < bound, "bytes still resident after the cancelled " + what + ": " + kept);
    }

    @Test
    void aCancelledBuildOfTheRandomFeaturesFreesPhiAndABuildAfterItHasTheSameBits() {
        FloatMatrix x = rows(2_100, 13, 1); // 9 blocks of 256 rows
        // Phi: 137.6 MB, 16 MiB a block. Not zero-filled, so only the blocks written before the
        // cancel are resident (at least 2, INTERRUPT_AT): a leak is then at least 32 MiB.
        int features = 16_384;
        FourierFeatures map = FourierFeatures.sample(13, features, 2.0, 5);
        double[] w = vector(2_100, 7);
        double[] z = vector(features, 5);
        double[] phiTw = new double[features];
        double[] phiZ = new double[2_100];
        int blocks = blocksOf(Nd4jFeatureOperator.BUILD, () -> {
            try (FeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
                op.transposeTimes(w, phiTw);
                op.times(z, phiZ);
            }
        });
        assertEquals(9, blocks);

        long before = resident();
        cancelAtABlock(Nd4jFeatureOperator.BUILD, blocks,
                () -> new Nd4jFeatureOperator(x, map, null).close());
        // What the cancelled build took (Phi alone is 137.6 MB) is freed, not left to the
        // collector.
        memoryBack(before, 16 << 20, "build of Phi");

        try (FeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
            double[] again = new double[features];
            op.transposeTimes(w, again);
            assertArrayEquals(phiTw, again, "Phi^T w, built after a cancelled build");
            double[] againZ = new double[2_100];
            op.times(z, againZ);
            assertArrayEquals(phiZ, againZ, "Phi z, built after a cancelled build");
        }
    }

    @Test
    void aCancelledReloadIsRefusedByTheProductsUntilAReloadCompletes() {
        FloatMatrix x = rows(2_100, 13, 2);
        FloatMatrix other = rows(2_100, 13, 3);
        FourierFeatures map = FourierFeatures.sample(13, 64, 2.0, 6);
        double[] w = vector(2_100, 5);
        double[] expected = new double[64];
        try (FeatureOperator fresh = new Nd4jFeatureOperator(other, map, null)) {
            fresh.transposeTimes(w, expected);
        }
        try (FeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
            cancelAtABlock(Nd4jFeatureOperator.BUILD, 9, () -> op.reload(other));
            // Phi is now partly x's, partly other's: a product would be neither's.
            IllegalStateException refused = assertThrows(IllegalStateException.class,
                    () -> op.transposeTimes(w, new double[64]));
            assertTrue(refused.getMessage().contains("reload"), refused.getMessage());
            assertThrows(IllegalStateException.class, () -> op.times(new double[64],
                    new double[2_100]));

            assertTrue(op.reload(other));
            double[] again = new double[64];
            op.transposeTimes(w, again);
            assertArrayEquals(expected, again, "reloaded after a cancelled reload: other's bits");
        }
    }

    @Test
    void aCancelledFeatureProductLeavesItsInputsAndTheOperatorAsTheyWere() {
        FloatMatrix x = rows(2_100, 13, 4);
        FourierFeatures map = FourierFeatures.sample(13, 96, 2.0, 7);
        double[] w = vector(2_100, 9);
        double[] z = vector(96, 5);
        try (FeatureOperator op = new Nd4jFeatureOperator(x, map, null)) {
            double[] phiTw = new double[96];
            double[] phiZ = new double[2_100];
            int blocks = blocksOf(Nd4jFeatureOperator.TRANSPOSE_TIMES, () -> op.transposeTimes(w, phiTw));
            assertEquals(blocks, blocksOf(Nd4jFeatureOperator.TIMES, () -> op.times(z, phiZ)));

            double[] wBefore = w.clone();
            double[] out = new double[96];
            Arrays.fill(out, Double.NaN);
            cancelAtABlock(Nd4jFeatureOperator.TRANSPOSE_TIMES, blocks, () -> op.transposeTimes(w, out));
            assertArrayEquals(wBefore, w, "w unchanged");
            assertTrue(Arrays.stream(out).allMatch(Double::isNaN), "out not written");
            double[] zBefore = z.clone();
            double[] outZ = new double[2_100];
            Arrays.fill(outZ, Double.NaN);
            cancelAtABlock(Nd4jFeatureOperator.TIMES, blocks, () -> op.times(z, outZ));
            assertArrayEquals(zBefore, z, "z unchanged");
            assertTrue(Arrays.stream(outZ).allMatch(Double::isNaN), "out not written");

            double[] again = new double[96];
            op.transposeTimes(w, again);
            assertArrayEquals(phiTw, again, "Phi^T w after a cancelled product");
            double[] againZ = new double[2_100];
            op.times(z, againZ);
            assertArrayEquals(phiZ, againZ, "Phi z after a cancelled product");
        }
    }

    /** A stateless primitive into {@code out}. */
    private interface Primitive {
        void into(float[] out);
    }

    /**
     * The primitive's walk cancelled at a block leaves its inputs as they were, and the next
     * call gives the bits of the first. Its native operands and tiles are closed by the
     * scopes around the walk (try-with-resources and finally, unchanged by the check), which a
     * resident-set bound cannot tell apart from the heap copies the operands are made from.
     */
    private static void checkStateless(String work, FloatMatrix x, FloatMatrix y, int outLength,
            Primitive primitive) {
        float[] xBefore = x.data().clone();
        float[] yBefore = y.data().clone();
        float[] whole = new float[outLength];
        int blocks = blocksOf(work, () -> primitive.into(whole));
        cancelAtABlock(work, blocks, () -> primitive.into(new float[outLength]));
        assertArrayEquals(xBefore, x.data(), work + ": x unchanged");
        assertArrayEquals(yBefore, y.data(), work + ": y unchanged");
        float[] again = new float[outLength];
        primitive.into(again);
        assertArrayEquals(whole, again, work + ": after a cancelled call, the same bits");
    }

    @Test
    void theStatelessDistanceKernelFeatureAndInnerProductWalksStopWithinABlockPerWorker() {
        FloatMatrix x = rows(2_000, 17, 8); // 8 blocks of 256 output rows
        FloatMatrix y = rows(300, 17, 9);
        checkStateless(Nd4jBackend.SQUARED_DISTANCES, x, y, 2_000 * 300,
                out -> backend.squaredDistances(x, y, out));
        checkStateless(Nd4jBackend.KERNEL_BLOCK, x, y, 2_000 * 300,
                out -> backend.rbfBlock(x, y, 3.1, out));
        FourierFeatures map = FourierFeatures.sample(17, 300, 3.1, 10);
        checkStateless(Nd4jBackend.FEATURE_BLOCK, x, y, 2_000 * 300,
                out -> backend.randomFourierFeatures(x, map, out));
        checkStateless(Nd4jBackend.INNER_PRODUCTS, x, y, 2_000 * 300,
                out -> backend.innerProducts(x, y, out));
    }

    @Test
    void innerProductsIntoADirectBufferStopWithinABlockPerWorker() {
        FloatMatrix x = rows(2_000, 17, 11);
        FloatMatrix y = rows(300, 17, 12);
        checkStateless(Nd4jBackend.INNER_PRODUCTS, x, y, 2_000 * 300, out -> {
            FloatBuffer direct = ByteBuffer.allocateDirect(4 * out.length)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            backend.innerProducts(x, y, direct);
            direct.get(0, out);
        });
    }

    @Test
    void aCancelledConditioningLeavesTheTrackerAsItWas() {
        int n = 4_000; // 8 factor blocks of 512 rows
        FloatMatrix x = rows(n, 7, 13);
        double[] expected = new double[n];
        try (GpVarianceTracker whole = backend.gpVarianceTracker(x, 1.5, 1e-3, 8)) {
            whole.condition(17);
            whole.condition(2_900);
            whole.variances(expected);
        }
        try (GpVarianceTracker tracker = backend.gpVarianceTracker(x, 1.5, 1e-3, 8)) {
            tracker.condition(17);
            double[] before = new double[n];
            tracker.variances(before);
            cancelAtABlock(Nd4jGpVarianceTracker.CANCELLED, 8, () -> tracker.condition(2_900));
            assertEquals(1, tracker.rank(), "the rank of a cancelled conditioning");
            double[] after = new double[n];
            tracker.variances(after);
            assertArrayEquals(before, after, "variances after a cancelled conditioning");

            tracker.condition(2_900);
            double[] again = new double[n];
            tracker.variances(again);
            assertArrayEquals(expected, again, "conditioned after a cancelled conditioning");
        }
    }

    /** A kept kernel's product cancelled at a block leaves w, out and the kernel as they were. */
    private static void checkKeptProduct(KernelOperator op, String work, double[] w) {
        double[] whole = new double[op.rows()];
        int blocks = blocksOf(work, () -> op.multiply(w, whole));
        double[] wBefore = w.clone();
        double[] out = new double[op.rows()];
        Arrays.fill(out, Double.NaN);
        cancelAtABlock(work, blocks, () -> op.multiply(w, out));
        assertArrayEquals(wBefore, w, "w unchanged");
        assertTrue(Arrays.stream(out).allMatch(Double::isNaN), "out not written");
        double[] again = new double[op.rows()];
        op.multiply(w, again);
        assertArrayEquals(whole, again, "after a cancelled product, the same bits");
    }

    @Test
    void aKeptCrossKernelsProductStopsWithinABlockPerWorker() {
        FloatMatrix x = rows(1_000, 9, 14); // 16 GEMV blocks of 64 rows
        FloatMatrix y = rows(170, 9, 15);
        try (KernelOperator op = new Nd4jKernelOperator(x, y, 1.7, new TilePlan(true, 64), null)) {
            assertTrue(op.materialised());
            checkKeptProduct(op, Nd4jKernelOperator.CANCELLED_KEPT, vector(170, 7));
        }
    }

    @Test
    void aKeptSymmetricKernelsProductStopsWithinAGroupPerWorker() {
        FloatMatrix x = rows(700, 11, 16); // 22 panels in 16 groups
        try (KernelOperator op = new Nd4jSymmetricKernelOperator(x, 1.9, null)) {
            checkKeptProduct(op, Nd4jSymmetricKernelOperator.CANCELLED_PRODUCT, vector(700, 9));
        }
    }
}
