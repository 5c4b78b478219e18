package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class ArgmaxTest {

    @Test
    void largestValueWins() {
        assertEquals(2, Argmax.of(new double[] {0.1, -3, 0.7, 0.69}, null));
        assertEquals(0, Argmax.of(new double[] {Double.NEGATIVE_INFINITY}, null));
    }

    @Test
    void tiesGoToTheLowestIndex() {
        assertEquals(1, Argmax.of(new double[] {0.5, 0.9, 0.2, 0.9, 0.9}, null));
    }

    @Test
    void excludedIndicesNeverWin() {
        BitSet excluded = new BitSet();
        excluded.set(1);
        assertEquals(3, Argmax.of(new double[] {0.5, 0.9, 0.2, 0.9, 0.9}, excluded));
        excluded.set(3);
        assertEquals(4, Argmax.of(new double[] {0.5, 0.9, 0.2, 0.9, 0.9}, excluded));
        excluded.set(0, 5);
        assertEquals(-1, Argmax.of(new double[] {0.5, 0.9, 0.2, 0.9, 0.9}, excluded));
    }

    @Test
    void nanNeverWinsAndEmptyGivesMinusOne() {
        assertEquals(1, Argmax.of(new double[] {Double.NaN, -1, Double.NaN}, null));
        assertEquals(-1, Argmax.of(new double[] {Double.NaN}, null));
        assertEquals(-1, Argmax.of(new double[0], new BitSet()));
    }
}
