package io.synalign.engine.twosample;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Cancelling the classifier two-sample test from inside a running fold (session 22's Open: the
 * folds run on the common fork-join pool and the interrupt was checked once, at entry, so a fold
 * already fitting ran its L-BFGS to the end and the test returned an AUC). The interrupt is
 * placed by the fold-iteration hook on the caller's thread, not timed. The hook is told of
 * every unit (iteration, block of rows) a fold asks about, before it asks, the unit at which it
 * stops included (pit31): the fold that sets the interrupt asks about no further unit, every
 * other fold about at most one (the question that stops it, or the unit it had already been
 * let start), whichever thread runs it. A fold that ran on past a "stop" answer would ask again
 * and be seen.
 */
class ClassifierTwoSampleCancellationTest {

    private static final int FOLDS = 5;
    private static final double L2 = 1e-6;
    private static final long SEED = 17;
    /** The fold and iteration whose hook interrupts the caller. */
    private static final int INTERRUPTING_FOLD = 2;
    private static final int INTERRUPT_AT = 3;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    /**
     * Rows of 13 nearly collinear columns (one shared Gaussian plus a little noise each), the
     * real side shifted along the last: an ill-conditioned, nearly separable loss under a small
     * penalty, on which L-BFGS needs many iterations in every fold.
     */
    private static FloatMatrix sample(int rows, double shift, long seed) {
        Random r = new Random(seed);
        float[] data = new float[rows * 13];
        for (int i = 0; i < rows; i++) {
            double shared = r.nextGaussian();
            for (int j = 0; j < 13; j++) {
                data[i * 13 + j] = (float) (shared + 0.05 * r.nextGaussian() + (j == 12 ? shift : 0));
            }
        }
        return new FloatMatrix(rows, 13, data);
    }

    private static final FloatMatrix X = sample(157, 0.3, 1);
    private static final FloatMatrix Y = sample(211, 0, 2);

    /**
     * Records the iterations each fold comes to, every unit (iteration or block of rows) it
     * comes to, and those it comes to after the interrupt. The interrupt is made before the
     * flag is set (under the lock every call takes): a unit recorded after it was asked about
     * with the caller already interrupted, so its answer was "stop".
     */
    private static final class Recorder implements ClassifierTwoSampleTest.FoldIterations {
        final Thread caller = Thread.currentThread();
        final Map<Integer, Integer> iterations = new TreeMap<>();
        final List<String> told = new ArrayList<>();
        final List<String> afterInterrupt = new ArrayList<>();
        final boolean interrupts;
        volatile boolean interrupted;

        Recorder(boolean interrupts) {
            this.interrupts = interrupts;
        }

        @Override
        public synchronized void onIteration(int fold, int iteration) {
            iterations.merge(fold, 1, Integer::sum);
            unit("fold " + fold + " iteration " + iteration);
            if (interrupts && fold == INTERRUPTING_FOLD && iteration == INTERRUPT_AT) {
                caller.interrupt();
                interrupted = true;
            }
        }

        @Override
        public synchronized void onRowBlock(int fold, ClassifierTwoSampleTest.RowPass pass,
                int block) {
            unit("fold " + fold + " " + pass + " block " + block);
        }

        private void unit(String what) {
            told.add(what);
            if (interrupted) {
                afterInterrupt.add(what);
            }
        }
    }

    @Test
    void anInterruptInsideARunningFoldStopsEveryFoldWithinOneIteration() {
        Recorder whole = new Recorder(false);
        ClassifierTwoSampleTest.Result uninterrupted = ClassifierTwoSampleTest.test(X, Y, null,
                FOLDS, L2, SEED, whole);
        assertEquals(FOLDS, whole.iterations.size(), "every fold iterated: " + whole.iterations);
        whole.iterations.forEach((fold, count) -> assertTrue(count > INTERRUPT_AT + 5,
                "fold " + fold + " must run well past the interrupt: " + whole.iterations));

        Recorder recorder = new Recorder(true);
        CancellationException e = assertThrows(CancellationException.class,
                () -> ClassifierTwoSampleTest.test(X, Y, null, FOLDS, L2, SEED, recorder),
                "the test returned an AUC after the interrupt");
        assertTrue(recorder.interrupted, "the hook interrupted the caller");
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        // The interrupting fold asks about no unit after the one whose hook interrupted (it
        // asks after the hook, and stops there). Another fold asks about one at most: either
        // its question came after the interrupt (seen, and answered "stop"), or it was let
        // start a unit just before, and the question after that unit is seen and stops it.
        assertTrue(recorder.afterInterrupt.stream()
                .noneMatch(s -> s.startsWith("fold " + INTERRUPTING_FOLD + " ")),
                "the interrupting fold went on: " + recorder.afterInterrupt);
        assertTrue(recorder.afterInterrupt.size() <= FOLDS - 1,
                "units after the interrupt: " + recorder.afterInterrupt);
        for (int f = 0; f < FOLDS; f++) {
            String fold = "fold " + f + " ";
            assertTrue(recorder.afterInterrupt.stream().filter(s -> s.startsWith(fold)).count() <= 1,
                    "fold " + f + " went on: " + recorder.afterInterrupt);
        }

        // The same thread, its interrupt cleared, gets the uncancelled result bit for bit.
        assertTrue(Thread.interrupted());
        ClassifierTwoSampleTest.Result again = ClassifierTwoSampleTest.test(X, Y, null, FOLDS, L2,
                SEED);
        assertEquals(Double.doubleToRawLongBits(uninterrupted.auc()),
                Double.doubleToRawLongBits(again.auc()));
        assertEquals(uninterrupted.folds(), again.folds());
    }

