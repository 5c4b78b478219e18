package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

/** The exclusion bit mask the argmax kernel reads: bit i of word i / 32, LSB first. */
class CudaGpVarianceTrackerMaskTest {

    @Test
    void bitsLandInTheirWords() {
        BitSet b = new BitSet();
        b.set(0);
        b.set(31);
        b.set(32);
        b.set(69);
        b.set(70); // beyond n = 70: ignored
        assertArrayEquals(new int[] {0x8000_0001, 0x1, 0x20}, mask(b, 70));
        assertEquals(1, CudaGpVarianceTracker.maskWords(0));
        assertEquals(1, CudaGpVarianceTracker.maskWords(32));
        assertEquals(2, CudaGpVarianceTracker.maskWords(33));
    }

    private static int[] mask(BitSet b, int n) {
        return CudaGpVarianceTracker.maskOf(b, n);
    }
}
