package io.synalign.pipeline;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.engine.retrieval.SimilarPairs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * Semantic leakage and near-duplicate removal over embedded rows, by cosine (the rows are
 * scaled to unit length first, {@link UnitRows}):
 * <ol>
 *   <li>leakage: a row whose cosine to any row of the reference sets (a test set) is at least
 *       the threshold is removed, matched to its nearest reference row (exact top-1 search,
 *       {@link InnerProductSearch});</li>
 *   <li>near-duplicates: the remaining rows are visited in input order, and a row whose cosine
 *       to an earlier kept row is at least the threshold is removed, matched to the closest such
 *       kept row ({@link SimilarPairs}); so of a group of near-duplicates the first is kept.</li>
 * </ol>
 * Cost: n m d for the reference sets (m rows) and n² d / 2 for the input, as tiled GEMMs.
 */
public final class SemanticFilter {

    /** Why a row was removed. */
    public enum Reason { LEAKAGE, DUPLICATE }

    /**
     * A removed row.
     *
     * @param row the input row
     * @param reason leakage or duplicate
     * @param set for leakage, the reference set matched (its position in the list); -1 for a
     *     duplicate
     * @param match the matched row of that set (for a duplicate, the kept input row)
     * @param cosine the cosine to it
     */
    public record Removal(int row, Reason reason, int set, int match, double cosine) {
    }

    /** The decision for every row: the rows kept (in order) and the removals (in row order). */
    public record Result(int[] kept, List<Removal> removed) {
    }

    /**
     * How far below the threshold a cosine may lie and still count as at it. The rows are unit
     * length in float32 and a backend's inner products are float32 sums, so a row's cosine to
     * an exact copy of itself can come out as 0.99999994 (one ulp below 1): {@code --threshold 1}
     * kept some exact copies on nd4j and none on the float64 reference. A few times the rounding
     * of a 384-term float32 dot product of unit rows; far below any meaningful cosine step.
     */
    static final double COSINE_SLACK = 1e-5;

    private SemanticFilter() {
    }

    /**
     * @param rows the input rows' embeddings
     * @param references the embeddings of each reference set (may be empty)
     * @param threshold the cosine at or above which two rows are one (less
     *     {@link #COSINE_SLACK}, the float32 rounding of a cosine)
     * @param dedup whether near-duplicates are removed too (else only leakage)
     */
    public static Result filter(KernelBackend backend, FloatMatrix rows, List<FloatMatrix> references,
            double threshold, boolean dedup, ProgressListener progress) {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("the cosine threshold must lie in [-1, 1]: " + threshold);
        }
        int n = rows.rows();
        double atLeast = threshold - COSINE_SLACK;
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        FloatMatrix x = UnitRows.of(rows);
        Removal[] removal = new Removal[n];
        for (int s = 0; s < references.size(); s++) {
            FloatMatrix ref;
            try {
                ref = UnitRows.of(references.get(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("reference set " + s + ": " + e.getMessage(), e);
            }
            if (ref.rows() == 0 || n == 0) {
                continue;
            }
            InnerProductSearch.Hits hits = InnerProductSearch.search(backend, x, ref, 1, null, listener);
            for (int i = 0; i < n; i++) {
                double c = hits.score(i, 0);
                if (c >= atLeast && (removal[i] == null || c > removal[i].cosine())) {
                    removal[i] = new Removal(i, Reason.LEAKAGE, s, hits.index(i, 0), c);
                }
            }
        }
        List<List<SimilarPairs.Match>> pairs = dedup ? SimilarPairs.earlierAtLeast(backend, x, atLeast)
                : java.util.Collections.nCopies(n, List.of());
        boolean[] kept = new boolean[n];
        List<Integer> keptRows = new ArrayList<>();
        List<Removal> removed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (removal[i] == null) {
                SimilarPairs.Match best = null;
                for (SimilarPairs.Match m : pairs.get(i)) {
                    if (kept[m.row()] && (best == null || m.score() > best.score())) {
                        best = m;
                    }
                }
                if (best != null) {
                    removal[i] = new Removal(i, Reason.DUPLICATE, -1, best.row(), best.score());
                }
            }
            if (removal[i] == null) {
                kept[i] = true;
                keptRows.add(i);
            } else {
                removed.add(removal[i]);
            }
        }
        return new Result(keptRows.stream().mapToInt(Integer::intValue).toArray(), removed);
    }
}
