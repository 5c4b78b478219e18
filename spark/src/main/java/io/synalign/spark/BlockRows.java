package io.synalign.spark;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowPieces;
import java.util.BitSet;
import java.util.NoSuchElementException;

/**
 * One block's rows ({@link #rows} x {@link #cols}, label-local order) held in consecutive pieces
 * of at most {@link #pieceRows} rows, each its own array: piece k holds rows
 * {@code [k p, min((k + 1) p, n))}, row-major. The piece size is the engine's read block
 * ({@code FeatureGrid.pieceRows}: 1/16 of the executor's heap in rows on the backends that build
 * from pieces), so no array of a block is larger than that share of the heap, whatever the
 * block's rows, and the backend builds the block's operator from the pieces
 * ({@link #pieces()}) to the bits of the whole block. Before (helper sparkblock35) a block was one
 * array of {@code 4 n_b d} bytes (8,192 rows of d = 10,000: 328 MB, one humongous allocation
 * whatever the heap), copied from the partition's rows while they were all still held, and
 * handed to the backend whole (nd4j then copied it into native memory whole too).
 *
 * <p>Filled straight from a partition's rows as they come ({@link Filler}), in any order: each
 * row is copied into its slot, so the shuffle's row objects are not kept. Immutable once filled
 * (the pieces are read, never written, by builds and serving). Memory {@code 4 n d} bytes plus an
 * array header per piece.
 */
final class BlockRows {

    private final int rows;
    private final int cols;
    private final int pieceRows;
    private final float[][] pieces;

    /**
     * @param pieces the block's pieces as described in the class comment (checked by callers
     *     that read them from a stream: {@link FeatureChunks.Served#problem})
     */
    BlockRows(int rows, int cols, int pieceRows, float[][] pieces) {
        this.rows = rows;
        this.cols = cols;
        this.pieceRows = pieceRows;
        this.pieces = pieces;
    }

    int rows() {
        return rows;
    }

    int cols() {
        return cols;
    }

    int pieceRows() {
        return pieceRows;
    }

    /** The pieces themselves (serving writes them; never written to). */
    float[][] pieceArrays() {
        return pieces;
    }

    /** Pieces of {@code rows} rows in pieces of {@code pieceRows}. */
    static int pieceCount(int rows, int pieceRows) {
        return (int) ((rows + (long) pieceRows - 1) / pieceRows);
    }

    /** Rows of piece {@code k} of a block of {@code rows} in pieces of {@code pieceRows}. */
    static int rowsOfPiece(int rows, int pieceRows, int k) {
        return (int) Math.min(pieceRows, rows - (long) k * pieceRows);
    }

    /**
     * The block as a single-pass {@link RowPieces} for a backend's build: each piece handed over
     * is the stored array itself, not a copy (a consumer copies what it keeps, and none writes a
     * piece), so a build holds no copy of the block's rows on the heap. O(1) a piece.
     */
    RowPieces pieces() {
        return new RowPieces() {
            private int taken;

            @Override
            public int rows() {
                return rows;
            }

            @Override
            public int cols() {
                return cols;
            }

            @Override
            public int pieceRows() {
                return pieceRows;
            }

            @Override
            public FloatMatrix next() {
                if (taken >= pieces.length) {
                    throw new NoSuchElementException("all " + pieces.length + " pieces of a block"
                            + " of " + rows + " rows were taken");
                }
                int k = taken++;
                return new FloatMatrix(rowsOfPiece(rows, pieceRows, k), cols, pieces[k]);
            }
        };
    }

    /**
     * Fills one block of a label's grid from rows handed over in any order: row {@code local}
     * of the label goes to slot {@code local - start}. Each piece's array is allocated when its
     * first row arrives. Refuses, naming the row, a row outside the block, a row seen twice, and
     * a row of another width than the block's first; {@link #finish} refuses a block with rows
     * missing. O(d) a row; memory the block's rows and a bit a row.
     */
    static final class Filler {

        private final int label;
        private final int index;
        private final int start;
        private final int rows;
        private final int pieceRows;
        private final BitSet seen;
        private float[][] pieces;
        private int cols = -1;
        private int count;

        /**
         * @param start the block's first label-local row
         * @param rows the rows that belong to the block
         * @param pieceRows the most rows a piece holds, at least 1
         */
        Filler(int label, int index, int start, int rows, int pieceRows) {
            if (pieceRows < 1) {
                throw new IllegalArgumentException("rows per piece must be at least 1, got "
                        + pieceRows);
            }
            this.label = label;
            this.index = index;
            this.start = start;
            this.rows = rows;
            this.pieceRows = pieceRows;
            this.seen = new BitSet(rows);
        }

        void add(int local, float[] vector) {
            long slot = (long) local - start;
            if (slot < 0 || slot >= rows) {
                throw new IllegalStateException("block " + index + " of label " + label
                        + " holds rows " + start + " to " + (start + rows - 1) + ", not row "
                        + local);
            }
            int i = (int) slot;
            if (seen.get(i)) {
                throw new IllegalStateException("block " + index + " of label " + label
                        + " was given row " + local + " twice");
            }
            if (cols < 0) {
                cols = vector.length;
                pieces = new float[pieceCount(rows, pieceRows)][];
            } else if (vector.length != cols) {
                throw new IllegalStateException("block " + index + " of label " + label
                        + ": row " + local + " has " + vector.length + " columns where the"
                        + " block's rows have " + cols);
            }
            int k = i / pieceRows;
            if (pieces[k] == null) {
                pieces[k] = new float[rowsOfPiece(rows, pieceRows, k) * cols];
            }
            System.arraycopy(vector, 0, pieces[k], (i - k * pieceRows) * cols, cols);
            seen.set(i);
            count++;
        }

        /** The filled block; a block with rows missing is a bug upstream. */
        BlockRows finish() {
            if (count != rows) {
                throw new IllegalStateException("block " + index + " of label " + label + " has "
                        + count + " rows where " + rows + " belong (row "
                        + (start + seen.nextClearBit(0)) + " missing)");
            }
            return new BlockRows(rows, cols, pieceRows, pieces);
        }
    }
}
