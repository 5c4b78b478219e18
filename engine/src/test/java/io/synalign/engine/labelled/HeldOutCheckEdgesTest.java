package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

/**
 * What {@link HeldOutCheckTest} leaves open (helper pit32's mutation run): the check's
 * arguments, the label numbering of its progress beside a label without synthetic rows, a fold
 * the learner refuses, an interrupt between a fold's scores and the next fold's fit, a source
 * that is not in memory, the smallest too-large label and the unlabelled message, the largest
 * synthetic count against an exact integer search, whether fitted weights came out lower, and
 * the reported seconds.
 */
class HeldOutCheckEdgesTest {

    /** Uniform weights, bandwidth 1.5; counts its calls. */
    private static final class Uniform implements LabelledAlignment.Fitter {
        int fits;

        @Override
        public AlignmentResult fit(AlignmentConfig config, FloatMatrix real, RowSource synthetic,
                ProgressListener progress) {
            fits++;
            progress.onProgress("optimise", 1, 1, "");
            double[] w = new double[(int) synthetic.rows()];
            Arrays.fill(w, 1.0 / w.length);
            return new AlignmentResult(w, 1.5, 0, 0, "exact", 1, true, w.length,
                    AlignmentMethod.EXACT, "stub", 0);
        }
    }

    private static FloatMatrix gaussian(Random rnd, int n, int d, double shift) {
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() + (i % d == 0 ? shift : 0));
        }
        return new FloatMatrix(n, d, v);
    }

    @Test
    void theChecksArgumentsAreRefusedNamingThem() {
        ReferenceBackend backend = new ReferenceBackend();
        AlignmentConfig config = AlignmentConfig.defaults();
        Uniform learner = new Uniform();
        String nulls = "learner, config and backend must not be null";
        assertEquals(nulls, assertThrows(IllegalArgumentException.class,
                () -> new HeldOutCheck(null, config, backend, 2)).getMessage());
        assertEquals(nulls, assertThrows(IllegalArgumentException.class,
                () -> new HeldOutCheck(learner, null, backend, 2)).getMessage());
        assertEquals(nulls, assertThrows(IllegalArgumentException.class,
                () -> new HeldOutCheck(learner, config, null, 2)).getMessage());
        assertEquals("a held-out check needs at least 2 folds, got 1", assertThrows(
                IllegalArgumentException.class, () -> new HeldOutCheck(learner, config, backend, 1))
                .getMessage());
    }

    /**
     * A real label without synthetic rows, first in the plan, takes no number: the fitted labels
     * are "1/2" and "2/2" in the progress (it read "2/2" and "3/2").
     */
    @Test
    void aLabelWithoutSyntheticRowsTakesNoNumberInTheProgress() {
        List<String> real = List.of("d", "p", "q", "d", "p", "q", "p", "q", "p", "q");
        List<String> syn = List.of("q", "p", "p", "q");
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, real, 10, syn, 4);
        List<String> stages = new ArrayList<>();
        Random rnd = new Random(1);
        HeldOutResult r = new HeldOutCheck(new Uniform(), AlignmentConfig.defaults(),
                new ReferenceBackend(), 2).run(plan, gaussian(rnd, 10, 2, 0),
                RowSource.of(gaussian(rnd, 4, 2, 0)), (stage, done, total, detail) -> {
                    if (stage.startsWith("optimise")) {
                        stages.add(stage);
                    }
                });
        assertEquals(List.of("optimise [held-out p 1/2, fold 1/2]",
                "optimise [held-out p 1/2, fold 2/2]", "optimise [held-out q 2/2, fold 1/2]",
                "optimise [held-out q 2/2, fold 2/2]"), stages);
        assertEquals(List.of("d", "p", "q"), r.labels().stream().map(HeldOutLabel::label).toList());
        assertEquals(HeldOutCheck.NO_SYNTHETIC_ROWS, r.labels().get(0).skipped());
    }

    /**
     * A fold whose rows the learner refuses skips its label with the fold and the learner's
     * words; the other labels are still checked, and the overall figures are theirs.
     */
    @Test
    void aFoldTheLearnerRefusesSkipsItsLabelNamingTheFold() {
        List<String> real = List.of("p", "q", "p", "q", "p", "q", "p", "q", "p", "q", "p", "q");
        List<String> syn = List.of("q", "p", "p", "q", "q");
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, real, 12, syn, 5);
        Uniform uniform = new Uniform();
        int[] calls = {0};
        Random rnd = new Random(2);
        HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
            if (++calls[0] == 2) { // p's second fold
                throw new IllegalArgumentException("every sampled row identical");
            }
            return uniform.fit(c, rr, ss, p);
        }, AlignmentConfig.defaults(), new ReferenceBackend(), 3).run(plan,
                gaussian(rnd, 12, 2, 0), RowSource.of(gaussian(rnd, 5, 2, 0.3)), null);
        HeldOutLabel p = r.labels().get(0);
        assertEquals("fold 2 of 3: every sampled row identical", p.skipped());
        assertTrue(Double.isNaN(p.mmd2Uniform()));
        assertEquals(List.of(), p.folds());
        HeldOutLabel q = r.labels().get(1);
        assertTrue(q.checked());
        assertEquals(1, r.checked());
        assertEquals(6, r.nHeldOut());
        assertEquals(q.mmd2Uniform(), r.mmd2Uniform(), 0);
        assertEquals(q.mmd2Weighted(), r.mmd2Weighted(), 0);
    }

    /**
     * An interrupt that arrives after a fold's scores are done (the last "evaluate" step) stops
     * the check before the next fold's fit, even with a learner that never looks at it.
     */
    @Test
    void anInterruptAfterAFoldsScoresStopsTheNextFit() {
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, null, 8, null, 5);
        Uniform uniform = new Uniform();
        Random rnd = new Random(3);
        try {
            assertThrows(CancellationException.class, () -> new HeldOutCheck(uniform,
                    AlignmentConfig.defaults(), new ReferenceBackend(), 2).run(plan,
                    gaussian(rnd, 8, 2, 0), RowSource.of(gaussian(rnd, 5, 2, 0)),
                    (stage, done, total, detail) -> {
                        if (stage.startsWith("evaluate") && done == total && total > 0) {
                            Thread.currentThread().interrupt();
                        }
                    }));
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, uniform.fits, "folds fitted after the first fold's scores");
    }

    /**
     * Synthetic rows from a source that is not in memory (a file) are read into one matrix per
     * group (all of them for a global check, a label's through a view) and give the figures of
     * the same rows in memory, bit for bit, with the reference learner.
     */
    @Test
    void aSourceNotInMemoryGivesTheInMemoryFigures() {
        Random rnd = new Random(4);
        FloatMatrix real = gaussian(rnd, 10, 3, 0);
        FloatMatrix syn = gaussian(rnd, 9, 3, 0.6);
        RowSource file = new RowSource() {
            @Override
            public long rows() {
                return syn.rows();
            }

            @Override
            public int cols() {
                return syn.cols();
            }

            @Override
            public String name() {
                return "not in memory";
            }

            @Override
            public void read(long start, int count, float[] out) {
                RowSource.checkRead(this, start, count, out);
                System.arraycopy(syn.data(), (int) start * 3, out, 0, count * 3);
            }
        };
        List<String> realLabels = List.of("a", "b", "a", "b", "a", "b", "a", "b", "a", "b");
        List<String> synLabels = List.of("b", "a", "a", "b", "a", "b", "a", "b", "b");
        ReferenceBackend backend = new ReferenceBackend();
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT)
                .withSeed(8);
        HeldOutCheck check = new HeldOutCheck(
                (c, rr, ss, p) -> new MmdWeightLearner(backend, c).fit(rr, ss, p), config,
                backend, 2);
        for (LabelPlan plan : List.of(LabelPlan.of(LabelMode.GLOBAL, null, 10, null, 9),
                LabelPlan.of(LabelMode.PER_LABEL, realLabels, 10, synLabels, 9))) {
            HeldOutResult fromFile = check.run(plan, real, file, null);
            HeldOutResult inMemory = check.run(plan, real, RowSource.of(syn), null);
            assertEquals(plan.groups(LabelPlan.Status.ALIGNED).size(), fromFile.checked(),
                    plan.mode().toString());
            assertEquals(inMemory.mmd2Uniform(), fromFile.mmd2Uniform(), 0, plan.mode().toString());
            assertEquals(inMemory.mmd2Weighted(), fromFile.mmd2Weighted(), 0, plan.mode().toString());
        }
    }

    /**
     * Of several labels too large for the check, the refusal names the one of fewest kernel
     * entries, the first of equal ones; without labels it names the rows alone.
     */
    @Test
    void theRefusalNamesTheSmallestTooLargeLabelOrTheRowsAlone() {
        // 'a': 45,000 synthetic rows; 'b': 44,800 (fewer entries); 'c': 44,800 as well.
        List<String> real = new ArrayList<>();
        for (String l : List.of("a", "b", "c")) {
            real.addAll(Collections.nCopies(4, l));
        }
        List<String> syn = new ArrayList<>(Collections.nCopies(45_000, "a"));
        syn.addAll(Collections.nCopies(44_800, "b"));
        syn.addAll(Collections.nCopies(44_800, "c"));
        String why = HeldOutCheck.whyNone(LabelPlan.of(LabelMode.PER_LABEL, real, 12, syn,
                syn.size()), 2);
        assertTrue(why.startsWith("every label with the real rows for 2 folds is too large for the"
                + " check; the smallest, 'b': 44,800 synthetic and 4 real rows"), why);
        // Unlabelled, per-label mode: one group, named by its rows, no label.
        assertEquals(HeldOutCheck.whyNone(4, 44_720, 2),
                HeldOutCheck.whyNone(LabelPlan.of(LabelMode.PER_LABEL, null, 4, null, 44_720), 2));
        assertTrue(HeldOutCheck.whyNone(4, 44_720, 2).startsWith("44,720 synthetic and 4 real"));
    }

    /**
     * The largest synthetic count beside m real rows, against an exact search in long
     * arithmetic: the largest n with {@code n^2 + n m + m^2 <= 2e9}, or 0 where m alone is past
     * it (m from 44,722 up; from 51,640 up no n, negative ones included, is within it).
     */
    @Test
    void mostSyntheticIsTheLargestCountWithinTheLimit() {
        long limit = (long) MmdWeightLearner.EXACT_REPORT_MAX_ENTRIES;
        assertEquals(2_000_000_000L, limit);
        Random rnd = new Random(9);
        List<Integer> ms = new ArrayList<>(List.of(0, 1, 2, 3, 4, 8, 1000, 25_819, 25_820,
                44_720, 44_721, 44_722, 45_000, 51_639, 51_640, 60_000));
        for (int i = 0; i < 200; i++) {
            ms.add(rnd.nextInt(60_000));
        }
        for (int m : ms) {
            long lo = 0;
            long hi = 100_000;
            if ((long) m * m > limit) {
                hi = 0;
            } else {
                while (lo < hi) { // the largest n in [lo, hi] within the limit
                    long mid = (lo + hi + 1) / 2;
                    if (mid * mid + mid * m + (long) m * m <= limit) {
                        lo = mid;
                    } else {
                        hi = mid - 1;
                    }
                }
            }
            assertEquals(hi, HeldOutCheck.mostSynthetic(m), "m = " + m);
        }
    }

    @Test
    void lowerMeansTheFittedWeightsGaveTheLowerHeldOutMmd() {
        HeldOutLabel lower = new HeldOutLabel("a", 4, 3, null, 0.2, 0.1, List.of());
        HeldOutLabel equal = new HeldOutLabel("b", 4, 3, null, 0.2, 0.2, List.of());
        HeldOutLabel higher = new HeldOutLabel("c", 4, 3, null, 0.1, 0.2, List.of());
        HeldOutLabel skipped = new HeldOutLabel("d", 1, 3, "too few", Double.NaN, Double.NaN,
                List.of());
        assertTrue(lower.lower());
        assertFalse(equal.lower());
        assertFalse(higher.lower());
        assertFalse(skipped.lower());
        assertFalse(skipped.checked());
        HeldOutResult r = new HeldOutResult(2, List.of(lower, equal, higher, skipped, lower),
                0, 0, 0, 0);
        assertEquals(2, r.lower());
        assertEquals(4, r.checked());
    }

    /** The reported seconds lie within the wall time the caller measured around the call. */
    @Test
    void theReportedSecondsLieWithinTheCallsWallTime() {
        Random rnd = new Random(6);
        long before = System.nanoTime();
        HeldOutResult r = new HeldOutCheck(new Uniform(), AlignmentConfig.defaults(),
                new ReferenceBackend(), 2).run(LabelPlan.of(LabelMode.GLOBAL, null, 6, null, 4),
                gaussian(rnd, 6, 2, 0), RowSource.of(gaussian(rnd, 4, 2, 0)), null);
        double wall = (System.nanoTime() - before) / 1e9;
        assertTrue(r.seconds() >= 0 && r.seconds() <= wall, "seconds " + r.seconds() + ", wall " + wall);
        assertNull(r.labels().get(0).skipped());
        assertArrayEquals(new int[] {3, 3}, r.labels().get(0).folds().stream()
                .mapToInt(HeldOutFold::nHeldOut).toArray());
    }
}
