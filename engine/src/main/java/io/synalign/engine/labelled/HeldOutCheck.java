package io.synalign.engine.labelled;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A cross-fitted held-out check of an alignment: does weighting lower MMD^2 to real rows the
 * weights were not fitted to?
 *
 * <p>Why: the weights minimise MMD^2 to the user's real rows, so MMD^2 to those same rows
 * falls by construction, and with a few real rows per label the weights can match those rows'
 * particulars rather than their distribution. On TREC-6 (16 real rows a label, against
 * synthetic rows that were other real training questions, so nothing to correct) the fit
 * lowered its MMD^2 in every label by 19 to 33 %, while this check found it raised in every
 * label (docs/RELIABILITY.md, session 21). It measures the alignment on rows the weights did
 * not see, without asking the user for more.
 *
 * <p>Algorithm, per fitted group (each label with real and synthetic rows in per-label mode;
 * the one group of all rows in global mode or without labels): split the group's m real rows
 * into K folds of at least 2 ({@link RealFolds}, seeded with the group's fit seed,
 * {@link LabelPlan#seedFor}); for each fold f, fit weights to the other real rows with the main
 * fit's settings and seed (method, bandwidth, cap, iterations; an auto bandwidth is resolved by
 * the fit on its own rows, as the main fit resolves it on all of them) against all of the
 * group's n synthetic rows; then score, at that fit's bandwidth, with uniform weights and with
 * the fitted ones, the MMD^2 between the weighted synthetic rows and the distribution of fold
 * f's real rows ({@link WeightedMmd#valuesAgainstPopulation}). The group's figure is the folds'
 * values averaged with weights {@code |fold f| / m} (every real row held out once); the overall
 * figure averages the checked groups with weights their real rows. The main weights are not
 * touched: this only reports.
 *
 * <p>The score: the synthetic side is the weighted rows themselves, the discrete distribution a
 * model trained on them sees, so all its pairs count (self-pairs included, as in the
 * objective: concentrating the weight on fewer rows costs); the real side is an estimate of the
 * real distribution from the fold's few rows, so its self-pairs are left out (they would add
 * {@code (1 - mean k) / m_f}, about 0.1 for a fold of 3 rows, the same for both weights). The
 * in-sample figures of the fit are the objective's V-statistic, whose real term keeps its
 * self-pairs: compare held-out with held-out, uniform with weighted.
 *
 * <p>A group is skipped, with the reason, when its real rows cannot make K folds that each
 * hold out 2 rows and leave 2 to fit on ({@link RealFolds#whyNot}), when its rows exceed
 * {@link MmdWeightLearner#EXACT_REPORT_MAX_ENTRIES} kernel entries (the exact score would cost
 * more than the fit; {@link #whyNone} lets a caller refuse up front when every group does),
 * when its synthetic rows, to be read whole, do not fit the heap by the learner's own rule
 * ({@link MmdWeightLearner#readsWhole}: the command line reads S whole by it too, and
 * an out-of-memory error here lost the main fit's outputs, which are written after the check),
 * or when the learner refuses a fold's rows.
 *
 * <p>Cost: K fits per group (K times the alignment's fit cost, on (K-1)/K of the real rows),
 * plus per fold O((n^2 + n m_f + m_f^2) d) for the two scores (one {@code K_SS w} product per
 * weight vector, tiled, no kernel matrix kept), and n d floats to hold a group's synthetic rows
 * (read once from the source, then shared by its K fits and scores; none where the source is
 * one in-memory matrix and the group is all of it).
 */
public final class HeldOutCheck {

    private final LabelledAlignment.Fitter learner;
    private final AlignmentConfig config;
    private final KernelBackend backend;
    private final int folds;
    /** The heap's maximum the read rule compares against; 0: {@link Runtime#maxMemory}. */
    private long maxHeap;

    /**
     * @param learner the fit, as the main alignment calls it
     * @param config the main fit's settings
     * @param backend the kernels the scores are computed on
     * @param folds K, at least 2
     */
    public HeldOutCheck(LabelledAlignment.Fitter learner, AlignmentConfig config,
            KernelBackend backend, int folds) {
        if (learner == null || config == null || backend == null) {
            throw new IllegalArgumentException("learner, config and backend must not be null");
        }
        if (folds < 2) {
            throw new IllegalArgumentException("a held-out check needs at least 2 folds, got "
                    + folds);
        }
        this.learner = learner;
        this.config = config;
        this.backend = backend;
        this.folds = folds;
    }

    /**
     * This check with its read rule ({@link #whole}) measured against a heap of at most
     * {@code bytes} instead of {@link Runtime#maxMemory}; for tests, which cross the rule's
     * limit with small rows instead of allocating past a real heap.
     */
    HeldOutCheck withMaxHeap(long bytes) {
        HeldOutCheck copy = new HeldOutCheck(learner, config, backend, folds);
        copy.maxHeap = bytes;
        return copy;
    }

    private long maxHeap() {
        return maxHeap > 0 ? maxHeap : Runtime.getRuntime().maxMemory();
    }

    /**
     * Why no group of {@code plan} can be checked with {@code folds} folds, or null when one
     * can: from the labels and row counts alone, so a caller can refuse before any text is
     * embedded. The reason ends with what to do. (That a group's rows fit the heap is known
     * only when it is read; such a group is skipped then.)
     */
    public static String whyNone(LabelPlan plan, int folds) {
        boolean one = plan.mode() == LabelMode.GLOBAL || !plan.labelled();
        if (plan.mode() == LabelMode.GLOBAL) {
            // The one group of every row, by its counts: no index arrays built for a question.
            return whyNone(plan.realRows(), plan.syntheticRows(), folds);
        }
        int most = 0;
        LabelPlan.Group smallest = null;
        for (LabelPlan.Group g : groups(plan)) {
            int m = g.realRows().length;
            most = Math.max(most, m);
            if (RealFolds.whyNot(m, folds) != null) {
                continue;
            }
            if (tooLarge(g.syntheticRows().length, m) == null) {
                return null;
            }
            if (smallest == null || entries(g.syntheticRows().length, m)
                    < entries(smallest.syntheticRows().length, smallest.realRows().length)) {
                smallest = g;
            }
        }
        if (smallest == null) {
            return tooFewRows(one, most, folds);
        }
        return (one ? "" : "every label with the real rows for " + folds + " folds is too large"
                + " for the check; the smallest, '" + smallest.label() + "': ")
                + tooLarge(smallest.syntheticRows().length, smallest.realRows().length)
                + "; give 0 for no check";
    }

    /**
     * The groups of {@code plan} the check will skip, each with the reason {@link #run} gives,
     * from the labels and row counts alone, in the plan's label order: in per-label mode a real
     * label without synthetic rows (no weights are fitted for it), and any group whose real rows
     * cannot make the folds or whose rows are more than the exact score takes. So a caller can
     * name them before any work ({@code run}, before the LLM is asked for rows); empty when every
     * group can be checked. (That a group's rows fit the heap is known only when it is read.)
     */
    public static Map<String, String> skippedUpFront(LabelPlan plan, int folds) {
        Map<String, String> skipped = new LinkedHashMap<>();
        for (LabelPlan.Group g : reported(plan)) {
            String why = whySkipped(g, folds);
            if (why != null) {
                skipped.put(g.label(), why);
            }
        }
        return skipped;
    }

    /**
     * Why {@code g} is skipped from its counts, or null: no synthetic rows, too few real rows
     * for the folds ({@link RealFolds#whyNot}), or too many rows for the exact score.
     */
    private static String whySkipped(LabelPlan.Group g, int folds) {
        if (g.status() == LabelPlan.Status.NO_SYNTHETIC_ROWS) {
            return NO_SYNTHETIC_ROWS;
        }
        String why = RealFolds.whyNot(g.realRows().length, folds);
        return why != null ? why : tooLarge(g.syntheticRows().length, g.realRows().length);
    }

    /** The reason of a real label without synthetic rows ({@link #skippedUpFront}). */
    public static final String NO_SYNTHETIC_ROWS = "no synthetic rows, so no weights were fitted to check";

    /**
     * {@link #whyNone(LabelPlan, int)} for one group of {@code nReal} real and
     * {@code nSynthetic} synthetic rows (a fit without labels), from the row counts alone.
     */
    public static String whyNone(int nReal, long nSynthetic, int folds) {
        if (RealFolds.whyNot(nReal, folds) != null) {
            return tooFewRows(true, nReal, folds);
        }
        String why = tooLarge(nSynthetic, nReal);
        return why == null ? null : why + "; give 0 for no check";
    }

    private static String tooFewRows(boolean one, int most, int folds) {
        return (one ? "the " + most + " real rows" : "the largest label's " + most + " real rows")
                + " cannot make " + folds + " folds of at least 2 rows (" + 2 * folds
                + " needed); give fewer folds, or 0 for no check";
    }

    /** The kernel entries of the exact held-out score, {@code n^2 + n m + m^2}. */
    private static double entries(double n, double m) {
        return n * n + n * m + m * m;
    }

    /**
     * Why a group of these rows is too large for the exact score, or null: above
     * {@link MmdWeightLearner#EXACT_REPORT_MAX_ENTRIES} kernel entries (about 44,700 synthetic
     * rows), where the learner stops reporting exact MMD^2 too.
     */
    private static String tooLarge(long nSynthetic, int nReal) {
        double entries = entries(nSynthetic, nReal);
        if (entries <= MmdWeightLearner.EXACT_REPORT_MAX_ENTRIES) {
            return null;
        }
        return String.format(Locale.ROOT, "%,d synthetic and %,d real rows are more than the"
                + " check's exact MMD^2 takes (n^2 + n m + m^2 = %,.0f kernel entries, more than"
                + " %,.0f: at most %,d synthetic rows beside %,d real)", nSynthetic, nReal, entries,
                MmdWeightLearner.EXACT_REPORT_MAX_ENTRIES, mostSynthetic(nReal), nReal);
    }

    /** The largest n with {@code n^2 + n m + m^2} within the exact score's limit. */
    static long mostSynthetic(int nReal) {
        double limit = MmdWeightLearner.EXACT_REPORT_MAX_ENTRIES;
        double m = nReal;
        long n = (long) Math.max(0, (Math.sqrt(Math.max(0, 4 * limit - 3 * m * m)) - m) / 2);
        while (n > 0 && entries(n, nReal) > limit) {
            n--;
        }
        while (entries(n + 1, nReal) <= limit) {
            n++;
        }
        return n;
    }

    /**
     * Runs the check.
     *
     * @param plan the label groups of the rows below, as the main alignment used them
     * @param real the real embeddings, {@code plan.realRows()} rows
     * @param synthetic the synthetic embeddings, {@code plan.syntheticRows()} rows
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     checked before every fold of every label, and within a fold's fit once per iteration
     *     ({@link io.synalign.kernels.Cancellation}); the status is kept set, nothing returned
     */
    public HeldOutResult run(LabelPlan plan, FloatMatrix real, RowSource synthetic,
            ProgressListener progress) {
        plan.requireRows(real.rows(), synthetic.rows());
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        long start = System.nanoTime();
        int fitted = groups(plan).size();
        List<HeldOutLabel> out = new ArrayList<>();
        double uniform = 0;
        double weighted = 0;
        int heldOut = 0;
        int k = 0;
        for (LabelPlan.Group g : reported(plan)) {
            // A real label left without synthetic rows (none generated, or all filtered out) is
            // named with its reason, so the check's line accounts for every real label.
            HeldOutLabel checked = g.status() == LabelPlan.Status.NO_SYNTHETIC_ROWS
                    ? HeldOutLabel.skipped(g, NO_SYNTHETIC_ROWS)
                    : check(plan, g, real, synthetic, listener, ++k, fitted);
            out.add(checked);
            if (checked.checked()) {
                uniform += checked.nReal() * checked.mmd2Uniform();
                weighted += checked.nReal() * checked.mmd2Weighted();
                heldOut += checked.nReal();
            }
        }
        return new HeldOutResult(folds, out, heldOut == 0 ? Double.NaN : uniform / heldOut,
                heldOut == 0 ? Double.NaN : weighted / heldOut, heldOut,
                (System.nanoTime() - start) / 1e9);
    }

    private HeldOutLabel check(LabelPlan plan, LabelPlan.Group g, FloatMatrix real,
            RowSource synthetic, ProgressListener progress, int k, int of) {
        String why = whySkipped(g, folds);
        if (why != null) {
            return HeldOutLabel.skipped(g, why);
        }
        double m = g.realRows().length;
        long seed = plan.mode() == LabelMode.GLOBAL ? config.seed()
                : plan.seedFor(g.label(), config.seed());
        ReadCount count = new ReadCount(synthetic, g, real, config.bandwidth().isAuto());
        FloatMatrix s = count.whole(maxHeap());
        if (s == null) {
            return HeldOutLabel.skipped(g, count.why(maxHeap()));
        }
        double[] uniformWeights = WeightedMmd.normalised(null, s.rows());
        int[][] split = RealFolds.split(g.realRows(), folds, seed);
        List<HeldOutFold> scored = new ArrayList<>();
        double uniform = 0;
        double weighted = 0;
        for (int f = 0; f < folds; f++) {
            // Once per fold, for any Fitter (a distributed one need not check itself).
            Cancellation.stopIfInterrupted("held-out check (fold)");
            int[] fitRows = RealFolds.complement(g.realRows(), split[f]);
            FloatMatrix held = real.selectRows(split[f]);
            AlignmentResult fit;
            try {
                fit = learner.fit(config.withSeed(seed), real.selectRows(fitRows),
                        RowSource.of(s), named(progress, plan, g.label(), k, of, f + 1));
            } catch (IllegalArgumentException e) {
                return HeldOutLabel.skipped(g, "fold " + (f + 1) + " of " + folds + ": "
                        + e.getMessage());
            }
            double[] v = WeightedMmd.valuesAgainstPopulation(backend, s, held, fit.bandwidth(),
                    named(progress, plan, g.label(), k, of, f + 1), uniformWeights,
                    WeightedMmd.normalised(fit.weights(), s.rows()));
            HeldOutFold fold = new HeldOutFold(held.rows(), fitRows.length, fit.bandwidth(),
                    v[0], v[1]);
            scored.add(fold);
            uniform += fold.nHeldOut() * fold.mmd2Uniform();
            weighted += fold.nHeldOut() * fold.mmd2Weighted();
        }
        return new HeldOutLabel(g.label(), g.realRows().length, g.syntheticRows().length, null,
                uniform / m, weighted / m, scored);
    }

    /**
     * The heap that reading a group's synthetic rows whole takes with what stands beside them
     * while its folds are fitted, by the learner's read rule ({@link MmdWeightLearner#readsWhole}:
     * within half of the heap's maximum; the command line's rule for reading S, so that a group
     * of every row is checked exactly where the command read S whole; a rule of sizes, not of
     * the heap free at the moment, since helper median34). Beside the copy: R; the median
     * heuristic's sample that each fold's fit takes beside the copy where the bandwidth is auto;
     * the source's own matrix for a copy picked from it (not where that matrix is R itself,
     * counted once); and each fold's two copies of the group's real rows, its fitting rows and
     * its held-out ones, together the group's real rows again (helper heap35: counted nowhere
     * before, the half-heap margin covered them unchecked). O(1).
     */
    private static final class ReadCount {
        private final RowSource synthetic;
        private final int[] rows;
        private final FloatMatrix real;
        private final FloatMatrix held;
        private final boolean all;
        private final long rowBytes;
        private final long sample;
        private final long matrix;
        private final long foldCopies;
        private final long total;

        ReadCount(RowSource synthetic, LabelPlan.Group g, FloatMatrix real,
                boolean medianHeuristic) {
            this.synthetic = synthetic;
            this.rows = g.syntheticRows();
            this.real = real;
            this.held = synthetic.inMemory();
            this.all = rows.length == synthetic.rows() && isIdentity(rows);
            int cols = synthetic.cols();
            this.rowBytes = (long) Float.BYTES * rows.length * cols;
            this.sample = MmdWeightLearner.wholeReadBytes(rows.length, cols, real,
                    medianHeuristic, 0) - MmdWeightLearner.wholeReadBytes(rows.length, cols,
                            real, false, 0);
            this.matrix = held == null || held == real ? 0 : held.bytes();
            this.foldCopies = (long) Float.BYTES * g.realRows().length * real.cols();
            this.total = MmdWeightLearner.wholeReadBytes(rows.length, cols, real,
                    medianHeuristic, matrix + foldCopies);
        }

        /**
         * The group's synthetic rows as one matrix: the source's own where it is one in-memory
         * matrix and the group is all of it (no copy); else a copy read from the source, or null
         * where the count is past the rule under a heap of {@code maxHeap}.
         */
        FloatMatrix whole(long maxHeap) {
            if (held != null && all) {
                return held;
            }
            if (!MmdWeightLearner.readsWhole(total, maxHeap)) {
                return null;
            }
            if (held != null) {
                return held.selectRows(rows);
            }
            return all ? synthetic.toMatrix() : synthetic.select(rows).toMatrix();
        }

        /** The skip's reason, one line: the total the rule compared, its parts and the limit. */
        String why(long maxHeap) {
            return "its " + rows.length + " synthetic rows ("
                    + MmdWeightLearner.heapSize(rowBytes) + ") would be read whole into the heap"
                    + " beside the " + real.rows() + " real (" + MmdWeightLearner.heapSize(real.bytes())
                    + "), each fold's copies of the group's real rows ("
                    + MmdWeightLearner.heapSize(foldCopies) + ")"
                    + (sample > 0 ? ", the median heuristic's sample ("
                            + MmdWeightLearner.heapSize(sample) + ")" : "")
                    + (matrix > 0 ? ", the source's matrix (" + MmdWeightLearner.heapSize(matrix)
                            + ")" : "")
                    + ": " + MmdWeightLearner.heapSize(total) + " in all, more than half of the"
                    + " heap's maximum (" + MmdWeightLearner.heapSize(maxHeap / 2) + " of "
                    + MmdWeightLearner.heapSize(maxHeap) + "); give the JVM more (-Xmx) to check"
                    + " them";
        }
    }

    private static boolean isIdentity(int[] rows) {
        for (int k = 0; k < rows.length; k++) {
            if (rows[k] != k) {
                return false;
            }
        }
        return true;
    }

    /**
     * The groups the check reports, in the plan's label order: those the main alignment fitted
     * ({@link #groups}) and, in per-label mode, the real labels without synthetic rows, which
     * are skipped ({@link #NO_SYNTHETIC_ROWS}).
     */
    static List<LabelPlan.Group> reported(LabelPlan plan) {
        if (plan.mode() != LabelMode.PER_LABEL) {
            return groups(plan);
        }
        List<LabelPlan.Group> out = new ArrayList<>();
        for (LabelPlan.Group g : plan.groups()) {
            if (g.status() == LabelPlan.Status.ALIGNED || g.status() == LabelPlan.Status.NO_SYNTHETIC_ROWS) {
                out.add(g);
            }
        }
        return out;
    }

    /**
     * The groups the main alignment fitted: in per-label mode those with real and synthetic
     * rows; in global mode one group of all rows, {@link LabelPlan#ALL}.
     */
    static List<LabelPlan.Group> groups(LabelPlan plan) {
        if (plan.mode() == LabelMode.PER_LABEL) {
            return plan.groups(LabelPlan.Status.ALIGNED);
        }
        return List.of(new LabelPlan.Group(LabelPlan.ALL,
                LabelledAlignment.identity(plan.realRows()),
                LabelledAlignment.identity(plan.syntheticRows()), LabelPlan.Status.ALIGNED, 1,
                1));
    }

    /**
     * Progress of a fold's fit and scores, its stages suffixed as in {@code optimise [held-out sports 2/3,
     * fold 4/5]} (without labels {@code [held-out fold 4/5]}), so the extra fits read apart from
     * the main ones.
     */
    private ProgressListener named(ProgressListener p, LabelPlan plan, String label, int k,
            int of, int fold) {
        String where = plan.labelled() && plan.mode() == LabelMode.PER_LABEL
                ? "held-out " + label + " " + k + "/" + of + ", fold " + fold + "/" + folds
                : "held-out fold " + fold + "/" + folds;
        return new ProgressListener() {
            @Override
            public void onProgress(String stage, long done, long total, String detail) {
                p.onProgress(stage + " [" + where + "]", done, total, detail);
            }

            @Override
            public void onPlan(String text) {
                p.onPlan(where + ": " + text);
            }
        };
    }
}
