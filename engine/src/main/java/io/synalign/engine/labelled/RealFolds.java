package io.synalign.engine.labelled;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A seeded K-fold split of one group's real rows, for {@link HeldOutCheck}.
 *
 * <p>Algorithm: the rows are shuffled by Fisher-Yates from the last position down
 * ({@code j = random.nextInt(i + 1)} for {@code i = m-1 .. 1}, with
 * {@code new SplittableRandom(seed)}); fold f takes the shuffled positions
 * {@code [floor(f m / K), floor((f + 1) m / K))}, so the folds partition the rows and their
 * sizes differ by at most one. Each fold's rows, and the rows left to fit on, are returned in
 * increasing order, so that a fit sees its rows in input order as the main fit does. Cost
 * O(m log m).
 */
final class RealFolds {

    private RealFolds() {
    }

    /**
     * Why {@code nReal} rows cannot be split into {@code folds} folds that each hold out at
     * least two rows and leave at least two to fit on, or null when they can. Two held out,
     * because the held-out score ({@code WeightedMmd.valuesAgainstPopulation}) averages the
     * real rows' kernel over distinct pairs; two to fit on, because one real row gives the weights nothing
     * to match but a point. With {@code folds >= 2} the first implies the second.
     */
    static String whyNot(int nReal, int folds) {
        if (nReal < 2 * folds) {
            return nReal + " real row" + (nReal == 1 ? "" : "s") + ", fewer than the " + 2 * folds
                    + " that " + folds + " folds of at least 2 need";
        }
        return null;
    }

    /**
     * The held-out rows of each fold.
     *
     * @param rows the group's real row indices, increasing
     * @throws IllegalArgumentException when {@link #whyNot} gives a reason
     */
    static int[][] split(int[] rows, int folds, long seed) {
        String why = whyNot(rows.length, folds);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
        int m = rows.length;
        int[] shuffled = rows.clone();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = m - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = shuffled[i];
            shuffled[i] = shuffled[j];
            shuffled[j] = t;
        }
        int[][] out = new int[folds][];
        for (int f = 0; f < folds; f++) {
            int from = (int) ((long) f * m / folds);
            int to = (int) ((long) (f + 1) * m / folds);
            out[f] = Arrays.copyOfRange(shuffled, from, to);
            Arrays.sort(out[f]);
        }
        return out;
    }

    /** The rows of {@code rows} (increasing) that are not in {@code heldOut} (increasing). */
    static int[] complement(int[] rows, int[] heldOut) {
        int[] out = new int[rows.length - heldOut.length];
        int k = 0;
        int h = 0;
        for (int r : rows) {
            if (h < heldOut.length && heldOut[h] == r) {
                h++;
            } else {
                out[k++] = r;
            }
        }
        return out;
    }
}
