package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TilePlanTest {

    @Test
    void materialisesExactlyWhenTheMatrixFitsTheBudget() {
        assertTrue(TilePlan.forBudget(100, 100, 40_000).materialise());
        assertFalse(TilePlan.forBudget(100, 100, 39_999).materialise());
        // Past one Java array the plan tiles whatever the budget.
        assertFalse(TilePlan.forBudget(100_000, 100_000, Long.MAX_VALUE).materialise());
    }

    @Test
    void tileHeightFitsTheTileBudget() {
        assertEquals(256, TilePlan.tileRowsFor(10_000, 1000, 256 * 4000));
        assertEquals(255, TilePlan.tileRowsFor(10_000, 1000, 256 * 4000 - 1));
        // Clipped to the rows there are, and never below one row.
        assertEquals(7, TilePlan.tileRowsFor(7, 10, 1L << 30));
        assertEquals(1, TilePlan.tileRowsFor(10, 1_000_000, 16));
        assertEquals(1, TilePlan.tileRowsFor(0, 10, 1 << 20));
        long rows = TilePlan.forBudget(100_000, 8000, 0).tileRows();
        assertTrue(rows * 8000 * 4 <= TilePlan.DEFAULT_TILE_BYTES, "tile of " + rows + " rows");
        assertTrue((rows + 1) * 8000 * 4 > TilePlan.DEFAULT_TILE_BYTES, "tile of " + rows
                + " rows");
    }

    @Test
    void rejectsEmptyTiles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TilePlan.tiled(0));
        assertTrue(e.getMessage().contains("0"), e.getMessage());
        assertEquals(5, TilePlan.tiled(5).tileRows());
        assertFalse(TilePlan.tiled(5).materialise());
    }
}
