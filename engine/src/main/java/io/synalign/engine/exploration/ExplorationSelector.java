package io.synalign.engine.exploration;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GP exploration-aware selection of demonstration rows, the exploration step of SynAlign
 * ("Few-shot LLM Synthetic Data with Distribution Matching", WWW 2025): uncertainty sampling
 * that repeatedly picks the row the Gaussian process is least sure about given the rows already
 * picked, so the picks spread over the data instead of clustering in its dense parts.
 *
 * <h2>Model</h2>
 * A zero-mean GP over the N rows with prior {@code k(x,y) = exp(-||x-y||^2 / (2 l^2))} (unit
 * signal variance) and observation noise {@code s^2} ({@link SelectionConfig#noise()}) on the
 * conditioning set C. The posterior variance (Rasmussen &amp; Williams, "Gaussian Processes for
 * Machine Learning", 2006, eq. 2.26) is
 * {@code var(x|C) = k(x,x) - k_C(x)^T (K_CC + s^2 I)^-1 k_C(x)}; it does not depend on any
 * observed values, only on where C lies.
 *
 * <h2>Selection</h2>
 * <ol>
 * <li>First pick: {@link SelectionConfig#first()} when {@code >= 0}, otherwise the row nearest
 * the mean of all rows (squared Euclidean distance in double, ties to the lowest index).
 * <li>Each later pick: the argmax of {@code var(.|C)} over the rows not yet covered in this
 * round, ties to the lowest index.
 * <li>Group size G ({@link SelectionConfig#groupSize()}): a pick covers itself and its G-1
 * nearest uncovered rows (squared Euclidean distance from the backend, ties to the lowest index;
 * see {@link NearestUncovered}); every covered row joins C, the pick first. The paper's reference
 * implementation used G = 2.
 * <li>Rounds: when every row is covered and picks remain, C and the coverage are cleared
 * ({@code rounds++}) and selection starts over. With C empty every variance is the prior 1, so
 * the GP cannot prefer any row. Every pick of a later round is the tracker's argmax over the
 * uncovered rows <em>never picked before</em> (for the round's first pick, the lowest-index row
 * not yet picked); only once every uncovered row has been picked in an earlier round is it the
 * argmax over all uncovered rows. Restarting from the first-round rule (config.first or the row
 * nearest the mean) was rejected: selection is deterministic given its first pick, so the new
 * round would replay the first round pick for pick and add only duplicates. Excluding earlier
 * picks at a round's first pick only was not enough either: the rows far from the new round's
 * first group are largely the earlier rounds' picks (50 picks at G = 3 from 50 distinct rows
 * picked 24 distinct rows; now 43, ExplorationSelectorTest). With {@code count <= N} rounds
 * only arise with G &gt; 1.
 * <li>Cycles: {@code count} may exceed N (a caller continuing one selection across requests,
 * such as generation's later batches of a label, asks for its picks so far plus the new ones).
 * Once every row has been picked at least once, "picked before" is forgotten and the next picks
 * prefer the rows not picked since (a new cycle); without that the round's first pick would
 * find no row never picked. A cycle only ends after N picks, so selections of
 * {@code count <= N} are unchanged by it. Selection is online: the first k picks and groups of
 * a selection of {@code count > k} are those of a selection of k.
 * </ol>
 *
 * <h2>Incremental posterior, never refit</h2>
 * One {@link GpVarianceTracker} per call keeps every row's variance current by pivoted Cholesky:
 * adding row p to C computes the kernel column {@code k(X, x_p)} (O(N d)) and one new column
 * {@code v = (k(X, x_p) - V V[p]^T) / sqrt(var(p) + s^2)} of {@code V = K_XC L^-T} (O(N t) at
 * rank t), then subtracts {@code v_i^2} from every variance. No t x t matrix is ever inverted.
 * Cost per covered row O(N d + N t); per pick additionally the distances from the pick to the
 * uncovered rows for its neighbours (O(N d), only when G &gt; 1) and an O(N) argmax; in all
 * O(count G (N d + N t)). Memory: the tracker's {@code N x maxRank} factor V with
 * {@code maxRank = min(N, count * G)}, float64 in every backend (8 N maxRank bytes), plus O(N).
 *
 * <p>A row whose posterior variance plus noise is at rounding level ({@code <=} {@value
 * #PIVOT_FLOOR}) is covered but not conditioned on: it is already determined by C (a duplicate
 * of a conditioned row with s^2 = 0), the exact update is zero, and the pivoted update would
 * divide 0 by 0.
 *
 * <h2>Length scale, and a degeneracy of the paper's setting</h2>
 * {@code auto} (the default) takes the median pairwise distance of a seeded sample
 * ({@link MedianHeuristic}). The paper's reference implementation used a fixed l = 0.1 on raw
 * 768-dimensional BERT vectors, whose pairwise distances are of order 10 (about 39 for the
 * N(0, 1) stand-ins in the tests). With l = 0.1, {@code k = exp(-d^2 / 0.02)} underflows to
 * exactly 0 in double once d &gt; 3.9, and already for d &gt; 0.61 its square is below half an
 * ulp of 1, so every posterior variance outside C stays exactly 1 and "argmax, ties to the
 * lowest index" reduces selection to index order (0, 1, 2, ...). The median heuristic puts l at
 * the data's own scale and avoids that; a WARN is logged when a fixed l shows the symptom.
 */
public final class ExplorationSelector {

    private static final Logger LOG = LoggerFactory.getLogger(ExplorationSelector.class);

    /** Conditioning on a row with variance + noise at or below this would divide by ~0. */
    static final double PIVOT_FLOOR = 1e-12;

    private final KernelBackend backend;
    private final SelectionConfig config;

    public ExplorationSelector(KernelBackend backend, SelectionConfig config) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.backend = backend;
        this.config = config;
    }

    /**
     * Picks {@code count} rows of {@code x} (see the class comment for the algorithm).
     *
     * @param x the rows to select from, N &gt;= 1
     * @param count number of picks, {@code >= 1}; above {@code x.rows()} rows are picked again
     *     (see the class comment's rounds and cycles)
     * @param progress told after every pick, stage {@code "select"}; may be null
     * @throws IllegalArgumentException when x is empty or holds a value that is not finite
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     the selection stops before its next pick, with the interrupt status kept set, nothing
     *     returned and the variance tracker's backend memory freed
     *     ({@link io.synalign.kernels.Cancellation})
     *     (naming its row and column), count is out of range or {@code first} is not a row
     */
    public SelectionResult select(FloatMatrix x, int count, ProgressListener progress) {
        long start = System.nanoTime();
        if (x == null || x.rows() == 0) {
            throw new IllegalArgumentException("x must have at least one row, got "
                    + (x == null ? "null" : x.rows() + " rows"));
        }
        // Refused here, not only by the auto length scale's sample: with a given length scale a
        // NaN row was picked like any other, and an infinite one covered nothing.
        x.requireFinite("input");
        int n = x.rows();
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got count=" + count
                    + " for N=" + n);
        }
        if (config.first() >= n) {
            throw new IllegalArgumentException("first=" + config.first() + " is not a row of x (N="
                    + n + ")");
        }
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        double lengthScale = resolveLengthScale(x);
        int g = config.groupSize();
        int maxRank = (int) Math.min(n, (long) count * g);
        // A group holds at most every row: no more neighbours than N - 1 are ever kept.
        int neighboursPerGroup = (int) Math.min(g - 1L, n - 1L);

        int[] picks = new int[count];
        double[] pickVariances = new double[count];
        List<int[]> groups = new ArrayList<>(count);
        BitSet covered = new BitSet(n);
        BitSet pickedEver = new BitSet(n);
        BitSet coveredOrPicked = new BitSet(n);
        NearestUncovered neighbours = new NearestUncovered(x, neighboursPerGroup);
        int uncovered = n;
        int rounds = 0;
        try (GpVarianceTracker tracker = backend.gpVarianceTracker(x, lengthScale, config.noise(),
                maxRank)) {
            for (int k = 0; k < count; k++) {
                // Once per pick (Cancellation); the tracker's scope frees its backend memory.
                Cancellation.stopIfInterrupted("exploration selection (pick)");
                if (pickedEver.cardinality() == n) {
                    pickedEver.clear(); // a new cycle (class comment)
                }
                int pick;
                if (k == 0) {
                    pick = config.first() >= 0 ? config.first() : nearestToMean(x);
                } else if (uncovered == 0) {
                    tracker.reset();
                    covered.clear();
                    uncovered = n;
                    rounds++;
                    // Prior variance is 1 everywhere: avoid replaying an earlier round (see above).
                    pick = tracker.argmax(pickedEver);
                } else if (rounds > 0) {
                    coveredOrPicked.clear();
                    coveredOrPicked.or(covered);
                    coveredOrPicked.or(pickedEver);
                    pick = tracker.argmax(coveredOrPicked);
                    if (pick < 0) {
                        pick = tracker.argmax(covered);
                    }
                } else {
                    pick = tracker.argmax(covered);
                }
                if (pick < 0) {
                    // Every uncovered row's variance is NaN: no backend should get here.
                    throw new IllegalStateException("no row to pick at pick " + (k + 1) + " of "
                            + count + ": every uncovered row's posterior variance is NaN ("
                            + backend.name() + ", l = " + lengthScale + ")");
                }
                picks[k] = pick;
                pickVariances[k] = tracker.variance(pick);
                pickedEver.set(pick);
                int[] group = neighbours.group(pick, neighboursPerGroup, covered);
                for (int row : group) {
                    covered.set(row);
                    if (tracker.variance(row) + config.noise() > PIVOT_FLOOR) {
                        tracker.condition(row);
                    }
                }
                uncovered -= group.length;
                groups.add(group);
                if (k == 0) {
                    warnIfDegenerate(tracker, covered, lengthScale, config.noise());
                }
                listener.onProgress("select", k + 1, count,
                        String.format(Locale.ROOT, "var=%.6g", pickVariances[k]));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.debug("selected {} of {} rows (G={}, l={}, rounds={}) on {} in {} s", count, n, g,
                lengthScale, rounds, backend.name(), seconds);
        return new SelectionResult(picks, groups, pickVariances, lengthScale, rounds,
                backend.name(), seconds);
    }

    /**
     * The groups of a selection, each completed to {@code min(size, N)} rows: a group short of
     * that (the last of a coverage round holds only the rows still uncovered: 4 rows in groups
     * of 3 give {@code [2, 3, 0], [1]}) gains the rows nearest its pick that it lacks, by
     * {@link NearestUncovered} with the group's own rows as the covered ones (squared Euclidean
     * distance in double, ties to the lowest index). For callers that show each group whole, as
     * a prompt's demonstrations: the picks and the coverage are the selection's. Full groups
     * are returned as they are. Cost O(N d) per short group, at most one per round.
     */
    public static List<int[]> completedGroups(FloatMatrix x, List<int[]> groups, int size) {
        int want = Math.min(size, x.rows());
        NearestUncovered nearest = null;
        List<int[]> out = new ArrayList<>(groups.size());
        for (int[] group : groups) {
            if (group.length >= want) {
                out.add(group);
                continue;
            }
            if (nearest == null) {
                nearest = new NearestUncovered(x, want - 1);
            }
            BitSet in = new BitSet(x.rows());
            for (int row : group) {
                in.set(row);
            }
            int[] extra = nearest.group(group[0], want - group.length, in);
            int[] full = Arrays.copyOf(group, group.length + extra.length - 1);
            System.arraycopy(extra, 1, full, group.length, extra.length - 1);
            out.add(full);
        }
        return out;
    }

    /** The configured length scale, or the median heuristic over x for auto. */
    private double resolveLengthScale(FloatMatrix x) {
        if (!config.lengthScale().isAuto()) {
            return config.lengthScale().value();
        }
        if (MedianHeuristic.allRowsEqual(x)) {
            // One row, or rows that all embed alike (texts differing only in case): there is no
            // distance to take a median of, and l cannot matter (every kernel value is 1).
            return 1.0;
        }
        double l = MedianHeuristic.estimate(backend, MedianHeuristic.DEFAULT_SAMPLE, config.seed(), x);
        LOG.info("GP length scale auto (median heuristic): l = {}", l);
        return l;
    }

    /**
     * The row nearest the mean of all rows, ties to the lowest index. Computed in double in Java
     * (one O(N d) pass, once per call) so the anchor of the whole selection does not depend on the
     * backend's precision.
     */
    static int nearestToMean(FloatMatrix x) {
        int n = x.rows();
        int d = x.cols();
        float[] data = x.data();
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += data[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double diff = data[i * d + j] - mean[j];
                s += diff * diff;
            }
            if (s < bestDistance) {
                best = i;
                bestDistance = s;
            }
        }
        return best;
    }

    /**
     * After the first group: if every uncovered row still has variance exactly 1, the kernel
     * underflowed between every pair seen so far, the symptom of a length scale far below the
     * data's distances (see the class comment).
     */
    private static void warnIfDegenerate(GpVarianceTracker tracker, BitSet covered,
            double lengthScale, double noise) {
        int n = tracker.size();
        if (covered.cardinality() == n) {
            return;
        }
        for (int i = covered.nextClearBit(0); i < n; i = covered.nextClearBit(i + 1)) {
            if (tracker.variance(i) != 1.0) {
                return;
            }
        }
        if (noise > 1e15) {
            // A noise so far above the signal variance (1) that k^2 / (1 + s^2) rounds away
            // leaves every variance at the prior too; blaming the length scale (already the auto
            // one, say) misled.
            LOG.warn("GP noise s^2={} is so far above the signal variance 1 that every posterior"
                    + " variance stays 1 and selection degenerates to index order; give a noise well"
                    + " below 1", noise);
            return;
        }
        LOG.warn("GP length scale l={} is far below the distances between rows: every posterior"
                + " variance stays 1 and selection degenerates to index order; use the auto length"
                + " scale (median heuristic)", lengthScale);
    }
}
