package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.WeightedSampler;
import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * The per-label orchestration with a recording stub learner whose weights depend on the rows it
 * is given (weight of a row = 1 + its first coordinate), so that the routing of rows to fits and
 * of weights back to rows is visible.
 */
class LabelledAlignmentTest {

    /** Row i of a matrix carries i in column 0 and a tag in column 1. */
    private static FloatMatrix rows(int n, float tag) {
        float[] data = new float[n * 2];
        for (int i = 0; i < n; i++) {
            data[2 * i] = i;
            data[2 * i + 1] = tag;
        }
        return new FloatMatrix(n, 2, data);
    }

    private record Call(AlignmentConfig config, FloatMatrix real, FloatMatrix synthetic) {
    }

    private final List<Call> calls = new ArrayList<>();

    /** Weights proportional to 1 + the row's first coordinate, summing to 1 (almost: 1 + 1e-8). */
    private AlignmentResult stub(AlignmentConfig config, FloatMatrix real, FloatMatrix synthetic) {
        calls.add(new Call(config, real, synthetic));
        double[] w = new double[synthetic.rows()];
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = 1 + synthetic.get(i, 0);
            sum += w[i];
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = w[i] / sum * (1 + 1e-8);
        }
        return new AlignmentResult(w, 0.5, 0.2, 0.1, "exact", 3, true, 1 / Arrays.stream(w)
                .map(x -> x * x).sum(), AlignmentMethod.EXACT, "stub", 0.01);
    }

    private LabelledAlignmentResult align(LabelMode mode, List<String> realLabels,
            List<String> syntheticLabels, long seed) {
        LabelPlan plan = LabelPlan.of(mode, realLabels, realLabels == null ? 6 : realLabels.size(),
                syntheticLabels, syntheticLabels == null ? 5 : syntheticLabels.size());
        FloatMatrix real = rows(plan.realRows(), 1);
        FloatMatrix synthetic = rows(plan.syntheticRows(), 2);
        return new LabelledAlignment((c, r, s, p) -> stub(c, r, s.toMatrix()),
                AlignmentConfig.defaults().withSeed(seed)).align(plan, real, synthetic, null);
    }

    private static double sum(double[] w, String label, List<String> labels) {
        double s = 0;
        for (int i = 0; i < w.length; i++) {
            if (labels.get(i).equals(label)) {
                s += w[i];
            }
        }
        return s;
    }

    @Test
    void perLabelFitsEachLabelOnItsOwnRowsAndKeepsRealShares() {
        List<String> real = List.of("a", "b", "a", "c", "a", "b", "a", "b", "c", "a");
        List<String> synthetic = List.of("b", "b", "a", "c", "c", "c", "c", "b", "c", "a", "c");
        LabelledAlignmentResult r = align(LabelMode.PER_LABEL, real, synthetic, 42);

        // One fit per label, in real first-seen order, each with exactly that label's rows.
        assertEquals(3, calls.size());
        String[] order = {"a", "b", "c"};
        for (int k = 0; k < 3; k++) {
            Call call = calls.get(k);
            String label = order[k];
            int[] realIdx = indices(real, label);
            int[] synIdx = indices(synthetic, label);
            assertEquals(realIdx.length, call.real().rows(), label);
            assertEquals(synIdx.length, call.synthetic().rows(), label);
            for (int i = 0; i < realIdx.length; i++) {
                assertEquals(realIdx[i], call.real().get(i, 0), label);
                assertEquals(1f, call.real().get(i, 1));
            }
            for (int i = 0; i < synIdx.length; i++) {
                assertEquals(synIdx[i], call.synthetic().get(i, 0), label);
            }
        }
        // Each label's weights sum to its real share: a 5/10, b 3/10, c 2/10; within a label
        // the learner's weights keep their ratios (renormalised).
        double[] w = r.weights();
        assertEquals(0.5, sum(w, "a", synthetic), 1e-15);
        assertEquals(0.3, sum(w, "b", synthetic), 1e-15);
        assertEquals(0.2, sum(w, "c", synthetic), 1e-15);
        assertEquals(1.0, Arrays.stream(w).sum(), 1e-15);
        int[] a = indices(synthetic, "a");
        assertEquals((1.0 + a[1]) / (1.0 + a[0]), w[a[1]] / w[a[0]], 1e-12);
        for (LabelOutcome o : r.labels()) {
            assertEquals(LabelPlan.Status.ALIGNED, o.status());
            assertEquals(o.realShare(), o.weightShare(), 1e-15, o.label());
            assertNotNull(o.fit());
        }
        assertNull(r.globalFit());
        assertEquals(1 / Arrays.stream(w).map(x -> x * x).sum(), r.effectiveSampleSize(), 1e-9);
    }

    /** A per-label fit's plan (rows streamed from a file) reaches the listener, naming its label. */
    @Test
    void eachLabelsPlanAndProgressReachTheListenerNamingTheLabel() {
        List<String> real = List.of("a", "b", "a", "b");
        List<String> synthetic = List.of("b", "a", "b", "b", "a");
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, real, 4, synthetic, 5);
        List<String> plans = new ArrayList<>();
        List<String> stages = new ArrayList<>();
        io.synalign.engine.ProgressListener listener = new io.synalign.engine.ProgressListener() {
            @Override
            public void onProgress(String stage, long done, long total, String detail) {
                stages.add(stage);
            }

            @Override
            public void onPlan(String text) {
                plans.add(text);
            }
        };
        new LabelledAlignment((c, r, s, p) -> {
            p.onPlan("rff of " + s.rows() + " rows");
            p.onProgress("optimise", 1, 1, "");
            return stub(c, r, s.toMatrix());
        }, AlignmentConfig.defaults()).align(plan, rows(4, 1), rows(5, 2), listener);
        assertEquals(List.of("label a (1/2): rff of 2 rows", "label b (2/2): rff of 3 rows"), plans);
        assertEquals(List.of("optimise [a 1/2]", "optimise [b 2/2]"), stages);
    }

    @Test
    void labelSeedsAreDerivedFromTheSeedAndTheLabelOnly() {
        List<String> real = List.of("x", "y");
        align(LabelMode.PER_LABEL, real, List.of("x", "y"), 7);
        align(LabelMode.PER_LABEL, List.of("y", "z", "x"), List.of("y", "x", "z"), 7);
        align(LabelMode.PER_LABEL, real, List.of("x", "y"), 8);
        long x7 = calls.get(0).config().seed();
        long y7 = calls.get(1).config().seed();
        assertNotEquals(x7, y7);
        assertEquals(y7, calls.get(2).config().seed(), "the same label, another order: same seed");
        assertEquals(x7, calls.get(4).config().seed());
        assertNotEquals(x7, calls.get(5).config().seed(), "another --seed: another stream");
        Set<Long> seeds = new HashSet<>();
        calls.forEach(c -> seeds.add(c.config().seed()));
        assertEquals(5, seeds.size(), "x7, y7, z7, x8, y8");
        // Apart from the seed the config is the user's.
        assertEquals(AlignmentConfig.defaults().withSeed(x7), calls.get(0).config());
    }

    @Test
    void unknownSyntheticLabelsGetZeroAndRealLabelsWithoutSyntheticsHandTheirShareOn() {
        List<String> real = List.of("a", "a", "b", "c", "c", "c", "a", "a");
        List<String> synthetic = List.of("a", "zz", "c", "a", "zz", "c", "yy");
        LabelledAlignmentResult r = align(LabelMode.PER_LABEL, real, synthetic, 1);
        assertEquals(2, calls.size(), "only a and c are fitted");
        double[] w = r.weights();
        assertEquals(0, w[1]);
        assertEquals(0, w[4]);
        assertEquals(0, w[6]);
        // b (1 of 8 real rows) has no synthetic rows: a and c share 7 real rows, 4 : 3.
        assertEquals(4.0 / 7, sum(w, "a", synthetic), 1e-15);
        assertEquals(3.0 / 7, sum(w, "c", synthetic), 1e-15);
        assertEquals(4, WeightedSampler.support(w));
        assertEquals(4, r.support());

        List<String> labels = r.labels().stream().map(LabelOutcome::label).toList();
        assertEquals(List.of("a", "b", "c", "zz", "yy"), labels);
        LabelOutcome b = r.labels().get(1);
        assertEquals(LabelPlan.Status.NO_SYNTHETIC_ROWS, b.status());
        assertEquals(0.125, b.realShare());
        assertEquals(0, b.weightShare());
        assertNull(b.fit());
        LabelOutcome zz = r.labels().get(3);
        assertEquals(LabelPlan.Status.NOT_IN_REAL, zz.status());
        assertEquals(2, zz.nSynthetic());
        assertEquals(0, zz.weightShare());
        assertEquals(0, zz.effectiveSampleSize());
        assertEquals(0.5, r.labels().get(0).realShare());
    }

    @Test
    void noSharedLabelIsAnErrorNamingBothSides() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("pos", "neg"), 2,
                        List.of("Pos", "NEG", "Pos"), 3));
        assertEquals("no synthetic record has a label of the real set: synthetic labels 'Pos',"
                + " 'NEG', real labels 'pos', 'neg' (check which field holds the labels, or align"
                + " all rows together in global mode)",
                e.getMessage());
        // Labels that print alike and differ in Unicode normalisation are named as such.
        IllegalArgumentException nfd = assertThrows(IllegalArgumentException.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, List.of("caf\u00e9", "tea"), 2,
                        List.of("cafe\u0301", "cafe\u0301"), 2));
        assertTrue(nfd.getMessage().contains("'cafe\u0301' and 'caf\u00e9' differ only in"
                + " Unicode normalisation"), nfd.getMessage());
        // Global mode does not need shared labels.
        assertEquals(3, LabelPlan.of(LabelMode.GLOBAL, List.of("pos", "neg"), 2,
                List.of("Pos", "NEG", "Pos"), 3).weightableSyntheticRows());
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> LabelPlan.of(LabelMode.PER_LABEL, null, 2, List.of("a", "b"), 2));
        assertTrue(half.getMessage().startsWith("only the synthetic records have labels"),
                half.getMessage());
    }

    @Test
    void globalFitsOnceAndLabelSharesFollowTheFit() {
        List<String> real = List.of("a", "a", "a", "b");
        List<String> synthetic = List.of("a", "b", "b", "b", "zz");
        LabelledAlignmentResult r = align(LabelMode.GLOBAL, real, synthetic, 5);
        assertEquals(1, calls.size());
        assertEquals(4, calls.get(0).real().rows());
        assertEquals(5, calls.get(0).synthetic().rows());
        assertEquals(5, calls.get(0).config().seed(), "the global fit uses --seed itself");
        double[] w = r.weights();
        // The stub's weights, renormalised, row for row: 1..5 over 15. Not the real shares.
        for (int i = 0; i < 5; i++) {
            assertEquals((1.0 + i) / 15, w[i], 1e-15);
        }
        assertEquals(1.0 / 15, r.labels().get(0).weightShare(), 1e-15);
        assertEquals(0.75, r.labels().get(0).realShare());
        assertTrue(w[4] > 0, "global mode weights rows of unknown labels too");
        assertSame(r.globalFit(), r.globalFit());
        assertNotNull(r.globalFit());
        r.labels().forEach(o -> assertNull(o.fit()));
        assertEquals(5, r.support());
    }

    @Test
    void withoutLabelsPerLabelIsOneFitWithTheUsersSeed() {
        LabelledAlignmentResult perLabel = align(LabelMode.PER_LABEL, null, null, 11);
        LabelledAlignmentResult global = align(LabelMode.GLOBAL, null, null, 11);
        assertEquals(2, calls.size());
        assertEquals(calls.get(0).config(), calls.get(1).config());
        assertArrayEquals(perLabel.weights(), global.weights());
        assertEquals(List.of(LabelPlan.ALL), perLabel.labels().stream().map(LabelOutcome::label).toList());
        // One labelled side in global mode: labels ignored.
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, List.of("a", "b"), 2, null, 3);
        assertEquals(1, plan.groups().size());
    }

    @Test
    void learnerRejectionsNameTheLabel() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "tiny"), 2,
                List.of("a", "tiny", "a"), 3);
        LabelledAlignment alignment = new LabelledAlignment((c, r, s, p) -> {
            if (s.rows() == 1) {
                throw new IllegalArgumentException("the median heuristic found every sampled row"
                        + " identical; give a bandwidth explicitly");
            }
            return stub(c, r, s.toMatrix());
        }, AlignmentConfig.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> alignment.align(plan, rows(2, 1), rows(3, 2), null));
        assertEquals("label 'tiny' (1 real, 1 synthetic rows): the median heuristic found every"
                + " sampled row identical; give a bandwidth explicitly", e.getMessage());
    }

    @Test
    void progressStagesNameTheLabel() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b"), 2,
                List.of("a", "b"), 2);
        List<String> stages = new ArrayList<>();
        new LabelledAlignment((c, r, s, p) -> {
            p.onProgress("optimise", 1, 2, "");
            return stub(c, r, s.toMatrix());
        }, AlignmentConfig.defaults()).align(plan, rows(2, 1), rows(2, 2),
                (stage, done, total, detail) -> stages.add(stage));
        assertEquals(List.of("optimise [a 1/2]", "optimise [b 2/2]"), stages);
    }

    private static int[] indices(List<String> labels, String label) {
        return java.util.stream.IntStream.range(0, labels.size())
                .filter(i -> labels.get(i).equals(label)).toArray();
    }

    /**
     * Cancelling a per-label alignment by interrupting its thread (session 22's review: every
     * remaining label was fitted). The stub fitter, like a distributed one, does not look at
     * the interrupt itself: the alignment stops before the next label with a
     * {@link CancellationException}, the status kept; afterwards the thread aligns again.
     */
    @Test
    void anInterruptStopsAPerLabelAlignmentBeforeItsNextLabel() {
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b", "c", "a", "b", "c"),
                6, List.of("a", "b", "c", "c", "b", "a"), 6);
        LabelledAlignment alignment = new LabelledAlignment((c, r, s, p) -> {
            AlignmentResult fit = stub(c, r, s.toMatrix());
            if (calls.size() == 1) {
                Thread.currentThread().interrupt(); // while the first label's fit runs
            }
            return fit;
        }, AlignmentConfig.defaults());
        try {
            assertThrows(CancellationException.class,
                    () -> alignment.align(plan, rows(6, 1), rows(6, 2), null),
                    "the labels after the interrupt were fitted");
            assertEquals(1, calls.size(), "labels fitted");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        } finally {
            Thread.interrupted();
        }
        LabelledAlignmentResult again = alignment.align(plan, rows(6, 1), rows(6, 2), null);
        assertEquals(1 + 3, calls.size(), "all three labels fitted by a later alignment");
        assertEquals(6, again.weights().length);
    }
}
