package io.synalign.report;

/**
 * Equal-width histogram of non-negative values over {@code [0, max]}: bin {@code i} counts
 * values in {@code [i h, (i+1) h)}, the last bin also takes {@code max}. Cost O(n).
 *
 * @param counts the count of each bin
 * @param max the upper edge of the last bin (the largest value; 1 when all values are 0)
 */
record Histogram(int[] counts, double max) {

    /**
     * @throws IllegalArgumentException when {@code bins < 1} or a value is negative or not finite
     */
    static Histogram of(double[] values, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("bins must be >= 1, got " + bins);
        }
        double max = 0;
        for (double v : values) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("histogram values must be finite and >= 0,"
                        + " got " + v);
            }
            max = Math.max(max, v);
        }
        if (max == 0) {
            max = 1;
        }
        int[] counts = new int[bins];
        for (double v : values) {
            counts[Math.min(bins - 1, (int) (v / max * bins))]++;
        }
        return new Histogram(counts, max);
    }

    int maxCount() {
        int m = 0;
        for (int c : counts) {
            m = Math.max(m, c);
        }
        return m;
    }
}
