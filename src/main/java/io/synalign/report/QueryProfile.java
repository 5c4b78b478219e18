package io.synalign.report;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The shape of a set of queries, for comparing real, synthetic and aligned queries: the
 * (weighted) mean length in words, the share in each length bucket, and the share written as a
 * question (ending in "?" or starting with a question word). Weights are the alignment weights
 * (null: every query counts once). Cost O(total characters).
 */
record QueryProfile(double meanWords, double[] bucketShares, double questionShare) {

    /** Upper bounds (inclusive) of the length buckets in words; the last is open. */
    static final int[] BUCKETS = {1, 2, 4, 8};
    /** Bucket names, in order. */
    static final List<String> BUCKET_NAMES = List.of("1 word", "2", "3–4", "5–8", "9+");
    private static final Set<String> QUESTION_WORDS = Set.of("what", "who", "whom", "whose", "which",
            "when", "where", "why", "how", "is", "are", "does", "do", "can", "should");

    /** The profile of {@code texts} (null entries skipped) under {@code weights} (or null). */
    static QueryProfile of(List<String> texts, double[] weights) {
        double total = 0;
        double words = 0;
        double questions = 0;
        double[] buckets = new double[BUCKETS.length + 1];
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            double w = weights == null ? 1 : weights[i];
            if (t == null || w <= 0) {
                continue;
            }
            String[] parts = t.strip().split("\\s+");
            int n = t.isBlank() ? 0 : parts.length;
            total += w;
            words += w * n;
            buckets[bucket(n)] += w;
            if (question(t, parts)) {
                questions += w;
            }
        }
        if (total == 0) {
            return new QueryProfile(Double.NaN, new double[buckets.length], Double.NaN);
        }
        for (int b = 0; b < buckets.length; b++) {
            buckets[b] /= total;
        }
        return new QueryProfile(words / total, buckets, questions / total);
    }

    static int bucket(int words) {
        for (int b = 0; b < BUCKETS.length; b++) {
            if (words <= BUCKETS[b]) {
                return b;
            }
        }
        return BUCKETS.length;
    }

    private static boolean question(String text, String[] parts) {
        return text.strip().endsWith("?") || parts.length > 0
                && QUESTION_WORDS.contains(parts[0].toLowerCase(Locale.ROOT));
    }
}
