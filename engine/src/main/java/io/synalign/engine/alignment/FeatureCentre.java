package io.synalign.engine.alignment;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;

/**
 * Where a random Fourier feature map is evaluated from ({@link
 * io.synalign.kernels.FourierFeatures#centredAt}): the coordinate-wise median of
 * {@value #SAMPLE_ROWS} real rows spread evenly through them ({@link #sampleRows}), taken only
 * when it lies more than {@value #FAR_BANDWIDTHS} bandwidths from the origin; otherwise no
 * centre, and the map reads the rows as they are.
 *
 * <p>Why: the backends form the phases {@code Omega^T x + b} in one float32 GEMM, whose error
 * grows with {@code |Omega^T x|}, about {@code ||x|| / sigma} radians for a row x. Rows near the
 * origin (embeddings, standardised features) give phases of a few radians and lose nothing;
 * rows far from it gave features 2.2e-4 normwise at + 1,000 in every coordinate (d = 384) and
 * 1.2e-3 at + 10,000 (d = 53), past the kernel contract's 1e-5 ({@code Phi^T w}: 1.3e-5 and
 * 1.7e-4). About a point among the rows the
 * phases are as small as the rows' spread makes them. Below the threshold nothing changes, so
 * the features of ordinary inputs keep their bits.
 *
 * <p>Why rows picked by their index, and a median of stored values: the centre must be the same
 * wherever it is found, and exact. The Spark job finds it from each label's rows by their index
 * within the label, the single machine from the label's matrix; a mean would differ in its last
 * bits between the two summation orders, and so would the map. The centre need not be central,
 * only among the bulk of the rows: the phases' error then scales with the rows' distance from
 * it; the median of nine rows spread through the set keeps four outliers out.
 *
 * <p>Cost: {@value #SAMPLE_ROWS} x d values sorted, d at a time.
 */
public final class FeatureCentre {

    /** Real rows (spread through the set: {@link #sampleRows}) whose median is the centre. */
    public static final int SAMPLE_ROWS = 9;

    /** The centre is taken when its norm exceeds this many bandwidths. */
    public static final double FAR_BANDWIDTHS = 2;

    private FeatureCentre() {
    }

    /**
     * The real rows whose median is the centre, for a set of {@code rows} real rows: all of
     * them up to {@value #SAMPLE_ROWS}, else {@value #SAMPLE_ROWS} spread evenly, row
     * {@code floor(k rows / 9)} for k = 0..8 (ascending, the first row first). Spread rather than
     * the first nine: a file sorted by a column, or with a few outliers first, put the centre
     * among them, far from the bulk, where the phases of every other row were then worse than
     * about the origin (a review's case: nine rows at + 1,000 before 10,000 near 0).
     */
    public static long[] sampleRows(long rows) {
        int count = (int) Math.min(rows, SAMPLE_ROWS);
        long[] picked = new long[count];
        for (int k = 0; k < count; k++) {
            // At most 9 x rows: no overflow below 2^59 rows.
            picked[k] = k * rows / count;
        }
        return picked;
    }

    /**
     * The centre for a map of bandwidth {@code sigma} over rows like {@code real}, from its rows
     * {@link #sampleRows}, or null when their median lies within {@value #FAR_BANDWIDTHS} sigma
     * of the origin.
     *
     * @throws IllegalArgumentException if {@code real} has no rows or {@code sigma} is not a
     *     positive finite number
     */
    public static float[] choose(FloatMatrix real, double sigma) {
        long[] picked = sampleRows(real.rows());
        int d = real.cols();
        float[] sample = new float[picked.length * d];
        for (int k = 0; k < picked.length; k++) {
            System.arraycopy(real.data(), (int) picked[k] * d, sample, k * d, d);
        }
        return fromSample(new FloatMatrix(picked.length, d, sample), sigma);
    }

    /**
     * The rule on rows already sampled ({@link #sampleRows}, in that order): their coordinate-wise
     * lower median when it lies more than {@value #FAR_BANDWIDTHS} sigma from the origin, else
     * null. What the Spark job calls with each label's sampled rows.
     *
     * @throws IllegalArgumentException if {@code sample} has no rows or {@code sigma} is not a
     *     positive finite number
     */
    public static float[] fromSample(FloatMatrix sample, double sigma) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("bandwidth must be a positive finite number, got "
                    + sigma);
        }
        int count = sample.rows();
        if (count == 0) {
            throw new IllegalArgumentException("a feature map's centre needs at least one row");
        }
        int d = sample.cols();
        float[] data = sample.data();
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
