package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.concurrent.CancellationException;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Building a kept kernel on nd4j (the symmetric K_SS of every {@code exact} fit, and a kept
 * K_SR) stops within one block of rows per worker once the calling thread is interrupted, throws
 * from the constructor with the status kept set, and frees what it had allocated (session 24's
 * Open: the builds, O(n^2 d), seconds at 16,000 rows and minutes within a large budget, were not
 * checked inside). So does the gather of a kept K_SS's working set. The interrupt is placed by
 * the builds' hooks, not timed.
 */
class KeptKernelBuildCancellationTest {

    private static final int INTERRUPT_AT = 2;

    @AfterEach
    void restore() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
        Nd4jSymmetricKernelOperator.buildBlockStarted = b -> { };
        Nd4jKernelOperator.buildTileStarted = t -> { };
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        return GaussianRows.of(n, d, seed);
    }

    private static double[] weights(int m) {
        double[] w = new double[m];
        for (int j = 0; j < m; j++) {
            w[j] = (j % 7 - 3) / 11.0;
        }
        return w;
    }

    @Test
    void anInterruptedSymmetricBuildStopsWithinABlockPerWorkerAndFreesItsMemory() {
        int n = 2_000; // 8 blocks of 256 rows
        FloatMatrix x = rows(n, 13, 1);
        double[] w = weights(n);
        double[] whole = new double[n];
        try (KernelOperator op = new Nd4jSymmetricKernelOperator(x, 2.1, null)) {
            op.multiply(w, whole);
        }

        long before = Pointer.totalBytes();
        UnitStarts cut = new UnitStarts(INTERRUPT_AT);
        Nd4jSymmetricKernelOperator.buildBlockStarted = cut::start;
        CancellationException e = assertThrows(CancellationException.class,
                () -> new Nd4jSymmetricKernelOperator(x, 2.1, null),
                "the build ran to its end after the interrupt");
        assertTrue(e.getMessage().contains("K_SS") && e.getMessage().contains("interrupted"),
                e.getMessage());
        assertTrue(Thread.interrupted(), "the interrupt status is kept");
        assertTrue(cut.afterInterrupt().size() <= PinnedWorkers.count() - 1,
                "blocks started after the interrupt: " + cut.afterInterrupt());
        assertTrue(cut.started().size() < 8, "blocks started: " + cut.started());
        // The triangle alone is 8 MB: what the cancelled build allocated is freed, not left
        // to the collector.
        long kept = Pointer.totalBytes() - before;
        assertTrue(kept < (1 << 20), "bytes still allocated after the cancelled build: " + kept);

        Nd4jSymmetricKernelOperator.buildBlockStarted = b -> { };
        double[] again = new double[n];
        try (KernelOperator op = new Nd4jSymmetricKernelOperator(x, 2.1, null)) {
            op.multiply(w, again);
        }
        assertArrayEquals(whole, again, "built after a cancelled build: the same bits");
    }

    /**
     * A kept K_SR of 3,001 x 3,000 floats (36 MB: above glibc's largest mmap threshold, so mapped
     * alone and unmapped when freed; zeroed, so resident, when allocated): the cancelled build
     * gives it back to the system. Measured on the resident set ({@link BlockWalkCancellationTest#resident}),
     * not {@link Pointer#totalBytes}: ND4J's buffers, K_SR's among them, bypass JavaCPP's count,
     * so a bound on that count held whatever was freed (session 26's Open).
     */
    @Test
    void anInterruptedKeptCrossKernelBuildStopsWithinATilePerWorker() {
        FloatMatrix x = rows(3_001, 9, 2);
        FloatMatrix y = rows(3_000, 9, 3);
        double[] w = weights(3_000);
        TilePlan kept = new TilePlan(true, 256); // 12 row tiles
        double[] whole = new double[3_001];
        try (KernelOperator op = new Nd4jKernelOperator(x, y, 1.7, kept, null)) {
            op.multiply(w, whole);
        }

        long before = BlockWalkCancellationTest.resident();
        UnitStarts cut = new UnitStarts(INTERRUPT_AT);
        Nd4jKernelOperator.buildTileStarted = cut::start;
        CancellationException e = assertThrows(CancellationException.class,
                () -> new Nd4jKernelOperator(x, y, 1.7, kept, null),
                "the build ran to its end after the interrupt");
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        assertTrue(Thread.interrupted(), "the interrupt status is kept");
        assertTrue(cut.afterInterrupt().size() <= PinnedWorkers.count() - 1,
                "tiles started after the interrupt: " + cut.afterInterrupt());
        assertTrue(cut.started().size() < 12, "tiles started: " + cut.started());
        BlockWalkCancellationTest.memoryBack(before, 16L << 20, "kept K_SR build");

        Nd4jKernelOperator.buildTileStarted = t -> { };
        double[] again = new double[3_001];
        try (KernelOperator op = new Nd4jKernelOperator(x, y, 1.7, kept, null)) {
            op.multiply(w, again);
        }
        assertArrayEquals(whole, again, "built after a cancelled build: the same bits");
    }

    @Test
    void anInterruptedGatherThrowsAndLeavesTheKernelUsable() {
        int n = 700;
        FloatMatrix x = rows(n, 11, 4);
        int[] set = new int[400];
        for (int a = 0; a < set.length; a++) {
            set[a] = (a * 7) % n;
        }
        java.util.Arrays.sort(set);
        set = java.util.Arrays.stream(set).distinct().toArray();
        double[] w = weights(set.length);
        try (Nd4jSymmetricKernelOperator op = new Nd4jSymmetricKernelOperator(x, 1.9, null)) {
            double[] expected = new double[set.length];
            try (KernelOperator sub = op.principalSubmatrix(set, Long.MAX_VALUE)) {
                sub.multiply(w, expected);
            }
            int[] rows = set;
            Thread.currentThread().interrupt();
            CancellationException e = assertThrows(CancellationException.class,
                    () -> op.principalSubmatrix(rows, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("working set"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt status is kept");

            double[] again = new double[set.length];
            try (KernelOperator sub = op.principalSubmatrix(set, Long.MAX_VALUE)) {
                sub.multiply(w, again);
            }
            assertArrayEquals(expected, again, "gathered after a cancelled gather: the same bits");
        }
        assertEquals(false, Thread.currentThread().isInterrupted());
    }
}
