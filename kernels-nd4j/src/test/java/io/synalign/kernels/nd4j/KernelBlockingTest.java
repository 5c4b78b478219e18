package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KernelBlockingTest {

    @Test
    void blocksAreSquareWhenBothSidesAllowIt() {
        KernelBlocking b = KernelBlocking.of(8000, 8000, 4L << 20);
        assertEquals(new KernelBlocking(2048, 2048), b);
        assertEquals(4, b.rowBlocks(8000));
        assertEquals(4, b.colBlocks(8000));
        assertEquals(4L << 20, b.floats());
    }

    @Test
    void aShortSideHandsTheBudgetToTheOther() {
        // 7 rows: the whole budget goes to columns, capped at m.
        assertEquals(new KernelBlocking(7, 1000), KernelBlocking.of(7, 8300, 7000));
        assertEquals(new KernelBlocking(7, 300), KernelBlocking.of(7, 300, 1L << 20));
        // 5 columns: rows take the rest, capped at n.
        assertEquals(new KernelBlocking(200, 5), KernelBlocking.of(100_000, 5, 1000));
        assertEquals(new KernelBlocking(257, 5), KernelBlocking.of(257, 5, 1L << 20));
    }

    @Test
    void neverExceedsTheBudgetNorTheMatrixAndNeverEmpty() {
        int[] sizes = {1, 2, 7, 257, 1000, 8191, 100_000};
        long[] budgets = {1, 2, 3, 100, 4095, 1L << 22, 1L << 40};
        for (int n : sizes) {
            for (int m : sizes) {
                for (long budget : budgets) {
                    KernelBlocking b = KernelBlocking.of(n, m, budget);
                    String at = n + " x " + m + " in " + budget + ": " + b;
                    assertTrue(b.rows() >= 1 && b.rows() <= n, at);
                    assertTrue(b.cols() >= 1 && b.cols() <= m, at);
                    assertTrue(b.floats() <= Math.max(1, budget), at);
                    assertTrue((long) b.rowBlocks(n) * b.rows() >= n, at);
                    assertTrue((long) b.colBlocks(m) * b.cols() >= m, at);
                }
            }
        }
    }

    @Test
    void emptyKernelsGetATrivialBlock() {
        assertEquals(new KernelBlocking(1, 1), KernelBlocking.of(0, 10, 4));
        assertEquals(new KernelBlocking(1, 1), KernelBlocking.of(10, 0, 4));
    }
}
