package io.synalign.kernels;

import java.util.BitSet;

/** Host-side argmax shared by CPU backends: the largest value, ties to the lowest index. */
public final class Argmax {

    private Argmax() {
    }

    /**
     * Index of the largest of {@code values} whose index is not set in {@code excluded} (which may
     * be null), ties to the lowest index; -1 when none is eligible. NaN never wins.
     */
    public static int of(double[] values, BitSet excluded) {
        int best = -1;
        double bestValue = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < values.length; i++) {
            if (excluded != null && excluded.get(i)) {
                continue;
            }
            double v = values[i];
            if (best < 0 ? !Double.isNaN(v) : v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        return best;
    }
}