    /** Enough rows that every fold's standardisation has several blocks and its scoring two. */
    private static final FloatMatrix BIG_X = sample(700, 0.3, 3);
    private static final FloatMatrix BIG_Y = sample(900, 0, 4);

    /**
     * Records the row blocks and iterations each fold comes to, those it comes to after the
     * interrupt, and interrupts the caller when fold {@link #INTERRUPTING_FOLD} comes to block
     * {@code block} of {@code pass} (the interrupt before the flag, as {@link Recorder}).
     */
    private static final class RowRecorder implements ClassifierTwoSampleTest.FoldIterations {
        final Thread caller = Thread.currentThread();
        final ClassifierTwoSampleTest.RowPass pass;
        final int block;
        final Map<String, Integer> blocks = new TreeMap<>();
        final List<String> afterInterrupt = new ArrayList<>();
        volatile boolean interrupted;

        RowRecorder(ClassifierTwoSampleTest.RowPass pass, int block) {
            this.pass = pass;
            this.block = block;
        }

        @Override
        public synchronized void onIteration(int fold, int iteration) {
            if (interrupted) {
                afterInterrupt.add("fold " + fold + " iteration " + iteration);
            }
        }

        @Override
        public synchronized void onRowBlock(int fold, ClassifierTwoSampleTest.RowPass p, int b) {
            blocks.merge(fold + " " + p, 1, Integer::sum);
            if (interrupted) {
                afterInterrupt.add("fold " + fold + " " + p + " block " + b);
            }
            if (pass != null && fold == INTERRUPTING_FOLD && p == pass && b == block) {
                caller.interrupt();
                interrupted = true;
            }
        }
    }

    /**
     * An interrupt at a block of a fold's standardisation or scoring (session 23's Open: only
     * the L-BFGS iterations were checked, so a fold's O(N d) standardisation ran to its end, and
     * its scoring too): that fold asks about no further block nor iteration, every other fold
     * about one at most (see the class comment).
     */
    @Test
    void anInterruptInAFoldsStandardisationOrScoringStopsItWithinABlock() {
        RowRecorder whole = new RowRecorder(null, -1);
        ClassifierTwoSampleTest.test(BIG_X, BIG_Y, null, FOLDS, L2, SEED, whole);
        String copy = INTERRUPTING_FOLD + " " + ClassifierTwoSampleTest.RowPass.COPY;
        String scores = INTERRUPTING_FOLD + " " + ClassifierTwoSampleTest.RowPass.SCORE;
        assertTrue(whole.blocks.get(copy) >= 4, "blocks of the copy pass: " + whole.blocks);
        assertEquals(2, whole.blocks.get(scores), "blocks of the scoring: " + whole.blocks);

        // Block 1 of each pass: the block number the hook is told is checked too, which block 0
        // (0 by any arithmetic) would not; and block 0 of the scoring, whose two blocks leave
        // a block to go on to only after the first.
        ClassifierTwoSampleTest.RowPass[] passes = {ClassifierTwoSampleTest.RowPass.COPY,
            ClassifierTwoSampleTest.RowPass.SQUARES, ClassifierTwoSampleTest.RowPass.STANDARDISE,
            ClassifierTwoSampleTest.RowPass.SCORE, ClassifierTwoSampleTest.RowPass.SCORE};
        int[] blocks = {1, 1, 1, 1, 0};
        for (int i = 0; i < passes.length; i++) {
            ClassifierTwoSampleTest.RowPass pass = passes[i];
            int at = blocks[i];
            RowRecorder recorder = new RowRecorder(pass, at);
            assertThrows(CancellationException.class,
                    () -> ClassifierTwoSampleTest.test(BIG_X, BIG_Y, null, FOLDS, L2, SEED,
                            recorder), "the test returned an AUC after the interrupt at " + pass);
            assertTrue(recorder.interrupted, "the hook interrupted the caller at " + pass);
            assertTrue(Thread.interrupted(), "the interrupt status is kept");
            assertTrue(recorder.afterInterrupt.stream()
                    .noneMatch(s -> s.startsWith("fold " + INTERRUPTING_FOLD + " ")),
                    "interrupted at " + pass + " block " + at + ", the fold went on: "
                            + recorder.afterInterrupt);
            for (int f = 0; f < FOLDS; f++) {
                String fold = "fold " + f + " ";
                assertTrue(recorder.afterInterrupt.stream().filter(s -> s.startsWith(fold))
                        .count() <= 1, "fold " + f + " went on: " + recorder.afterInterrupt);
            }
        }
    }

    @Test
    void anAlreadyInterruptedCallerStartsNoFold() {
        Recorder recorder = new Recorder(false);
        Thread.currentThread().interrupt();
        assertThrows(CancellationException.class,
                () -> ClassifierTwoSampleTest.test(X, Y, null, FOLDS, L2, SEED, recorder));
        assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");
        assertEquals(List.of(), recorder.told, "a fold began");
    }
}
