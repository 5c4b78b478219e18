package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Review 22 (embedded use), reproduction: nothing in a fit or a selection looks at the thread's
 * interrupt status, so a caller that cancels a long fit (a training job's {@code Future.cancel(true)},
 * an executor's {@code shutdownNow}) waits for every remaining iteration. A thread already
 * interrupted when it calls {@code fit} gets a complete result back. Expected: the work stops at
 * the next iteration (or tile) with an exception, the interrupt status kept.
 */
class Review22InterruptTest {

    static FloatMatrix random(int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(rows, cols, v);
    }

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void aFitOnAnInterruptedThreadStops() {
        FloatMatrix real = random(40, 8, 1);
        FloatMatrix synthetic = random(200, 8, 2);
        try (KernelBackend backend = new ReferenceBackend()) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT).withSeed(3));
            Thread.currentThread().interrupt();
            try {
                assertThrows(RuntimeException.class,
                        () -> learner.fit(real, synthetic, ProgressListener.NONE),
                        "the fit ran to completion on an interrupted thread");
            } finally {
                Thread.interrupted();
            }
        }
    }

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void aSelectionOnAnInterruptedThreadStops() {
        FloatMatrix x = random(500, 8, 4);
        try (KernelBackend backend = new ReferenceBackend()) {
            ExplorationSelector selector = new ExplorationSelector(backend, SelectionConfig.defaults());
            Thread.currentThread().interrupt();
            try {
                assertThrows(RuntimeException.class,
                        () -> selector.select(x, 50, ProgressListener.NONE),
                        "the selection ran to completion on an interrupted thread");
            } finally {
                Thread.interrupted();
            }
        }
    }
}
