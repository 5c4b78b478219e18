package io.synalign.report;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Deterministic subsampling of rows for the plots, so that the report stays small: at most
 * {@code cap} of {@code n} indices, drawn uniformly without replacement by a partial
 * Fisher-Yates shuffle with a fixed seed, returned in ascending (input) order. Cost O(n).
 */
final class Subsample {

    private Subsample() {
    }

    /**
     * @throws IllegalArgumentException when {@code n < 0} or {@code cap < 1}
     */
    static int[] indices(int n, int cap, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("row count must be >= 0, got " + n);
        }
        if (cap < 1) {
            throw new IllegalArgumentException("cap must be >= 1, got " + cap);
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        if (n <= cap) {
            return all;
        }
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < cap; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = Arrays.copyOf(all, cap);
        Arrays.sort(out);
        return out;
    }
}
