package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import io.synalign.engine.alignment.WeightedSampler;
import java.util.ArrayList;
import java.util.List;

/**
 * The last step of text {@code align --sample} and of {@code run}: draw N synthetic rows by
 * their learned weights without replacement ({@link WeightedSampler}, A-Res of
 * Efraimidis-Spirakis, seeded) and pick those records, refusing an N larger than the rows that
 * can be drawn. Cost O(n log N) for n weighted rows.
 */
final class WeightedDraw {

    private WeightedDraw() {
    }

    /**
     * The indices of {@code n} rows drawn by weight without replacement.
     *
     * @param rows what the rows are, for the error message (e.g. "synthetic rows")
     * @throws IllegalArgumentException when {@code n} exceeds the rows with a positive weight
     */
    /**
     * {@code n} rows by weight, without replacement (at most the support) or, with
     * {@code withReplacement}, as {@code n} independent draws (any n; a row may repeat, and its
     * expected count is proportional to its weight).
     */
    static int[] indices(LabelledAlignmentResult result, int n, long seed, String rows,
            boolean withReplacement) {
        if (withReplacement) {
            return WeightedSampler.sampleWithReplacement(result.weights(), n, seed);
        }
        if (n > result.support()) {
            throw tooLarge(n, result.support(), rows + " with a positive weight");
        }
        return WeightedSampler.sample(result.weights(), n, seed);
    }

    /**
     * The default sample size: half the rows with a positive weight, at least 1. A draw without
     * replacement of more than half the support is far from proportional to the weights (the
     * draw must take most rows whatever their weight), which the report then warns about.
     */
    static int defaultSize(int support) {
        return Math.max(1, support / 2);
    }

    /** The records at {@code picks}, in draw order. */
    static List<Record> records(List<Record> records, int[] picks) {
        List<Record> out = new ArrayList<>(picks.length);
        for (int i : picks) {
            out.add(records.get(i));
        }
        return out;
    }

    /** The error of a --sample N larger than the {@code available} rows ({@code what}). */
    static IllegalArgumentException tooLarge(int n, int available, String what) {
        return new IllegalArgumentException("--sample " + n + " exceeds the " + available + " "
                + what + "; records are drawn without replacement, so at most " + available
                + " can be drawn");
    }
}
