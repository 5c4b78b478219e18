package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.evaluation.RetrievalEvaluation;
import io.synalign.io.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test ranks that a retrieval's {@code evaluation.json} keeps: per variant one array per
 * repeat ({@code zero_shot}: one, it is not trained) of each test query's first relevant rank
 * ({@code testRanks}; from 1, 0 when no relevant passage was retrieved), from which the verdict
 * resamples test queries. MRR@10, the verdict's metric, is the mean over the queries of
 * {@link RetrievalEvaluation#reciprocalRank} of these ranks. An evaluation written before they
 * were kept has none; the verdict then falls back to the seeds-only interval.
 *
 * <p>Checked when read, because the verdict would otherwise quote an interval of other queries:
 * every variant has them once one has, every array holds {@code testQueries} integers from 0 to
 * {@code min(}{@value RetrievalEvaluation#SEARCH_DEPTH}{@code , corpusPassages)}, there are as
 * many arrays as the variant's {@code values.mrr@10}, and each repeat's ranks give the MRR@10
 * value recorded for that repeat (1e-9). Cost O(variants x repeats x queries).
 *
 * @param queries the number of test queries
 * @param byVariant per variant name, its ranks, {@code [repeat][query]}
 */
public record TestRanks(int queries, Map<String, int[][]> byVariant) {

    /** The field of each variant that holds its ranks. */
    static final String FIELD = "testRanks";

    /** Agreement required between recomputed and recorded MRR@10 (JSON round-trips doubles). */
    private static final double SCORE_TOLERANCE = 1e-9;

    /**
     * The ranks of a retrieval evaluation document, or {@code null} when it keeps none (written
     * before they were kept, or a classification).
     *
     * @param file the document, for messages
     * @throws InputException naming the file, variant and value when the ranks are unusable
     */
    static TestRanks read(Path file, JsonNode evaluation) {
        if (!Verdict.retrieval(evaluation)) {
            return null;
        }
        Map<String, JsonNode> variants = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = evaluation.path("variants").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            variants.put(e.getKey(), e.getValue());
        }
        if (variants.values().stream().noneMatch(v -> v.has(FIELD))) {
            return null;
        }
        int depth = depth(evaluation);
        JsonNode stated = evaluation.get("testQueries");
        int queries = stated != null && stated.canConvertToInt() ? stated.intValue() : -1;
        Map<String, int[][]> byVariant = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : variants.entrySet()) {
            String where = "variant '" + e.getKey() + "' " + FIELD;
            JsonNode repeats = e.getValue().get(FIELD);
            if (repeats == null || !repeats.isArray() || repeats.isEmpty()) {
                throw new InputException(file, where + " is " + (repeats == null ? "missing"
                        : repeats.isArray() ? "empty" : JsonExcerpt.of(repeats))
                        + "; once one variant has " + FIELD + ", every variant needs an array"
                        + " per repeat");
            }
            int[][] ranks = new int[repeats.size()][];
            for (int r = 0; r < ranks.length; r++) {
                ranks[r] = ranks(file, where + "[" + r + "]", repeats.get(r), depth);
                if (queries < 0) {
                    queries = ranks[r].length; // no testQueries stated: the first array's length
                }
                if (ranks[r].length != queries || queries == 0) {
                    throw new InputException(file, where + "[" + r + "] has " + ranks[r].length
                            + " entries for " + queries + " testQueries");
                }
            }
            checkScores(file, e.getKey(), e.getValue(), ranks);
            byVariant.put(e.getKey(), ranks);
        }
        return new TestRanks(queries, Collections.unmodifiableMap(byVariant));
    }

    /**
     * Per repeat, each test query's reciprocal rank at {@value RetrievalEvaluation#MRR_CUTOFF}:
     * the per-query scores whose mean is the variant's MRR@10, or null for a variant not kept.
     */
    double[][] reciprocalRanks(String variant) {
        int[][] ranks = byVariant.get(variant);
        if (ranks == null) {
            return null;
        }
        double[][] out = new double[ranks.length][queries];
        for (int r = 0; r < ranks.length; r++) {
            for (int q = 0; q < queries; q++) {
                out[r][q] = RetrievalEvaluation.reciprocalRank(ranks[r][q]);
            }
        }
        return out;
    }

    /** The deepest rank a search can give: the search depth, or fewer passages. */
    private static int depth(JsonNode evaluation) {
        JsonNode passages = evaluation.get("corpusPassages");
        return passages != null && passages.canConvertToInt() && passages.intValue() > 0
                ? Math.min(RetrievalEvaluation.SEARCH_DEPTH, passages.intValue())
                : RetrievalEvaluation.SEARCH_DEPTH;
    }

    /** Each repeat's ranks must give the MRR@10 value the document records for it. */
    private static void checkScores(Path file, String name, JsonNode variant, int[][] ranks) {
        String recordedAt = "values." + Verdict.RETRIEVAL_METRIC;
        List<Double> recorded = new ArrayList<>();
        for (JsonNode x : variant.path("values").path(Verdict.RETRIEVAL_METRIC)) {
            recorded.add(x.asDouble(Double.NaN));
        }
        if (recorded.size() != ranks.length) {
            throw new InputException(file, "variant '" + name + "' has " + ranks.length + " "
                    + FIELD + " arrays for " + recorded.size() + " " + recordedAt);
        }
        for (int r = 0; r < ranks.length; r++) {
            double sum = 0;
            for (int rank : ranks[r]) {
                sum += RetrievalEvaluation.reciprocalRank(rank);
            }
            double mrr = sum / ranks[r].length;
            if (!(Math.abs(mrr - recorded.get(r)) <= SCORE_TOLERANCE)) {
                throw new InputException(file, "variant '" + name + "' repeat " + r + ": "
                        + FIELD + " give MRR@10 " + mrr + ", but " + recordedAt + " records "
                        + recorded.get(r) + " (ranks of another test set or run?)");
            }
        }
    }

    private static int[] ranks(Path file, String where, JsonNode array, int depth) {
        if (array == null || !array.isArray()) {
            throw new InputException(file, where + " must be an array of ranks, got "
                    + (array == null ? "nothing" : JsonExcerpt.of(array)));
        }
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = array.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToInt() || x.intValue() < 0
                    || x.intValue() > depth) {
                throw new InputException(file, where + "[" + i + "] is " + JsonExcerpt.of(x)
                        + "; ranks are integers 0 to " + depth + " (0: no relevant passage in"
                        + " the top " + depth + ")");
            }
            out[i] = x.intValue();
        }
        return out;
    }
}
