package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Query shapes on hand-made sets, each figure worked out in the comment beside it. */
class QueryProfileTest {

    @Test
    void lengthsBucketsAndQuestionsUnweightedAndWeighted() {
        List<String> q = Arrays.asList("cat", "house cat", "what is a house cat", "how do cats purr?", null,
                "one two three four five six seven eight nine");
        QueryProfile plain = QueryProfile.of(q, null);
        // words: 1, 2, 5, 4, (skipped), 9 -> mean 21 / 5
        assertEquals(21.0 / 5, plain.meanWords(), 1e-12);
        // buckets 1 | 2 | 3-4 | 5-8 | 9+: one each
        assertArrayEquals(new double[] {0.2, 0.2, 0.2, 0.2, 0.2}, plain.bucketShares(), 1e-12);
        // questions: "what ..." and "how ...?" -> 2 of 5
        assertEquals(0.4, plain.questionShare(), 1e-12);

        double[] w = {3, 1, 0, 0, 5, 0};
        QueryProfile weighted = QueryProfile.of(q, w);
        // only "cat" (3) and "house cat" (1) weigh: mean (3*1 + 1*2) / 4
        assertEquals(5.0 / 4, weighted.meanWords(), 1e-12);
        assertArrayEquals(new double[] {0.75, 0.25, 0, 0, 0}, weighted.bucketShares(), 1e-12);
        assertEquals(0.0, weighted.questionShare(), 1e-12);
    }

    @Test
    void noWeightGivesNaNNotZero() {
        QueryProfile p = QueryProfile.of(List.of("a b"), new double[] {0});
        assertTrue(Double.isNaN(p.meanWords()) && Double.isNaN(p.questionShare()));
    }
}
