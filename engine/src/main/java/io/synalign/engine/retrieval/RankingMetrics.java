package io.synalign.engine.retrieval;

import java.util.Arrays;
import java.util.Map;

/**
 * The retrieval metrics of one ranked list against graded judgements, as BEIR reports them
 * (pytrec_eval's {@code recall_k}, {@code recip_rank} cut at k, {@code ndcg_cut_k}):
 * <ul>
 *   <li>recall@k: the share of the relevant items (grade &gt; 0) found in the top k;</li>
 *   <li>MRR@k: 1 / the rank of the first relevant item in the top k, else 0;</li>
 *   <li>nDCG@k: {@code DCG = sum over ranks r <= k of grade_r / log2(r + 1)} (linear gain, as
 *       trec_eval), divided by the DCG of the ideal order of all judged grades.</li>
 * </ul>
 * A query without a relevant item scores 0 on every metric. Cost O(k + |judged|) per call.
 */
public final class RankingMetrics {

    private RankingMetrics() {
    }

    /**
     * @param ranked item ids, best first (-1 marks an empty slot)
     * @param grades relevance grade per judged item id; grades &lt;= 0 count as not relevant
     */
    public static double recall(int[] ranked, Map<Integer, Integer> grades, int k) {
        long relevant = grades.values().stream().filter(g -> g > 0).count();
        if (relevant == 0) {
            return 0;
        }
        int found = 0;
        for (int r = 0; r < Math.min(k, ranked.length); r++) {
            if (grades.getOrDefault(ranked[r], 0) > 0) {
                found++;
            }
        }
        return (double) found / relevant;
    }

    /** 1 / the rank (from 1) of the first relevant item among the top k, else 0. */
    public static double reciprocalRank(int[] ranked, Map<Integer, Integer> grades, int k) {
        for (int r = 0; r < Math.min(k, ranked.length); r++) {
            if (grades.getOrDefault(ranked[r], 0) > 0) {
                return 1.0 / (r + 1);
            }
        }
        return 0;
    }

    /** Normalised discounted cumulative gain at k, linear gain. */
    public static double ndcg(int[] ranked, Map<Integer, Integer> grades, int k) {
        double dcg = 0;
        for (int r = 0; r < Math.min(k, ranked.length); r++) {
            int g = grades.getOrDefault(ranked[r], 0);
            if (g > 0) {
                dcg += g / log2(r + 2);
            }
        }
        int[] ideal = grades.values().stream().filter(g -> g > 0).mapToInt(Integer::intValue).toArray();
        Arrays.sort(ideal);
        double idcg = 0;
        for (int r = 0; r < Math.min(k, ideal.length); r++) {
            idcg += ideal[ideal.length - 1 - r] / log2(r + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
