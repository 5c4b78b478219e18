package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelBlockingTest {

    @Test
    void upToTheWidestBlockTheBlockIsThePlansRowTile() {
        assertEquals(new KernelBlocking(1048, 8000), KernelBlocking.of(8000, 8000, 1048));
        assertEquals(new KernelBlocking(100, 257), KernelBlocking.of(1000, 257, 100));
        // A tile taller than the matrix is clipped to it.
        assertEquals(new KernelBlocking(7, 300), KernelBlocking.of(7, 300, 50));
        assertEquals(new KernelBlocking(1, 8192), KernelBlocking.of(3, 8192, 1));
    }

    @Test
    void wideKernelsTradeColumnsForRowsWithinTheSameFloats() {
        KernelBlocking b = KernelBlocking.of(100_000, 100_000, 83);
        assertEquals(KernelBlocking.MAX_COLS, b.cols());
        assertEquals(83L * 100_000 / KernelBlocking.MAX_COLS, b.rows());
        assertTrue(b.floats() <= 83L * 100_000);
        // Never below one row, never above n rows.
        assertEquals(1, KernelBlocking.of(5, 9000, 1).rows());
        assertEquals(5, KernelBlocking.of(5, 20_000, 5).rows());
    }

    @Test
    void emptyKernelsGetATrivialBlock() {
        assertEquals(new KernelBlocking(1, 1), KernelBlocking.of(0, 10, 4));
        assertEquals(new KernelBlocking(1, 1), KernelBlocking.of(10, 0, 4));
    }
}
