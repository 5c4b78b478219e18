package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link RowPieces}: {@link RowPieces#of} and {@link RowPieces#whole} give the block back, and
 * a piece that is not the block's piece at its row (other columns, other rows) is refused by
 * name rather than read with the wrong stride or past the block (helper review34c).
 */
public class RowPiecesTest {

    public static FloatMatrix rows(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] data = new float[n * d];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(n, d, data);
    }

    /** Pieces handed over as given, whatever the block says it holds. */
    public static RowPieces scripted(int rows, int cols, int pieceRows, FloatMatrix... pieces) {
        Deque<FloatMatrix> left = new ArrayDeque<>(List.of(pieces));
        return new RowPieces() {
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
                return left.removeFirst();
            }
        };
    }

    /** Passes on the merged code too (coverage of of and whole at awkward sizes). */
    @Test
    void piecesOfAnySizeGiveTheBlockBack() {
        int[][] shapes = {{1, 3}, {7, 5}, {257, 13}, {1_000, 1}};
        for (int[] s : shapes) {
            FloatMatrix x = rows(s[0], s[1], 17L * s[0] + s[1]);
            for (int piece : new int[] {1, 3, s[0] - 1, s[0], s[0] + 4}) {
                if (piece < 1) {
                    continue;
                }
                RowPieces p = RowPieces.of(x, piece);
                assertEquals((s[0] + piece - 1) / piece, p.pieces(), "pieces");
                FloatMatrix whole = p.whole();
                assertEquals(x.rows(), whole.rows());
                assertArrayEquals(x.data(), whole.data(), s[0] + " x " + s[1] + " by " + piece);
            }
        }
        FloatMatrix one = rows(4, 2, 1);
        RowPieces single = scripted(4, 2, 8, one);
        assertSame(one, single.whole(), "a block of one piece is that piece");
        assertEquals(0, RowPieces.of(new FloatMatrix(0, 3, new float[0]), 5).whole().rows());
    }

    /**
     * A piece of other columns or rows than the block's piece at that row. On the merged code
     * whole() copied {@code piece.rows() * cols()} floats of it (an index out of bounds for the
     * narrower piece below, no message naming the sizes) and returned a short single piece as
     * the block (4 rows for a block of 5): this test failed there.
     */
    @Test
    void aSinglePieceIsTheMatrixItselfTakenOnce() {
        FloatMatrix m = new FloatMatrix(3, 2, new float[] {1, 2, 3, 4, 5, 6});
        RowPieces one = RowPieces.single(m);
        assertEquals(3, one.rows());
        assertEquals(2, one.cols());
        assertEquals(3, one.pieceRows());
        assertSame(m, RowPieces.checkPiece(one, one.next(), 0));
        assertThrows(java.util.NoSuchElementException.class, one::next);
        // An empty block still has a positive piece size (a reader divides by it).
        assertEquals(1, RowPieces.single(new FloatMatrix(0, 2, new float[0])).pieceRows());
    }

    @Test
    void aPieceThatIsNotTheBlocksIsRefusedByName() {
        // 2 rows of 6 expected; 3 x 4 (the same 12 floats) handed over.
        RowPieces narrow = scripted(4, 6, 2, rows(3, 4, 2), rows(2, 6, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, narrow::whole);
        assertTrue(e.getMessage().contains("3 x 4") && e.getMessage().contains("expected 2 x 6"),
                e.getMessage());
        // One piece of at most 8 rows for 5 rows; 4 handed over.
        RowPieces shortBlock = scripted(5, 2, 8, rows(4, 2, 4));
        e = assertThrows(IllegalArgumentException.class, shortBlock::whole);
        assertTrue(e.getMessage().contains("4 x 2") && e.getMessage().contains("expected 5 x 2"),
                e.getMessage());
        // The last piece longer than the rows left (3 + 3 for 5 rows).
        RowPieces longLast = scripted(5, 2, 3, rows(3, 2, 5), rows(3, 2, 6));
        e = assertThrows(IllegalArgumentException.class, longLast::whole);
        assertTrue(e.getMessage().contains("at row 3"), e.getMessage());
    }
}
