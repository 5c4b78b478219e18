package io.synalign.kernels;

/**
 * How a {@link KernelOperator} stores its kernel matrix: fully materialised, or recomputed
 * tile by tile on every product; and, when materialised, in which number format. A kernel of a
 * row set with itself (the same {@link FloatMatrix} object passed as both X and Y) is symmetric,
 * and a backend may then keep one triangle of it only (see
 * {@link KernelBackend#keptKernelBytes}).
 *
 * <p>{@link #forBudget} is the planner: it materialises the {@code rows x cols} float32 matrix
 * only when it fits the memory budget, and otherwise sizes row tiles so that one tile of
 * {@code tileRows x cols} floats (plus the GEMM scratch of the same size) stays within
 * {@link #DEFAULT_TILE_BYTES}, giving O(tileRows * cols) memory instead of O(rows * cols).
 *
 * @param materialise keep the whole kernel matrix between products
 * @param tileRows rows per tile when computing (and, if not materialised, recomputing) blocks
 * @param storage the number format of a kept matrix; a backend that cannot keep this one refuses
 *     a kept plan (see {@link KernelBackend#keptStorages()}); a tiled plan keeps nothing, and
 *     its storage is not checked
 */
public record TilePlan(boolean materialise, int tileRows, KernelStorage storage) {

    /** Scratch budget for one tile: 32 MiB keeps a tile in reach of the L3/DRAM streaming regime. */
    public static final long DEFAULT_TILE_BYTES = 32L << 20;

    public TilePlan {
        if (tileRows < 1) {
            throw new IllegalArgumentException("tileRows must be >= 1, got " + tileRows);
        }
        if (storage == null) {
            throw new IllegalArgumentException("storage must not be null");
        }
    }

    /** A plan keeping (or not) a float32 matrix. */
    public TilePlan(boolean materialise, int tileRows) {
        this(materialise, tileRows, KernelStorage.FLOAT32);
    }

    /** A tiled (never materialised) plan with the given tile height. */
    public static TilePlan tiled(int tileRows) {
        return new TilePlan(false, tileRows);
    }

    /**
     * Materialises when {@code 4 * rows * cols <= budgetBytes}, otherwise tiles.
     *
     * @param rows rows of the kernel matrix
     * @param cols columns of the kernel matrix
     * @param budgetBytes bytes the caller allows for a kept kernel matrix
     */
    public static TilePlan forBudget(long rows, long cols, long budgetBytes) {
        boolean fits = 4L * rows * cols <= budgetBytes && rows * cols <= Integer.MAX_VALUE - 8;
        return new TilePlan(fits, tileRowsFor(rows, cols, DEFAULT_TILE_BYTES));
    }

    /** Largest tile height whose {@code tileRows x cols} float32 block fits {@code tileBytes}. */
    public static int tileRowsFor(long rows, long cols, long tileBytes) {
        long t = Math.max(1, tileBytes / (4L * Math.max(1, cols)));
        return (int) Math.max(1, Math.min(Math.max(rows, 1), Math.min(t, 1 << 20)));
    }
}
