package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.HeapBytes;
import io.synalign.kernels.RowPieces;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The stored random-feature matrix {@code Phi} (n x D, float32) of the portable path
 * ({@link Nd4jPath#PORTABLE}), built in GEMM blocks of {@value #BLOCK_ROWS} rows counted from
 * the block's first row: each block one {@code Nd4j.gemm} of {@code [x_i, 1]} against
 * {@code [Omega; b]}, an in-place cos and scale, and a copy into Phi; {@code Phi^T w} and
 * {@code Phi z} are one matrix-vector {@code Nd4j.gemm} each, O(n D). INDArray operations only.
 * Not thread-safe.
 *
 * <p>Why fixed blocks (helper grid35): the portable path's GEMM is threaded OpenBLAS (or
 * cuBLAS), whose split, and so a row's bits, follow the row count M. Phi used to be one GEMM
 * over all n rows, so an operator could not be built from pieces of its rows to the same bits,
 * and the engine kept the chunk grid capped at 1/16 of the heap on this path: the weights
 * followed {@code -Xmx}. With every GEMM of M = 256 rows (and one ragged last block), the
 * whole-block build and the build from pieces ({@link RowPieces}) make the same calls on the
 * same values, so the engine reads a chunk's rows in pieces and its grid no longer depends on
 * the heap. Cost: 2 n D (d + 1) flops and n D cosines as before, plus one copy of Phi's rows
 * from the block's output tile; heap of one stage of inputs ({@link #stageRows} rows of d + 1
 * floats) where it was n (d + 1) floats for the whole block.
 */
final class PortableFeatureOperator extends AbstractFeatureOperator {

    /** Rows of one feature GEMM: the CPU path's block ({@link Nd4jFeatureOperator#BLOCK_ROWS}). */
    static final int BLOCK_ROWS = Nd4jFeatureOperator.BLOCK_ROWS;

    private final int rows;
    private final int features;
    private final INDArray phi;
    private final INDArray rowResult;
    private final INDArray featureResult;

    /** The operator of a whole block of rows (one piece of all of them). */
    PortableFeatureOperator(FloatMatrix x, FourierFeatures map, BackendLifetime backend) {
        this(RowPieces.single(x), map, backend);
    }

    /**
     * The operator of a block of rows handed over in pieces: Phi's bits, and every product's,
     * are those of the whole block's operator whatever the pieces (see the class comment).
     * Dimensions of the block checked by {@link Nd4jBackend}, its caller; each piece by
     * {@link RowPieces#checkPiece}.
     *
     * @throws IllegalArgumentException for a piece that is not the block's at its row; Phi is
     *     freed first
     */
    PortableFeatureOperator(RowPieces x, FourierFeatures map, BackendLifetime backend) {
        super(x.rows(), map.features(), backend);
        this.rows = x.rows();
        this.features = map.features();
        // Phi and the results are the scope's until the end (freed where one is refused or the
        // build fails, a piece that is not the block's included); the build frees its own
        // operands and tiles whatever happens.
        try (NativeScope scope = new NativeScope()) {
            this.phi = scope.own(Buffers.allocate(() -> Nd4j.createUninitialized(DataType.FLOAT,
                    Math.max(1, rows), features)));
            build(x, map);
            this.rowResult = scope.own(Buffers.allocate(() -> Nd4j.create(DataType.FLOAT,
                    Math.max(1, rows), 1)));
            this.featureResult = scope.own(Buffers.allocate(() -> Nd4j.create(DataType.FLOAT,
                    features, 1)));
            scope.transfer();
        }
    }

    /**
     * Rows of inputs staged at once for a block of {@code rows} rows read in pieces of
     * {@code pieceRows}: the piece rounded up to whole GEMM blocks (at most the block's rows
     * rounded up likewise), so that no GEMM block straddles two stages.
     */
    static int stageRows(int rows, int pieceRows) {
        return Nd4jFeatureOperator.stageRows(rows, pieceRows);
    }

    /**
     * Phi from the pieces: each stage of {@link #stageRows} rows (from the block's first row) is
     * filled with the pieces' centred rows and a 1, then its GEMM blocks of {@value #BLOCK_ROWS}
     * rows run, each writing its tile into Phi.
     */
    private void build(RowPieces x, FourierFeatures map) {
        if (rows == 0) {
            return;
        }
        int d = map.dim();
        int depth = d + 1;
        int stage = stageRows(rows, x.pieceRows());
        float[] inputs = new float[Math.multiplyExact(stage, depth)];
        INDArray frequencies = PortableOperands.fourierMap(map);
        try (PortableTiles tiles = new PortableTiles(rows, BLOCK_ROWS, features)) {
            RowStages.each(x, stage, (piece, from, count, at) -> {
                for (int i = 0; i < count; i++) {
                    int row = (at + i) * depth;
                    map.centreRow(piece.data(), from + i, inputs, row);
                    inputs[row + d] = 1f;
                }
            }, (stageStart, stageCount) -> {
                // A ragged last stage's trailing rows are left over from the stage before:
                // no GEMM block reads them (each block takes only its own rows).
                INDArray staged = PortableOperands.matrix(inputs, stage, depth);
                try {
                    for (int start = 0; start < stageCount; start += BLOCK_ROWS) {
                        int count = Math.min(BLOCK_ROWS, stageCount - start);
                        INDArray tile = tiles.tile(count);
                        PortableBlocks.fourierTile(
                                PortableOperands.rows(staged, start, start + count),
                                frequencies, map.scale(), tile);
                        long first = stageStart + start;
                        PortableOperands.rows(phi, first, first + count).assign(tile);
                    }
                } finally {
                    Buffers.close(staged);
                }
            });
        } finally {
            Buffers.close(frequencies);
        }
    }

    /**
     * Its own heap: ND4J's objects for Phi and the two result arrays (native memory) and this
     * object ({@link io.synalign.kernels.FeatureOperator#heapBytes}).
     */
    @Override
    public long heapBytes() {
        return HeapBytes.object(4, 2 * Integer.BYTES + 1) + 3 * Buffers.ARRAY_HEAP_BYTES;
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        INDArray column = PortableOperands.column(w);
        try {
            Nd4j.gemm(phi, column, featureResult, true, false, 1.0, 0.0);
        } finally {
            Buffers.close(column);
        }
        widen(PortableOperands.hostFloats(featureResult), out);
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        INDArray column = PortableOperands.column(z);
        try {
            Nd4j.gemm(phi, column, rowResult, false, false, 1.0, 0.0);
        } finally {
            Buffers.close(column);
        }
        widen(PortableOperands.hostFloats(rowResult), out);
    }

    private static void widen(float[] src, double[] dst) {
        for (int i = 0; i < dst.length; i++) {
            dst[i] = src[i];
        }
    }

    /** Phi's n D floats, row-major, for tests. */
    float[] phiValues() {
        float[] all = PortableOperands.hostFloats(phi);
        float[] out = new float[Math.toIntExact((long) rows * features)];
        System.arraycopy(all, 0, out, 0, out.length);
        return out;
    }

    @Override
    protected void release() {
        Buffers.close(phi, rowResult, featureResult);
    }
}
