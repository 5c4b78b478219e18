package io.synalign.kernels.nd4j;

import io.synalign.kernels.FloatMatrix;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Pairwise squared distances between two row sets as ONE GEMM per row tile, norms included.
 *
 * <p>Each row is stored augmented by two columns ({@link AugmentedRows}, about a common centre
 * c of the two sets): {@code left_i = [x_i, -||x_i||^2 / 2, 1]} and
 * {@code right_j = [y_j, 1, -||y_j||^2 / 2]} (x and y taken minus c), so that
 * {@code left_i . right_j = x_i . y_j - ||x_i||^2 / 2 - ||y_j||^2 / 2 = -||x_i - y_j||^2 / 2}.
 * One GEMM with {@code alpha = -2} yields the squared distances
 * ({@code ||x||^2 + ||y||^2 - 2 X Y^T}) and with {@code alpha = 1 / sigma^2} the RBF exponent
 * {@code -||x - y||^2 / (2 sigma^2)}; the norm terms ride inside the GEMM (two extra terms of the
 * inner product) instead of costing two broadcast passes over every {@code rows x cols} tile.
 * The norms are summed in double and rounded once.
 *
 * <p>Accuracy: like any float32 GEMM form, a distance carries an absolute error of a few
 * {@code eps (||x - c||^2 + ||y - c||^2)} ({@code eps = 6e-8}) from cancellation, so a kernel
 * exponent errs by about {@code eps (||x - c||^2 + ||y - c||^2) / (2 sigma^2)}: about a median
 * centre the norms are the rows' spread, comparable to their distances, whatever offset the rows
 * share; entries whose bound still matters (rows far from the centre) are recomputed in double
 * ({@link FarPairs}).
 *
 * <p>Memory: {@code (n + m)(d + 2)} floats off heap. Not thread-safe; close to free.
 */
final class DistanceGemm implements AutoCloseable {

    private final int rows;
    private final int cols;
    private final int depth;
    private final INDArray left;
    private final INDArray right;
    private final FloatPointer leftPtr;
    private final FloatPointer rightPtr;
    /** The repairs of far pairs, or null when no tile of this alpha can need one. */
    private FarPairs far;
    /** The rows' radii about the centre for kernel tiles ({@link ShiftedTiles#flat}); else null. */
    private final ShiftedTiles.Radii radii;

    /**
     * Operands for X (rows of the result) against Y (columns), about their common centre, for
     * tiles made with {@code alpha} (the rows are kept for repairs only where that alpha can
     * need one: a kept operator must not hold its rows otherwise).
     */
    DistanceGemm(FloatMatrix x, FloatMatrix y, float alpha) {
        this.rows = x.rows();
        this.cols = y.rows();
        this.depth = depthFor(x.cols());
        double[] centre = AugmentedRows.centre(x, y);
        try (NativeScope scope = new NativeScope()) { // the left rows go where the rest fails
            this.left = scope.own(augmented(x, centre, true));
            this.right = scope.own(augmented(y, centre, false));
            this.leftPtr = Buffers.floatPointer(left);
            this.rightPtr = Buffers.floatPointer(right);
            this.far = FarPairs.forAlpha(x, y, centre, alpha);
            if (alpha > 0) {
                double[] rx = FarPairs.norms(x, centre);
                this.radii = new ShiftedTiles.Radii(rx, y == x ? rx : FarPairs.norms(y, centre),
                        alpha);
            } else {
                this.radii = null;
            }
            scope.transfer();
        }
    }

    /**
     * The radii of the rows and columns about the operands' centre, scaled for the alpha this was
     * made with, which bound a kernel tile's exponents ({@link ShiftedTiles#flat}); null for a
     * distance tile. O(n + m) doubles.
     */
    ShiftedTiles.Radii radii() {
        return radii;
    }

    /** Columns of an augmented row for input dimension {@code dim}. */
    static int depthFor(int dim) {
        return AugmentedRows.depthFor(dim);
    }

    int rows() {
        return rows;
    }

    int cols() {
        return cols;
    }

    /**
     * The full-width row tile: {@code c[i * cols + j] = alpha * left_{start + i} . right_j} for
     * {@code i < count}, i.e. {@code -alpha ||x_i - y_j||^2 / 2}. Cost 2 count cols (d + 2).
     */
    void block(int start, int count, float alpha, FloatPointer c) {
        block(start, count, 0, cols, alpha, c);
    }

    /**
     * The dense {@code rowCount x colCount} block at (rowStart, colStart):
     * {@code c[i * colCount + j] = alpha * left_{rowStart + i} . right_{colStart + j}}.
     */
    void block(int rowStart, int rowCount, int colStart, int colCount, float alpha,
            FloatPointer c) {
        if (rowCount == 0 || colCount == 0) {
            return;
        }
        OpenBlas.gemmNT(rowCount, colCount, depth, alpha,
                OpenBlas.at(leftPtr, (long) rowStart * depth),
                OpenBlas.at(rightPtr, (long) colStart * depth), c);
        FarPairs pairs = far;
        if (pairs != null && pairs.mayRepair(alpha)) { // (a call may pass another alpha)
            // Rows far from the centre: their entries' float32 error can matter (FarPairs).
            pairs.repair(rowStart, rowCount, colStart, colCount, alpha,
                    floats(c, Math.multiplyExact(rowCount, colCount)));
        }
    }

    /** The {@code length} floats from {@code c}'s position on, as a buffer over the same memory. */
    static FloatBuffer floats(FloatPointer c, int length) {
        return new FloatPointer(c).limit(c.position() + length).asBuffer();
    }

    private static INDArray augmented(FloatMatrix m, double[] centre, boolean left) {
        int depth = depthFor(m.cols());
        INDArray out = Buffers.floats((long) m.rows() * depth);
        FloatPointer ptr = Buffers.floatPointer(out);
        float[] row = new float[depth];
        for (int i = 0; i < m.rows(); i++) {
            AugmentedRows.row(m, i, centre, left, row, 0);
            OpenBlas.at(ptr, (long) i * depth).put(row, 0, depth);
        }
        return out;
    }

    /**
     * Kernel values from exponents, in place: {@code k = exp(min(e, 0))}. The clamp: rounding can
     * leave the exponent of two equal rows a little above 0, and a small sigma^2 turns that into
     * a value far above 1 (Infinity at sigma = 1e-3); no kernel value exceeds 1. The extra pass
     * runs on a tile still in cache, against the GEMM's 2 (d + 2) flops per value.
     */
    static void kernelValues(INDArray exponents) {
        Transforms.min(exponents, 0.0, false);
        Transforms.exp(exponents, false);
    }

    @Override
    public void close() {
        far = null; // lets the rows go with the operands
        Buffers.close(left, right);
    }
}
