package io.synalign.kernels.nd4j;

/**
 * The block shape in which a tiled kernel operator recomputes K: {@code rows x cols} blocks whose
 * size never exceeds the plan's tile of {@code tileRows x m} floats.
 *
 * <p>Why not always full-width row tiles: each GEMM call re-packs its whole Y operand, and a
 * row tile of K re-packs all m rows of Y to produce only tileRows x m values, so the packing share
 * of the work is about {@code 1 / (2 rows) + 1 / (2 cols)} elements copied per flop. For m up to
 * {@link #MAX_COLS} the block is the plan's row tile, exactly; beyond it (m = 10^5 leaves a 32 MiB
 * tile only 83 rows, where packing measured some 25 points of SGEMM throughput) the same number
 * of floats is reshaped into {@code MAX_COLS}-wide blocks with proportionally more rows, and each
 * block's GEMV accumulates into the rows' result.
 *
 * @param rows rows per block (the last block may have fewer)
 * @param cols columns per block (the last block may have fewer)
 */
record KernelBlocking(int rows, int cols) {

    /** Widest block; wider only shaves a packing share already below 0.01%. */
    static final int MAX_COLS = 8192;

    /** The blocking of an {@code n x m} kernel under a plan of {@code tileRows}-row tiles. */
    static KernelBlocking of(int n, int m, int tileRows) {
        if (n == 0 || m == 0) {
            return new KernelBlocking(1, 1);
        }
        int cols = Math.min(m, MAX_COLS);
        long budget = (long) Math.min(tileRows, n) * m;
        int rows = (int) Math.max(1, Math.min(n, budget / cols));
        return new KernelBlocking(rows, cols);
    }

    /** Floats in one full block. */
    long floats() {
        return (long) rows * cols;
    }
}
