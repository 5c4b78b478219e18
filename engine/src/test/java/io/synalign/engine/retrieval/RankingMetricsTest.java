package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The metrics on hand-made rankings, each value worked out by hand in the comment beside it. */
class RankingMetricsTest {

    private static final double EPS = 1e-12;

    @Test
    void oneRelevantItem() {
        Map<Integer, Integer> qrels = Map.of(7, 1);
        int[] ranked = {3, 9, 7, 1, 2};
        // found at rank 3
        assertEquals(0.0, RankingMetrics.recall(ranked, qrels, 1), EPS);
        assertEquals(0.0, RankingMetrics.recall(ranked, qrels, 2), EPS);
        assertEquals(1.0, RankingMetrics.recall(ranked, qrels, 3), EPS);
        assertEquals(1.0 / 3, RankingMetrics.reciprocalRank(ranked, qrels, 10), EPS);
        assertEquals(0.0, RankingMetrics.reciprocalRank(ranked, qrels, 2), EPS);
        // DCG = 1 / log2(4) = 0.5; ideal DCG = 1 / log2(2) = 1
        assertEquals(0.5, RankingMetrics.ndcg(ranked, qrels, 10), EPS);
        assertEquals(0.0, RankingMetrics.ndcg(ranked, qrels, 2), EPS);
    }

    @Test
    void gradedJudgementsAndMissingItems() {
        // grades: 4 -> 2, 5 -> 1, 6 -> 0 (judged, not relevant), 8 -> 1 (never retrieved)
        Map<Integer, Integer> qrels = Map.of(4, 2, 5, 1, 6, 0, 8, 1);
        int[] ranked = {5, 6, 4, -1};
        // 2 of 3 relevant found in the top 3
        assertEquals(2.0 / 3, RankingMetrics.recall(ranked, qrels, 3), EPS);
        assertEquals(1.0 / 3, RankingMetrics.recall(ranked, qrels, 1), EPS);
        assertEquals(1.0, RankingMetrics.reciprocalRank(ranked, qrels, 10), EPS);
        // DCG = 1/log2(2) + 2/log2(4) = 1 + 1 = 2
        // ideal: grades 2, 1, 1 -> 2/1 + 1/log2(3) + 1/log2(4) = 2.5 + 1/log2(3)
        double ideal = 2 + 1 / (Math.log(3) / Math.log(2)) + 0.5;
        assertEquals(2 / ideal, RankingMetrics.ndcg(ranked, qrels, 10), EPS);
        // At k = 1: DCG = 1, ideal DCG = 2
        assertEquals(0.5, RankingMetrics.ndcg(ranked, qrels, 1), EPS);
    }

    @Test
    void noRelevantItemScoresZero() {
        Map<Integer, Integer> none = Map.of(1, 0);
        int[] ranked = {1, 2};
        assertEquals(0.0, RankingMetrics.recall(ranked, none, 10), EPS);
        assertEquals(0.0, RankingMetrics.reciprocalRank(ranked, none, 10), EPS);
        assertEquals(0.0, RankingMetrics.ndcg(ranked, none, 10), EPS);
    }

    @Test
    void aPerfectRankingScoresOne() {
        Map<Integer, Integer> qrels = Map.of(0, 3, 1, 2, 2, 1);
        int[] ranked = {0, 1, 2, 9};
        assertEquals(1.0, RankingMetrics.ndcg(ranked, qrels, 10), EPS);
        assertEquals(1.0, RankingMetrics.recall(ranked, qrels, 3), EPS);
        // swapping the top two lowers nDCG: (2 + 3/log2 3 + 1/2) / (3 + 2/log2 3 + 1/2)
        int[] swapped = {1, 0, 2};
        double l3 = Math.log(3) / Math.log(2);
        assertEquals((2 + 3 / l3 + 0.5) / (3 + 2 / l3 + 0.5), RankingMetrics.ndcg(swapped, qrels, 10), EPS);
    }
}
