package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.NativeMemoryException;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.host.HostVector;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code w -> K w} for the RBF kernel between X (n rows) and Y (m rows) on ND4J / OpenBLAS,
 * float32.
 *
 * <p>Tiled plan (the hot path, for n, m in 10^4..10^5): every product recomputes K block by block.
 * The plan's tile ({@code tileRows x m} floats) is split into {@value #BLOCKS_PER_TILE}
 * near-square blocks ({@link KernelBlocking}), whatever the worker count, and each of the
 * {@link PinnedWorkers} has one block buffer. Per block, a worker runs one
 * GEMM of augmented X rows against augmented Y rows, writing the exponents
 * {@code -||x_i - y_j||^2 / (2 sigma^2)} into its block buffer (see {@link DistanceGemm}: norms
 * and scale ride inside the GEMM), ND4J's {@code exp} in place on it, and one GEMV with the
 * matching slice of w into the block's slice of a per-column-block partial result. So the
 * epilogue is exactly one elementwise pass, the n x m matrix never exists, nothing is allocated
 * per block, and blocks are handed out dynamically. The partials are summed in double, in a fixed
 * order, so results do not depend on which worker ran which block, nor (every call being
 * single-threaded on a grid fixed by the sizes) on how many workers there are. Cost per product
 * 2 n m (d + 2) flops plus n m exps; memory O(tileRows m + (n + m) d + n m / cols).
 *
 * <p>A tiled K_XX (the same rows on both sides) is symmetric, so its grid is square and a
 * product computes only the {@code R (R + 1) / 2} blocks on and above the diagonal of its
 * {@code R x R} grid: each one off it gives its row sums as above and, by transposed SGEMVs over
 * strips of {@value #MIRROR_ROWS} rows summed in double, its column sums, which are the row sums
 * of the block below the diagonal ({@link #fusedProduct}, {@link #mirroredProduct}). That halves
 * the GEMMs and exps, the product's cost, about: {@code n^2 (d + 2)} flops and {@code n^2 / 2}
 * exps, plus a second pass over each off-diagonal block while it is in cache (measured in
 * docs/PERFORMANCE.md, helper symt30). The stored K is then exactly symmetric off the diagonal
 * blocks (each K_ij and K_ji one value; they were two GEMM entries, apart by the GEMM's
 * rounding). The column sums sum at most 32 floats before double, as the kept triangle's
 * mirrored sums ({@link Nd4jSymmetricKernelOperator}), and are kept as a float pair; every
 * partial slot is still written by one block, so the bits do not depend on the workers.
 *
 * <p>Materialised plan: K is built once the same way, row tile by row tile straight into one
 * n x m buffer, and each product is a GEMV per fixed block of {@value #GEMV_ROWS} rows, shared
 * out to the workers, O(n m). A kernel of a row set
 * with itself is symmetric, but SSYMV (one triangle, half the bytes) is deliberately not used:
 * at n = 16,000 OpenBLAS 0.3.19's SSYMV measured 2.0e-6 worst relative error per row against
 * float64 where SGEMV gave 2.0e-7, and the MMD objective near its optimum (about 2e-5, the
 * difference of terms near 5e-2) needs the latter; the optimiser stopped early with SSYMV.
 *
 * <p>The exponent is clamped at 0 before the exp ({@link DistanceGemm#kernelValues}): rounding
 * can leave it above zero for equal rows, and a small bandwidth turns that into a kernel value
 * far above 1.
 *
 * <p>Flat pieces ({@link ShiftedTiles}): where every exponent of a grid cell of K (32 rows by
 * 256 columns, cut by the blocks) is above -1/4, that piece holds {@code g = k - 1} instead of k
 * (float32 then keeps {@code 1 - k} to its own precision, where a float32 k kept it to
 * {@code 3e-8} absolutely), and the product adds, in double after the partials are summed, the
 * piece's column weights to each of its rows ({@code K w = (K - 1 1^T) w + 1 sum w} on the
 * piece). A tiled product finds its pieces block by block (the same every time), a K_XX's
 * block above the diagonal adding also its rows' weights to each of its columns for the block
 * below; a kept K finds them once, as it is built. Where no piece is shifted (ordinary
 * bandwidths: most pairs are beyond {@code sigma / sqrt 2}) the values, and every bit of a
 * product, are as before (a tiled K_XX's: as they are with one triangle). Cost of the
 * sums: {@code O(m)} for the prefix sums and one addition per row of each shifted piece, about
 * {@code n m / 256}.
 *
 * <p>Sums of a tiled block with a shifted piece ({@link #flatBlockProduct}): near a fit's optimum
 * at a flat bandwidth the MMD^2 gains less an iteration than a float32 product's rounding moves
 * from one w to the next, so the optimiser takes the rounding for rises, restarts and stops
 * early (docs/RELIABILITY.md, helpers gemv28 and gemv29). Such a block's product is therefore
 * summed in double against the double w, not by SGEMV against w rounded to float, and kept as a
 * float pair (high half in the partials, low half in {@link LowHalves}; one float would round
 * the ~500-term sum again); in a K_XX's block above the diagonal the same pass sums the column
 * side in double too. Measured on docs/RELIABILITY.md's 1,500 x 500 x 32 rows (the fit's
 * plan, blocks of about 530 columns): the float32 share of {@code w^T K w} moved by 8.6e-12
 * r.m.s. from one point to the next 1e-6 away at 10 x the median, now 1.4e-15 (the kept
 * triangle's runs of 128 columns and w's low part, gemv28's mend, gave 2.6e-12 here and left
 * 2.4e-13 at 30 x, where the reference gains 2e-14 an iteration; its shifted panels now sum in
 * double too, helper flat32); the tiled fit stopped at 2.9
 * times the float64 reference's MMD^2 at 10 x and 1.25 times at 30 x, and now matches the
 * reference's tiled fit at both (within 4e-4). Cost, in such blocks only: one pass over the
 * block in Java (four accumulators) instead of an SGEMV, beside the block's GEMM of
 * {@code 2 (d + 2)} flops a value and its exponentials: at n = 16,000, d = 384, every block
 * shifted, 0.99 to 1.02 times the old product in one set of rounds, 1.12 to 1.20 in another (a
 * loaded VM). The low halves' memory (as large as the partials) is
 * allocated when the first such block needs it (a tiled K_XX's by its first block off the
 * diagonal, whose column sums always take a pair). Other blocks, and so every product at an
 * ordinary bandwidth, make exactly the calls they made before and give the same bits (a tiled
 * K_XX's changed later, with its one triangle, helper symt30). A kept
 * K here is unchanged: the exact and tiled fits never multiply by one (their linear term is a
 * tiled row sum, taken once); nystrom's landmark blocks do (not measured at flat bandwidths).
 *
 * <p>Cancellation ({@link Cancellation}): a tiled product asks for the calling thread's
 * interrupt before each block (an eighth of a tile: a field read against a GEMM of about
 * 1,000 x 1,000 x d), on whichever worker takes it; once interrupted no worker starts another
 * block, and the product throws a {@link java.util.concurrent.CancellationException} with the
 * status kept set, {@code out} unwritten. One product is O(n m d), minutes at 10^6 rows. The
 * check changes no arithmetic: an uninterrupted product's bits are those without it. A kept
 * kernel's one-off build (O(n m d)) asks the same way before each row tile and, interrupted,
 * throws from the constructor with its memory freed; its product (O(n m): 25 ms at 16,000 x
 * 4,000) asks before each block of {@value #GEMV_ROWS} rows ({@link PinnedWorkers#forEachBlock}),
 * {@code out} then unwritten.
 *
 * <p>Working sets (helper tws30): a tiled K_XX gives the MMD optimiser's principal submatrices
 * {@code K[I][I]} ({@link #principalSubmatrixChecked}), kept as an upper triangle where it fits
 * the budget, else tiled on the gathered rows. Without them the tiled method's fits at 3 to 5
 * times the median bandwidth stopped 17 to 28 % above the exact method's after 500 iterations;
 * with them they reach it, in a third to a quarter of the time (docs/PERFORMANCE.md).
 *
 * <p>Products take double vectors and return double results; w is rounded to a preallocated
 * float buffer once per call. Not thread-safe.
 */
final class Nd4jKernelOperator extends AbstractKernelOperator {

    private final int rows;
    private final int cols;
    private final float alpha;
    /** K_XX: its diagonal exponents are set to exactly 0 (see {@link #zeroSelfDiagonal}). */
    private final boolean self;
    private final DistanceGemm operands;
    private final INDArray kernel;
    private final FloatPointer kernelPtr;
    private final KernelBlocking blocking;
    private final BlockBuffer[] blocks;
    private final int columnBlocks;
    private final INDArray partials;
    private final FloatPointer partialsPtr;
    private final INDArray weights;
    private final INDArray ones;
    private final FloatPointer weightsPtr;
    private final FloatPointer onesPtr;
    private final float[] weightsHost;
    private final float[] partialHost;
    /** The operands' radii for the flat-piece bounds ({@link ShiftedTiles#flat}), O(n + m). */
    private final ShiftedTiles.Radii radii;
    /** Each worker's scratch for {@link ShiftedTiles#values}. */
    private final ShiftedTiles.Scratch[] shiftScratch;
    /**
     * Tiled: the shifted pieces of each block (index {@code bi * columnBlocks + bj}), written by
     * the worker that computes the block in each product (the same pieces every time); null until
     * then.
     */
    private final ShiftedTiles.Pieces[] blockPieces;
    /** Kept: the shifted pieces of K, in build-tile order; null for a tiled K. */
    private final ShiftedTiles.Pieces keptPieces;
    /** Tiled: each worker's copy of one row of a block ({@link #flatBlockProduct}). */
    private final float[][] flatRow;
    /** Tiled: the low halves of the partials of blocks with a shifted piece; null for kept. */
    private final LowHalves lowHalves;
    /** Tiled: one block's low halves, read back when the partials are summed. */
    private final float[] lowHalfHost;
    /**
     * Tiled K_XX: the blocks a product computes, those on and above the diagonal (index
     * {@code bi * columnBlocks + bj}, {@code bi <= bj}), row by row: the product's units in
     * order ({@link #fusedProduct}); null for a cross-kernel, which computes every block.
     */
    private final int[] upperBlocks;
    /** Tiled K_XX: each worker's double column sums of one block ({@link #mirroredProduct}). */
    private final double[][] columnSums;
    /** Tiled K_XX: each worker's float output of one strip's transposed SGEMV. */
    private final INDArray[] strip;
    private final FloatPointer[] stripPtr;
    private final FloatBuffer[] stripView;
    /** Told the number of each block of a tiled product a worker starts, on that worker (tests). */
    private volatile IntConsumer blockStarted = block -> { };
    /**
     * A tiled K_XX's rows (the caller's matrix, not a copy), from which its working sets are
     * gathered ({@link #principalSubmatrix}); null for a kept K or a kernel of two row sets.
     */
    private final FloatMatrix selfRows;
    /** The bandwidth, for working sets. */
    private final double sigma;
    /** Bytes of the plan's tile ({@code tileRows x m} floats): a tiled working set's tile. */
    private final long tileBytes;
    /** The backend's lifetime, handed on to working sets. */
    private final BackendLifetime lifetime;
    /**
     * The triangles of this K_XX's kept working sets, the largest closed one lent to the next
     * ({@link KeptSetStorage}: no fresh pages per set); freed on close.
     */
    private final KeptSetStorage keptSets = new KeptSetStorage();

    /** What an interrupted product names ({@link Cancellation}). */
    private static final String CANCELLED = "tiled kernel product (block of a tile)";
    /** What an interrupted product of a kept kernel names. */
    static final String CANCELLED_KEPT = "kept kernel product (block of rows)";
    /** What an interrupted build of a kept kernel names. */
    private static final String CANCELLED_BUILD = "kept kernel (row tile of its build)";

    /**
     * Told the number of each row tile a kept kernel's build starts, on the worker that starts
     * it: a seam for tests, which place interrupts with it. Never set outside tests.
     */
    static volatile IntConsumer buildTileStarted = tile -> { };

    Nd4jKernelOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan,
            BackendLifetime backend) {
        super(x.rows(), y.rows(), backend);
        this.rows = x.rows();
        this.cols = y.rows();
        this.alpha = (float) (1.0 / (sigma * sigma));
        this.self = x == y;
        this.selfRows = self && !plan.materialise() ? x : null;
        this.sigma = sigma;
        this.tileBytes = (long) Math.min(plan.tileRows(), Math.max(1, rows))
                * Math.max(1, cols) * Float.BYTES;
        this.lifetime = backend;
        // Every allocation is the scope's until the end: one that fails, or a cancelled build
        // of a kept K, frees those before it (NativeScope; before helper native35 only the
        // build's failure did, and a refused buffer left the operands, K or the blocks open).
        try (NativeScope scope = new NativeScope()) {
            this.operands = scope.own(new DistanceGemm(x, y, alpha));
            this.weights = scope.own(Buffers.floats(cols));
            this.ones = scope.own(Buffers.floats(cols)).assign(1.0);
            this.weightsPtr = Buffers.floatPointer(weights);
            this.onesPtr = Buffers.floatPointer(ones);
            this.weightsHost = new float[cols];
            this.partialHost = new float[rows];
            this.radii = operands.radii();
            this.shiftScratch = new ShiftedTiles.Scratch[PinnedWorkers.count()];
            for (int k = 0; k < shiftScratch.length; k++) {
                shiftScratch[k] = new ShiftedTiles.Scratch();
            }
            if (plan.materialise()) {
                this.kernel = scope.own(Buffers.scratchFloats((long) rows * cols));
                this.kernelPtr = Buffers.floatPointer(kernel);
                this.blocking = null;
                this.blocks = null;
                this.columnBlocks = 1;
                this.blockPieces = null;
                this.keptPieces = new ShiftedTiles.Pieces();
                this.flatRow = null;
                this.lowHalfHost = null;
                this.upperBlocks = null;
                this.columnSums = null;
                this.strip = null;
                this.stripPtr = null;
                this.stripView = null;
                // K is built at the end (below), once the partials (n floats) are taken too.
            } else {
                this.kernel = null;
                this.kernelPtr = null;
                int workers = PinnedWorkers.count();
                long tileFloats = (long) Math.min(plan.tileRows(), rows) * cols;
                // The grid is a function of the problem only (not of the worker count): a
                // row's partial sums, and so its bits, follow the column blocks.
                KernelBlocking grid = KernelBlocking.of(rows, cols,
                        tileFloats / BLOCKS_PER_TILE);
                if (self) {
                    // Square blocks: the transpose of block (a, b) is block (b, a) of the same
                    // grid, so its column sums land in the partials of that block's rows.
                    int side = Math.min(grid.rows(), grid.cols());
                    grid = new KernelBlocking(side, side);
                }
                this.blocking = grid;
                int br = blocking.rows();
                int bc = blocking.cols();
                this.blocks = new BlockBuffer[workers];
                for (int k = 0; k < workers; k++) {
                    blocks[k] = scope.own(new BlockBuffer(blocking.floats(), blocking.floats(),
                            (long) (rows % br) * bc, (long) br * (cols % bc),
                            (long) (rows % br) * (cols % bc)));
                    // Each product's blocks reuse their exp ops (BlockBuffer#kernelValues);
                    // one scratch a worker, as many as blocks (PinnedWorkers.count() both).
                    shiftScratch[k].kernelValues = blocks[k]::kernelValues;
                }
                this.columnBlocks = blocking.colBlocks(cols);
                this.blockPieces =
                        new ShiftedTiles.Pieces[blocking.rowBlocks(rows) * columnBlocks];
                this.keptPieces = null;
                this.flatRow = new float[workers][bc];
                this.lowHalfHost = new float[br];
                if (self) {
                    int rowBlocks = blocking.rowBlocks(rows);
                    this.upperBlocks = new int[rowBlocks * (rowBlocks + 1) / 2];
                    for (int a = 0, u = 0; a < rowBlocks; a++) {
                        for (int b = a; b < columnBlocks; b++) {
                            upperBlocks[u++] = a * columnBlocks + b;
                        }
                    }
                    this.columnSums = new double[workers][bc];
                    this.strip = scope.own(new INDArray[workers]);
                    this.stripPtr = new FloatPointer[workers];
                    this.stripView = new FloatBuffer[workers];
                    for (int k = 0; k < workers; k++) {
                        strip[k] = Buffers.floats(bc);
                        stripPtr[k] = Buffers.floatPointer(strip[k]);
                        stripView[k] = DistanceGemm.floats(stripPtr[k], bc);
                    }
                } else {
                    this.upperBlocks = null;
                    this.columnSums = null;
                    this.strip = null;
                    this.stripPtr = null;
                    this.stripView = null;
                }
            }
            this.partials = scope.own(Buffers.scratchFloats((long) columnBlocks * rows));
            this.lowHalves = kernel == null ? new LowHalves((long) columnBlocks * rows) : null;
            this.partialsPtr = Buffers.floatPointer(partials);
            if (kernel != null) {
                // A cancelled build frees K with the rest: nobody else holds this operator yet.
                buildKernel(plan.tileRows());
                // The operands are no longer needed once K exists.
                operands.close();
            }
            scope.transfer();
        }
    }

    /**
     * K = exp(exponents), row tile by row tile straight into K, the tiles shared out among the
     * workers like the blocks of a tiled product; each worker asks for the caller's interrupt
     * before it takes a tile.
     *
     * @throws java.util.concurrent.CancellationException when the calling thread was
     *     interrupted ({@link Cancellation}); K is then partly written
     */
    private void buildKernel(int tileRows) {
        if (rows == 0 || cols == 0) {
            return;
        }
        int tileCount = (rows + tileRows - 1) / tileRows;
        ClaimedUnits tiles = new ClaimedUnits(tileCount);
        ShiftedTiles.Pieces[] shifted = new ShiftedTiles.Pieces[tileCount];
        IntConsumer hook = buildTileStarted;
        PinnedWorkers.run((worker, callerInterrupted) -> {
            for (int t; (t = tiles.next(callerInterrupted)) >= 0; ) {
                hook.accept(t);
                int start = t * tileRows;
                int count = Math.min(tileRows, rows - start);
                long offset = (long) start * cols;
                operands.block(start, count, alpha, OpenBlas.at(kernelPtr, offset));
                zeroSelfDiagonal(OpenBlas.at(kernelPtr, offset), start, count, 0, cols);
                shifted[t] = new ShiftedTiles.Pieces();
                ShiftedTiles.values(OpenBlas.at(kernelPtr, offset),
                        Buffers.range(kernel, offset, offset + (long) count * cols), start, count,
                        0, cols, radii, shiftScratch[worker], shifted[t]);
            }
        });
        tiles.throwIfStopped(CANCELLED_BUILD);
        for (ShiftedTiles.Pieces p : shifted) {
            keptPieces.addAll(p); // in tile order, so a product's sums are in a fixed order
        }
    }

    /**
     * In a block of K_XX's exponents (rows {@code i..i+r}, columns {@code j..j+c}, row-major),
     * sets those on the diagonal to exactly 0: the self-distance of a row is 0, but the GEMM form
     * {@code x.y - ||x||^2/2 - ||y||^2/2} leaves a float32 residue of about
     * {@code 1e-7 ||x||^2 / sigma^2}, which at a small bandwidth puts K's diagonal well below 1.
     * O(min(r, c)).
     */
    private void zeroSelfDiagonal(FloatPointer block, int i, int r, int j, int c) {
        if (!self) {
            return;
        }
        for (int a = Math.max(i, j); a < Math.min(i + r, j + c); a++) {
            block.put((long) (a - i) * c + (a - j), 0f);
        }
    }

    @Override
    public boolean materialised() {
        return kernel != null;
    }

    /** A tiled K_XX gives working sets (see {@link #principalSubmatrixChecked}). */
    @Override
    public boolean offersPrincipalSubmatrix() {
        return selfRows != null;
    }

    /**
     * The working set {@code K[I][I]} of a tiled K_XX: the rows I gathered (O(|I| d)) and a
     * self-kernel of them made as {@link Nd4jBackend#rbfOperator} makes one, independent of
     * this operator. Kept ({@link Nd4jSymmetricKernelOperator}: the upper triangle, built once
     * in {@code |I|^2 (d + 2)} flops, about one tiled product of the set, then {@code O(|I|^2)}
     * per product instead of {@code O(|I|^2 d)}) when its bytes, counted as the planner counts a
     * kept K_SS ({@link Nd4jSymmetricKernelOperator#keptBytes}), fit {@code memoryBudgetBytes}:
     * this operator keeps nothing the planner counts (its tile and operands are scratch), so the
     * working set alone must fit. Otherwise tiled, with this operator's tile bytes: still
     * {@code |I|^2 / n^2} of a full product and nothing kept (the spare triangle of earlier
     * kept sets is then freed: {@link KeptSetStorage#releaseSpare}). Either has the accuracy of
     * its kind (the class comments: a kept triangle's flat panels and a tiled block's with a
     * shifted piece sum in double against the double w), and its entries are recomputed from the
     * rows, not copied, so they may differ from this operator's in the last float bit (other GEMM
     * blocks).
     * A kept set's triangle is the last closed set's where that holds it within the budget
     * ({@link KeptSetStorage}; the optimiser closes one set before it gathers the next, so they
     * never hold two between them), else fresh; either way each entry is written before it is
     * read, so the products have the same bits.
     *
     * @throws NativeMemoryException when the kept working set fits the budget but JavaCPP or the
     *     machine refuses its memory
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     during a kept working set's build (asked before each block of rows); its memory is
     *     freed
     */
    @Override
    protected KernelOperator principalSubmatrixChecked(int[] indices, long memoryBudgetBytes) {
        if (selfRows == null) {
            return null;
        }
        int k = indices.length;
        FloatMatrix selected = selfRows.selectRows(indices);
        long kept = Nd4jSymmetricKernelOperator.keptBytes(k);
        if (kept != Long.MAX_VALUE && kept <= memoryBudgetBytes) {
            return Nd4jSymmetricKernelOperator.keptWorkingSet(selected, sigma, lifetime, rows,
                    keptSets, memoryBudgetBytes);
        }
        // Tiled: no kept set follows to reuse the spare, and this set allocates tiles of its
        // own beside it; freed now rather than held until this operator closes.
        keptSets.releaseSpare();
        return new Nd4jKernelOperator(selected, selected, sigma,
                TilePlan.tiled(TilePlan.tileRowsFor(k, k, tileBytes)), lifetime);
    }

    /** Pairs of exp ops its block buffers have made (tests; 0 for a kept K). */
    int opsMadeForTests() {
        int made = 0;
        if (blocks != null) {
            for (BlockBuffer b : blocks) {
                made += b.opsMade();
            }
        }
        return made;
    }

    /** The storage of this operator's kept working sets (tests). */
    KeptSetStorage keptSetStorage() {
        return keptSets;
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        Buffers.putRounded(w, cols, weightsHost, weightsPtr);
        product(weightsPtr, w, out);
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        product(onesPtr, null, out);
    }

    /**
     * Blocks a tile is split into for a tiled product: a fixed count, so the block grid depends
     * on the sizes alone (it was the tile over the worker count, and the results moved with the
     * cores, review 23). Eight blocks of a 32 MiB tile are 4 MiB, about 1,000 x 1,000, whose
     * GEMM packs about 0.2% of its work ({@link KernelBlocking}); the workers' buffers take a
     * quarter of the tile at 2 cores and twice it at 16.
     */
    static final int BLOCKS_PER_TILE = 8;

    /**
     * Rows per GEMV of a kept kernel's product: each block of rows is one single-threaded SGEMV
     * on a pinned worker into its own slice of the result, so the grid, and the bits, do not
     * depend on the thread count. 64 rows of m columns (256 KiB at m = 1,000) keep the blocks
     * many enough to share out evenly and each call long against its overhead.
     */
    static final int GEMV_ROWS = 64;

    /**
     * out = K vector; n, m >= 1 (the base class answers an empty kernel); {@code weights} the
     * vector in double (null: all ones), whose sums the shifted pieces add and which the tiled
     * blocks with a shifted piece multiply ({@link #flatBlockProduct}).
     */
    private void product(FloatPointer vector, double[] weights, double[] out) {
        if (kernel != null) {
            // Not one GEMV on OpenBLAS's threads: its rounding depends on their count.
            int gemvBlocks = (rows + GEMV_ROWS - 1) / GEMV_ROWS;
            PinnedWorkers.forEachBlock(CANCELLED_KEPT, gemvBlocks, (worker, b) -> {
                int i = b * GEMV_ROWS;
                int r = Math.min(GEMV_ROWS, rows - i);
                OpenBlas.gemv(r, cols, 1f, OpenBlas.at(kernelPtr, (long) i * cols), vector,
                        OpenBlas.at(partialsPtr, i));
            });
        } else {
            fusedProduct(new FloatPointer[] {vector}, new double[][] {weights},
                    new FloatPointer[] {partialsPtr}, new LowHalves[] {lowHalves});
        }
        finish(partialsPtr, lowHalves, weights, out);
    }

    /**
     * The last steps of a product for one vector ({@link #product}, and each vector of
     * {@link #multiplyEach}): its partials summed into {@code out}, its shifted pieces' sums
     * added, and the kept sets' storage told of a product on all rows, where an idle spare
     * goes (spare33); not reached by a cancelled product, which throws before.
     */
    private void finish(FloatPointer parts, LowHalves halves, double[] weights, double[] out) {
        sumPartials(parts, halves, out);
        addShiftedSums(weights, out);
        keptSets.parentProduct();
    }

    /**
     * Adds to {@code out} each shifted piece's column weights on each of its rows, in double, in
     * a fixed order (kept: build-tile order; tiled: block order); nothing when no piece is
     * shifted, so those products keep their bits.
     */
    private void addShiftedSums(double[] weights, double[] out) {
        double[] prefix = null;
        if (keptPieces != null) {
            if (keptPieces.count() > 0) {
                keptPieces.addSums(prefixes.of(weights, cols), out);
            }
            return;
        }
        for (int b = 0; b < blockPieces.length; b++) {
            ShiftedTiles.Pieces p = blockPieces[b];
            if (p != null && p.count() > 0) {
                if (prefix == null) {
                    prefix = prefixes.of(weights, cols);
                }
                p.addSums(prefix, out);
                if (upperBlocks != null && b / columnBlocks != b % columnBlocks) {
                    p.addMirroredSums(prefix, out); // the block's transpose, below the diagonal
                }
            }
        }
    }

    /** The shifted pieces' prefix sums, reused product to product (made at first use). */
    private final ShiftedTiles.Prefixes prefixes = new ShiftedTiles.Prefixes();

    /**
     * Several products of a tiled K in one pass: each block of K is computed (GEMM, exp) once,
     * then one GEMV per vector (a K_XX's block above the diagonal also its transposed strips)
     * into that vector's own partials, the very calls
     * {@link #product} makes for each vector alone, so every result has the same bits; K is
     * recomputed once instead of once per vector. A kept K, or one vector, takes the plain path.
     */
    @Override
    public void multiplyEach(DeviceVector[] ws, DeviceVector[] outs) {
        if (ws.length != outs.length) {
            throw new IllegalArgumentException("multiplyEach: " + ws.length + " vectors, "
                    + outs.length + " outputs");
        }
        if (ws.length < 2 || kernel != null) {
            super.multiplyEach(ws, outs);
            return;
        }
        checkOpen();
        for (int k = 0; k < ws.length; k++) {
            OperatorArguments.checkMultiply(ws[k], outs[k], rows, cols);
        }
        int count = ws.length;
        INDArray[] extra = new INDArray[2 * (count - 1)];
        LowHalves[] halves = new LowHalves[count];
        try {
            FloatPointer[] vectors = new FloatPointer[count];
            double[][] doubles = new double[count][];
            FloatPointer[] parts = new FloatPointer[count];
            vectors[0] = weightsPtr;
            parts[0] = partialsPtr;
            halves[0] = lowHalves;
            for (int k = 1; k < count; k++) {
                extra[2 * (k - 1)] = Buffers.floats(cols);
                extra[2 * (k - 1) + 1] = Buffers.scratchFloats((long) columnBlocks * rows);
                vectors[k] = Buffers.floatPointer(extra[2 * (k - 1)]);
                parts[k] = Buffers.floatPointer(extra[2 * (k - 1) + 1]);
                halves[k] = new LowHalves((long) columnBlocks * rows);
            }
            for (int k = 0; k < count; k++) {
                doubles[k] = HostVector.array(ws[k]);
                Buffers.putRounded(doubles[k], cols, weightsHost, vectors[k]);
            }
            fusedProduct(vectors, doubles, parts, halves);
            for (int k = 0; k < count; k++) {
                finish(parts[k], halves[k], HostVector.array(ws[k]), HostVector.array(outs[k]));
            }
        } finally {
            Buffers.close(extra);
            for (int k = 1; k < count; k++) {
                if (halves[k] != null) {
                    halves[k].close();
                }
            }
        }
    }

    /**
     * How many pieces of K are stored shifted ({@link ShiftedTiles}): a kept K's, or those the
     * last tiled product found (tests).
     */
    int shiftedPieces() {
        if (keptPieces != null) {
            return keptPieces.count();
        }
        int count = 0;
        for (ShiftedTiles.Pieces p : blockPieces) {
            count += p == null ? 0 : p.count();
        }
        return count;
    }

    /**
     * Tells {@code hook} of each block of a tiled product a worker starts, by its number among
     * the blocks the product computes (a K_XX's: those on and above the diagonal); tests place
     * interrupts so.
     */
    void onBlockStarted(IntConsumer hook) {
        this.blockStarted = hook;
    }

    /**
     * partial[bj][i] = sum over column block bj of the stored values . vector: per block a GEMM,
     * the values in place (exp, or g for shifted pieces, {@link ShiftedTiles#values}, whose
     * pieces go to {@link #blockPieces}) and a GEMV, blocks handed out to the workers as they
     * come free; each worker asks for the caller's interrupt before it takes a block.
     *
     * <p>K_XX ({@link #upperBlocks}): only the blocks on and above the diagonal are computed,
     * and each one off it, B = K_{I,J} (I's block row a before J's b), gives both its row sums
     * {@code B w_J} (into partial[b][I], as any block) and its column sums {@code B^T w_I},
     * which are K_{J,I} w_I (into partial[a][J], the slot of the block below the diagonal that
     * is no longer computed): the exponentials and GEMMs of a product about halve
     * ({@code R (R + 1) / 2} blocks of {@code R^2}). Every slot is written by one block, the same
     * each time, so the bits depend neither on which worker took it nor on their count.
     */
    private void fusedProduct(FloatPointer[] vectors, double[][] doubles, FloatPointer[] parts,
            LowHalves[] halves) {
        int colBlocks = columnBlocks;
        int[] upper = upperBlocks;
        ClaimedUnits units = new ClaimedUnits(upper != null ? upper.length
                : blocking.rowBlocks(rows) * colBlocks);
        IntConsumer hook = blockStarted;
        PinnedWorkers.run((worker, callerInterrupted) -> {
            BlockBuffer buffer = blocks[worker];
            FloatPointer blockPtr = buffer.pointer();
            for (int u; (u = units.next(callerInterrupted)) >= 0; ) {
                hook.accept(u);
                int b = upper != null ? upper[u] : u;
                int bi = b / colBlocks;
                int bj = b % colBlocks;
                int i = bi * blocking.rows();
                int j = bj * blocking.cols();
                int r = Math.min(blocking.rows(), rows - i);
                int c = Math.min(blocking.cols(), cols - j);
                operands.block(i, r, j, c, alpha, blockPtr);
                zeroSelfDiagonal(blockPtr, i, r, j, c);
                ShiftedTiles.Pieces shifted = blockPieces[b];
                if (shifted == null) {
                    shifted = new ShiftedTiles.Pieces();
                    blockPieces[b] = shifted; // read after the run, which the workers join
                }
                ShiftedTiles.values(blockPtr, buffer.view((long) r * c), i, r, j, c, radii,
                        shiftScratch[worker], shifted);
                long at = (long) bj * rows + i;
                // K_{J,I}'s slot: its rows are J (= K's columns j..), its column block bi.
                boolean mirror = upper != null && bi != bj;
                long mirrorAt = (long) bi * rows + j;
                for (int k = 0; k < vectors.length; k++) {
                    if (shifted.count() > 0) {
                        flatBlockProduct(worker, blockPtr, i, r, j, c, doubles[k],
                                OpenBlas.at(parts[k], at), OpenBlas.at(halves[k].pointer(), at),
                                mirror ? OpenBlas.at(parts[k], mirrorAt) : null,
                                mirror ? OpenBlas.at(halves[k].pointer(), mirrorAt) : null);
                        continue;
                    }
                    OpenBlas.gemv(r, c, 1f, blockPtr, OpenBlas.at(vectors[k], j),
                            OpenBlas.at(parts[k], at));
                    if (mirror) {
                        mirroredProduct(worker, blockPtr, r, c, OpenBlas.at(vectors[k], i),
                                OpenBlas.at(parts[k], mirrorAt),
                                OpenBlas.at(halves[k].pointer(), mirrorAt));
                    }
                }
            }
        });
        // Some partials were never written: never summed, whatever the status now.
        units.throwIfStopped(CANCELLED);
    }

    /**
     * Rows per transposed SGEMV of {@link #mirroredProduct}: each column sum of a strip is a
     * float32 sum of at most this many terms before it goes to double, as in the kept triangle's
     * mirrored sums ({@link SymmetricPanels#PANEL_ROWS}).
     */
    static final int MIRROR_ROWS = SymmetricPanels.PANEL_ROWS;

    /**
     * {@code part + lowHalf = B^T vector_[i, i + r)} for a block B ({@code r x c} row-major) of a
     * K_XX above its diagonal that has no shifted piece, which is K_{J,I} times the vector's
     * slice: one transposed SGEMV per strip of {@value #MIRROR_ROWS} rows (float32 sums of at
     * most that many terms), the strips' results added in double in row order and kept as a
     * float pair like {@link #flatBlockProduct}'s (one float would round the sum of about
     * {@code r / 32} strips again). Why strips, not one transposed SGEMV of r rows: that one
     * sums each column over all r (about 1,000) rows in float, a longer float sum than the row
     * side's; the strips keep the kept triangle's accuracy rule. O(r c) reads of a block still
     * in cache, and {@code c r / 32} double additions, beside the block's GEMM of
     * {@code 2 (d + 2)} flops a value, which it saves.
     */
    private void mirroredProduct(int worker, FloatPointer block, int r, int c,
            FloatPointer vector, FloatPointer part, FloatPointer lowHalf) {
        double[] sums = columnSums[worker];
        float[] floats = flatRow[worker];
        FloatPointer out = stripPtr[worker];
        FloatBuffer outView = stripView[worker];
        Arrays.fill(sums, 0, c, 0.0);
        // Two views moved from strip to strip, not two new ones a strip (OpenBlas.at): those
        // were about 1,000 objects a product at n = 6,000, 45 KB of its 404 KB of heap garbage,
        // which a fit's young generation holds until the fit ends, so it adds to the peak RSS
        // (docs/PERFORMANCE.md, helper kept31). The same addresses: the same bits.
        FloatPointer rowsView = new FloatPointer(block);
        FloatPointer vectorView = new FloatPointer(vector);
        long rows0 = block.position();
        long vector0 = vector.position();
        for (int s = 0; s < r; s += MIRROR_ROWS) {
            int h = Math.min(MIRROR_ROWS, r - s);
            OpenBlas.gemv(true, h, c, rowsView.position(rows0 + (long) s * c), c,
                    vectorView.position(vector0 + s), out);
            outView.get(0, floats, 0, c);
            for (int x = 0; x < c; x++) {
                sums[x] += floats[x];
            }
        }
        storePair(sums, c, floats, part, lowHalf);
    }

    /**
     * Stores {@code sums[0, c)} as float pairs: the float rounding of each in {@code part}, the
     * rest, rounded to float, in {@code lowHalf} (the pair keeps about 48 bits); {@code floats}
     * is scratch of at least c.
     */
    private static void storePair(double[] sums, int c, float[] floats, FloatPointer part,
            FloatPointer lowHalf) {
        for (int x = 0; x < c; x++) {
            floats[x] = (float) sums[x];
        }
        DistanceGemm.floats(part, c).put(0, floats, 0, c);
        for (int x = 0; x < c; x++) {
            floats[x] = (float) (sums[x] - floats[x]);
        }
        DistanceGemm.floats(lowHalf, c).put(0, floats, 0, c);
    }

    /**
     * {@code part + lowHalf = B w_[j, j + c)} for a block B ({@code r x c} row-major, K's rows
     * from i and columns from j) with a shifted piece (see the class comment), in double: each
     * row of B is copied to a float array and its products with the double w (null: ones) summed
     * in four interleaved double accumulators (a fixed order, so the same bits every time; four
     * so the adds need not wait on each other). The sum is stored as its float rounding in
     * {@code part} and the rest, rounded to float, in {@code lowHalf} (the pair keeps about 48
     * bits). With {@code mirrorPart} (a block of K_XX above its diagonal, {@link #fusedProduct})
     * the same pass also sums {@code B^T w_[i, i + r)} in double, row after row, into the
     * worker's {@link #columnSums}, stored as a pair the same way: both sides of the block as
     * accurate as the row side alone was. O(r c), beside the block's GEMM of
     * {@code 2 (d + 2)} flops a value.
     */
    private void flatBlockProduct(int worker, FloatPointer block, int i, int r, int j, int c,
            double[] w, FloatPointer part, FloatPointer lowHalf, FloatPointer mirrorPart,
            FloatPointer mirrorLow) {
        float[] row = flatRow[worker];
        double[] columns = mirrorPart != null ? columnSums[worker] : null;
        if (columns != null) {
            Arrays.fill(columns, 0, c, 0.0);
        }
        FloatBuffer values = DistanceGemm.floats(block, Math.multiplyExact(r, c));
        FloatBuffer high = DistanceGemm.floats(part, r);
        FloatBuffer low = DistanceGemm.floats(lowHalf, r);
        int c4 = c & ~3;
        for (int a = 0; a < r; a++) {
            values.get(a * c, row, 0, c);
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            if (w == null) {
                for (int x = 0; x < c4; x += 4) {
                    s0 += row[x];
                    s1 += row[x + 1];
                    s2 += row[x + 2];
                    s3 += row[x + 3];
                }
                for (int x = c4; x < c; x++) {
                    s0 += row[x];
                }
            } else {
                for (int x = 0; x < c4; x += 4) {
                    s0 += row[x] * w[j + x];
                    s1 += row[x + 1] * w[j + x + 1];
                    s2 += row[x + 2] * w[j + x + 2];
                    s3 += row[x + 3] * w[j + x + 3];
                }
                for (int x = c4; x < c; x++) {
                    s0 += row[x] * w[j + x];
                }
            }
            double sum = (s0 + s1) + (s2 + s3);
            float h = (float) sum;
            high.put(a, h);
            low.put(a, (float) (sum - h));
            if (columns != null) {
                double wa = w == null ? 1.0 : w[i + a];
                for (int x = 0; x < c; x++) {
                    columns[x] += row[x] * wa;
                }
            }
        }
        if (columns != null) {
            storePair(columns, c, row, mirrorPart, mirrorLow);
        }
    }

    /**
     * The low halves of one vector's partials ({@link #flatBlockProduct}), written only by
     * blocks with a shifted piece: allocated when the first such block needs them (by whichever
     * worker meets it first), so a product at an ordinary bandwidth allocates nothing more.
     * Same length and layout as the partials.
     */
    private static final class LowHalves {
        private final long length;
        private INDArray buffer;
        private FloatPointer pointer;

        LowHalves(long length) {
            this.length = length;
        }

        synchronized FloatPointer pointer() {
            if (pointer == null) {
                buffer = Buffers.scratchFloats(length);
                pointer = Buffers.floatPointer(buffer);
            }
            return pointer;
        }

        synchronized void close() {
            Buffers.close(buffer);
            buffer = null;
            pointer = null;
        }
    }

    /** out = the column-block partials summed in double, always in the same order. */
    private void sumPartials(FloatPointer parts, LowHalves halves, double[] out) {
        Arrays.fill(out, 0.0);
        for (int bj = 0; bj < columnBlocks; bj++) {
            OpenBlas.at(parts, (long) bj * rows).get(partialHost, 0, rows);
            if (blockPieces == null) { // kept
                for (int i = 0; i < rows; i++) {
                    out[i] += partialHost[i];
                }
                continue;
            }
            for (int bi = 0, i0 = 0; i0 < rows; bi++, i0 += blocking.rows()) {
                int i1 = Math.min(rows, i0 + blocking.rows());
                // Below a K_XX's diagonal: the column sums of block (bj, bi), always a pair.
                boolean mirrored = upperBlocks != null && bi > bj;
                if (!mirrored && blockPieces[bi * columnBlocks + bj].count() == 0) {
                    for (int i = i0; i < i1; i++) {
                        out[i] += partialHost[i];
                    }
                } else { // hi + lo is exact in double (lo is at most half an ulp of hi)
                    OpenBlas.at(halves.pointer(), (long) bj * rows + i0)
                            .get(lowHalfHost, 0, i1 - i0);
                    for (int i = i0; i < i1; i++) {
                        out[i] += (double) partialHost[i] + lowHalfHost[i - i0];
                    }
                }
            }
        }
    }

    @Override
    protected void release() {
        keptSets.close(); // sets still open free their own triangles when they close
        operands.close();
        if (blocks != null) {
            for (BlockBuffer b : blocks) {
                b.close();
            }
        }
        Buffers.close(kernel, partials, weights, ones);
        if (strip != null) {
            Buffers.close(strip);
        }
        if (lowHalves != null) {
            lowHalves.close();
        }
    }
}
