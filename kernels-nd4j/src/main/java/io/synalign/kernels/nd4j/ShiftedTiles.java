package io.synalign.kernels.nd4j;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Kernel values kept as their distance from 1 where the kernel is flat, so that float32 keeps
 * {@code 1 - k} to its own relative precision.
 *
 * <p>Why: at a bandwidth several times the rows' spread every {@code k = exp(e)} lies near 1, and
 * a float32 {@code k} keeps {@code 1 - k} to an absolute {@code 3e-8} only (k = 1 - 5e-5 at 100
 * times the median bandwidth: three digits), while the MMD^2 is a small difference of products
 * whose terms near 1 cancel: measured 35 % off at 100 x the median. Since
 * {@code K w = (K - 1 1^T) w + 1 (sum_j w_j)}, a region of K can be stored as
 * {@code g = expm1(e) = k - 1} and its share of a product computed as the float32 GEMV of g plus,
 * in double, the sum of the region's weights added to each of its rows: the float32 rounding is
 * then relative to {@code 1 - k}, the weights' sum exact.
 *
 * <p>Regions: the cells of one fixed grid of {@value #ROWS} rows by {@value #COLS} columns of K
 * (absolute: rows {@code [32 a, 32 a + 32)}, columns {@code [256 b, 256 b + 256)}), cut further
 * where a block or tile of a product ends ({@link #pieces}), so every path (tiled, kept, the kept
 * triangle, the portable one) marks the same K alike whatever its blocking. A piece is
 * <em>shifted</em> when every exponent in it exceeds {@value #LIMIT} ({@link #flat}), that is when
 * every pair in it is closer than {@code sigma / sqrt 2} (k above {@code e^-1/4 = 0.78}, where g
 * keeps {@code 1 - k} at least {@code k / (1 - k) = 3.5} times better than k does); the
 * diagonal's exact 0 becomes g = 0. The limit is where storing g pays, not merely where it stops
 * costing: at k = 1/2 ({@code e > -ln 2}) every value of the 16,000-row benchmark's K is above it
 * at the median-heuristic bandwidth (unit-length embeddings, largest exponent -0.636), and at
 * -1/2 (k = 0.61) 1,886 of its 16,124 cells of K_SS are (a cluster of its synthetic rows,
 * 10,700 to 16,000, has a median exponent of -0.34): either changed the bits of ordinary runs
 * for a gain below 1.6. At -1/4 none is (no cell's largest exponent is above -0.405), while every
 * piece is shifted from 1.6 times the median bandwidth on those embeddings and from 2.4 times on
 * 1,500 x 32 rows spread like a Gaussian (largest exponent -1.46 at the median). A cluster tighter than that at the median bandwidth does get
 * shifted pieces, whose values are then the more precise. Pieces that are not shifted keep
 * {@code exp(min(e, 0))} by ND4J, today's values and bits; a block without a shifted piece runs
 * exactly as before.
 *
 * <p>g is computed here ({@link #expm1}): ND4J's {@code Transforms.expm1} (libnd4j's
 * {@code Expm1}: {@code exp(x) - 1}) loses g entirely below 1e-7 (measured relative error 1.0),
 * and its {@code tanh} route as well.
 *
 * <p>Cost of the decision: at an ordinary bandwidth the first exponents of a piece's first row
 * already fall below the limit (most pairs are beyond {@code sigma / sqrt 2}), so O(1) reads; at
 * a large one two triangle-inequality bounds prove a piece flat from O(rows + cols) reads; in
 * between, one read of the piece. Shifting a piece costs one Java pass ({@link #expm1}, about 0.3
 * ns a value, vectorised) instead of ND4J's exp; the sums of a product add O(n m / 256) double
 * additions to its O(n m).
 */
final class ShiftedTiles {

    private ShiftedTiles() {
    }

    /** Rows of a grid cell: a panel of the kept triangle ({@link SymmetricPanels#PANEL_ROWS}). */
    static final int ROWS = SymmetricPanels.PANEL_ROWS;

    /** Columns of a grid cell (a multiple of {@link #ROWS}, so a panel's diagonal block lies in one). */
    static final int COLS = 256;

    /** A piece is shifted when every exponent in it is above this (k above 0.78). */
    static final float LIMIT = -0.25f;

    /**
     * What a triangle-inequality bound must stay below to prove a piece flat without reading it:
     * {@code -}{@value #LIMIT} less a margin for the float32 rounding of the exponents the bounds
     * are compared with.
     */
    static final double BOUND = 0.245;

    /** Pieces {@code [start, start + count)} falls into when cut at multiples of {@code unit}. */
    static int pieces(int start, int count, int unit) {
        return count <= 0 ? 0 : (start + count - 1) / unit - start / unit + 1;
    }

    /** First index of piece {@code k} of {@code [start, ...)} cut at multiples of {@code unit}. */
    static int pieceStart(int start, int unit, int k) {
        return k == 0 ? start : (start / unit + k) * unit;
    }

    /** End (exclusive) of piece {@code k} of {@code [start, start + count)}. */
    static int pieceEnd(int start, int count, int unit, int k) {
        return Math.min(start + count, (start / unit + k + 1) * unit);
    }

    /** Taylor coefficients of {@code expm1}: {@code 1 / k!}, k = 1..11, in float. */
    private static final float C1 = 1f;
    private static final float C2 = (float) (1 / 2.0);
    private static final float C3 = (float) (1 / 6.0);
    private static final float C4 = (float) (1 / 24.0);
    private static final float C5 = (float) (1 / 120.0);
    private static final float C6 = (float) (1 / 720.0);
    private static final float C7 = (float) (1 / 5040.0);
    private static final float C8 = (float) (1 / 40320.0);
    private static final float C9 = (float) (1 / 362880.0);
    private static final float C10 = (float) (1 / 3628800.0);
    private static final float C11 = (float) (1 / 39916800.0);

    /**
     * {@code a[i] = expm1(min(a[i], 0))} for i in {@code [from, to)}: the Taylor series to degree
     * 11 in float32, Horner's rule. On {@code [-1, 0]} (a shifted piece has its exponents in
     * {@code (-1/4, 0]}) the truncation is below {@code 1 / 12! = 2e-9} of g, and the rounding a
     * few ulps: measured within 1.2e-7 of {@code Math.expm1} relative (degree 9 left 5e-7 at -1),
     * against 1.0 for ND4J's. The loop vectorises (0.3 ns a value on the build VM, below ND4J's
     * exp); Java rounds every float operation, so the values are the same on every machine.
     */
    static void expm1(float[] a, int from, int to) {
        for (int i = from; i < to; i++) {
            float x = Math.min(a[i], 0f);
            float p = C10 + x * C11;
            p = C9 + x * p;
            p = C8 + x * p;
            p = C7 + x * p;
            p = C6 + x * p;
            p = C5 + x * p;
            p = C4 + x * p;
            p = C3 + x * p;
            p = C2 + x * p;
            p = C1 + x * p;
            a[i] = x * p;
        }
    }

    /**
     * {@link #expm1} in place on {@code length} floats of native memory from {@code at}, through
     * {@code scratch} in pieces of its length.
     */
    static void expm1(FloatBuffer values, int at, int length, float[] scratch) {
        for (int done = 0; done < length; ) {
            int n = Math.min(scratch.length, length - done);
            values.get(at + done, scratch, 0, n);
            expm1(scratch, 0, n);
            values.put(at + done, scratch, 0, n);
            done += n;
        }
    }

    /**
     * Whether every exponent of the {@code rows x cols} piece at {@code offset} (row stride
     * {@code ld}) is above {@value #LIMIT}. Its first row and first column are read first: one at
     * or below the limit settles it (at ordinary bandwidths, within a few reads). Otherwise two
     * bounds may prove it without reading the rest, each through the triangle inequality on
     * {@code s = sqrt(-e)}, which is the distance times {@code sqrt(alpha / 2)}: through the
     * operands' centre c ({@link Radii#bound}: {@code alpha / 2 (max_i |x_i - c| + max_j |y_j -
     * c|)^2}, where {@code radii} is given; it suits rows spread about c), and through the
     * piece's first row and column, {@code s_ij <= s_i0 + s_00 + s_0j} (it suits a tight cluster
     * anywhere); either at most {@link #BOUND} proves it. Otherwise every value is read. The
     * answer is exactly whether every stored exponent exceeds the limit (a bound proves it with a
     * margin far above the exponents' rounding).
     *
     * @param radii the operands' radii, or null; {@code rowStart, colStart} are the piece's
     *     first row and column in K, where they are read
     */
    static boolean flat(FloatBuffer e, int offset, int ld, int rows, int cols, Radii radii,
            int rowStart, int colStart) {
        if (rows <= 0 || cols <= 0) {
            return false;
        }
        float rowMin = 0f;
        for (int j = 0; j < cols; j++) {
            float v = e.get(offset + j);
            if (v <= LIMIT) {
                return false;
            }
            rowMin = Math.min(rowMin, v);
        }
        float colMin = 0f;
        for (int i = 0; i < rows; i++) {
            float v = e.get(offset + i * ld);
            if (v <= LIMIT) {
                return false;
            }
            colMin = Math.min(colMin, v);
        }
        if (radii != null
                && radii.bound(rowStart, rowStart + rows, colStart, colStart + cols) <= BOUND) {
            return true;
        }
        double hops = Math.sqrt(-colMin) + Math.sqrt(-Math.min(e.get(offset), 0f))
                + Math.sqrt(-rowMin);
        if (hops * hops <= BOUND) {
            return true;
        }
        for (int i = 1; i < rows; i++) {
            int at = offset + i * ld;
            for (int j = 1; j < cols; j++) {
                if (e.get(at + j) <= LIMIT) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The radii of two row sets about their operands' centre, for the centre bound of
     * {@link #flat}: {@code sqrt(alpha / 2) |x_i - c|} in double.
     */
    static final class Radii {
        private final double[] rows;
        private final double[] cols;

        /**
         * @param rowNorms2 squared distances of the rows from the centre
         * @param colNorms2 those of the columns (the same array for a self-kernel)
         */
        Radii(double[] rowNorms2, double[] colNorms2, double alpha) {
            this.rows = scaled(rowNorms2, alpha);
            this.cols = colNorms2 == rowNorms2 ? rows : scaled(colNorms2, alpha);
        }

        private static double[] scaled(double[] norms2, double alpha) {
            double[] out = new double[norms2.length];
            double s = Math.sqrt(Math.max(alpha, 0) / 2);
            for (int i = 0; i < out.length; i++) {
                out[i] = s * Math.sqrt(norms2[i]);
            }
            return out;
        }

        /** The centre bound of rows {@code [r0, r1)} against columns {@code [c0, c1)}. */
        double bound(int r0, int r1, int c0, int c1) {
            double a = 0;
            for (int i = r0; i < r1; i++) {
                a = Math.max(a, rows[i]);
            }
            double b = 0;
            for (int j = c0; j < c1; j++) {
                b = Math.max(b, cols[j]);
            }
            return (a + b) * (a + b);
        }
    }

    /**
     * The shifted pieces of a block or tile, as absolute {@code [r0, r1) x [c0, c1)} rectangles in
     * the order they were found (row piece by row piece): what the sums of a product add.
     * Reused from block to block without allocating once it has grown.
     */
    static final class Pieces {
        private int count;
        private int[] bounds = new int[16];

        void clear() {
            count = 0;
        }

        int count() {
            return count;
        }

        void add(int r0, int r1, int c0, int c1) {
            if (4 * count + 4 > bounds.length) {
                bounds = Arrays.copyOf(bounds, 2 * bounds.length);
            }
            int at = 4 * count++;
            bounds[at] = r0;
            bounds[at + 1] = r1;
            bounds[at + 2] = c0;
            bounds[at + 3] = c1;
        }

        /** Appends {@code other}'s pieces after this one's. */
        void addAll(Pieces other) {
            for (int k = 0; k < other.count; k++) {
                int at = 4 * k;
                add(other.bounds[at], other.bounds[at + 1], other.bounds[at + 2],
                        other.bounds[at + 3]);
            }
        }

        int rowStart(int k) {
            return bounds[4 * k];
        }

        int rowEnd(int k) {
            return bounds[4 * k + 1];
        }

        int colStart(int k) {
            return bounds[4 * k + 2];
        }

        int colEnd(int k) {
            return bounds[4 * k + 3];
        }

        /**
         * {@code out[i] += sum_{j in [c0, c1)} w_j} for every row i of every piece, in piece
         * order, the sums from {@code prefix} ({@link #prefixSums}).
         */
        void addSums(double[] prefix, double[] out) {
            for (int k = 0; k < count; k++) {
                int at = 4 * k;
                double s = prefix[bounds[at + 3]] - prefix[bounds[at + 2]];
                for (int i = bounds[at]; i < bounds[at + 1]; i++) {
                    out[i] += s;
                }
            }
        }

        /**
         * The pieces' share of the transposed product (a self-kernel's block used for the block
         * below the diagonal too): {@code out[j] += sum_{i in [r0, r1)} w_i} for every column j
         * of every piece, in piece order.
         */
        void addMirroredSums(double[] prefix, double[] out) {
            for (int k = 0; k < count; k++) {
                int at = 4 * k;
                double s = prefix[bounds[at + 1]] - prefix[bounds[at]];
                for (int j = bounds[at + 2]; j < bounds[at + 3]; j++) {
                    out[j] += s;
                }
            }
        }
    }

    /**
     * {@code p[j] = w_0 + ... + w_{j-1}} in double ({@code p[0] = 0}), so the weights of columns
     * {@code [c0, c1)} are {@code p[c1] - p[c0]}, within a few {@code 1e-16 sum |w|}; null for
     * w null, meaning all ones (then {@code p[j] = j}, exact, see {@link #onesPrefix}).
     */
    static double[] prefixSums(double[] w) {
        return prefixSums(w, null);
    }

    /**
     * {@link #prefixSums(double[])} written into {@code into} when it has {@code w.length + 1}
     * entries (an operator's own, reused product to product: a fresh one was 8 (m + 1) bytes
     * of heap garbage a product, 48 KB at m = 6,000, helper spare33), else into a new array.
     * The same sums in the same order: the same bits.
     */
    static double[] prefixSums(double[] w, double[] into) {
        double[] p = into != null && into.length == w.length + 1 ? into : new double[w.length + 1];
        p[0] = 0;
        double s = 0;
        for (int j = 0; j < w.length; j++) {
            s += w[j];
            p[j + 1] = s;
        }
        return p;
    }

    /** The prefix sums of m ones: {@code p[j] = j}. */
    static double[] onesPrefix(int m) {
        double[] p = new double[m + 1];
        for (int j = 0; j <= m; j++) {
            p[j] = j;
        }
        return p;
    }

    /**
     * An operator's prefix sums for its shifted pieces' column sums ({@link Pieces#addSums}),
     * in arrays of its own reused product to product: the weights' ({@link #prefixSums}),
     * rewritten each product (O(m)), and the ones' ({@link #onesPrefix}), written once. Fresh
     * arrays were 8 (m + 1) bytes of heap garbage a product (48 KB at m = 6,000, helper
     * spare33). One holder for the three operators with shifted pieces (before helper native35
     * each nd4j operator wrote the reuse itself, and the portable one allocated per product).
     * The same sums in the same order as fresh arrays: the same bits. An array handed out is
     * valid until the next call; not thread-safe (an operator's products run one at a time).
     */
    static final class Prefixes {
        private double[] weighted;
        private double[] ones;

        /**
         * The prefix sums of {@code weights} ({@code m} of them), or of {@code m} ones where
         * {@code weights} is null (a row-sum product).
         *
         * @throws IllegalArgumentException where {@code weights} is not of length {@code m}
         */
        double[] of(double[] weights, int m) {
            if (weights == null) {
                if (ones == null || ones.length != m + 1) {
                    ones = onesPrefix(m);
                }
                return ones;
            }
            if (weights.length != m) {
                throw new IllegalArgumentException("prefix sums of " + weights.length
                        + " weights for " + m + " columns");
            }
            weighted = prefixSums(weights, weighted);
            return weighted;
        }
    }

    /**
     * Per-worker scratch for {@link #values}: the piece flags of one block and a buffer for the
     * Java passes.
     */
    static final class Scratch {
        private boolean[] flags = new boolean[64];
        final float[] floats = new float[4 * COLS];
        /**
         * What turns a whole block without a shifted piece into kernel values: ND4J's ops made
         * anew ({@link DistanceGemm#kernelValues}), or the worker's block buffer's, made once
         * ({@link BlockBuffer#kernelValues}: a tiled product's own blocks, helper spare33).
         */
        java.util.function.Consumer<INDArray> kernelValues = DistanceGemm::kernelValues;

        boolean[] flags(int n) {
            if (flags.length < n) {
                flags = new boolean[n];
            }
            return flags;
        }
    }

    /**
     * Turns the exponents of a dense row-major {@code rows x cols} block at {@code block}
     * ({@code dense} the same memory as a flat ND4J view; its (0, 0) is K's
     * {@code (rowStart, colStart)}) into stored values, in place: each grid piece
     * ({@link #pieces}) that is {@link #flat} becomes {@code g = expm1(min(e, 0))} and is added to
     * {@code shifted}; the others {@code exp(min(e, 0))} by ND4J
     * ({@link DistanceGemm#kernelValues}). A block with no shifted piece takes one kernelValues
     * over the whole of it, exactly as before; one shifted whole takes one Java pass. A row of
     * pieces with both kinds takes a strided ND4J view per unshifted piece.
     *
     * @param radii the operands' radii for the centre bound, or null
     * @param shifted cleared, then given the shifted pieces
     */
    static void values(FloatPointer block, INDArray dense, int rowStart, int rows, int colStart,
            int cols, Radii radii, Scratch scratch, Pieces shifted) {
        shifted.clear();
        if (rows <= 0 || cols <= 0) {
            return;
        }
        FloatBuffer e = DistanceGemm.floats(block, Math.multiplyExact(rows, cols));
        int rowPieces = pieces(rowStart, rows, ROWS);
        int colPieces = pieces(colStart, cols, COLS);
        boolean[] flags = scratch.flags(rowPieces * colPieces);
        int count = 0;
        for (int a = 0; a < rowPieces; a++) {
            int r0 = pieceStart(rowStart, ROWS, a);
            int r1 = pieceEnd(rowStart, rows, ROWS, a);
            for (int b = 0; b < colPieces; b++) {
                int c0 = pieceStart(colStart, COLS, b);
                int c1 = pieceEnd(colStart, cols, COLS, b);
                boolean f = flat(e, (r0 - rowStart) * cols + (c0 - colStart), cols, r1 - r0,
                        c1 - c0, radii, r0, c0);
                flags[a * colPieces + b] = f;
                if (f) {
                    count++;
                    shifted.add(r0, r1, c0, c1);
                }
            }
        }
        if (count == 0) {
            scratch.kernelValues.accept(dense);
            return;
        }
        if (count == rowPieces * colPieces) {
            expm1(e, 0, rows * cols, scratch.floats);
            return;
        }
        INDArray matrix = null;
        for (int a = 0; a < rowPieces; a++) {
            int r0 = pieceStart(rowStart, ROWS, a) - rowStart;
            int r1 = pieceEnd(rowStart, rows, ROWS, a) - rowStart;
            int inRow = 0;
            for (int b = 0; b < colPieces; b++) {
                inRow += flags[a * colPieces + b] ? 1 : 0;
            }
            if (inRow == 0) {
                DistanceGemm.kernelValues(Buffers.range(dense, (long) r0 * cols, (long) r1 * cols));
                continue;
            }
            if (inRow == colPieces) {
                expm1(e, r0 * cols, (r1 - r0) * cols, scratch.floats);
                continue;
            }
            if (matrix == null) {
                matrix = dense.reshape('c', rows, cols);
            }
            for (int b = 0; b < colPieces; b++) {
                int c0 = pieceStart(colStart, COLS, b) - colStart;
                int c1 = pieceEnd(colStart, cols, COLS, b) - colStart;
                if (flags[a * colPieces + b]) {
                    for (int i = r0; i < r1; i++) {
                        expm1(e, i * cols + c0, c1 - c0, scratch.floats);
                    }
                } else {
                    DistanceGemm.kernelValues(matrix.get(NDArrayIndex.interval(r0, r1),
                            NDArrayIndex.interval(c0, c1)));
                }
            }
        }
    }
}
