package io.synalign.kernels.nd4j;

/**
 * The block shape in which a tiled kernel operator recomputes K: near-square
 * {@code rows x cols} blocks of at most a given number of floats.
 *
 * <p>Why square rather than full-width row tiles: every GEMM call packs (copies into its own
 * layout) both of its operands, here {@code rows x (d + 2)} of X and {@code cols x (d + 2)} of
 * Y, to produce {@code rows x cols} kernel values; the packing share of the work is about
 * {@code 1 / rows + 1 / cols}, smallest for a square block of a given size. Full-width tiles make
 * {@code rows} tiny when m is large or the budget is split across many cores (m = 10^5 leaves a
 * 32 MiB tile 83 rows).
 *
 * @param rows rows per block (the last block row may have fewer)
 * @param cols columns per block (the last block column may have fewer)
 */
record KernelBlocking(int rows, int cols) {

    /** The near-square blocking of an {@code n x m} kernel in blocks of at most {@code floats}. */
    static KernelBlocking of(int n, int m, long floats) {
        if (n <= 0 || m <= 0) {
            return new KernelBlocking(1, 1);
        }
        long budget = Math.max(1, floats);
        long side = Math.max(1, (long) Math.sqrt((double) budget));
        // Few rows (or columns) leave the budget to the other side.
        long rows = Math.min(n, side);
        long cols = Math.min(m, Math.max(1, budget / rows));
        rows = Math.min(n, Math.max(1, budget / cols));
        return new KernelBlocking((int) rows, (int) cols);
    }

    /** Block rows needed to cover n rows. */
    int rowBlocks(int n) {
        return (n + rows - 1) / rows;
    }

    /** Block columns needed to cover m columns. */
    int colBlocks(int m) {
        return (m + cols - 1) / cols;
    }

    /** Floats in one full block. */
    long floats() {
        return (long) rows * cols;
    }
}
