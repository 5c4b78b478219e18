package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The rows per side of a two-sample test follow the heap's limit
 * ({@link TwoSampleTesting#maxRowsForHeap}): the pooled kernel matrix of both sides within half
 * of it, 4,000 where it fits. A 429 MiB heap (the launcher's in a 1,300 MiB container) ran out
 * of heap space allocating the 256 MB block of 4,000 rows a side (`test` exit 1; 768 and 1,024
 * MiB likewise).
 */
class TwoSampleRowsForHeapTest {

    @Test
    void theRowsPerSideFollowTheHeap() {
        for (long heap : new long[] {1L << 20, 64L << 20, 253L << 20, 338L << 20, 429L << 20,
                511_999_999L, 512_000_000L, 8L << 30}) {
            int r = TwoSampleTesting.maxRowsForHeap(heap);
            assertTrue(r >= 2 && (16L * r * r <= heap / 2 || r == 2),
                    heap + ": " + r + " rows a side do not fit half the heap");
            assertTrue(r == TwoSampleTesting.DEFAULT_MAX_ROWS || 16L * (r + 1) * (r + 1) > heap / 2,
                    heap + ": " + r + " is not the most that fits");
        }
        assertEquals(3749, TwoSampleTesting.maxRowsForHeap(429L << 20));
        assertEquals(4000, TwoSampleTesting.maxRowsForHeap(512_000_000L));
        assertEquals(3999, TwoSampleTesting.maxRowsForHeap(511_999_999L));
        assertEquals(4000, TwoSampleTesting.maxRowsForHeap(8L << 30));
        assertThrows(IllegalArgumentException.class, () -> TwoSampleTesting.maxRowsForHeap(0));
        assertEquals(TwoSampleTesting.maxRowsForHeap(Runtime.getRuntime().maxMemory()),
                TwoSampleTesting.Options.forThisHeap(200, 1, 5).maxRows());
    }
}
