package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Building an objective that fails part-way, at any step, closes everything it made on the
 * backend: a progress listener that throws (a cancelled run) at each of its calls, and each
 * call of the backend that makes or fills something failing in turn ({@code vectors()} makes
 * the device's vector operations on first use on cuda, and can fail there). On a GPU an
 * unclosed K_SS or Phi_S is device memory held until the process ends.
 */
class MmdObjectivesCleanupTest {

    enum Build { KERNEL_KEPT, KERNEL_TILED, FOURIER, FOURIER_RECOMPUTED, NYSTROM, NYSTROM_RECOMPUTED }

    private static final Random RANDOM = new Random(5);
    private static final FloatMatrix REAL = TestBackends.gaussian(17, 5, RANDOM, 1.0, 0.0);
    private static final FloatMatrix SYNTHETIC = TestBackends.gaussian(23, 5, RANDOM, 1.2, 0.3);

    private static MmdObjective build(Build what, KernelBackend backend,
            ProgressListener progress) {
        FourierFeatures map = FourierFeatures.sample(5, 32, 1.5, 9);
        return switch (what) {
            case KERNEL_KEPT -> MmdObjectives.kernel(backend, SYNTHETIC, REAL, 1.5,
                    new TilePlan(true, 23), progress);
            case KERNEL_TILED -> MmdObjectives.kernel(backend, SYNTHETIC, REAL, 1.5,
                    TilePlan.tiled(7), progress);
            case FOURIER -> MmdObjectives.fourier(backend, SYNTHETIC, REAL, map, progress);
            case FOURIER_RECOMPUTED -> MmdObjectives.fourier(backend, RowSource.of(SYNTHETIC),
                    REAL, map, 0, progress);
            case NYSTROM -> MmdObjectives.nystrom(backend, SYNTHETIC, REAL, 1.5, 9, 3,
                    Long.MAX_VALUE, progress);
            case NYSTROM_RECOMPUTED -> MmdObjectives.nystrom(backend, RowSource.of(SYNTHETIC),
                    REAL, 1.5, 9, 3, 0, progress);
        };
    }

    /** A listener that throws at its {@code at}-th call (from 0); counts its calls. */
    private static final class ThrowingListener implements ProgressListener {
        final int at;
        int calls;

        ThrowingListener(int at) {
            this.at = at;
        }

        @Override
        public void onProgress(String stage, long done, long total, String detail) {
            if (calls++ == at) {
                throw new IllegalStateException("cancelled at " + stage + " " + detail);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Build.class)
    void aListenerThrowingAtAnyStepLeavesNothingOpen(Build what) {
        ThrowingListener counter = new ThrowingListener(-1);
        ClosingBackend account = ClosingBackend.counting("close");
        try (KernelBackend backend = new ReferenceBackend();
                MmdObjective objective = build(what, account.wrap(backend), counter)) {
            assertTrue(objective.dimension() == SYNTHETIC.rows());
        }
        assertEquals(List.of(), account.stillOpen(), "a build that succeeds, closed");
        assertTrue(counter.calls >= 2, "progress calls: " + counter.calls);
        for (int at = 0; at < counter.calls; at++) {
            ClosingBackend closing = ClosingBackend.counting("close");
            ThrowingListener listener = new ThrowingListener(at);
            try (KernelBackend backend = new ReferenceBackend()) {
                KernelBackend wrapped = closing.wrap(backend);
                assertThrows(IllegalStateException.class, () -> build(what, wrapped, listener));
            }
            assertEquals(List.of(), closing.stillOpen(), what + ": left open when progress call "
                    + at + " of " + counter.calls + " threw");
        }
    }

    @ParameterizedTest
    @EnumSource(Build.class)
    void aBackendFailingAtAnyCallLeavesNothingOpen(Build what) {
        for (String method : List.of("vectors", "zeros", "of", "rbfOperator",
                "fourierFeatureOperator", "times", "rowSums")) {
            ClosingBackend counter = ClosingBackend.counting(method);
            try (KernelBackend backend = new ReferenceBackend();
                    MmdObjective objective = build(what, counter.wrap(backend),
                            ProgressListener.NONE)) {
                assertEquals(SYNTHETIC.rows(), objective.dimension());
            }
            assertTrue(!method.equals("vectors") || counter.calls() > 0, "vectors() is called");
            for (int at = 0; at < counter.calls(); at++) {
                ClosingBackend closing = ClosingBackend.failing(method, at);
                try (KernelBackend backend = new ReferenceBackend()) {
                    KernelBackend wrapped = closing.wrap(backend);
                    IllegalStateException e = assertThrows(IllegalStateException.class,
                            () -> build(what, wrapped, ProgressListener.NONE));
                    assertTrue(e.getMessage().startsWith("injected failure of " + method),
                            e.getMessage());
                }
                assertEquals(List.of(), closing.stillOpen(), what + ": left open when call " + at
                        + " of " + counter.calls() + " to " + method + " failed");
            }
        }
    }
}
