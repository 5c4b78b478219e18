package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.TilePlan;
import org.junit.jupiter.api.Test;

/**
 * The scratch of a stateless distance, kernel or feature call ({@link Nd4jBackend#claimants}):
 * one block buffer per claiming worker, their bytes together within one tile (at least one
 * worker), never more workers than blocks or than there are.
 */
class BlockScratchTest {

    @Test
    void theClaimingWorkersBuffersFitOneTile() {
        int workers = PinnedWorkers.count();
        // A block of 8 rows x 10^6 columns is a whole tile: one worker, whatever the cores.
        assertEquals(1, Nd4jBackend.claimants(125_001, 8, 1_000_000));
        // More than a tile (a row wider than the tile): still one.
        assertEquals(1, Nd4jBackend.claimants(3, 1, 10_000_000));
        // Small blocks: as many workers as there are, no more than blocks.
        assertEquals(Math.min(workers, 3), Nd4jBackend.claimants(3, 256, 100));
        assertEquals(1, Nd4jBackend.claimants(1, 256, 100));
        for (int cols : new int[] {1, 97, 4_000, 65_536, 1 << 20}) {
            for (int blocks : new int[] {1, 2, 7, 1_000}) {
                int rows = Math.min(Nd4jBackend.GEMM_ROWS,
                        TilePlan.tileRowsFor(blocks * 256, cols, TilePlan.DEFAULT_TILE_BYTES));
                int k = Nd4jBackend.claimants(blocks, rows, cols);
                assertTrue(k >= 1 && k <= Math.min(workers, blocks), cols + " " + blocks + ": " + k);
                assertTrue(k == 1 || (long) k * rows * cols * Float.BYTES <= TilePlan.DEFAULT_TILE_BYTES,
                        cols + " " + blocks + ": " + k + " buffers of " + rows + " rows");
            }
        }
    }
}
