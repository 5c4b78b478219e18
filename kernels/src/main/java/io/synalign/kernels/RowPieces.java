package io.synalign.kernels;

/**
 * One block of rows ({@link #rows()} x {@link #cols()}) handed to a backend in consecutive
 * pieces of at most {@link #pieceRows()} rows, in row order: piece k holds rows
 * {@code [k * pieceRows, min((k + 1) * pieceRows, rows))}. It separates the rows a caller can
 * hold at once (the engine reads a chunk of a file within 1/16 of the Java heap) from the rows
 * an operator's arithmetic covers (the chunk grid, a function of the backend, D and d only), so
 * that an operator built from the pieces is the operator of the whole block, bit for bit,
 * whatever the piece size ({@link KernelBackend#fourierFeatureOperator(RowPieces,
 * FourierFeatures)}).
 *
 * <p>Single pass, not thread-safe: {@link #next} hands the pieces in order, each once; the
 * matrix it returns is valid only until the next call (the caller may read the following piece
 * into the same array), so a consumer copies what it keeps.
 */
public interface RowPieces {

    /** The block's rows. */
    int rows();

    /** The rows' columns, d. */
    int cols();

    /** The most rows one piece holds, at least 1. */
    int pieceRows();

    /** The next piece; {@link java.util.NoSuchElementException} past the last. */
    FloatMatrix next();

    /** How many pieces the block comes in. */
    default int pieces() {
        return rows() == 0 ? 0 : (int) ((rows() + (long) pieceRows() - 1) / pieceRows());
    }

    /**
     * Every piece read into one new matrix, before any is taken: what a backend that cannot take
     * pieces does, holding the block's rows at once (one copy of them, O(n d)). A block whose
     * first piece holds all of its rows (one piece) is that piece itself, not a copy. Each piece
     * is checked to be one of the block ({@link #checkPiece}).
     *
     * @throws IllegalArgumentException for a piece of other columns or other rows than the
     *     block's piece at that row
     */
    default FloatMatrix whole() {
        if (rows() == 0) {
            return new FloatMatrix(0, cols(), new float[0]);
        }
        FloatMatrix first = checkPiece(this, next(), 0);
        if (first.rows() == rows()) {
            return first;
        }
        float[] data = new float[Math.multiplyExact(rows(), cols())];
        for (int at = 0; at < rows(); ) {
            FloatMatrix piece = at == 0 ? first : checkPiece(this, next(), at);
            System.arraycopy(piece.data(), 0, data, at * cols(), piece.rows() * cols());
            at += piece.rows();
        }
        return new FloatMatrix(rows(), cols(), data);
    }

    /**
     * {@code piece}, handed over for the block's rows from row {@code at}, once it is known to
     * be that piece of the block: {@link #cols()} columns and {@code min(pieceRows(),
     * rows() - at)} rows (see the class comment). A consumer writes a piece's rows at
     * {@code at} and on, so a wider or narrower piece would be read with the wrong stride
     * (features of mixed-up values, and no error) and a longer or shorter one would shift every
     * later row, drop rows past the block's end or never finish it. O(1).
     *
     * @throws IllegalArgumentException naming the piece's and the block's sizes
     */
    static FloatMatrix checkPiece(RowPieces block, FloatMatrix piece, int at) {
        int expected = Math.min(block.pieceRows(), block.rows() - at);
        if (piece.cols() != block.cols() || piece.rows() != expected) {
            throw new IllegalArgumentException("a piece of " + piece.rows() + " x "
                    + piece.cols() + " at row " + at + " of a block of " + block.rows() + " x "
                    + block.cols() + " rows in pieces of " + block.pieceRows() + ": expected "
                    + expected + " x " + block.cols());
        }
        return piece;
    }

    /**
     * {@code m} as its one piece, handed over itself, not a copy (a backend's whole-block build
     * through its pieces path: a consumer copies what it keeps and writes no piece). O(1).
     */
    static RowPieces single(FloatMatrix m) {
        return new RowPieces() {
            private boolean taken;

            @Override
            public int rows() {
                return m.rows();
            }

            @Override
            public int cols() {
                return m.cols();
            }

            @Override
            public int pieceRows() {
                return Math.max(1, m.rows());
            }

            @Override
            public FloatMatrix next() {
                if (taken) {
                    throw new java.util.NoSuchElementException("the one piece of " + m.rows()
                            + " rows was taken");
                }
                taken = true;
                return m;
            }
        };
    }

    /**
     * {@code m} in pieces of {@code pieceRows} rows, each a copy of its rows (tests, and callers
     * that hold the block already).
     */
    static RowPieces of(FloatMatrix m, int pieceRows) {
        if (pieceRows < 1) {
            throw new IllegalArgumentException("rows per piece must be at least 1, got "
                    + pieceRows);
        }
        return new RowPieces() {
            private int taken;

            @Override
            public int rows() {
                return m.rows();
            }

            @Override
            public int cols() {
                return m.cols();
            }

            @Override
            public int pieceRows() {
                return pieceRows;
            }

            @Override
            public FloatMatrix next() {
                int start = taken * pieceRows;
                if (start >= m.rows()) {
                    throw new java.util.NoSuchElementException("all " + pieces()
                            + " pieces of " + m.rows() + " rows were taken");
                }
                int count = Math.min(pieceRows, m.rows() - start);
                float[] data = new float[count * m.cols()];
                System.arraycopy(m.data(), start * m.cols(), data, 0, data.length);
                taken++;
                return new FloatMatrix(count, m.cols(), data);
            }
        };
    }
}
