package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FloatMatrixTest {

    private static final FloatMatrix M = FloatMatrix.of(new double[][] {{1, 2, 3}, {4, 5, 6},
        {7, 8, 9}});

    @Test
    void isRowMajor() {
        assertEquals(3, M.rows());
        assertEquals(3, M.cols());
        assertEquals(6f, M.get(1, 2));
        assertEquals(7f, M.get(2, 0));
        assertEquals(36, M.bytes());
    }

    @Test
    void copiesRowRangesAndSelections() {
        FloatMatrix middle = M.rowRange(1, 3);
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9}, middle.data());
        assertEquals(0, M.rowRange(2, 2).rows());
        FloatMatrix picked = M.selectRows(new int[] {2, 0, 2});
        assertArrayEquals(new float[] {7, 8, 9, 1, 2, 3, 7, 8, 9}, picked.data());
        picked.data()[0] = -1;
        assertEquals(7f, M.get(2, 0), "selectRows copies");
        assertThrows(IndexOutOfBoundsException.class, () -> M.rowRange(2, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> M.selectRows(new int[] {3}));
    }

    @Test
    void validatesShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FloatMatrix(2, 3, new float[5]));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FloatMatrix(-1, 3, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new FloatMatrix(0, 0, new float[0]));
        assertThrows(IllegalArgumentException.class, () -> new FloatMatrix(1, 1, null));
        assertThrows(IllegalArgumentException.class,
                () -> FloatMatrix.of(new double[][] {{1, 2}, {3}}));
        assertThrows(IllegalArgumentException.class, () -> FloatMatrix.of(new double[0][]));
    }

    @Test
    void equalityIsByValue() {
        FloatMatrix copy = FloatMatrix.of(new double[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
        assertEquals(M, copy);
        assertEquals(M.hashCode(), copy.hashCode());
        assertNotEquals(M, new FloatMatrix(1, 9, M.data()));
        assertEquals(FloatMatrix.zeros(2, 2), new FloatMatrix(2, 2, new float[4]));
    }
}
