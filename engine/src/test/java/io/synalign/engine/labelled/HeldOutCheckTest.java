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
import io.synalign.kernels.KernelBackend;
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
 * The held-out check against a computation written out here: the folds by the documented
 * Fisher-Yates shuffle, each fold's fit by the reference backend's learner on the rows the
 * folds leave, its bandwidth and both MMD^2 values by double loops over every pair.
 */
class HeldOutCheckTest {

    private static final double TOL = 2e-6;

    private static double[][] gaussian(Random rnd, int n, int d, double shift) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int k = 0; k < d; k++) {
                row[k] = rnd.nextGaussian() + (k == 0 ? shift : 0);
            }
        }
        return x;
    }

    private static FloatMatrix matrix(double[][] rows) {
        return FloatMatrix.of(rows);
    }

    /** The float32 values the engine sees, back in double. */
    private static double[][] asFloat(double[][] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = new double[rows[i].length];
            for (int k = 0; k < rows[i].length; k++) {
                out[i][k] = (float) rows[i][k];
            }
        }
        return out;
    }

    private static int[][] folds(int[] rows, int k, long seed) {
        return io.synalign.engine.labelled.ReferenceFolds.of(rows, k, seed);
    }

    private static double[][] pick(double[][] rows, int[] idx) {
        double[][] out = new double[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = rows[idx[i]];
        }
        return out;
    }

    private static int[] where(List<String> labels, String label) {
        return java.util.stream.IntStream.range(0, labels.size())
                .filter(i -> labels.get(i).equals(label)).toArray();
    }

    private static List<String> labels(Random rnd, String[] names, int[] counts) {
        List<String> out = new ArrayList<>();
        for (int l = 0; l < names.length; l++) {
            out.addAll(Collections.nCopies(counts[l], names[l]));
        }
        Collections.shuffle(out, rnd);
        return out;
    }

    /** The expected held-out figures of one group, computed independently. */
    private static double[] expected(double[][] real, double[][] syn, int[] realRows,
            int[] synRows, int folds, AlignmentConfig config, long seed, KernelBackend backend) {
        double[][] s = pick(syn, synRows);
        double[] uniform = new double[s.length];
        Arrays.fill(uniform, 1.0 / s.length);
        double u = 0;
        double w = 0;
        for (int[] held : folds(realRows, folds, seed)) {
            int[] fit = Arrays.stream(realRows)
                    .filter(r -> Arrays.binarySearch(held, r) < 0).toArray();
            assertEquals(realRows.length - held.length, fit.length);
            AlignmentResult r = new MmdWeightLearner(backend, config.withSeed(seed))
                    .fit(matrix(pick(real, fit)), matrix(s), ProgressListener.NONE);
            double sigma = DoubleMmdReference.medianBandwidth(pick(real, fit), s);
            assertEquals(sigma, r.bandwidth(), 1e-5 * sigma,
                    "the fold's bandwidth is the median of the rows it was fitted to");
            double[] weights = r.weights().clone();
            double sum = Arrays.stream(weights).sum();
            for (int i = 0; i < weights.length; i++) {
                weights[i] /= sum;
            }
            u += held.length * DoubleMmdReference.populationMmd2(pick(real, held), s, uniform, sigma);
            w += held.length * DoubleMmdReference.populationMmd2(pick(real, held), s, weights, sigma);
        }
        return new double[] {u / realRows.length, w / realRows.length};
    }

    @Test
    void perLabelFiguresEqualAnIndependentComputation() {
        Random rnd = new Random(20261206);
        String[] names = {"a", "b", "c", "d"};
        // a: 13 rows in 4 folds of 3-4; b: 9 (folds of 2-3); c: 3, too few for 4 folds of 2;
        // d: 8 (folds of 2, each leaving 6); e: synthetic only.
        List<String> realLabels = labels(rnd, names, new int[] {13, 9, 3, 8});
        List<String> synLabels = labels(rnd, new String[] {"a", "b", "c", "d", "e"},
                new int[] {17, 9, 4, 11, 2});
        int d = 5;
        double[][] real = asFloat(gaussian(rnd, realLabels.size(), d, 0));
        double[][] syn = asFloat(gaussian(rnd, synLabels.size(), d, 0.7));
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT)
                .withMaxWeightRatio(3).withSeed(99);
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, realLabels, real.length, synLabels,
                syn.length);
        try (KernelBackend backend = new ReferenceBackend()) {
            HeldOutResult r = new HeldOutCheck(
                    (c, rr, ss, p) -> new MmdWeightLearner(backend, c).fit(rr, ss, p), config,
                    backend, 4).run(plan, matrix(real), RowSource.of(matrix(syn)), null);

            assertEquals(4, r.folds());
            assertEquals(plan.groups(LabelPlan.Status.ALIGNED).stream()
                    .map(LabelPlan.Group::label).toList(),
                    r.labels().stream().map(HeldOutLabel::label).toList(),
                    "the fitted labels, in the plan's order; e has no real rows");
            double u = 0;
            double w = 0;
            int heldOut = 0;
            for (HeldOutLabel l : r.labels()) {
                int[] realRows = where(realLabels, l.label());
                if (l.label().equals("c")) {
                    assertFalse(l.checked());
                    assertEquals("3 real rows, fewer than the 8 that 4 folds of at least 2 need",
                            l.skipped());
                    assertTrue(Double.isNaN(l.mmd2Uniform()));
                    continue;
                }
                assertNull(l.skipped(), l.label());
                assertEquals(4, l.folds().size());
                double[] want = expected(real, syn, realRows, where(synLabels, l.label()), 4,
                        config, plan.seedFor(l.label(), 99), backend);
                assertEquals(want[0], l.mmd2Uniform(), TOL * Math.max(1, want[0]), l.label());
                assertEquals(want[1], l.mmd2Weighted(), TOL * Math.max(1, want[1]), l.label());
                assertEquals(realRows.length, l.folds().stream()
                        .mapToInt(HeldOutFold::nHeldOut).sum());
                u += realRows.length * want[0];
                w += realRows.length * want[1];
                heldOut += realRows.length;
            }
            assertEquals(3, r.checked());
            assertEquals(13 + 9 + 8, r.nHeldOut());
            assertEquals(u / heldOut, r.mmd2Uniform(), TOL);
            assertEquals(w / heldOut, r.mmd2Weighted(), TOL);
        }
    }

    @Test
    void aGlobalFitIsCheckedAsOneGroupWithTheSeedItself() {
        Random rnd = new Random(7);
        int d = 3;
        double[][] real = asFloat(gaussian(rnd, 11, d, 0));
        double[][] syn = asFloat(gaussian(rnd, 19, d, 0.5));
        List<String> realLabels = labels(rnd, new String[] {"x", "y"}, new int[] {4, 7});
        List<String> synLabels = labels(rnd, new String[] {"x", "z"}, new int[] {10, 9});
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.TILED)
                .withSeed(5);
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, realLabels, 11, synLabels, 19);
        try (KernelBackend backend = new ReferenceBackend()) {
            HeldOutResult r = new HeldOutCheck(
                    (c, rr, ss, p) -> new MmdWeightLearner(backend, c).fit(rr, ss, p), config,
                    backend, 3).run(plan, matrix(real), RowSource.of(matrix(syn)),
                    ProgressListener.NONE);
            assertEquals(1, r.labels().size());
            HeldOutLabel all = r.labels().get(0);
            assertEquals(LabelPlan.ALL, all.label());
            int[] every = java.util.stream.IntStream.range(0, 11).toArray();
            int[] allSyn = java.util.stream.IntStream.range(0, 19).toArray();
            double[] want = expected(real, syn, every, allSyn, 3, config, 5, backend);
            assertEquals(want[0], all.mmd2Uniform(), TOL);
            assertEquals(want[1], all.mmd2Weighted(), TOL);
            assertEquals(want[0], r.mmd2Uniform(), TOL);
            assertEquals(List.of(3, 4, 4), all.folds().stream().map(HeldOutFold::nHeldOut)
                    .toList(), "floor(f m / K) boundaries: 0, 3, 7, 11");
            assertEquals(List.of(8, 7, 7), all.folds().stream().map(HeldOutFold::nFitted)
                    .toList());
        }
    }

    /** The rows each fit is given, the config, and the progress names, with a stub learner. */
    @Test
    void eachFoldFitsTheOtherRowsOfItsLabelWithTheMainSettings() {
        List<String> realLabels = List.of("p", "q", "p", "p", "q", "p", "q", "p", "q", "q", "p");
        List<String> synLabels = List.of("q", "p", "p", "q", "p");
        float[] data = new float[11 * 2];
        for (int i = 0; i < 11; i++) {
            data[2 * i] = i;
            data[2 * i + 1] = i % 3;
        }
        FloatMatrix real = new FloatMatrix(11, 2, data);
        float[] sdata = new float[5 * 2];
        for (int i = 0; i < 5; i++) {
            sdata[2 * i] = 100 + i;
            sdata[2 * i + 1] = i % 2;
        }
        FloatMatrix syn = new FloatMatrix(5, 2, sdata);
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, realLabels, 11, synLabels, 5);
        AlignmentConfig config = AlignmentConfig.defaults().withMaxWeightRatio(2).withSeed(3);
        List<AlignmentConfig> configs = new ArrayList<>();
        List<float[]> fitted = new ArrayList<>();
        List<float[]> synthetic = new ArrayList<>();
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
        try (KernelBackend backend = new ReferenceBackend()) {
            HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
                configs.add(c);
                fitted.add(column0(rr));
                synthetic.add(column0(ss.toMatrix()));
                p.onPlan("plan");
                p.onProgress("optimise", 1, 1, "");
                double[] w = new double[(int) ss.rows()];
                Arrays.fill(w, 1.0 / w.length);
                return new AlignmentResult(w, 1.5, 0, 0, "exact", 1, true, w.length,
                        AlignmentMethod.EXACT, "stub", 0);
            }, config, backend, 2).run(plan, real, RowSource.of(syn), listener);

            assertEquals(4, configs.size(), "2 labels x 2 folds");
            for (int c = 0; c < 4; c++) {
                String label = c < 2 ? "p" : "q";
                assertEquals(config.withSeed(plan.seedFor(label, 3)), configs.get(c));
                float[] all = label.equals("p") ? new float[] {0, 2, 3, 5, 7, 10}
                        : new float[] {1, 4, 6, 8, 9};
                assertArrayEquals(label.equals("p") ? new float[] {101, 102, 104}
                        : new float[] {100, 103}, synthetic.get(c));
                // Increasing rows of the label; the two folds' fitting rows partition it.
                float[] mine = fitted.get(c);
                float[] other = fitted.get(c ^ 1);
                float[] both = new float[mine.length + other.length];
                System.arraycopy(mine, 0, both, 0, mine.length);
                System.arraycopy(other, 0, both, mine.length, other.length);
                Arrays.sort(both);
                assertArrayEquals(all, both, label);
                assertTrue(Math.abs(mine.length - other.length) <= 1);
                for (int i = 1; i < mine.length; i++) {
                    assertTrue(mine[i - 1] < mine[i]);
                }
            }
            // Each fold's fit, then its scores: the kernel's 3 steps (4 calls) and the
            // "evaluate" step before and after one pass for both weight vectors (2 calls), all
            // named by label and fold.
            List<String> want = new ArrayList<>();
            for (String where : List.of("held-out p 1/2, fold 1/2", "held-out p 1/2, fold 2/2",
                    "held-out q 2/2, fold 1/2", "held-out q 2/2, fold 2/2")) {
                want.add("optimise [" + where + "]");
                want.addAll(Collections.nCopies(4, "kernel [" + where + "]"));
                want.addAll(Collections.nCopies(2, "evaluate [" + where + "]"));
            }
            assertEquals(want, stages);
            assertEquals("held-out p 1/2, fold 1/2: plan", plans.get(0));
            // Uniform fitted weights: both figures equal, neither lower.
            assertEquals(0, r.lower());
            for (HeldOutFold f : r.labels().get(0).folds()) {
                assertEquals(1.5, f.bandwidth());
                assertEquals(f.mmd2Uniform(), f.mmd2Weighted(), 1e-12);
            }
        }
    }

    private static float[] column0(FloatMatrix m) {
        float[] out = new float[m.rows()];
        for (int i = 0; i < out.length; i++) {
            out[i] = m.get(i, 0);
        }
        return out;
    }

    @Test
    void tooFewRealRowsAreNamed() {
        assertEquals("1 real row, fewer than the 4 that 2 folds of at least 2 need",
                RealFolds.whyNot(1, 2));
        assertEquals("3 real rows, fewer than the 4 that 2 folds of at least 2 need",
                RealFolds.whyNot(3, 2));
        assertNull(RealFolds.whyNot(4, 2));
        assertEquals("5 real rows, fewer than the 6 that 3 folds of at least 2 need",
                RealFolds.whyNot(5, 3));
        assertNull(RealFolds.whyNot(6, 3));
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, List.of("a", "b", "a"), 3,
                List.of("a", "b"), 2);
        assertEquals("the largest label's 2 real rows cannot make 3 folds of at least 2 rows"
                + " (6 needed); give fewer folds, or 0 for no check",
                HeldOutCheck.whyNone(plan, 3));
        assertEquals("the 5 real rows cannot make 3 folds of at least 2 rows (6 needed); give"
                + " fewer folds, or 0 for no check", HeldOutCheck.whyNone(5, 100, 3));
        assertNull(HeldOutCheck.whyNone(LabelPlan.of(LabelMode.GLOBAL,
                List.of("a", "b", "a", "b", "a", "b"), 6, List.of("a", "b"), 2), 3));
        assertThrows(IllegalArgumentException.class, () -> new HeldOutCheck(
                (c, r, s, p) -> null, AlignmentConfig.defaults(), new ReferenceBackend(), 1));
    }

    /**
     * The groups the check will skip, named from the plan alone with the reasons its run gives,
     * in label order: too few real rows ('b'), too many rows ('a'), and a real label without
     * synthetic rows ('d', reported as skipped by the run too, where it was left out without a
     * word); a synthetic-only label ('e') is no group of the check. The run fits only 'c'.
     */
    @Test
    void theGroupsTheCheckWillSkipAreKnownFromThePlanAndNamedByTheRun() {
        List<String> real = new ArrayList<>(List.of("a", "b", "a", "a", "b", "a", "c", "c", "c", "c", "d", "d",
                "d", "d"));
        List<String> syn = new ArrayList<>(Collections.nCopies(45_000, "a"));
        syn.addAll(List.of("b", "b", "b", "c", "c", "e"));
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, real, real.size(), syn, syn.size());
        java.util.Map<String, String> skipped = HeldOutCheck.skippedUpFront(plan, 2);
        assertEquals(List.of("a", "b", "d"), new ArrayList<>(skipped.keySet()));
        assertTrue(skipped.get("a").startsWith("45,000 synthetic and 4 real rows are more than"), skipped.get("a"));
        assertEquals("2 real rows, fewer than the 4 that 2 folds of at least 2 need", skipped.get("b"));
        assertEquals("no synthetic rows, so no weights were fitted to check", skipped.get("d"));
        assertTrue(HeldOutCheck.skippedUpFront(LabelPlan.of(LabelMode.PER_LABEL, List.of("c", "c", "c", "c"), 4,
                List.of("c"), 1), 2).isEmpty());

        // The run: a small plan of 'c' (fitted) and 'd' (no synthetic rows).
        List<String> real2 = List.of("c", "d", "c", "d", "c", "d", "c", "d");
        LabelPlan small = LabelPlan.of(LabelMode.PER_LABEL, real2, 8, List.of("c", "c", "c"), 3);
        Random rnd = new Random(5);
        java.util.concurrent.atomic.AtomicInteger fits = new java.util.concurrent.atomic.AtomicInteger();
        HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
            fits.incrementAndGet();
            return new MmdWeightLearner(new ReferenceBackend(), c).fit(rr, ss, p);
        }, AlignmentConfig.defaults(), new ReferenceBackend(), 2).run(small, matrix(gaussian(rnd, 8, 3, 0)),
                RowSource.of(matrix(gaussian(rnd, 3, 3, 0.5))), null);
        assertEquals(2, fits.get(), "K fits of 'c' alone");
        assertEquals(1, r.checked());
        assertEquals(List.of("c", "d"), r.labels().stream().map(HeldOutLabel::label).toList());
        HeldOutLabel d = r.labels().get(1);
        assertEquals(HeldOutCheck.skippedUpFront(small, 2).get("d"), d.skipped());
        assertEquals(4, d.nReal());
        assertEquals(0, d.nSynthetic());
        assertEquals(4, r.nHeldOut(), "the overall figures are 'c''s");
    }

    /**
     * Groups whose exact score exceeds EXACT_REPORT_MAX_ENTRIES are skipped by the check, so a
     * plan with no other group is refused up front (was: the run paid for, then "no fit could be
     * checked").
     */
    @Test
    void noGroupWithinTheExactScoresLimitIsRefusedUpFront() {
        // n^2 + 4 n + 16 <= 2e9 up to n = 44,719.
        assertNull(HeldOutCheck.whyNone(4, 44_719, 2));
        assertEquals(44_719, HeldOutCheck.mostSynthetic(4));
        assertEquals(44_717, HeldOutCheck.mostSynthetic(8), "the figure a message gives: 8 real rows");
        assertNull(HeldOutCheck.whyNone(8, 44_717, 2));
        assertTrue(HeldOutCheck.whyNone(8, 44_718, 2).contains("at most 44,717 synthetic rows beside 8"
                + " real"));
        String big = "44,720 synthetic and 4 real rows are more than the check's exact MMD^2 takes"
                + " (n^2 + n m + m^2 = 2,000,057,296 kernel entries, more than 2,000,000,000:"
                + " at most 44,719 synthetic rows beside 4 real); give 0 for no check";
        assertEquals(big, HeldOutCheck.whyNone(4, 44_720, 2));
        assertEquals(big, HeldOutCheck.whyNone(LabelPlan.of(LabelMode.GLOBAL, null, 4, null,
                44_720), 2));
        // Per label: 'a' has the real rows but too many synthetic ones, 'b' too few real rows.
        List<String> real = List.of("a", "b", "a", "a", "b", "a");
        List<String> syn = new ArrayList<>(Collections.nCopies(45_000, "a"));
        syn.addAll(List.of("b", "b", "b"));
        assertEquals("every label with the real rows for 2 folds is too large for the check; the"
                + " smallest, 'a': 45,000 synthetic and 4 real rows are more than the check's"
                + " exact MMD^2 takes (n^2 + n m + m^2 = 2,025,180,016 kernel entries, more than"
                + " 2,000,000,000: at most 44,719 synthetic rows beside 4 real); give 0 for no check",
                HeldOutCheck.whyNone(LabelPlan.of(LabelMode.PER_LABEL, real, 6, syn, 45_003), 2));
        // A label that can be checked beside them: no refusal (the others are skipped then).
        List<String> real2 = new ArrayList<>(real);
        real2.addAll(List.of("c", "c", "c", "c"));
        List<String> syn2 = new ArrayList<>(syn);
        syn2.add("c");
        assertNull(HeldOutCheck.whyNone(LabelPlan.of(LabelMode.PER_LABEL, real2, 10, syn2,
                45_004), 2));
        // And the check itself skips such a group with the same reason, fitting nothing.
        RowSource rows = new ZeroRows(44_720, 1);
        HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
            throw new AssertionError("no fold may be fitted");
        }, AlignmentConfig.defaults(), new ReferenceBackend(), 2).run(LabelPlan.of(
                LabelMode.GLOBAL, null, 4, null, 44_720), FloatMatrix.zeros(4, 1), rows, null);
        assertEquals(0, r.checked());
        assertEquals(big.replace("; give 0 for no check", ""), r.labels().get(0).skipped());
    }

    /**
     * Rows that fit no heap are skipped with the reason, by the learner's own heap test,
     * instead of being read whole (was: OutOfMemoryError, and the main fit's outputs lost).
     */
    @Test
    void syntheticRowsThatDoNotFitTheHeapAreSkippedNotRead() {
        int n = 40_000; // n^2 + n m + m^2 below the exact score's limit
        long max = Runtime.getRuntime().maxMemory();
        long cols = max / (4L * n) + 1; // n x cols floats: more bytes than the whole heap
        org.junit.jupiter.api.Assumptions.assumeTrue(n * cols < Integer.MAX_VALUE - 8,
                "a heap this large needs rows beyond one array");
        ZeroRows rows = new ZeroRows(n, (int) cols);
        HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
            throw new AssertionError("no fold may be fitted");
        }, AlignmentConfig.defaults(), new ReferenceBackend(), 2).run(LabelPlan.of(
                LabelMode.GLOBAL, null, 4, null, n), FloatMatrix.zeros(4, (int) cols), rows,
                null);
        assertEquals(0, r.checked());
        String why = r.labels().get(0).skipped();
        // The total the rule compared, its parts and the limit: the rows (n x cols floats),
        // R (4 x cols), each fold's copies of R (the group's real rows again) and the median
        // heuristic's sample (the bandwidth is auto by default).
        long total = 4L * n * cols + 2 * 16L * cols
                + io.synalign.engine.MedianHeuristic.heapBytes(n + 4, (int) cols, 2000);
        assertEquals("its 40000 synthetic rows (" + MmdWeightLearner.heapSize(4L * n * cols)
                + ") would be read whole into the heap beside the 4 real ("
                + MmdWeightLearner.heapSize(16L * cols) + "), each fold's copies of the group's"
                + " real rows (" + MmdWeightLearner.heapSize(16L * cols) + "), the median"
                + " heuristic's sample (" + MmdWeightLearner.heapSize(
                        io.synalign.engine.MedianHeuristic.heapBytes(n + 4, (int) cols, 2000))
                + "): " + MmdWeightLearner.heapSize(total) + " in all, more than half of the"
                + " heap's maximum (" + MmdWeightLearner.heapSize(max / 2) + " of "
                + MmdWeightLearner.heapSize(max) + "); give the JVM more (-Xmx) to check them",
                why);
        assertEquals(0, rows.reads, "no row was read");
    }

    /**
     * Each fold copies the group's real rows (its fitting rows and its held-out ones) beside R
     * while the group's synthetic rows are held: the read rule counts them (helper heap35), and
     * the skip names the total it compared, its parts and the limit. Under a heap (the check's
     * test seam) whose half holds the rows and R but not the copies too, the group is skipped
     * without a fold fitted or a row read; under one whose half holds all three it is checked.
     * On the old code (R counted once; run with the seam and the old count) the first group
     * was read and its folds fitted (the learner's AssertionError).
     */
    @Test
    void theFoldsCopiesOfTheRealRowsAreCountedAndTheSkipNamesTheTotal() {
        int n = 300;
        int cols = 40;
        int m = 24;
        FloatMatrix real = FloatMatrix.zeros(m, cols);
        long rowBytes = 4L * n * cols;
        long copies = 4L * m * cols; // the group of every row: all of R again
        long counted = rowBytes + real.bytes() + copies;
        // A given bandwidth: no median heuristic's sample in the count.
        AlignmentConfig config = AlignmentConfig.defaults()
                .withBandwidth(io.synalign.engine.Bandwidth.of(1.0)).withIterations(2, 1e-12);
        ZeroRows rows = new ZeroRows(n, cols);
        long heap = 2 * (counted - 1); // half of it: one byte short of the count
        assertTrue(heap / 2 >= rowBytes + real.bytes(), "R counted once would fit");
        HeldOutResult r = new HeldOutCheck((c, rr, ss, p) -> {
            throw new AssertionError("no fold may be fitted");
        }, config, new ReferenceBackend(), 2).withMaxHeap(heap).run(LabelPlan.of(
                LabelMode.GLOBAL, null, m, null, n), real, rows, null);
        assertEquals(0, r.checked());
        assertEquals(0, rows.reads, "no row was read");
        assertEquals("its 300 synthetic rows (46.9 KiB) would be read whole into the heap beside"
                + " the 24 real (3.8 KiB), each fold's copies of the group's real rows (3.8 KiB):"
                + " 54.4 KiB in all, more than half of the heap's maximum (54.4 KiB of 108.7"
                + " KiB); give the JVM more (-Xmx) to check them", r.labels().get(0).skipped());
        assertEquals(55_680, counted);
        // One byte more of heap on each half: read and checked, each fold fitted.
        int[] fits = {0};
        HeldOutResult checked = new HeldOutCheck((c, rr, ss, p) -> {
            fits[0]++;
            return new MmdWeightLearner(new ReferenceBackend(), c).fit(rr, ss, p);
        }, config, new ReferenceBackend(), 2).withMaxHeap(2 * counted).run(LabelPlan.of(
                LabelMode.GLOBAL, null, m, null, n), real, new ZeroRows(n, cols), null);
        assertEquals(1, checked.checked(), checked.labels().get(0).skipped());
        assertEquals(2, fits[0]);
    }

    /**
     * A source that is one in-memory matrix is scored from that matrix, not copied through the
     * source (a group of every row: the matrix itself; a label: its rows picked from it).
     */
    @Test
    void anInMemorySourceIsNotReadThrough() {
        Random rnd = new Random(3);
        FloatMatrix real = matrix(gaussian(rnd, 8, 2, 0));
        FloatMatrix syn = matrix(gaussian(rnd, 9, 2, 0.5));
        RowSource held = new RowSource() {
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
                return "in memory, not to be read";
            }

            @Override
            public void read(long start, int count, float[] out) {
                throw new AssertionError("rows read through the source, a copy of the matrix");
            }

            @Override
            public FloatMatrix inMemory() {
                return syn;
            }
        };
        List<FloatMatrix> seen = new ArrayList<>();
        LabelledAlignment.Fitter uniform = (c, rr, ss, p) -> {
            seen.add(ss.inMemory());
            double[] w = new double[(int) ss.rows()];
            Arrays.fill(w, 1.0 / w.length);
            return new AlignmentResult(w, 1.0, 0, 0, "exact", 1, true, w.length,
                    AlignmentMethod.EXACT, "stub", 0);
        };
        LabelPlan global = LabelPlan.of(LabelMode.GLOBAL, null, 8, null, 9);
        HeldOutResult viaMatrix = new HeldOutCheck(uniform, AlignmentConfig.defaults(),
                new ReferenceBackend(), 2).run(global, real, held, null);
        assertEquals(1, viaMatrix.checked());
        assertTrue(seen.stream().allMatch(m -> m == syn), "the fits got the matrix itself");
        FloatMatrix copy = new FloatMatrix(syn.rows(), syn.cols(), syn.data().clone());
        HeldOutResult copied = new HeldOutCheck(uniform, AlignmentConfig.defaults(),
                new ReferenceBackend(), 2).run(global, real, RowSource.of(copy), null);
        assertEquals(copied.mmd2Uniform(), viaMatrix.mmd2Uniform(), 0);

        List<String> realLabels = List.of("a", "b", "a", "b", "a", "b", "a", "b");
        List<String> synLabels = List.of("a", "b", "a", "b", "a", "b", "a", "b", "a");
        HeldOutResult perLabel = new HeldOutCheck(uniform, AlignmentConfig.defaults(),
                new ReferenceBackend(), 2).run(LabelPlan.of(LabelMode.PER_LABEL, realLabels, 8,
                synLabels, 9), real, held, null);
        assertEquals(2, perLabel.checked());
    }

    /** Zeros of any shape, stored nowhere; counts its reads. */
    private static final class ZeroRows implements RowSource {
        private final long rows;
        private final int cols;
        int reads;

        ZeroRows(long rows, int cols) {
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        public long rows() {
            return rows;
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
            reads++;
            RowSource.checkRead(this, start, count, out);
            Arrays.fill(out, 0, count * cols, 0f);
        }
    }

    /** Rows that are not the plan's are refused, by the check as by the alignment. */
    @Test
    void setsThatAreNotThePlansAreRefused() {
        LabelPlan plan = LabelPlan.of(LabelMode.GLOBAL, null, 6, null, 4);
        FloatMatrix real = new FloatMatrix(5, 1, new float[5]);
        FloatMatrix syn = new FloatMatrix(4, 1, new float[4]);
        try (KernelBackend backend = new ReferenceBackend()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new HeldOutCheck((c, r, s, p) -> null, AlignmentConfig.defaults(),
                            backend, 2).run(plan, real, RowSource.of(syn), null));
            assertEquals("the plan is for 6 real and 4 synthetic rows, got 5 and 4", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new LabelledAlignment(
                    (c, r, s, p) -> null, AlignmentConfig.defaults()).align(plan, real,
                    RowSource.of(syn), null));
        }
        plan.requireRows(6, 4);
    }

    @Test
    void foldsPartitionTheRowsWithSizesOneApart() {
        int[] rows = {2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610};
        int[][] f = RealFolds.split(rows, 5, 12345L);
        assertArrayEquals(folds(rows, 5, 12345L), f);
        List<Integer> all = new ArrayList<>();
        for (int[] fold : f) {
            assertTrue(fold.length == 2 || fold.length == 3);
            Arrays.stream(fold).forEach(all::add);
        }
        Collections.sort(all);
        assertEquals(Arrays.stream(rows).boxed().toList(), all);
        assertArrayEquals(new int[] {2, 5, 13, 34, 89, 233, 610},
                RealFolds.complement(rows, new int[] {3, 8, 21, 55, 144, 377}));
    }

    /**
     * Cancelling the held-out check by interrupting its thread (session 22's review: every
     * remaining fold of every label was fitted). The stub fitter does not look at the interrupt
     * itself (a distributed one need not): the check stops before the next fold with a
     * {@link CancellationException}, the status kept; afterwards the thread checks again.
     */
    @Test
    void anInterruptStopsTheCheckBeforeItsNextFold() {
        List<String> realLabels = List.of("p", "q", "p", "p", "q", "p", "q", "p", "q", "q", "p");
        List<String> synLabels = List.of("q", "p", "p", "q", "p");
        Random random = new Random(5);
        float[] data = new float[11 * 2];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        float[] sdata = new float[5 * 2];
        for (int i = 0; i < sdata.length; i++) {
            sdata[i] = (float) random.nextGaussian();
        }
        FloatMatrix real = new FloatMatrix(11, 2, data);
        FloatMatrix syn = new FloatMatrix(5, 2, sdata);
        LabelPlan plan = LabelPlan.of(LabelMode.PER_LABEL, realLabels, 11, synLabels, 5);
        int[] fits = new int[1];
        int[] interruptAt = {2};
        try (KernelBackend backend = new ReferenceBackend()) {
            HeldOutCheck check = new HeldOutCheck((c, rr, ss, p) -> {
                if (++fits[0] == interruptAt[0]) {
                    Thread.currentThread().interrupt(); // while the second fold's fit runs
                }
                double[] w = new double[(int) ss.rows()];
                Arrays.fill(w, 1.0 / w.length);
                return new AlignmentResult(w, 1.5, 0, 0, "exact", 1, true, w.length,
                        AlignmentMethod.EXACT, "stub", 0);
            }, AlignmentConfig.defaults().withSeed(3), backend, 2);
            try {
                assertThrows(CancellationException.class,
                        () -> check.run(plan, real, RowSource.of(syn), null),
                        "the folds after the interrupt were fitted");
                assertEquals(2, fits[0], "folds fitted of 2 labels x 2 folds");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            } finally {
                Thread.interrupted();
            }
            fits[0] = 0;
            interruptAt[0] = -1;
            HeldOutResult r = check.run(plan, real, RowSource.of(syn), null);
            assertEquals(4, fits[0], "a later check on the same thread fits every fold");
            assertEquals(2, r.labels().size());
        }
    }
}
