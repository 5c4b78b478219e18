package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.generation.LabelRows;
import io.synalign.generation.SteeredDemonstrations;
import io.synalign.kernels.FloatMatrix;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The closed loop's rules on their own: the quota split over rounds, the stop rule (every label
 * with rows asked for must have been tested and meet the target), and the steered groups walking
 * down the gap ranking across batches.
 */
class ClosedLoopOptionsTest {

    private static TwoSampleTesting.Figures figures(double p, double mmd2) {
        return new TwoSampleTesting.Figures(10, 10, mmd2 * 2, p / 2, 0.5, mmd2, p, 0.5, 100.0, List.of(), List.of());
    }

    private static TwoSampleTesting.Report report(Map<String, TwoSampleTesting.Figures> labels) {
        return new TwoSampleTesting.Report(labels, figures(0.9, 0.001), 1.0, true,
                TwoSampleTesting.Options.of(10, 0));
    }

    @Test
    void theTargetIsMetOnlyWhenEveryLabelWithRowsAskedForWasTestedAndMeetsIt() {
        ClosedLoop.Options p = new ClosedLoop.Options(3, 0.05, null, null);
        Map<String, TwoSampleTesting.Figures> onlyA = new LinkedHashMap<>(Map.of("a", figures(0.5, 0.01)));
        assertFalse(p.met(report(onlyA), Set.of("a", "b")), "label b has no synthetic row yet");
        Map<String, TwoSampleTesting.Figures> both = new LinkedHashMap<>(onlyA);
        both.put("b", figures(0.2, 0.02));
        assertTrue(p.met(report(both), Set.of("a", "b")));
        both.put("b", figures(0.01, 0.02));
        assertFalse(p.met(report(both), Set.of("a", "b")), "b is below the p target");
        ClosedLoop.Options m = new ClosedLoop.Options(3, null, 0.015, null);
        assertFalse(m.met(report(both), Set.of("a", "b")), "b's MMD^2 0.02 is above 0.015");
        assertFalse(ClosedLoop.Options.rounds(3).met(report(both), Set.of("a", "b")), "no target");
        assertTrue(p.met(report(new LinkedHashMap<>()), Set.of()), "unlabelled: the overall test");
        assertThrows(IllegalArgumentException.class, () -> new ClosedLoop.Options(2, 0.0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ClosedLoop.Options(2, null, null, 0));
    }

    @Test
    void eachRoundGetsItsShareOfEveryQuota() {
        int[] q = {10, 2, 7};
        int[] sum = new int[3];
        for (int r = 1; r <= 4; r++) {
            int[] s = ClosedLoop.share(q, r, 4);
            for (int i = 0; i < 3; i++) {
                sum[i] += s[i];
            }
        }
        assertArrayEquals(q, sum);
        assertArrayEquals(new int[] {2, 0, 1}, ClosedLoop.share(q, 1, 4));
    }

    @Test
    void steeredGroupsWalkDownTheRankingAcrossBatches() {
        double[] gap = {0.1, 0.9, 0.5, 0.7, 0.3};
        int[] rank = SteeredDemonstrations.ranking(gap);
        assertArrayEquals(new int[] {1, 3, 2, 4, 0}, rank);
        float[] x = new float[5];
        for (int i = 0; i < 5; i++) {
            x[i] = i;
        }
        LabelRows rows = new LabelRows("a", List.of("r0", "r1", "r2", "r3", "r4"), List.of(1L, 2L, 3L, 4L, 5L));
        SteeredDemonstrations s = new SteeredDemonstrations(2, Map.of("a", gap), Map.of());
        FloatMatrix m = new FloatMatrix(5, 1, x);
        List<int[]> first = s.choose(rows, m, 3, 0, 7, List.of());
        List<int[]> second = s.choose(rows, m, 3, 1, 7, first);
        assertEquals(List.of(1, 3, 2), first.stream().map(g -> g[0]).toList());
        assertEquals(List.of(4, 0, 1), second.stream().map(g -> g[0]).toList(), "the next ranks, then around");
        // each seed with its nearest other row (1-D: the neighbour at distance 1, lower row on ties)
        assertArrayEquals(new int[] {1, 0}, first.get(0));
        assertArrayEquals(new int[] {4, 3}, second.get(0));
        // a new round's chooser starts at the top again
        assertEquals(1, new SteeredDemonstrations(2, Map.of("a", gap), Map.of()).choose(rows, m, 1, 0, 7, List.of()).get(0)[0]);
    }

    /**
     * The stage-1 hint is part of the request the call journal keys on: its lines are joined by
     * "\n" on every platform (it used %n, so a run resumed where the line separator is "\r\n"
     * re-sent every steered call). Whitespace inside a text becomes one space.
     */
    @Test
    void theHintJoinsItsLinesWithNewlinesWhateverThePlatform() {
        String hint = ClosedLoop.hint(new int[] {1, 0}, new int[] {2, 0},
                List.of("first\r\ntext", "unused", "third  text"));
        assertEquals("These real examples are among those the synthetic examples written so far"
                + " cover worst; say in particular what sets them apart. The synthetic examples"
                + " already over-represent texts like:\n- first text\n- third text", hint);
        assertEquals(null, ClosedLoop.hint(new int[0], new int[] {0}, List.of("a")));
    }
}
