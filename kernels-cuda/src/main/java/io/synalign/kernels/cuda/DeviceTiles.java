package io.synalign.kernels.cuda;

/**
 * Sizes device tiles from free device memory ({@code cuMemGetInfo}), not from host caches: a GPU
 * wants tiles large enough to fill every SM with GEMM work, bounded so that the tile, the
 * resident operands and cuBLAS's workspace fit together.
 *
 * <p>Rule: keep {@link #RESERVE_BYTES} free for cuBLAS and the driver, give a tile at most half
 * of the rest and at most {@link CudaSettings#maxTileBytes()} (1 GiB unless lowered), take as
 * many rows of {@code bytesPerRow} as fit, round down to a multiple of {@link #ROW_QUANTUM}
 * (whole GEMM tiles) when above it, and clamp to {@code [1, rows]}.
 */
final class DeviceTiles {

    /** Left free for cuBLAS workspaces, the module images and the driver. */
    static final long RESERVE_BYTES = 256L << 20;

    /** cuBLAS SGEMM works in tiles of up to 128 rows. */
    static final int ROW_QUANTUM = 128;

    private DeviceTiles() {
    }

    /**
     * Rows per tile for a matrix of {@code rows} rows of {@code bytesPerRow} bytes each, given
     * {@code freeBytes} free device memory after the operands were allocated, a tile at most
     * {@code settings.maxTileBytes()} (past about 1 GiB a bigger tile no longer makes the GEMM
     * faster; the diagnostic {@code synalign.cuda.maxTileBytes} lowers it, read into the
     * settings when they were built).
     */
    static int tileRows(CudaSettings settings, long freeBytes, int rows, long bytesPerRow) {
        if (rows < 1) {
            return 1;
        }
        if (bytesPerRow < 1) {
            throw new IllegalArgumentException("bytesPerRow must be >= 1, got " + bytesPerRow);
        }
        long budget = Math.min(settings.maxTileBytes(),
                Math.max(0, freeBytes - RESERVE_BYTES) / 2);
        long t = budget / bytesPerRow;
        if (t > ROW_QUANTUM) {
            t = t / ROW_QUANTUM * ROW_QUANTUM;
        }
        return (int) Math.max(1, Math.min(rows, t));
    }

    /**
     * Rows per tile of a float matrix streamed through the two pooled staging buffers (two
     * device tiles in flight, so each gets {@link #tileRows} of half of {@code freeBytes}), and
     * at most one staging chunk ({@code settings.stagingChunkBytes()}) of
     * {@code floatsPerRow}-float rows, at least one row: the pinned pool stays at two chunks
     * however large the matrix. O(1).
     */
    static int stagedTileRows(CudaSettings settings, long freeBytes, int rows, int floatsPerRow) {
        return Math.min(tileRows(settings, freeBytes / 2, rows, 4L * floatsPerRow),
                (int) Math.max(1, Math.min(rows,
                        settings.stagingChunkBytes() / (4L * Math.max(1, floatsPerRow)))));
    }

    /** The most blocks a launch may have along y (and z): {@code gridDim.y <= 65535}. */
    static final int MAX_GRID_Y = 65535;

    /** Rows of one {@code rbf_fused_kw} launch: one y-block per {@link CudaKernel#FUSED_TILE} rows. */
    static final int MAX_FUSED_TILE_ROWS = MAX_GRID_Y * CudaKernel.FUSED_TILE;

    /** Bytes of per-column-block partial sums one row of a fused tile needs (a double per block). */
    static long fusedBytesPerRow(int cols) {
        return Math.max(8, 8L * ((cols + CudaKernel.FUSED_TILE - 1) / CudaKernel.FUSED_TILE));
    }

    /**
     * Rows per tile of the fused K w kernel: {@link #tileRows} for its partial sums, and at most
     * {@link #MAX_FUSED_TILE_ROWS}, because its grid has one y-block per 64 rows; with few
     * columns the memory budget alone would allow a grid the driver refuses.
     */
    static int fusedTileRows(CudaSettings settings, long freeBytes, int rows, int cols) {
        return Math.min(MAX_FUSED_TILE_ROWS,
                tileRows(settings, freeBytes, rows, fusedBytesPerRow(cols)));
    }

    /**
     * Whether a {@code bytes}-byte buffer (a materialised kernel matrix) may be kept: it must
     * leave the reserve free and take at most 80 % of what is free.
     */
    static boolean fits(long freeBytes, long bytes) {
        long usable = Math.max(0, freeBytes - RESERVE_BYTES);
        return bytes <= usable / 5 * 4;
    }

    /** 1-D grid for a grid-stride loop over {@code count} items, at most 32 blocks per SM. */
    static int gridFor(long count, int blockSize, int multiprocessors) {
        // count / blockSize rounded up without count + blockSize - 1, which overflows near
        // Long.MAX_VALUE (it made the largest grid of maxGrid-sized scratch come out as 1).
        long blocks = count / blockSize + (count % blockSize == 0 ? 0 : 1);
        return (int) Math.max(1, Math.min(blocks, maxGrid(multiprocessors)));
    }

    /** The most blocks {@link #gridFor} ever gives: 32 per SM. Sizes per-block scratch. */
    static int maxGrid(int multiprocessors) {
        return 32 * Math.max(1, multiprocessors);
    }
}
