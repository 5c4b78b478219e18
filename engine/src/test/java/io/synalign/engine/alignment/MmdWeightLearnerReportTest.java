package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link MmdWeightLearner} tells beside the weights: the streamed plan it announces for
 * the feature budget given (and how H is then held), the exact-MMD^2 stage, each iteration's
 * value as the trace records it, the seconds, and its heap test.
 */
class MmdWeightLearnerReportTest {

    @AfterEach
    void clear() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    /** Records plans and progress. */
    private static final class Recorder implements ProgressListener {
        final List<String> plans = new ArrayList<>();
        final List<String> events = new ArrayList<>();

        @Override
        public void onProgress(String stage, long done, long total, String detail) {
            events.add(stage + " " + done + "/" + total + " " + detail);
        }

        @Override
        public void onPlan(String plan) {
            plans.add(plan);
        }
    }

    /**
     * 30 synthetic rows in chunks of 7 (5 chunks, the last ragged), 20 real, D = r = 40 (more
     * than n: nystrom's r is capped at n + m = 50, not at n - m): a feature budget of 0 keeps no
     * chunk, announces the plan for that budget (rff's Phi_S 30 x 40, nystrom's K_SL 30 x 40,
     * two copies) and holds H so; an unbounded one keeps every chunk and announces nothing.
     */
    @Test
    void theStreamedPlanIsAnnouncedForTheBudgetGiven() {
        System.setProperty("synalign.rff.chunkRows", "7");
        Random random = new Random(3001);
        FloatMatrix real = TestBackends.gaussian(20, 3, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(30, 3, random, 1, 0.4);
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.RFF,
                    AlignmentMethod.NYSTROM}) {
                AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                        .withFeatures(40).withSeed(5).withIterations(4, 1e-12)
                        .withBandwidth(Bandwidth.of(1.5));
                MmdWeightLearner learner = new MmdWeightLearner(backend, config);
                String expectedPlan = method == AlignmentMethod.RFF
                        ? "rff " + ChunkedFeatureOperator.plan(backend, RowSource.of(synthetic),
                                40, 0, real)
                        : "nystrom " + ChunkedFeatureOperator.nystromPlan(backend,
                                RowSource.of(synthetic), 40, 0, real);
                Recorder none = new Recorder();
                AlignmentResult streamed = learner.withFeatureBudget(0).fit(real, synthetic,
                        none);
                assertEquals(List.of(expectedPlan), none.plans, method + ", budget 0");
                assertTrue(expectedPlan.contains(" 30 x 40 fp32 = ") && expectedPlan.contains(
                        "in 5 chunks of 7 rows: 0 kept, 5 recomputed"), expectedPlan);
                assertTrue(streamed.kernelStorage().contains("in 5 chunks of 7 rows, 0 kept"),
                        method + ": " + streamed.kernelStorage());
                Recorder all = new Recorder();
                AlignmentResult kept = learner.withFeatureBudget(Long.MAX_VALUE).fit(real,
                        synthetic, all);
                assertEquals(List.of(), all.plans, method + ", unbounded budget");
                assertTrue(kept.kernelStorage().contains("in 5 chunks of 7 rows, 5 kept"),
                        method + ": " + kept.kernelStorage());
            }
        }
    }

    /**
     * An rff fit: its exact MMD^2 stage reported around the evaluation, each iteration's
     * progress naming the value the trace recorded for it ({@code %.6g}), and its seconds
     * within the wall time measured around the fit.
     */
    @Test
    void theFitReportsItsStagesValuesAndSeconds() {
        Random random = new Random(3002);
        FloatMatrix real = TestBackends.gaussian(17, 4, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(23, 4, random, 1, 0.6);
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withFeatures(64).withSeed(6).withIterations(12, 1e-12)
                .withBandwidth(Bandwidth.of(2.0));
        try (KernelBackend backend = TestBackends.create("reference")) {
            Recorder recorder = new Recorder();
            long before = System.nanoTime();
            AlignmentResult result = new MmdWeightLearner(backend, config).fit(real, synthetic,
                    recorder);
            double wall = (System.nanoTime() - before) / 1e9;
            assertTrue(result.seconds() > 0 && result.seconds() <= wall,
                    "seconds " + result.seconds() + ", wall time " + wall);
            assertEquals("exact", result.mmdEstimator());
            List<String> evaluate = recorder.events.stream()
                    .filter(e -> e.startsWith("evaluate ")).toList();
            assertEquals(List.of("evaluate 0/1 exact MMD^2", "evaluate 1/1 exact MMD^2"),
                    evaluate);
            List<String> optimise = recorder.events.stream()
                    .filter(e -> e.startsWith("optimise ")).toList();
            double[] values = result.trace().objective();
            assertTrue(optimise.size() >= 1, "optimise events " + optimise);
            assertEquals(values.length - 1, optimise.size(), "one event per iteration after"
                    + " the first value: " + optimise);
            for (int it = 1; it < values.length; it++) {
                assertEquals("optimise " + it + "/12 mmd2="
                        + String.format(Locale.ROOT, "%.6g", values[it]), optimise.get(it - 1));
            }
        }
    }

    /**
     * The read rule is half of the heap's maximum, counted by sizes: S's floats, R, the median
     * heuristic's sample where asked, and what else stands beside them (helper median34).
     */
    @Test
    void theReadRuleIsHalfOfTheHeapsMaximumBySizes() {
        long heap = 256L << 20;
        assertTrue(MmdWeightLearner.readsWhole(0, heap));
        assertTrue(MmdWeightLearner.readsWhole(heap / 2, heap));
        assertFalse(MmdWeightLearner.readsWhole(heap / 2 + 1, heap));
        assertFalse(MmdWeightLearner.readsWhole(Long.MAX_VALUE, heap));
        FloatMatrix real = FloatMatrix.zeros(200, 8000);
        // 2,000 x 8,000 floats, R, and the heuristic's sample of 2,000 rows: 64 MB floats,
        // 16 MB float squared distances, its few vectors, the selection's 1 MiB and its kept
        // recomputed pairs' 512 KiB (helper heap35).
        long sample = 4L * 2000 * 8000 + 4L * 8000 + 4L * 2000 * 2000 + 16L * 2000 + 8L * 2000
                + (1L << 20) + (1L << 19);
        assertEquals(4L * 2000 * 8000 + 4L * 200 * 8000, MmdWeightLearner.wholeReadBytes(2000,
                8000, real, false, 0));
        assertEquals(4L * 2000 * 8000 + 4L * 200 * 8000 + sample + 7,
                MmdWeightLearner.wholeReadBytes(2000, 8000, real, true, 7));
        assertEquals(Long.MAX_VALUE, MmdWeightLearner.wholeReadBytes(2000, 8000, real, false,
                Long.MAX_VALUE - 5));
        assertEquals(MmdWeightLearner.readsWhole(MmdWeightLearner.wholeReadBytes(2000, 8000, real,
                true, 0), Runtime.getRuntime().maxMemory()),
                MmdWeightLearner.readsWhole(2000, 8000, real, true, 0));
    }
}
