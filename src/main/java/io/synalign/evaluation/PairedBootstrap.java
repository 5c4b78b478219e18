package io.synalign.evaluation;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A paired bootstrap over test rows of the difference between two training variants' scores,
 * each averaged over the seeded repeats: the test set's own sampling error of the comparison,
 * which the repeats (they vary the seeds, not the rows) leave out; optionally
 * ({@link Scope#TEST_ROWS_AND_REPEATS}) the repeats are resampled as well, so that the seeds'
 * variation stays in the interval too.
 *
 * <p>Two kinds of score: a classification metric of each repeat's predicted classes against
 * the test labels ({@link Metric}: accuracy, macro-F1; built with the labels), or a metric that
 * is the mean of one score per test row, such as a retrieval's MRR@10, the mean of each test
 * query's reciprocal rank ({@link #overRowScores}, {@link #meanDifference}). Both resample the
 * same way, so one seed gives the same resamples to either.
 *
 * <p>Algorithm: resample b draws {@code n} row indices uniformly with replacement from the
 * {@code n} test rows (and, for {@link Scope#TEST_ROWS_AND_REPEATS}, first {@code R} repeat
 * indices from the {@code R} repeats); every drawn repeat of both variants is scored on that
 * one resample of rows (paired: a hard row drawn twice counts twice for both, and repeat r of
 * both variants, trained with one seed, is drawn together), the statistic is
 * {@code mean_r score(a_r) - mean_r score(b_r)} over the drawn repeats, and the 95 % interval
 * is the 2.5th and 97.5th percentile of the {@code B} statistics (linear interpolation between
 * order statistics, the "type 7" rule of R and NumPy: position {@code q (B - 1)} of the sorted
 * values). Percentile intervals need no normality of the difference, which macro-F1 over few
 * rows of a small class lacks. Resampling rows and repeats independently treats the two as
 * crossed sources of error; with few repeats the seeds' part is still understated (a bootstrap
 * of 3 values has no Student-t widening).
 *
 * <p>Reproducible: the draws are {@code nextInt} of one {@code new SplittableRandom(seed)},
 * resample after resample ({@code R} repeat draws, then {@code n} row draws), so one seed gives
 * the same resamples to every comparison made with it. Cost O(B (n + V R (n + k))) for V = 2
 * variants of R repeats and k classes (k = 0 for per-row scores); a resample is held as row
 * multiplicities, and only the rows drawn at least once are visited.
 */
public final class PairedBootstrap {

    /** Resamples of the verdict's interval. */
    public static final int DEFAULT_RESAMPLES = 2000;

    /** What is compared: the report's verdict uses macro-F1 ({@link ClassificationScores}). */
    public enum Metric {
        ACCURACY, MACRO_F1
    }

    /** What each resample draws. */
    public enum Scope {
        /** The test rows only; every repeat enters each resample once. */
        TEST_ROWS,
        /**
         * The test rows and, independently, the repeats ({@code R} of the {@code R} repeats
         * with replacement, the same for both variants): the seeds' variation as well.
         */
        TEST_ROWS_AND_REPEATS
    }

    /**
     * A difference with its percentile interval.
     *
     * @param difference the statistic on the test set itself (every row once): the mean over
     *     the repeats of {@code score(a_r) - score(b_r)}
     * @param low the 2.5th percentile of the resampled statistics
     * @param high the 97.5th percentile
     * @param rows test rows resampled
     * @param repeats repeats averaged per variant
     * @param resamples bootstrap resamples
     */
    public record Interval(double difference, double low, double high, int rows, int repeats,
            int resamples) {
    }

    /** The test labels of a classification bootstrap; null for per-row scores. */
    private final int[] truth;
    private final int classes;
    private final int rows;
    private final int resamples;
    private final long seed;

    /**
     * @param truth the true class index of each test row, in {@code [0, classes)}
     * @param classes the number of classes
     * @param resamples bootstrap resamples, {@code >= 2}
     * @param seed seeds the resamples
     * @throws IllegalArgumentException for no rows, a class index out of range or fewer than 2
     *     resamples
     */
    public PairedBootstrap(int[] truth, int classes, int resamples, long seed) {
        this(labels(truth, classes), classes, truth.length, resamples, seed);
    }

    private PairedBootstrap(int[] truth, int classes, int rows, int resamples, long seed) {
        if (rows < 1) {
            throw new IllegalArgumentException("no test rows");
        }
        if (resamples < 2) {
            throw new IllegalArgumentException("need at least 2 resamples, got " + resamples);
        }
        this.truth = truth;
        this.classes = classes;
        this.rows = rows;
        this.resamples = resamples;
        this.seed = seed;
    }

    /** A checked copy of the test labels. */
    private static int[] labels(int[] truth, int classes) {
        checkClasses("test label", truth, classes);
        return truth.clone();
    }

    /**
     * A bootstrap of a metric that is the mean over the test rows of one score per row (a
     * retrieval's MRR@10: each test query's reciprocal rank), compared by
     * {@link #meanDifference}.
     *
     * @param rows the number of test rows, {@code >= 1}
     * @param resamples bootstrap resamples, {@code >= 2}
     * @param seed seeds the resamples
     */
    public static PairedBootstrap overRowScores(int rows, int resamples, long seed) {
        return new PairedBootstrap(null, 0, rows, resamples, seed);
    }

    /**
     * The interval of {@code mean_r metric(a[r]) - mean_r metric(b[r])} with the test rows
     * resampled ({@link Scope#TEST_ROWS}).
     *
     * @param a variant a's predicted class per test row, one array per repeat
     * @param b variant b's, the same number of repeats (repeat r of both trained with one seed)
     * @throws IllegalArgumentException for no repeats, unequal repeat counts, a prediction array
     *     of another length than the test rows, or a class index out of range
     */
    public Interval difference(Metric metric, int[][] a, int[][] b) {
        return difference(metric, Scope.TEST_ROWS, a, b);
    }

    /**
     * The interval of {@code mean_r metric(a[r]) - mean_r metric(b[r])} under {@code scope}'s
     * resampling; with {@link Scope#TEST_ROWS_AND_REPEATS} each resample first draws its
     * repeats ({@code nextInt(R)}, {@code R} times), then its rows.
     */
    public Interval difference(Metric metric, Scope scope, int[][] a, int[][] b) {
        if (truth == null) {
            throw new IllegalStateException("built over per-row scores, without test labels:"
                    + " use meanDifference");
        }
        checkRepeats(a.length, b.length);
        for (int[][] variant : new int[][][] {a, b}) {
            for (int[] predicted : variant) {
                if (predicted.length != truth.length) {
                    throw new IllegalArgumentException(predicted.length + " predictions for "
                            + truth.length + " test rows");
                }
                checkClasses("prediction", predicted, classes);
            }
        }
        Counts counts = new Counts(classes);
        return resample(scope, a.length, (repeatWeight, drawn, m, weight) -> {
            double sum = 0;
            for (int r = 0; r < a.length; r++) {
                if (repeatWeight[r] > 0) {
                    sum += repeatWeight[r] * (score(metric, a[r], drawn, m, weight, counts)
                            - score(metric, b[r], drawn, m, weight, counts));
                }
            }
            return sum / a.length;
        });
    }

    /**
     * The interval of {@code mean_r mean_i a[r][i] - mean_r mean_i b[r][i]}, the difference of
     * two variants' repeat-averaged metric where the metric is the mean of one score per test
     * row, under {@code scope}'s resampling: on a resample a row drawn w times counts w times
     * in both variants' means, as it would in the resampled arrays.
     *
     * @param a variant a's score per test row, one array per repeat
     * @param b variant b's, the same number of repeats (repeat r of both trained with one seed)
     * @throws IllegalStateException when built with test labels (use {@link #difference})
     * @throws IllegalArgumentException for no repeats, unequal repeat counts, an array of
     *     another length than the test rows, or a score that is not finite
     */
    public Interval meanDifference(Scope scope, double[][] a, double[][] b) {
        if (truth != null) {
            throw new IllegalStateException("built with test labels: use difference");
        }
        checkRepeats(a.length, b.length);
        for (double[][] variant : new double[][][] {a, b}) {
            for (double[] scores : variant) {
                if (scores.length != rows) {
                    throw new IllegalArgumentException(scores.length + " scores for " + rows
                            + " test rows");
                }
                for (int i = 0; i < rows; i++) {
                    if (!Double.isFinite(scores[i])) {
                        throw new IllegalArgumentException("score " + i + " is " + scores[i]);
                    }
                }
            }
        }
        return resample(scope, a.length, (repeatWeight, drawn, m, weight) -> {
            double sum = 0;
            for (int r = 0; r < a.length; r++) {
                if (repeatWeight[r] > 0) {
                    double[] ar = a[r];
                    double[] br = b[r];
                    double rowSum = 0;
                    for (int j = 0; j < m; j++) {
                        int i = drawn[j];
                        rowSum += weight[i] * (ar[i] - br[i]);
                    }
                    // Every resample holds n rows in all: its mean divides by n.
                    sum += repeatWeight[r] * rowSum / rows;
                }
            }
            return sum / a.length;
        });
    }

    private static void checkRepeats(int a, int b) {
        if (a == 0 || a != b) {
            throw new IllegalArgumentException("need the same, non-zero number of repeats for"
                    + " both variants, got " + a + " and " + b);
        }
    }

    /**
     * The statistic of one resample: repeat r counted {@code repeatWeight[r]} times, row
     * {@code drawn[j]} ({@code j < m}, the rows drawn at least once) {@code weight[drawn[j]]}
     * times.
     */
    private interface Statistic {
        double of(int[] repeatWeight, int[] drawn, int m, int[] weight);
    }

    /**
     * The resampling loop shared by both kinds of score: the statistic on the test set itself,
     * then on {@code resamples} resamples drawn in the documented order, and its percentiles.
     */
    private Interval resample(Scope scope, int repeats, Statistic statistic) {
        int n = rows;
        int[] weight = new int[n];
        int[] drawn = new int[n];
        int[] repeatWeight = new int[repeats];
        Arrays.fill(weight, 1);
        Arrays.fill(repeatWeight, 1);
        for (int i = 0; i < n; i++) {
            drawn[i] = i;
        }
        double observed = statistic.of(repeatWeight, drawn, n, weight);
        double[] stats = new double[resamples];
        SplittableRandom random = new SplittableRandom(seed);
        for (int s = 0; s < resamples; s++) {
            if (scope == Scope.TEST_ROWS_AND_REPEATS) {
                Arrays.fill(repeatWeight, 0);
                for (int k = 0; k < repeats; k++) {
                    repeatWeight[random.nextInt(repeats)]++;
                }
            }
            Arrays.fill(weight, 0);
            for (int k = 0; k < n; k++) {
                weight[random.nextInt(n)]++;
            }
            int distinct = 0;
            for (int i = 0; i < n; i++) {
                if (weight[i] > 0) {
                    drawn[distinct++] = i;
                }
            }
            stats[s] = statistic.of(repeatWeight, drawn, distinct, weight);
        }
        Arrays.sort(stats);
        return new Interval(observed, percentile(stats, 0.025), percentile(stats, 0.975), n,
                repeats, resamples);
    }

    /** Position {@code q (B - 1)} of the sorted values, interpolated linearly (type 7). */
    static double percentile(double[] sorted, double q) {
        double h = q * (sorted.length - 1);
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /**
     * The metric of one repeat's predictions on a weighted resample: a row of weight w counts w
     * times, as it would in the resampled arrays ({@link ClassificationScores#of} of them: the
     * same classes, those occurring as truth or prediction, enter the macro mean).
     */
    private double score(Metric metric, int[] predicted, int[] drawn, int m, int[] weight,
            Counts c) {
        c.clear();
        long total = 0;
        long correct = 0;
        for (int j = 0; j < m; j++) {
            int i = drawn[j];
            int w = weight[i];
            int t = truth[i];
            int p = predicted[i];
            total += w;
            if (t == p) {
                correct += w;
                c.tp[t] += w;
            } else {
                c.fp[p] += w;
                c.fn[t] += w;
            }
        }
        if (metric == Metric.ACCURACY) {
            return (double) correct / total;
        }
        double f1Sum = 0;
        int present = 0;
        for (int k = 0; k < classes; k++) {
            long tp = c.tp[k];
            long other = c.fp[k] + c.fn[k];
            if (tp + other == 0) {
                continue; // neither a true nor a predicted label of this resample
            }
            present++;
            f1Sum += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + other);
        }
        return f1Sum / present;
    }

    private static void checkClasses(String what, int[] labels, int classes) {
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException(what + " " + i + " is class " + labels[i]
                        + "; classes are 0 to " + (classes - 1));
            }
        }
    }

    /** Per-class confusion counts, reused across scores. */
    private static final class Counts {
        final long[] tp;
        final long[] fp;
        final long[] fn;

        Counts(int classes) {
            tp = new long[classes];
            fp = new long[classes];
            fn = new long[classes];
        }

        void clear() {
            Arrays.fill(tp, 0);
            Arrays.fill(fp, 0);
            Arrays.fill(fn, 0);
        }
    }
}
