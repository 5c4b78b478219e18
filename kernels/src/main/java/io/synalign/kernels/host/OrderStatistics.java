package io.synalign.kernels.host;

import java.util.Arrays;

/**
 * Order statistics of a {@code double[]} by selection instead of a sort: the value of a rank and
 * the median, each exactly what sorting the values ({@link Arrays#sort(double[])}, the order of
 * {@link Double#compare}: -0.0 before 0.0, NaN last) and reading them would give, bit for bit.
 *
 * <p>Hoare's selection with a median-of-three pivot: O(n) expected against the sort's
 * O(n log n); after 64 partition rounds what is left is sorted, so no input makes it quadratic.
 * Its users: the median heuristic's median of up to 2 M pairwise distances per fit (0.3 s by a
 * sort), and the nd4j distance set-up's coordinate-wise median centre, 384 columns of up to
 * 2,048 values for every operator (20 % of {@code test}'s time by sorts).
 */
public final class OrderStatistics {

    private static final int ROUNDS_BEFORE_SORT = 64;

    private OrderStatistics() {
    }

    /**
     * The value of rank {@code k} (0-based) among {@code a[0, count)}; reorders them so that
     * {@code a[0, k)} are at most and {@code a(k, count)} at least the result (in the order of
     * {@link Double#compare}).
     *
     * @throws IllegalArgumentException when {@code k} is not in {@code [0, count)} or
     *     {@code count} exceeds the array
     */
    public static double select(double[] a, int count, int k) {
        if (count > a.length || k < 0 || k >= count) {
            throw new IllegalArgumentException("rank " + k + " of " + count + " values (array of "
                    + a.length + ")");
        }
        int lo = 0;
        int hi = count - 1;
        for (int round = 0; lo < hi; round++) {
            if (round == ROUNDS_BEFORE_SORT) {
                Arrays.sort(a, lo, hi + 1);
                return a[k];
            }
            double pivot = medianOfThree(a[lo], a[lo + (hi - lo) / 2], a[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (Double.compare(a[i], pivot) < 0) {
                    i++;
                }
                while (Double.compare(a[j], pivot) > 0) {
                    j--;
                }
                if (i <= j) {
                    double t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k]; // j < k < i: a[k] is the pivot's value
            }
        }
        return a[k];
    }

    /**
     * The median of {@code a[0, count)}: the middle value, or the mean of the two middle values
     * for an even count; reorders them.
     *
     * @throws IllegalArgumentException when {@code count} is not in {@code [1, a.length]}
     */
    public static double median(double[] a, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("the median of " + count + " values");
        }
        double upper = select(a, count, count / 2);
        if ((count & 1) == 1) {
            return upper;
        }
        // Everything of lower rank now sits in a[0, count / 2): its largest is rank count/2 - 1.
        double lower = a[0];
        for (int i = 1; i < count / 2; i++) {
            if (Double.compare(a[i], lower) > 0) {
                lower = a[i];
            }
        }
        return (lower + upper) / 2;
    }

    /** The middle of three values in the order of {@link Double#compare}. */
    private static double medianOfThree(double x, double y, double z) {
        double lo = Double.compare(x, y) <= 0 ? x : y;
        double hi = Double.compare(x, y) <= 0 ? y : x;
        if (Double.compare(z, hi) >= 0) {
            return hi;
        }
        return Double.compare(z, lo) <= 0 ? lo : z;
    }
}
