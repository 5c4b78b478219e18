package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cancelling a fit by interrupting its thread (session 22's review: the interrupt was ignored, a
 * fit interrupted a second in ran all its remaining iterations and returned a normal result).
 * The contract ({@link io.synalign.kernels.Cancellation}): the fit stops within one optimiser
 * iteration (one chunk of rows in a streamed feature pass) with a {@link CancellationException},
 * the interrupt status still set, every backend object it made closed; after
 * {@link Thread#interrupted()} the same thread fits again, to the same weights as a fit never
 * interrupted. Iterations are counted through the progress calls, not timed.
 */
class InterruptedFitTest {

    /** The optimise iteration whose progress call interrupts the thread. */
    private static final int INTERRUPT_AT = 3;

    private static final FloatMatrix REAL = MmdWeightLearnerTest.mixture(40, 6, 0, new Random(1));
    private static final FloatMatrix SYNTHETIC = MmdWeightLearnerTest.halfShifted(211, 6,
            new Random(2));

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
        System.clearProperty("synalign.rff.chunkRows");
    }

    private static AlignmentConfig config(AlignmentMethod method) {
        return AlignmentConfig.defaults().withMethod(method).withFeatures(64).withSeed(3)
                .withIterations(60, 1e-12);
    }

    /** Interrupts its thread at one progress call and counts the calls of a stage after it. */
    private static final class InterruptingListener implements ProgressListener {
        final String stage;
        final long at;
        boolean interrupted;
        long last = -1;
        final List<Long> after = new ArrayList<>();

        InterruptingListener(String stage, long at) {
            this.stage = stage;
            this.at = at;
        }

        @Override
        public void onProgress(String s, long done, long total, String detail) {
            if (!s.equals(stage)) {
                return;
            }
            if (interrupted) {
                after.add(done);
            }
            last = done;
            if (done == at && !interrupted) {
                interrupted = true;
                Thread.currentThread().interrupt();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = AlignmentMethod.class, names = {"EXACT", "RFF", "NYSTROM"})
    void anInterruptStopsTheFitWithinOneIterationAndClosesEverything(AlignmentMethod method) {
        ClosingBackend account = ClosingBackend.counting("close");
        try (KernelBackend backend = new ReferenceBackend()) {
            MmdWeightLearner learner = new MmdWeightLearner(account.wrap(backend),
                    config(method));
            AlignmentResult uninterrupted = learner.fit(REAL, SYNTHETIC, ProgressListener.NONE);
            assertTrue(uninterrupted.iterations() > INTERRUPT_AT + 5,
                    "the fit must run well past the interrupt: " + uninterrupted.iterations());

            InterruptingListener listener = new InterruptingListener("optimise", INTERRUPT_AT);
            CancellationException e = assertThrows(CancellationException.class,
                    () -> learner.fit(REAL, SYNTHETIC, listener),
                    method + ": the fit ran on after the interrupt");
            assertTrue(listener.interrupted, "the listener interrupted the thread");
            assertEquals(List.of(), listener.after,
                    "iterations after the one that saw the interrupt");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            assertEquals(List.of(), account.stillOpen(), "left open by the cancelled fit");

            assertTrue(Thread.interrupted());
            AlignmentResult again = learner.fit(REAL, SYNTHETIC, ProgressListener.NONE);
            assertArrayEquals(uninterrupted.weights(), again.weights(),
                    "a later fit on the same thread, bit for bit");
            assertEquals(uninterrupted.iterations(), again.iterations());
        }
        assertEquals(List.of(), account.stillOpen());
    }

    @Test
    void aFitOnAnAlreadyInterruptedThreadReturnsNothing() {
        try (KernelBackend backend = new ReferenceBackend()) {
            MmdWeightLearner learner = new MmdWeightLearner(backend,
                    config(AlignmentMethod.EXACT));
            List<String> stages = new ArrayList<>();
            Thread.currentThread().interrupt();
            assertThrows(CancellationException.class, () -> learner.fit(REAL, SYNTHETIC,
                    (stage, done, total, detail) -> stages.add(stage)));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            assertFalse(stages.contains("optimise"), "no iteration ran: " + stages);
        }
    }

    @Test
    void anInterruptDuringAStreamedFeaturePassStopsWithinOneChunk() {
        System.setProperty("synalign.rff.chunkRows", "50");
        ClosingBackend account = ClosingBackend.counting("close");
        List<FloatMatrix> blocks = new ArrayList<>();
        for (int start = 0; start < SYNTHETIC.rows(); start += 37) {
            blocks.add(SYNTHETIC.rowRange(start, Math.min(SYNTHETIC.rows(), start + 37)));
        }
        try (KernelBackend backend = new ReferenceBackend()) {
            // Nothing kept: every chunk is read again (ahead, on the reader thread) in every pass.
            MmdWeightLearner learner = new MmdWeightLearner(account.wrap(backend),
                    config(AlignmentMethod.RFF)).withFeatureBudget(0);
            AlignmentResult uninterrupted = learner.fit(REAL, RowSource.ofBlocks(blocks),
                    ProgressListener.NONE);
            // Chunk 2 of 5 in the first pass that has one: a read of chunk 3 is in flight.
            InterruptingListener listener = new InterruptingListener("features", 2);
            assertThrows(CancellationException.class,
                    () -> learner.fit(REAL, RowSource.ofBlocks(blocks), listener));
            assertEquals(List.of(), listener.after, "chunks after the one that saw the interrupt");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            assertEquals(List.of(), account.stillOpen(), "left open by the cancelled fit");

            assertTrue(Thread.interrupted());
            AlignmentResult again = learner.fit(REAL, RowSource.ofBlocks(blocks),
                    ProgressListener.NONE);
            assertArrayEquals(uninterrupted.weights(), again.weights());
        }
    }

    /**
     * An interrupt between the optimiser's last iteration and the exact MMD^2 report stops the
     * fit before the report begins (the learner's own check there: {@code WeightedMmd.values}
     * would stop too, but only after the "evaluate" stage had been announced and S's values
     * checked): rff on streamed rows, whose report reads S whole; that read interrupts, and
     * only once every optimise event of an uninterrupted fit has been seen, so it is the
     * report's. Nothing is returned, no "evaluate" stage is reported, the interrupt status is
     * kept and every backend object is closed.
     */
    @Test
    void anInterruptAfterTheLastIterationStopsBeforeTheExactReport() {
        ClosingBackend account = ClosingBackend.counting("close");
        List<FloatMatrix> blocks = new ArrayList<>();
        for (int start = 0; start < SYNTHETIC.rows(); start += 37) {
            blocks.add(SYNTHETIC.rowRange(start, Math.min(SYNTHETIC.rows(), start + 37)));
        }
        try (KernelBackend backend = new ReferenceBackend()) {
            MmdWeightLearner learner = new MmdWeightLearner(account.wrap(backend),
                    config(AlignmentMethod.RFF));
            List<String> plain = new ArrayList<>();
            AlignmentResult uninterrupted = learner.fit(REAL, RowSource.ofBlocks(blocks),
                    (stage, done, total, detail) -> plain.add(stage));
            assertEquals("exact", uninterrupted.mmdEstimator(),
                    "the report ran without the interrupt");
            long iterations = plain.stream().filter("optimise"::equals).count();
            assertTrue(iterations > 0, "optimise events: " + plain);

            List<String> stages = new ArrayList<>();
            boolean[] interrupted = {false};
            RowSource observed = ObservedRows.of(RowSource.ofBlocks(blocks), "observed",
                    (start, count) -> {
                        if (!interrupted[0]
                                && stages.stream().filter("optimise"::equals).count()
                                        == iterations) {
                            interrupted[0] = true;
                            Thread.currentThread().interrupt();
                        }
                    });
            assertThrows(CancellationException.class,
                    () -> learner.fit(REAL, observed, (stage, done, total, detail) ->
                            stages.add(stage)));
            assertTrue(interrupted[0], "the report's read interrupted the thread: " + stages);
            assertFalse(stages.contains("evaluate"), "the report began: " + stages);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
            assertEquals(List.of(), account.stillOpen(), "left open by the cancelled fit");
        }
    }
}
