package io.synalign.engine.labelled;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The held-out check's documented split, written out independently of {@link RealFolds}: a
 * Fisher-Yates shuffle by {@code new SplittableRandom(seed)} from the last position down, then
 * fold f the positions {@code [floor(f m / K), floor((f + 1) m / K))}, each fold sorted. Shared
 * by the engine's and the CLI's tests (the engine's test jar).
 */
public final class ReferenceFolds {

    private ReferenceFolds() {
    }

    /** The K folds of {@code rows}. */
    public static int[][] of(int[] rows, int k, long seed) {
        int[] p = rows.clone();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = p.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        int[][] out = new int[k][];
        for (int f = 0; f < k; f++) {
            out[f] = Arrays.copyOfRange(p, f * p.length / k, (f + 1) * p.length / k);
            Arrays.sort(out[f]);
        }
        return out;
    }
}
