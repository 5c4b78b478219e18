package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.TilePlan;
import java.util.function.IntConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code w -> K w} for the RBF kernel between X (n rows) and Y (m rows) with ND4J INDArray
 * operations only (the portable path, {@link Nd4jPath#PORTABLE}), float32, so it runs wherever
 * ND4J runs, on a CUDA device included.
 *
 * <p>Tiled plan: every product recomputes K in row tiles of {@code plan.tileRows()} rows: per
 * tile one {@code Nd4j.gemm} of augmented X rows against augmented Y rows gives the exponents
 * {@code -||x_i - y_j||^2 / (2 sigma^2)} (norms and scale inside the GEMM, see
 * {@link PortableOperands}), {@code Transforms.exp} runs in place, and a second GEMM with the
 * weight column gives the tile's slice of {@code K w}, which is assigned into a result column;
 * the result crosses to the host once per product. Cost per product 2 n m (d + 3) flops plus
 * n m exps; memory O(tileRows m + (n + m) d), allocated once, at construction.
 *
 * <p>Materialised plan: K is one GEMM and one in-place exp, built once; each product is one
 * matrix-vector GEMM, O(n m).
 *
 * <p>Flat pieces ({@link PortableShifts}, the grid and rule of {@link ShiftedTiles}): where every
 * exponent of a piece is above -1/4 it holds {@code g = k - 1}, and a product adds the piece's
 * column weights to its rows in double after the float32 GEMM; none at ordinary bandwidths, where
 * every value and bit is as before.
 *
 * <p>Unlike the CPU path ({@link Nd4jKernelOperator}) nothing runs block-parallel on Java
 * threads, and each tile's row sums are one float32 GEMV over all m columns, as in the
 * materialised CPU path.
 *
 * <p>Cancellation ({@link Cancellation}): a tiled product asks for the calling thread's
 * interrupt before each tile and throws the contract's
 * {@link java.util.concurrent.CancellationException} (status kept set, {@code out} unwritten);
 * the check changes no arithmetic. Not thread-safe.
 */
final class PortableKernelOperator extends AbstractKernelOperator {

    private final int rows;
    private final int cols;
    private final float alpha;
    private final int tileRows;
    private final INDArray left;
    private final INDArray right;
    private final INDArray kernel;
    private final PortableTiles tiles;
    private final PortableTiles tileSums;
    private final INDArray result;
    private final INDArray ones;
    /** K_XX: its diagonal exponents are set to exactly 0 before exp. */
    private final boolean self;
    /**
     * The entries recomputed in double (rows far from the centre); null once K is built, or
     * when no tile can need it (then the rows are not held).
     */
    private final FarPairs far;
    /** Kept: the shifted pieces of K; tiled: those of the last product's tiles (refilled each time). */
    private final ShiftedTiles.Pieces shifted = new ShiftedTiles.Pieces();
    /** The shifted pieces' prefix sums, reused product to product (made at first use). */
    private final ShiftedTiles.Prefixes prefixes = new ShiftedTiles.Prefixes();
    /** Told the number of each tile of a tiled product as it starts (tests place interrupts so). */
    private IntConsumer tileStarted = tile -> { };

    /** What an interrupted product names ({@link Cancellation}). */
    private static final String CANCELLED = "tiled kernel product (tile)";

    PortableKernelOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan,
            BackendLifetime backend) {
        super(x.rows(), y.rows(), backend);
        this.rows = x.rows();
        this.cols = y.rows();
        this.alpha = (float) (1.0 / (sigma * sigma));
        this.self = x == y;
        this.tileRows = Math.max(1, Math.min(plan.tileRows(), rows));
        // Every buffer is the scope's until the end: one refused, or a failed build of a kept
        // K, frees those before it (NativeScope, helper native35).
        try (NativeScope scope = new NativeScope()) {
            this.result = scope.own(Buffers.allocate(() -> Nd4j.create(DataType.FLOAT,
                    Math.max(1, rows), 1)));
            this.ones = scope.own(Buffers.allocate(() -> Nd4j.ones(DataType.FLOAT,
                    Math.max(1, cols), 1)));
            double[] centre = AugmentedRows.centre(x, y);
            INDArray l = scope.own(PortableOperands.leftRows(x, centre));
            INDArray r = scope.own(PortableOperands.rightRows(y, centre));
            FarPairs farPairs = FarPairs.forAlpha(x, y, centre, alpha);
            if (plan.materialise()) {
                this.kernel = scope.own(Buffers.allocate(() -> Nd4j.createUninitialized(
                        DataType.FLOAT, Math.max(1, rows), Math.max(1, cols))));
                if (rows > 0 && cols > 0) {
                    Nd4j.gemm(l, r, kernel, false, true, alpha, 0.0);
                    if (farPairs != null) {
                        farPairs.repair(0, rows, 0, cols, alpha, kernel);
                    }
                    if (x == y) {
                        zeroDiagonal(kernel, 0, rows);
                    }
                    PortableShifts.values(kernel, 0, rows, cols, shifted);
                }
                // The operands are no longer needed once K exists.
                Buffers.close(l, r);
                this.left = null;
                this.right = null;
                this.tiles = null;
                this.tileSums = null;
                this.far = null;
            } else {
                this.far = farPairs;
                this.kernel = null;
                this.left = l;
                this.right = r;
                this.tiles = scope.own(new PortableTiles(rows, tileRows, cols));
                this.tileSums = scope.own(new PortableTiles(rows, tileRows, 1));
            }
            scope.transfer();
        }
    }

    @Override
    public boolean materialised() {
        return kernel != null;
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        INDArray weights = PortableOperands.column(w);
        try {
            product(weights, w, out);
        } finally {
            Buffers.close(weights);
        }
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        product(ones, null, out);
    }

    /** How many pieces of K are stored shifted: a kept K's, or the last tiled product's (tests). */
    int shiftedPieces() {
        return shifted.count();
    }

    /** Tells {@code hook} of each tile of a tiled product as it starts. */
    void onTileStarted(IntConsumer hook) {
        this.tileStarted = hook;
    }

    /**
     * out = K vector, vector an m x 1 column, {@code weights} it in double (null: all ones),
     * whose sums the shifted pieces add.
     */
    private void product(INDArray vector, double[] weights, double[] out) {
        if (kernel != null) {
            Nd4j.gemm(kernel, vector, result, false, false, 1.0, 0.0);
        } else {
            shifted.clear();
            for (int start = 0; start < rows; start += tileRows) {
                // Once per tile (a GEMM of tileRows x m x d), never inside one: see Cancellation.
                Cancellation.stopIfInterrupted(CANCELLED);
                tileStarted.accept(start / tileRows);
                int count = Math.min(tileRows, rows - start);
                INDArray tile = tiles.tile(count);
                Nd4j.gemm(PortableOperands.rows(left, start, start + count), right, tile, false,
                        true, alpha, 0.0);
                if (far != null) {
                    far.repair(start, count, 0, cols, alpha, tile);
                }
                if (self) {
                    zeroDiagonal(tile, start, count);
                }
                PortableShifts.values(tile, start, count, cols, shifted);
                INDArray sums = tileSums.tile(count);
                Nd4j.gemm(tile, vector, sums, false, false, 1.0, 0.0);
                PortableOperands.rows(result, start, start + count).assign(sums);
            }
        }
        float[] host = PortableOperands.hostFloats(result);
        for (int i = 0; i < rows; i++) {
            out[i] = host[i];
        }
        if (shifted.count() > 0) {
            shifted.addSums(prefixes.of(weights, cols), out);
        }
    }

    @Override
    protected void release() {
        if (tiles != null) {
            tiles.close();
            tileSums.close();
        }
        Buffers.close(kernel, left, right, result, ones);
    }

    /**
     * Sets the exponents of rows {@code start..start+count} of K_XX against themselves to
     * exactly 0 (the GEMM form leaves a float32 residue there, which a small bandwidth turns
     * into a diagonal well below 1). {@code exponents} holds those rows, all columns.
     */
    private static void zeroDiagonal(INDArray exponents, int start, int count) {
        for (int a = 0; a < count; a++) {
            exponents.putScalar(a, start + a, 0.0);
        }
    }
}
