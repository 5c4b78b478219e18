package io.synalign.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The paired bootstrap over test rows (and repeats) against a direct double-precision
 * computation of its definition (resampled arrays built row by row, F1 counted class by class,
 * percentiles by sorting), on an awkward hand-built set; and its behaviour: reproducible from
 * the seed, wider on fewer rows, wider again where the repeats disagree and are resampled.
 */
class PairedBootstrapTest {

    /**
     * 37 rows of 4 classes, class 3 once only (a resample often lacks it); variant a predicts a
     * class-5 label that no row has (it still enters the macro mean), 3 repeats each.
     */
    private static final int[] TRUTH = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 0, 1, 1, 2, 2, 0, 1,
        3, 0, 2, 2, 1, 0, 0, 1, 2, 0, 1, 1, 0, 2, 0, 1, 0, 2, 1};
    private static final int CLASSES = 6;

    private static int[][] predictions(long seed, double correct, boolean strayClass) {
        Random random = new Random(seed);
        int[][] out = new int[3][TRUTH.length];
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < TRUTH.length; i++) {
                out[r][i] = random.nextDouble() < correct ? TRUTH[i] : random.nextInt(4);
            }
            if (strayClass) {
                out[r][5 + r] = 5;
            }
        }
        return out;
    }

    /** Macro-F1 written out from its definition over the classes present in truth or guess. */
    private static double referenceMacroF1(int[] truth, int[] guess) {
        double sum = 0;
        int present = 0;
        for (int c = 0; c < CLASSES; c++) {
            double tp = 0;
            double fp = 0;
            double fn = 0;
            for (int i = 0; i < truth.length; i++) {
                if (truth[i] == c && guess[i] == c) {
                    tp += 1;
                } else if (guess[i] == c) {
                    fp += 1;
                } else if (truth[i] == c) {
                    fn += 1;
                }
            }
            if (tp + fp + fn > 0) {
                present++;
                sum += tp > 0 ? 2 * tp / (2 * tp + fp + fn) : 0;
            }
        }
        return sum / present;
    }

    private static double referenceAccuracy(int[] truth, int[] guess) {
        double hits = 0;
        for (int i = 0; i < truth.length; i++) {
            hits += truth[i] == guess[i] ? 1 : 0;
        }
        return hits / truth.length;
    }

    /**
     * The bootstrap written out: resample s takes rows {@code nextInt(n)} of one
     * SplittableRandom in turn (the documented draw order), builds the resampled truth and every
     * repeat's resampled predictions, and scores them; the percentile is the order statistic at
     * {@code q (B - 1)} interpolated (R's and NumPy's default).
     */
    private static double[] reference(PairedBootstrap.Metric metric,
            PairedBootstrap.Scope scope, int[] truth, int[][] a, int[][] b, int resamples,
            long seed) {
        int n = truth.length;
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        for (int s = 0; s < resamples; s++) {
            int[] repeats = new int[a.length];
            for (int k = 0; k < a.length; k++) {
                repeats[k] = scope == PairedBootstrap.Scope.TEST_ROWS ? k
                        : random.nextInt(a.length);
            }
            int[] rows = new int[n];
            for (int k = 0; k < n; k++) {
                rows[k] = random.nextInt(n);
            }
            int[] t = new int[n];
            for (int k = 0; k < n; k++) {
                t[k] = truth[rows[k]];
            }
            double meanA = 0;
            double meanB = 0;
            for (int r : repeats) {
                int[] pa = new int[n];
                int[] pb = new int[n];
                for (int k = 0; k < n; k++) {
                    pa[k] = a[r][rows[k]];
                    pb[k] = b[r][rows[k]];
                }
                meanA += metric == PairedBootstrap.Metric.ACCURACY ? referenceAccuracy(t, pa)
                        : referenceMacroF1(t, pa);
                meanB += metric == PairedBootstrap.Metric.ACCURACY ? referenceAccuracy(t, pb)
                        : referenceMacroF1(t, pb);
            }
            stats[s] = (meanA - meanB) / a.length;
        }
        return percentiles95(stats);
    }

    /**
     * The 2.5th and 97.5th percentiles of the resampled statistics: each the order statistic at
     * {@code q (B - 1)}, interpolated (R's and NumPy's default, "type 7").
     */
    private static double[] percentiles95(double[] stats) {
        double[] sorted = stats.clone();
        Arrays.sort(sorted);
        double[] out = new double[2];
        double[] qs = {0.025, 0.975};
        for (int j = 0; j < 2; j++) {
            double position = qs[j] * (sorted.length - 1);
            int below = (int) position;
            double fraction = position - below;
            out[j] = below + 1 < sorted.length
                    ? sorted[below] * (1 - fraction) + sorted[below + 1] * fraction
                    : sorted[below];
        }
        return out;
    }

    @Test
    void intervalMatchesTheDefinitionWrittenOut() {
        int[][] a = predictions(1, 0.8, true);
        int[][] b = predictions(2, 0.6, false);
        for (PairedBootstrap.Scope scope : PairedBootstrap.Scope.values()) {
            for (PairedBootstrap.Metric metric : PairedBootstrap.Metric.values()) {
                for (int resamples : new int[] {2, 101, 997}) {
                    PairedBootstrap.Interval got = new PairedBootstrap(TRUTH, CLASSES,
                            resamples, 17).difference(metric, scope, a, b);
                    double[] want = reference(metric, scope, TRUTH, a, b, resamples, 17);
                    String what = scope + " " + metric + ", B = " + resamples;
                    assertEquals(want[0], got.low(), 1e-12, what + ": low");
                    assertEquals(want[1], got.high(), 1e-12, what + ": high");
                    assertEquals(37, got.rows());
                    assertEquals(3, got.repeats());
                    assertEquals(resamples, got.resamples());
                }
            }
        }
        // Without a scope: the rows only.
        assertEquals(new PairedBootstrap(TRUTH, CLASSES, 50, 3).difference(
                PairedBootstrap.Metric.MACRO_F1, PairedBootstrap.Scope.TEST_ROWS, a, b),
                new PairedBootstrap(TRUTH, CLASSES, 50, 3).difference(
                        PairedBootstrap.Metric.MACRO_F1, a, b));
    }

    /** The point estimate is the scores' own difference: what the table's means give. */
    @Test
    void differenceIsTheMeanPerRepeatDifferenceOfTheScores() {
        int[][] a = predictions(3, 0.75, true);
        int[][] b = predictions(4, 0.7, false);
        double f1 = 0;
        double accuracy = 0;
        for (int r = 0; r < 3; r++) {
            f1 += ClassificationScores.of(TRUTH, a[r]).macroF1()
                    - ClassificationScores.of(TRUTH, b[r]).macroF1();
            accuracy += ClassificationScores.of(TRUTH, a[r]).accuracy()
                    - ClassificationScores.of(TRUTH, b[r]).accuracy();
        }
        PairedBootstrap bootstrap = new PairedBootstrap(TRUTH, CLASSES, 50, 0);
        assertEquals(f1 / 3, bootstrap.difference(PairedBootstrap.Metric.MACRO_F1, a, b)
                .difference(), 1e-12);
        assertEquals(accuracy / 3, bootstrap.difference(PairedBootstrap.Metric.ACCURACY, a, b)
                .difference(), 1e-12);
    }

    @Test
    void theSameSeedGivesTheSameIntervalAndAnotherSeedAnother() {
        int[][] a = predictions(5, 0.8, false);
        int[][] b = predictions(6, 0.7, false);
        PairedBootstrap.Interval one = new PairedBootstrap(TRUTH, CLASSES, 200, 9)
                .difference(PairedBootstrap.Metric.MACRO_F1, a, b);
        assertEquals(one, new PairedBootstrap(TRUTH, CLASSES, 200, 9)
                .difference(PairedBootstrap.Metric.MACRO_F1, a, b));
        assertNotEquals(one, new PairedBootstrap(TRUTH, CLASSES, 200, 10)
                .difference(PairedBootstrap.Metric.MACRO_F1, a, b));
    }

    /**
     * Two students that differ on a fixed share of rows: on 2,000 rows the interval is about
     * sqrt(20) times narrower than on the first 100 of them (sampling error ~ 1 / sqrt(n)).
     */
    @Test
    void theIntervalWidensWhenTheTestSetIsSmall() {
        int n = 2000;
        Random random = new Random(11);
        int[] truth = new int[n];
        int[][] a = new int[5][n];
        int[][] b = new int[5][n];
        for (int i = 0; i < n; i++) {
            truth[i] = random.nextInt(3);
        }
        for (int r = 0; r < 5; r++) {
            for (int i = 0; i < n; i++) {
                a[r][i] = random.nextDouble() < 0.8 ? truth[i] : random.nextInt(3);
                b[r][i] = random.nextDouble() < 0.7 ? truth[i] : random.nextInt(3);
            }
        }
        PairedBootstrap.Interval all = new PairedBootstrap(truth, 3, 2000, 1)
                .difference(PairedBootstrap.Metric.MACRO_F1, a, b);
        int m = 100;
        PairedBootstrap.Interval few = new PairedBootstrap(Arrays.copyOf(truth, m), 3, 2000, 1)
                .difference(PairedBootstrap.Metric.MACRO_F1, head(a, m), head(b, m));
        double wide = few.high() - few.low();
        double narrow = all.high() - all.low();
        assertTrue(all.low() < all.difference() && all.difference() < all.high(), all::toString);
        assertTrue(wide > 3 * narrow, "100 rows: " + wide + ", 2000 rows: " + narrow);
        assertTrue(all.low() > 0, "a is better by about 7 points on 2000 rows: " + all);
    }

    /**
     * Repeats that disagree (variant a right on 55 %, 75 % or 95 % of the rows by seed, b on
     * 75 % in each): over the rows alone the interval is that of the mean, narrow; resampling
     * the repeats too puts their spread back.
     */
    @Test
    void resamplingTheRepeatsKeepsTheSeedsSpreadInTheInterval() {
        int n = 600;
        Random random = new Random(12);
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = random.nextInt(3);
        }
        double[] right = {0.55, 0.75, 0.95};
        int[][] a = new int[3][n];
        int[][] b = new int[3][n];
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < n; i++) {
                a[r][i] = random.nextDouble() < right[r] ? truth[i] : (truth[i] + 1) % 3;
                b[r][i] = random.nextDouble() < 0.75 ? truth[i] : (truth[i] + 1) % 3;
            }
        }
        PairedBootstrap bootstrap = new PairedBootstrap(truth, 3, 2000, 5);
        PairedBootstrap.Interval rows = bootstrap.difference(PairedBootstrap.Metric.ACCURACY,
                PairedBootstrap.Scope.TEST_ROWS, a, b);
        PairedBootstrap.Interval both = bootstrap.difference(PairedBootstrap.Metric.ACCURACY,
                PairedBootstrap.Scope.TEST_ROWS_AND_REPEATS, a, b);
        assertEquals(rows.difference(), both.difference(), 0);
        assertTrue(both.high() - both.low() > 2 * (rows.high() - rows.low()),
                "rows and repeats " + both + ", rows " + rows);
        // The drawn repeats' means span about 0.55 .. 0.95 around b's 0.75.
        assertTrue(both.low() < -0.08 && both.high() > 0.08, both::toString);
    }

    private static int[][] head(int[][] p, int m) {
        int[][] out = new int[p.length][];
        for (int r = 0; r < p.length; r++) {
            out[r] = Arrays.copyOf(p[r], m);
        }
        return out;
    }

    @Test
    void mismatchedInputsAreRefused() {
        PairedBootstrap bootstrap = new PairedBootstrap(TRUTH, CLASSES, 10, 0);
        int[][] three = predictions(1, 0.8, false);
        int[][] two = Arrays.copyOf(three, 2);
        assertThrows(IllegalArgumentException.class, () -> bootstrap.difference(
                PairedBootstrap.Metric.MACRO_F1, three, two));
        assertThrows(IllegalArgumentException.class, () -> bootstrap.difference(
                PairedBootstrap.Metric.MACRO_F1, new int[0][], new int[0][]));
        int[][] shorter = {Arrays.copyOf(three[0], 36)};
        assertThrows(IllegalArgumentException.class, () -> bootstrap.difference(
                PairedBootstrap.Metric.MACRO_F1, shorter, Arrays.copyOf(three, 1)));
        int[][] outOfRange = {three[0].clone()};
        outOfRange[0][4] = CLASSES;
        assertThrows(IllegalArgumentException.class, () -> bootstrap.difference(
                PairedBootstrap.Metric.MACRO_F1, outOfRange, Arrays.copyOf(three, 1)));
        assertThrows(IllegalArgumentException.class, () -> new PairedBootstrap(new int[0], 2,
                10, 0));
        assertThrows(IllegalArgumentException.class, () -> new PairedBootstrap(TRUTH, CLASSES,
                1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PairedBootstrap(TRUTH, 3, 10, 0));
    }

    /**
     * 37 test queries, 3 repeats: each query's first relevant rank (0: none retrieved, ranks
     * past 10 score 0 at MRR@10), b worse than a on average.
     */
    private static int[][] firstRanks(long seed, int worse) {
        Random random = new Random(seed);
        int[][] out = new int[3][37];
        for (int r = 0; r < 3; r++) {
            for (int q = 0; q < 37; q++) {
                int u = random.nextInt(14 + worse);
                out[r][q] = u == 0 ? 0 : u > 12 ? 40 + u : u + worse / 2;
            }
        }
        return out;
    }

    /** Reciprocal rank at 10 from its definition: 1 / rank within the top 10, else 0. */
    private static double referenceReciprocalRank(int rank) {
        return rank >= 1 && rank <= 10 ? 1.0 / rank : 0.0;
    }

    private static double[][] reciprocalRanks(int[][] ranks) {
        double[][] out = new double[ranks.length][ranks[0].length];
        for (int r = 0; r < ranks.length; r++) {
            for (int q = 0; q < ranks[r].length; q++) {
                out[r][q] = referenceReciprocalRank(ranks[r][q]);
            }
        }
        return out;
    }

    /**
     * The bootstrap of MRR@10 written out: resample s draws its repeats (scope
     * TEST_ROWS_AND_REPEATS) and then {@code nextInt(n)} query indices of one SplittableRandom,
     * builds every drawn repeat's resampled rank list for both variants, scores each list's
     * MRR@10 by the definition, and takes the difference of the repeat means; percentiles as
     * {@link #reference}.
     */
    private static double[] referenceMrr(PairedBootstrap.Scope scope, int[][] a, int[][] b,
            int resamples, long seed) {
        int n = a[0].length;
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        for (int s = 0; s < resamples; s++) {
            int[] repeats = new int[a.length];
            for (int k = 0; k < a.length; k++) {
                repeats[k] = scope == PairedBootstrap.Scope.TEST_ROWS ? k
                        : random.nextInt(a.length);
            }
            int[] rows = new int[n];
            for (int k = 0; k < n; k++) {
                rows[k] = random.nextInt(n);
            }
            double meanA = 0;
            double meanB = 0;
            for (int r : repeats) {
                double sumA = 0;
                double sumB = 0;
                for (int k = 0; k < n; k++) {
                    sumA += referenceReciprocalRank(a[r][rows[k]]);
                    sumB += referenceReciprocalRank(b[r][rows[k]]);
                }
                meanA += sumA / n;
                meanB += sumB / n;
            }
            stats[s] = (meanA - meanB) / a.length;
        }
        return percentiles95(stats);
    }

    @Test
    void perRowScoresIntervalMatchesTheDefinitionWrittenOut() {
        int[][] a = firstRanks(21, 0);
        int[][] b = firstRanks(22, 4);
        double observed = 0;
        for (int r = 0; r < 3; r++) {
            double sumA = 0;
            double sumB = 0;
            for (int q = 0; q < 37; q++) {
                sumA += referenceReciprocalRank(a[r][q]);
                sumB += referenceReciprocalRank(b[r][q]);
            }
            observed += (sumA - sumB) / 37 / 3;
        }
        for (PairedBootstrap.Scope scope : PairedBootstrap.Scope.values()) {
            for (int resamples : new int[] {2, 101, 997}) {
                PairedBootstrap.Interval got = PairedBootstrap.overRowScores(37, resamples, 17)
                        .meanDifference(scope, reciprocalRanks(a), reciprocalRanks(b));
                double[] want = referenceMrr(scope, a, b, resamples, 17);
                String what = scope + ", B = " + resamples;
                assertEquals(observed, got.difference(), 1e-12, what + ": difference");
                assertEquals(want[0], got.low(), 1e-12, what + ": low");
                assertEquals(want[1], got.high(), 1e-12, what + ": high");
                assertEquals(37, got.rows());
                assertEquals(3, got.repeats());
                assertEquals(resamples, got.resamples());
            }
        }
    }

    /**
     * Accuracy is a mean of per-row scores (1 right, 0 wrong): over per-row scores it gives the
     * classification bootstrap's interval, resample for resample (one seed, the same draws).
     */
    @Test
    void perRowScoresResampleAsTheClassificationBootstrapDoes() {
        int[][] a = predictions(7, 0.8, false);
        int[][] b = predictions(8, 0.6, false);
        double[][] rightA = new double[3][TRUTH.length];
        double[][] rightB = new double[3][TRUTH.length];
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < TRUTH.length; i++) {
                rightA[r][i] = a[r][i] == TRUTH[i] ? 1 : 0;
                rightB[r][i] = b[r][i] == TRUTH[i] ? 1 : 0;
            }
        }
        for (PairedBootstrap.Scope scope : PairedBootstrap.Scope.values()) {
            PairedBootstrap.Interval labels = new PairedBootstrap(TRUTH, CLASSES, 500, 31)
                    .difference(PairedBootstrap.Metric.ACCURACY, scope, a, b);
            PairedBootstrap.Interval scores = PairedBootstrap.overRowScores(TRUTH.length, 500, 31)
                    .meanDifference(scope, rightA, rightB);
            assertEquals(labels.difference(), scores.difference(), 1e-12, scope.toString());
            assertEquals(labels.low(), scores.low(), 1e-12, scope.toString());
            assertEquals(labels.high(), scores.high(), 1e-12, scope.toString());
        }
    }

    @Test
    void mismatchedPerRowScoresAreRefused() {
        PairedBootstrap bootstrap = PairedBootstrap.overRowScores(37, 10, 0);
        double[][] three = reciprocalRanks(firstRanks(1, 0));
        assertThrows(IllegalArgumentException.class, () -> bootstrap.meanDifference(
                PairedBootstrap.Scope.TEST_ROWS, three, Arrays.copyOf(three, 2)));
        assertThrows(IllegalArgumentException.class, () -> bootstrap.meanDifference(
                PairedBootstrap.Scope.TEST_ROWS, new double[0][], new double[0][]));
        double[][] shorter = {Arrays.copyOf(three[0], 36)};
        assertThrows(IllegalArgumentException.class, () -> bootstrap.meanDifference(
                PairedBootstrap.Scope.TEST_ROWS, shorter, Arrays.copyOf(three, 1)));
        double[][] notANumber = {three[0].clone()};
        notANumber[0][3] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> bootstrap.meanDifference(
                PairedBootstrap.Scope.TEST_ROWS, notANumber, Arrays.copyOf(three, 1)));
        assertThrows(IllegalArgumentException.class, () -> PairedBootstrap.overRowScores(0, 10,
                0));
        assertThrows(IllegalArgumentException.class, () -> PairedBootstrap.overRowScores(37, 1,
                0));
        // One kind of score per bootstrap: labels for classes, none for per-row scores.
        assertThrows(IllegalStateException.class, () -> bootstrap.difference(
                PairedBootstrap.Metric.ACCURACY, new int[][] {TRUTH}, new int[][] {TRUTH}));
        assertThrows(IllegalStateException.class, () -> new PairedBootstrap(TRUTH, CLASSES, 10,
                0).meanDifference(PairedBootstrap.Scope.TEST_ROWS, three, three));
    }
}
