package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class DeviceTilesTest {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    /** No property set: a 1 GiB tile cap and 64 MiB staging chunks. */
    private static final CudaSettings DEFAULTS = CudaSettings.from(new Properties(), Map.of());

    @Test
    void largeFreeMemoryGivesTheOneGibCapRoundedToWholeGemmTiles() {
        // 1 GiB / (20,000 floats) = 13,421 rows -> 13,312 (104 x 128).
        assertEquals(13_312, DeviceTiles.tileRows(DEFAULTS, 70 * GIB, 200_000, 4L * 20_000));
        // Fewer rows than fit: the whole matrix is one tile.
        assertEquals(5_000, DeviceTiles.tileRows(DEFAULTS, 70 * GIB, 5_000, 4L * 20_000));
    }

    @Test
    void tightMemoryGivesHalfOfWhatIsLeftAfterTheReserve() {
        // (256 MiB + 100 MiB free - 256 MiB reserve) / 2 = 50 MiB; / 80,000 B = 655 -> 640.
        assertEquals(640, DeviceTiles.tileRows(DEFAULTS, 356 * MIB, 100_000, 80_000));
        // 1 MiB above the reserve: 512 KiB / 80,000 B = 6 rows, below one GEMM tile: no rounding.
        assertEquals(6, DeviceTiles.tileRows(DEFAULTS, 257 * MIB, 100_000, 80_000));
        // Nothing beyond the reserve: one row, and the allocation will say if even that fails.
        assertEquals(1, DeviceTiles.tileRows(DEFAULTS, 100 * MIB, 100_000, 80_000));
    }

    @Test
    void fusedTilesKeepTheGridWithinTheDriversYLimit() {
        // 64 columns: one column block, 8 B per row; 1 GiB would allow 134 M rows, but the grid
        // has one y-block per 64 rows and gridDim.y <= 65535.
        assertEquals(65_535 * 64, DeviceTiles.fusedTileRows(DEFAULTS, 70 * GIB, 10_000_000, 64));
        // 20,000 columns: 313 blocks, 2,504 B per row; the memory budget is the tighter bound.
        assertEquals(428_800, DeviceTiles.fusedTileRows(DEFAULTS, 70 * GIB, 1_000_000, 20_000));
        assertEquals(7, DeviceTiles.fusedTileRows(DEFAULTS, 70 * GIB, 7, 1));
    }

    @Test
    void materialisedMatrixMustLeaveTheReserveAndTwentyPercent() {
        // 10 GiB free: usable 9.75 GiB, 80 % = 7.8 GiB.
        assertTrue(DeviceTiles.fits(10 * GIB, 7 * GIB));
        assertFalse(DeviceTiles.fits(10 * GIB, 8 * GIB));
        assertFalse(DeviceTiles.fits(200 * MIB, 1));
    }

    @Test
    void gridCoversTheWorkButStopsAtThirtyTwoBlocksPerSm() {
        assertEquals(1, DeviceTiles.gridFor(1, 256, 132));
        assertEquals(4, DeviceTiles.gridFor(1000, 256, 132));
        assertEquals(32 * 132, DeviceTiles.gridFor(1L << 32, 256, 132));
        // Near Long.MAX_VALUE the rounding-up must not overflow (it gave 1, which sized the
        // reduction scratch for one block).
        assertEquals(32 * 132, DeviceTiles.gridFor(Long.MAX_VALUE, 256, 132));
        assertEquals(DeviceTiles.maxGrid(132), DeviceTiles.gridFor(Long.MAX_VALUE, 256, 132));
    }
}
