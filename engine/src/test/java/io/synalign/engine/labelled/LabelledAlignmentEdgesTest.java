package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What {@link LabelledAlignmentTest} leaves open (helper pit32's mutation run): each label's
 * outcome (its seed, weight share and effective sample size) against values computed here from
 * the weights, the checks of what a learner returns, an unlabelled fit's plain progress and
 * unwrapped errors, the source itself for a label of every row, the rows of an unfitted label
 * read block by block, and the reported seconds.
 */
class LabelledAlignmentEdgesTest {

    /** Weights drawn at random per call (seeded by the config's seed), positive, any sum. */
    private static AlignmentResult randomFit(AlignmentConfig c, RowSource s) {
        Random r = new Random(c.seed());
        double[] w = new double[(int) s.rows()];
        for (int i = 0; i < w.length; i++) {
            w[i] = 0.1 + r.nextDouble() * (i % 3 == 0 ? 10 : 1);
        }
        return result(w);
    }

    private static AlignmentResult result(double[] w) {
        return new AlignmentResult(w, 0.5, 0.2, 0.1, "exact", 3, true, w.length,
                AlignmentMethod.EXACT, "stub", 0.01);
    }

    private static FloatMatrix zeros(int n) {
        return FloatMatrix.zeros(n, 2);
    }

    /**
     * Per label on random labels: every outcome's weight share is the sum of its rows' weights,
     * equal to its target share where aligned (0 otherwise); its ESS is Kish's
     * {@code (sum w)^2 / sum w^2} of its rows' weights (their sum is not 1, so
     * {@code 1 / sum w^2} would not do); its seed is the label's seed where fitted and the
     * user's otherwise; all weights sum to 1 and their ESS is {@code 1 / sum w^2}.
     */
    @Test
    void eachLabelsOutcomeFollowsFromItsWeights() {
        Random rnd = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            int nReal = 3 + rnd.nextInt(30);
            int nSyn = 3 + rnd.nextInt(40);
            List<String> real = new ArrayList<>();
            List<String> syn = new ArrayList<>();
            for (int i = 0; i < nReal; i++) {
                real.add("r" + rnd.nextInt(4)); // r0..r3
            }
            for (int i = 0; i < nSyn; i++) {
                syn.add("r" + (1 + rnd.nextInt(4))); // r1..r4: r0 real only, r4 synthetic only
            }
            syn.set(0, real.get(0).equals("r0") ? "r1" : real.get(0));
            if (!real.contains(syn.get(0))) {
                real.set(0, syn.get(0));
            }
            long seed = rnd.nextLong();
            LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, real, nReal, syn, nSyn);
            LabelledAlignmentResult r = new LabelledAlignment((c, rr, ss, p) -> randomFit(c, ss),
                    AlignmentConfig.defaults().withSeed(seed)).align(plan, zeros(nReal), zeros(nSyn),
                    null);
            double[] w = r.weights();
            assertEquals(1, Arrays.stream(w).sum(), 1e-12);
            assertEquals(1 / Arrays.stream(w).map(x -> x * x).sum(), r.effectiveSampleSize(), 1e-9);
            assertEquals(plan.groups().size(), r.labels().size());
            for (int i = 0; i < plan.groups().size(); i++) {
                LabelPlan.Group g = plan.groups().get(i);
                LabelOutcome o = r.labels().get(i);
                String where = "trial " + trial + " " + g.label();
                double sum = 0;
                double squares = 0;
                for (int row : g.syntheticRows()) {
                    sum += w[row];
                    squares += w[row] * w[row];
                }
                boolean aligned = g.status() == LabelPlan.Status.ALIGNED;
                assertEquals(sum, o.weightShare(), 1e-15, where);
                assertEquals(aligned ? g.targetShare() : 0, o.weightShare(), 1e-12, where);
                assertEquals(squares > 0 ? sum * sum / squares : 0, o.effectiveSampleSize(),
                        1e-9 * g.syntheticRows().length, where);
                assertEquals(aligned ? plan.seedFor(g.label(), seed) : seed, o.seed(), where);
                assertEquals(aligned, o.fit() != null, where);
                assertEquals(g.realRows().length, o.nReal());
                assertEquals(g.syntheticRows().length, o.nSynthetic());
            }
        }
    }

    @Test
    void aGlobalFitsOutcomesCarryTheUsersSeed() {
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, List.of("a", "b"), 2,
                List.of("a", "b", "c"), 3);
        LabelledAlignmentResult r = new LabelledAlignment((c, rr, ss, p) -> randomFit(c, ss),
                AlignmentConfig.defaults().withSeed(17)).align(plan, zeros(2), zeros(3), null);
        for (LabelOutcome o : r.labels()) {
            assertEquals(17, o.seed(), o.label());
            assertNull(o.fit());
        }
    }

    @Test
    void whatALearnerReturnsIsChecked() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b"), 2,
                List.of("a", "b", "a"), 3);
        assertEquals("learner and config must not be null", assertThrows(
                IllegalArgumentException.class, () -> new LabelledAlignment(null,
                        AlignmentConfig.defaults())).getMessage());
        assertEquals("learner and config must not be null", assertThrows(
                IllegalArgumentException.class, () -> new LabelledAlignment(
                        (c, rr, ss, p) -> null, null)).getMessage());
        assertEquals("learner returned 3 weights for 2 synthetic rows", assertThrows(
                IllegalStateException.class, () -> align(plan, new double[] {1, 1, 1})).getMessage());
        assertEquals("learner returned weights summing to 0.0", assertThrows(
                IllegalStateException.class, () -> align(plan, new double[] {0, 0})).getMessage());
        assertEquals("learner returned weights summing to Infinity", assertThrows(
                IllegalStateException.class, () -> align(plan, new double[] {Double.MAX_VALUE,
                        Double.MAX_VALUE})).getMessage());
        assertEquals("learner returned weights summing to NaN", assertThrows(
                IllegalStateException.class, () -> align(plan, new double[] {Double.NaN, 1}))
                .getMessage());
        // Any positive finite sum is scaled to the label's share.
        LabelledAlignmentResult ok = align(plan, new double[] {3, 1});
        assertEquals(0.5 * 0.75, ok.weights()[0], 1e-15);
        assertEquals(0.5 * 0.25, ok.weights()[2], 1e-15);
    }

    /** Label a (2 synthetic rows) gets {@code w}; label b its uniform weight. */
    private static LabelledAlignmentResult align(LabelPlan plan, double[] w) {
        return new LabelledAlignment((c, rr, ss, p) -> ss.rows() == 2 ? result(w)
                : result(new double[] {1}), AlignmentConfig.defaults()).align(plan, zeros(2),
                zeros(3), null);
    }

    /**
     * Without labels (one group of every row): the learner gets the caller's source itself (no
     * view: an in-memory source stays one) and the caller's listener with plain stage names, and
     * its refusals come back as they are, not prefixed with a label.
     */
    @Test
    void anUnlabelledFitGetsTheSourceTheListenerAndItsErrorsAsTheyAre() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, null, 3, null, 4);
        RowSource source = RowSource.of(zeros(4));
        List<String> stages = new ArrayList<>();
        List<String> plans = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void onProgress(String stage, long done, long total, String detail) {
                stages.add(stage);
            }

            @Override
            public void onPlan(String text) {
                plans.add(text);
            }
        };
        List<RowSource> given = new ArrayList<>();
        new LabelledAlignment((c, rr, ss, p) -> {
            given.add(ss);
            p.onProgress("optimise", 1, 1, "");
            p.onPlan("exact");
            return randomFit(c, ss);
        }, AlignmentConfig.defaults()).align(plan, zeros(3), source, listener);
        assertSame(source, given.get(0));
        assertEquals(List.of("optimise"), stages);
        assertEquals(List.of("exact"), plans);

        // A label holding every synthetic row gets the source itself too.
        LabelPlan one = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b"), 2,
                List.of("a", "a", "a", "a"), 4);
        new LabelledAlignment((c, rr, ss, p) -> {
            given.add(ss);
            return randomFit(c, ss);
        }, AlignmentConfig.defaults()).align(one, zeros(2), source, null);
        assertSame(source, given.get(1));

        IllegalArgumentException refusal = new IllegalArgumentException("every row identical");
        assertSame(refusal, assertThrows(IllegalArgumentException.class,
                () -> new LabelledAlignment((c, rr, ss, p) -> {
                    throw refusal;
                }, AlignmentConfig.defaults()).align(plan, zeros(3), source, null)));
    }

    /**
     * The rows of a label that is not fitted are read once each, in order, in blocks of at most
     * 2^20 values (1,048 rows of 1,000 columns: 2,500 rows take 1,048, 1,048 and 404), never one
     * read of all of them.
     */
    @Test
    void theRowsOfAnUnfittedLabelAreReadInBlocks() {
        int cols = 1000;
        int unfitted = 2500;
        int n = 2 + unfitted;
        List<String> syn = new ArrayList<>(List.of("a", "a"));
        syn.addAll(java.util.Collections.nCopies(unfitted, "zz"));
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "a"), 2, syn, n);
        List<long[]> reads = new ArrayList<>();
        RowSource zeros = new RowSource() {
            @Override
            public long rows() {
                return n;
            }

            @Override
            public int cols() {
                return cols;
            }

            @Override
            public String name() {
                return "zeros";
            }

            @Override
            public void read(long start, int count, float[] out) {
                RowSource.checkRead(this, start, count, out);
                reads.add(new long[] {start, count});
                Arrays.fill(out, 0, count * cols, 0f);
            }
        };
        new LabelledAlignment((c, rr, ss, p) -> result(new double[] {1, 1}),
                AlignmentConfig.defaults()).align(plan, FloatMatrix.zeros(2, cols), zeros, null);
        List<String> got = reads.stream().map(r -> r[0] + "+" + r[1]).toList();
        assertEquals(List.of("2+1048", "1050+1048", "2098+404"), got);
    }

    /**
     * The reported seconds lie within the wall time the caller measured around the call (not a
     * speed bound: a start added instead of subtracted, or nanoseconds multiplied, lands far
     * outside it).
     */
    @Test
    void theReportedSecondsLieWithinTheCallsWallTime() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b"), 2,
                List.of("a", "b"), 2);
        long before = System.nanoTime();
        LabelledAlignmentResult r = new LabelledAlignment((c, rr, ss, p) -> randomFit(c, ss),
                AlignmentConfig.defaults()).align(plan, zeros(2), zeros(2), null);
        double wall = (System.nanoTime() - before) / 1e9;
        assertTrue(r.seconds() >= 0 && r.seconds() <= wall,
                "seconds " + r.seconds() + ", wall " + wall);
    }
}
