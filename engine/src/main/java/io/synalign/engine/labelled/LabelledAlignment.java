package io.synalign.engine.labelled;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Learns sampling weights for labelled synthetic rows: the per-label orchestration around the
 * MMD weight learner (synthetic distribution alignment, "Few-shot LLM Synthetic Data with
 * Distribution Matching", WWW 2025).
 *
 * <p>{@link LabelMode#PER_LABEL}: for every label with real and synthetic rows, one fit of
 * that label's synthetic rows against its real rows, seeded with
 * {@link LabelPlan#seedFor}; the label's weights are normalised to sum to 1 and multiplied by
 * its target share ({@link LabelPlan}), so all weights sum to 1 and every label carries exactly
 * its share of the real set (renormalised over represented labels when a real label has no
 * synthetic rows). Rows of labels the real set lacks get 0. {@link LabelMode#GLOBAL}: one fit
 * of all synthetic rows against all real rows; labels only group the report.
 *
 * <p>The synthetic rows are a {@link RowSource}, so they may be more than one array holds (a
 * file read block by block): each label's rows are a view of the source
 * ({@link RowSource#select}), read by the learner as it needs them, never gathered here.
 *
 * <p>Cost: per label the learner's cost on that label's rows (for the exact method
 * O((m_l + n_l)^2 d) per label, so splitting by label is cheaper than one global fit), plus
 * O(m d) to gather the real rows and O(n) for the weights.
 */
public final class LabelledAlignment {

    /** One fit of the weight learner (an {@code MmdWeightLearner}, or a distributed one). */
    @FunctionalInterface
    public interface Fitter {
        /**
         * @return weights for the synthetic rows, non-negative, summing to 1
         * @throws IllegalArgumentException on inputs the learner cannot use
         */
        AlignmentResult fit(AlignmentConfig config, FloatMatrix real, RowSource synthetic,
                ProgressListener progress);
    }

    private final Fitter learner;
    private final AlignmentConfig config;

    public LabelledAlignment(Fitter learner, AlignmentConfig config) {
        if (learner == null || config == null) {
            throw new IllegalArgumentException("learner and config must not be null");
        }
        this.learner = learner;
        this.config = config;
    }

    /**
     * Fits the weights.
     *
     * @param plan the label groups of the rows below
     * @param real the real embeddings, {@code plan.realRows()} rows
     * @param synthetic the synthetic embeddings, {@code plan.syntheticRows()} rows, same columns
     * @throws IllegalArgumentException when a real or synthetic row holds a value that is not
     *     finite (naming its row in the whole set and its column), or the learner rejects a
     *     label's rows, naming the label
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     checked before every label, and within a label's fit once per iteration
     *     ({@link io.synalign.kernels.Cancellation}); the status is kept set, nothing returned
     */
    public LabelledAlignmentResult align(LabelPlan plan, FloatMatrix real, FloatMatrix synthetic,
            ProgressListener progress) {
        synthetic.requireFinite("synthetic");
        return align(plan, real, RowSource.of(synthetic), progress);
    }

    /**
     * Fits the weights of synthetic rows read from a source (of any length up to one weight
     * vector).
     *
     * @param plan the label groups of the rows below
     * @param real the real embeddings, {@code plan.realRows()} rows
     * @param synthetic the synthetic embeddings, {@code plan.syntheticRows()} rows, same columns
     * @throws IllegalArgumentException when a real or synthetic row holds a value that is not
     *     finite (naming its row in the whole set and its column), or the learner rejects a
     *     label's rows, naming the label
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted:
     *     checked before every label, and within a label's fit once per iteration
     *     ({@link io.synalign.kernels.Cancellation}); the status is kept set, nothing returned
     */
    public LabelledAlignmentResult align(LabelPlan plan, FloatMatrix real, RowSource synthetic,
            ProgressListener progress) {
        plan.requireRows(real.rows(), synthetic.rows());
        // Whole, up front: a label's fit named its row within the label ("real row 3" for row
        // 7), and the real rows of a label with no synthetic rows were never looked at.
        real.requireFinite("real");
        ProgressListener listener = progress == null ? ProgressListener.NONE : progress;
        long start = System.nanoTime();
        double[] weights = new double[plan.syntheticRows()];
        AlignmentResult global = null;
        List<AlignmentResult> fits = new ArrayList<>();
        if (plan.mode() == LabelMode.GLOBAL) {
            global = learner.fit(config, real, synthetic, listener);
            scaleInto(weights, global.weights(), identity(plan.syntheticRows()), 1.0);
        } else {
            List<LabelPlan.Group> aligned = plan.groups(LabelPlan.Status.ALIGNED);
            int k = 0;
            for (LabelPlan.Group g : plan.groups()) {
                // Once per label, for any Fitter (a distributed one need not check itself).
                Cancellation.stopIfInterrupted("labelled alignment (label)");
                if (g.status() != LabelPlan.Status.ALIGNED) {
                    readThrough(synthetic, g.syntheticRows());
                    fits.add(null);
                    continue;
                }
                k++;
                AlignmentResult fit = fitLabel(plan, g, real, synthetic,
                        labelled(listener, g.label(), k, aligned.size(), plan.labelled()));
                scaleInto(weights, fit.weights(), g.syntheticRows(), g.targetShare());
                fits.add(fit);
            }
        }
        List<LabelOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < plan.groups().size(); i++) {
            LabelPlan.Group g = plan.groups().get(i);
            outcomes.add(LabelOutcome.of(g, weights, global == null ? fits.get(i) : null,
                    global == null && g.status() == LabelPlan.Status.ALIGNED
                            ? plan.seedFor(g.label(), config.seed()) : config.seed()));
        }
        return new LabelledAlignmentResult(plan.mode(), weights, outcomes, global,
                effectiveSampleSize(weights), (System.nanoTime() - start) / 1e9);
    }

    /**
     * Reads the synthetic rows of a label that is not fitted (weight 0), block by block, and
     * drops them: a source checks its values as they are read (a NaN, an infinity), and these
     * rows would otherwise never be read, so a bad value in them went through to the outputs.
     */
    private static void readThrough(RowSource synthetic, int[] rows) {
        if (rows.length == 0) {
            return;
        }
        RowSource s = synthetic.select(rows);
        int block = (int) Math.max(1, Math.min(rows.length, (1 << 20) / Math.max(1, s.cols())));
        float[] buffer = new float[block * s.cols()];
        for (long at = 0; at < rows.length; at += block) {
            s.read(at, (int) Math.min(block, rows.length - at), buffer);
        }
    }

    private AlignmentResult fitLabel(LabelPlan plan, LabelPlan.Group g, FloatMatrix real,
            RowSource synthetic, ProgressListener progress) {
        FloatMatrix r = real.selectRows(g.realRows());
        RowSource s = g.syntheticRows().length == synthetic.rows() && isIdentity(g.syntheticRows())
                ? synthetic : synthetic.select(g.syntheticRows());
        try {
            return learner.fit(config.withSeed(plan.seedFor(g.label(), config.seed())), r, s,
                    progress);
        } catch (IllegalArgumentException e) {
            if (!plan.labelled()) {
                throw e;
            }
            throw new IllegalArgumentException("label '" + g.label() + "' (" + r.rows()
                    + " real, " + s.rows() + " synthetic rows): " + e.getMessage(), e);
        }
    }

    /** Writes {@code share * w / sum(w)} to {@code out[rows[k]]}. */
    private static void scaleInto(double[] out, double[] w, int[] rows, double share) {
        if (w.length != rows.length) {
            throw new IllegalStateException("learner returned " + w.length + " weights for "
                    + rows.length + " synthetic rows");
        }
        double sum = 0;
        for (double x : w) {
            sum += x;
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            throw new IllegalStateException("learner returned weights summing to " + sum);
        }
        for (int k = 0; k < rows.length; k++) {
            out[rows[k]] = share * (w[k] / sum);
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

    /** The rows 0 .. n-1 (a group of every row; shared with {@link HeldOutCheck}). */
    static int[] identity(int n) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        return rows;
    }

    /**
     * Names the label in every progress stage, e.g. {@code optimise [sports 2/3]}, and in every
     * plan (a per-label fit streams its rows too: its plan was dropped).
     */
    private static ProgressListener labelled(ProgressListener p, String label, int k, int of,
            boolean labelled) {
        if (!labelled) {
            return p;
        }
        String suffix = " [" + label + " " + k + "/" + of + "]";
        return new ProgressListener() {
            @Override
            public void onProgress(String stage, long done, long total, String detail) {
                p.onProgress(stage + suffix, done, total, detail);
            }

            @Override
            public void onPlan(String plan) {
                p.onPlan("label " + label + " (" + k + "/" + of + "): " + plan);
            }
        };
    }

    /** Kish's effective sample size {@code (sum w)^2 / sum w^2}; 0 for all-zero weights. */
    static double effectiveSampleSize(double[] w) {
        double sum = 0;
        double squares = 0;
        for (double x : w) {
            sum += x;
            squares += x * x;
        }
        return squares > 0 ? sum * sum / squares : 0;
    }
}
