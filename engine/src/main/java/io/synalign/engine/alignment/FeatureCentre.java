package io.synalign.engine.alignment;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;

/**
 * Where a random Fourier feature map is evaluated from ({@link
 * io.synalign.kernels.FourierFeatures#centredAt}): the coordinate-wise median of the first
 * {@value #SAMPLE_ROWS} real rows, taken only when it lies more than {@value #FAR_BANDWIDTHS}
 * bandwidths from the origin; otherwise no centre, and the map reads the rows as they are.
 *
 * <p>Why: the backends form the phases {@code Omega^T x + b} in one float32 GEMM, whose error
 * grows with {@code |Omega^T x|}, about {@code ||x|| / sigma} radians for a row x. Rows near the
 * origin (embeddings, standardised features) give phases of a few radians and lose nothing;
 * rows far from it (every coordinate + 1,000, d = 384) gave {@code Phi^T w} 1.3e-5 normwise, past
 * the kernel contract's 1e-5, and + 10,000 at d = 53 gave 2.8e-3. About a point among the rows the
 * phases are as small as the rows' spread makes them. Below the threshold nothing changes, so
 * the features of ordinary inputs keep their bits.
 *
 * <p>Why the first rows, and a median of stored values: the centre must be the same wherever it
 * is found, and exact. The Spark job finds it from each label's rows by their index within the
 * label, the single machine from the label's matrix; a mean would differ in its last bits
 * between the two summation orders, and so would the map. The centre need not be central, only
 * among the rows: the phases' error then scales with the rows' distance from it, at most their
 * diameter; the median of nine keeps four outliers out.
 *
 * <p>Cost: {@value #SAMPLE_ROWS} x d values sorted, d at a time.
 */
public final class FeatureCentre {

    /** Real rows (the first ones) whose coordinate-wise median is the centre. */
    public static final int SAMPLE_ROWS = 9;

    /** The centre is taken when its norm exceeds this many bandwidths. */
    public static final double FAR_BANDWIDTHS = 2;

    private FeatureCentre() {
    }

    /**
     * The centre for a map of bandwidth {@code sigma} over rows like {@code real}, from its first
     * {@value #SAMPLE_ROWS} rows (or all of them, if fewer), or null when those rows' median lies
     * within {@value #FAR_BANDWIDTHS} sigma of the origin.
     *
     * @throws IllegalArgumentException if {@code real} has no rows or {@code sigma} is not a
     *     positive finite number
     */
    public static float[] choose(FloatMatrix real, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be a positive finite number, got "
                    + sigma);
        }
        int count = Math.min(real.rows(), SAMPLE_ROWS);
        if (count == 0) {
            throw new IllegalArgumentException("a feature map's centre needs at least one row");
        }
        int d = real.cols();
        float[] data = real.data();
        float[] column = new float[count];
        float[] median = new float[d];
        double norm2 = 0;
        for (int k = 0; k < d; k++) {
            for (int i = 0; i < count; i++) {
                column[i] = data[i * d + k];
            }
            Arrays.sort(column);
            // The lower median of an even count: a stored value, so the centre is exact.
            median[k] = column[(count - 1) / 2];
            norm2 += (double) median[k] * median[k];
        }
        return Math.sqrt(norm2) > FAR_BANDWIDTHS * sigma ? median : null;
    }
}
