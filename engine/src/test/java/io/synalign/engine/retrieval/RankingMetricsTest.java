package io.synalign.engine.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The metrics on hand-made rankings, each value worked out by hand in the comment beside it, and
 * on random rankings against the definitions written out in double.
 */
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

    /**
     * Random judgements (0 to 40 judged items, grades -2 to 4: negative grades occur in some
     * qrels and count as not relevant, like 0) and rankings (1 to 60 slots, mixing judged and
     * unjudged items and -1 for empty slots), at k from 1 to past the ranking's length, against
     * the definitions computed here: recall as a count over the top k's distinct items, the first
     * relevant rank, and nDCG with the ideal order found by sorting the positive grades
     * descending, each discount {@code 1 / log2(rank + 1)} from rank 1.
     */
    @Test
    void randomRankingsMatchTheDefinitionsInDouble() {
        Random rnd = new Random(20261207);
        int checked = 0;
        int negativeIdealBeyondPositives = 0;
        for (int trial = 0; trial < 400; trial++) {
            int universe = 1 + rnd.nextInt(97);
            Map<Integer, Integer> grades = new HashMap<>();
            int judged = rnd.nextInt(Math.min(41, universe + 1));
            List<Integer> items = new ArrayList<>();
            for (int i = 0; i < universe; i++) {
                items.add(i);
            }
            Collections.shuffle(items, rnd);
            for (int i = 0; i < judged; i++) {
                grades.put(items.get(i), rnd.nextInt(7) - 2);
            }
            Collections.shuffle(items, rnd);
            int[] ranked = new int[1 + rnd.nextInt(Math.min(60, universe))];
            for (int r = 0; r < ranked.length; r++) {
                ranked[r] = rnd.nextInt(8) == 0 ? -1 : items.get(r); // distinct items, some empty
            }
            long positives = grades.values().stream().filter(g -> g > 0).count();
            boolean negatives = grades.values().stream().anyMatch(g -> g < 0);
            for (int k : new int[] {1, 2, 3, 5, 10, 17, ranked.length, ranked.length + 3, 100}) {
                String where = "trial " + trial + " k " + k + " ranked "
                        + java.util.Arrays.toString(ranked) + " grades " + grades;
                assertEquals(recall(ranked, grades, k), RankingMetrics.recall(ranked, grades, k),
                        EPS, where);
                assertEquals(reciprocalRank(ranked, grades, k),
                        RankingMetrics.reciprocalRank(ranked, grades, k), EPS, where);
                assertEquals(ndcg(ranked, grades, k), RankingMetrics.ndcg(ranked, grades, k), EPS,
                        where);
                checked++;
                if (negatives && positives > 0 && positives < k) {
                    negativeIdealBeyondPositives++;
                }
            }
        }
        assertEquals(3600, checked);
        // The cases where a negative grade could wrongly enter the ideal DCG occur.
        org.junit.jupiter.api.Assertions.assertTrue(negativeIdealBeyondPositives > 100,
                "cases with negative grades and fewer positives than k: " + negativeIdealBeyondPositives);
    }

    private static boolean relevant(Map<Integer, Integer> grades, int item) {
        Integer g = grades.get(item);
        return g != null && g > 0;
    }

    private static double recall(int[] ranked, Map<Integer, Integer> grades, int k) {
        double all = 0;
        for (Map.Entry<Integer, Integer> e : grades.entrySet()) {
            all += e.getValue() > 0 ? 1 : 0;
        }
        if (all == 0) {
            return 0;
        }
        java.util.Set<Integer> top = new java.util.HashSet<>();
        for (int r = 1; r <= ranked.length && r <= k; r++) {
            if (ranked[r - 1] >= 0 && relevant(grades, ranked[r - 1])) {
                top.add(ranked[r - 1]);
            }
        }
        return top.size() / all;
    }

    private static double reciprocalRank(int[] ranked, Map<Integer, Integer> grades, int k) {
        for (int r = 1; r <= ranked.length && r <= k; r++) {
            if (ranked[r - 1] >= 0 && relevant(grades, ranked[r - 1])) {
                return 1.0 / r;
            }
        }
        return 0;
    }

    private static double ndcg(int[] ranked, Map<Integer, Integer> grades, int k) {
        double dcg = 0;
        for (int r = 1; r <= ranked.length && r <= k; r++) {
            if (ranked[r - 1] >= 0 && relevant(grades, ranked[r - 1])) {
                dcg += grades.get(ranked[r - 1]) * Math.log(2) / Math.log(r + 1.0);
            }
        }
        List<Integer> positive = new ArrayList<>();
        for (int g : grades.values()) {
            if (g > 0) {
                positive.add(g);
            }
        }
        positive.sort(Collections.reverseOrder());
        double ideal = 0;
        for (int r = 1; r <= positive.size() && r <= k; r++) {
            ideal += positive.get(r - 1) * Math.log(2) / Math.log(r + 1.0);
        }
        return ideal == 0 ? 0 : dcg / ideal;
    }
}
