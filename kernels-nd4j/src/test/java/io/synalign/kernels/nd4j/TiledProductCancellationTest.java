package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.TilePlan;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A tiled kernel product interrupted at its N-th block (CPU path, blocks on the pinned workers)
 * or tile (portable path, on the caller) stops before the next (session 23's Open: one product
 * was the unit, O(n m d), minutes at 10^6 rows). The interrupt is placed by the operators' hooks,
 * not timed; on the CPU path the hook runs on whichever worker took the block and interrupts the
 * calling thread, which the other workers then read (also while it waits for them).
 */
class TiledProductCancellationTest {

    private static final int INTERRUPT_AT = 5;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    private static FloatMatrix rows(int n, int d, long seed) {
        return GaussianRows.of(n, d, seed);
    }

    private static double[] weights(int m) {
        double[] w = new double[m];
        for (int j = 0; j < m; j++) {
            w[j] = (j % 5 - 2) / 7.0;
        }
        return w;
    }

    @Test
    void aTiledProductOnTheWorkersStopsWithinABlockPerWorker() {
        FloatMatrix x = rows(300, 11, 1);
        FloatMatrix y = rows(400, 11, 2);
        double[] w = weights(400);
        // Tiles of 8 rows, blocks of an eighth of one: 20 x 20, 300 blocks.
        Nd4jKernelOperator op = new Nd4jKernelOperator(x, y, 1.3, TilePlan.tiled(8), null);
        try {
            double[] whole = new double[300];
            UnitStarts all = new UnitStarts(0);
            op.onBlockStarted(all::start);
            op.multiply(w, whole);
            assertEquals(300, all.started().size(), "blocks of one product");

            UnitStarts cut = new UnitStarts(INTERRUPT_AT);
            op.onBlockStarted(cut::start);
            CancellationException e = assertThrows(CancellationException.class,
                    () -> op.multiply(w, new double[300]),
                    "the product ran to its end after the interrupt");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            // A worker that had asked just before the interrupt starts that one block, no more;
            // the interrupting worker none.
            assertTrue(cut.afterInterrupt().size() <= PinnedWorkers.count() - 1,
                    "blocks started after the interrupt: " + cut.afterInterrupt());
            assertTrue(cut.started().size() < INTERRUPT_AT + PinnedWorkers.count(),
                    "blocks started: " + cut.started().size());

            double[] again = new double[300];
            op.onBlockStarted(b -> { });
            op.multiply(w, again);
            assertArrayEquals(whole, again, "uninterrupted after a cancelled one: the same bits");
        } finally {
            op.close();
        }
    }

    @Test
    void aPortableTiledProductStopsBeforeTheNextTile() {
        FloatMatrix x = rows(61, 11, 3);
        FloatMatrix y = rows(47, 11, 4);
        double[] w = weights(47);
        PortableKernelOperator op = new PortableKernelOperator(x, y, 1.3, TilePlan.tiled(4), null);
        try {
            double[] whole = new double[61];
            UnitStarts all = new UnitStarts(0);
            op.onTileStarted(all::start);
            op.multiply(w, whole);
            assertEquals(16, all.started().size(), "tiles of one product");

            UnitStarts cut = new UnitStarts(INTERRUPT_AT);
            op.onTileStarted(cut::start);
            assertThrows(CancellationException.class, () -> op.multiply(w, new double[61]),
                    "the product ran to its end after the interrupt");
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            assertEquals(List.of(), cut.afterInterrupt(), "tiles started after the interrupt");

            double[] again = new double[61];
            op.onTileStarted(t -> { });
            op.multiply(w, again);
            assertArrayEquals(whole, again, "uninterrupted after a cancelled one: the same bits");
        } finally {
            op.close();
        }
    }
}
