package io.synalign.kernels;

import java.util.concurrent.CancellationException;

/**
 * The library's one cancellation contract: interrupting the thread that called a fit, a
 * selection, an embedding or a test stops it within one unit of its work (an optimiser
 * iteration, a pick, a batch, a chunk of rows, a fold, a label, a batch of permutations, an
 * epoch, a block of a tiled pass, a decoded token) with a {@link CancellationException}; the thread's interrupt status stays set, nothing is
 * returned, and the backend memory, operators and row sources of the call are closed on the way
 * out by the scopes that own them.
 *
 * <p>Why polling the flag and not {@link InterruptedException}: the work is numeric, it never
 * blocks where the JDK would notice an interrupt, so the loops ask {@link Thread#isInterrupted()}
 * (which does not clear the status) once per unit, never in an inner numeric loop: the check
 * costs a field read per unit and changes no arithmetic, so an uninterrupted run gives
 * bit-identical results. Parallel work already started inside a unit (fork-join ranges of one
 * product) finishes that unit. Units that themselves run on pool threads (the classifier
 * two-sample test's folds, the blocks of an nd4j tiled product on its pinned workers) ask the
 * calling thread's interrupt, not their own thread's, which the interrupt never reaches,
 * through a {@link CallerWait}: the caller's wait for them hands the interrupt over before it
 * clears the status to park, so they see it at once and the caller burns no CPU waiting.
 *
 * <p>Why {@link CancellationException}: it is unchecked (as Lucene's
 * {@code ThreadInterruptedException} is, so signatures do not change), it is the JDK's own word
 * for "this value-producing work was cancelled" (what {@code Future.get()} throws after
 * {@code cancel(true)}), so a host's handler for cancelled tasks covers SynAlign's too, and it is
 * one type for every module (kernels, engine, models, the pipeline), none of which then needs to
 * know another's exception. The status is kept set, unlike a caught {@link InterruptedException}
 * clears it, so code further up the stack (an executor's worker) still sees the interrupt.
 */
public final class Cancellation {

    private Cancellation() {
    }

    /**
     * The {@link CancellationException} for {@code work}, the one message every module gives.
     * Where an {@link InterruptedException} ended a wait (a lock, a sleep, a future) it is the
     * cause, and the caller restores the interrupt status the JDK cleared
     * ({@code Thread.currentThread().interrupt()}) before it throws.
     *
     * @param work what stopped, for the message, e.g. {@code "calling http://host/v1"}
     * @param cause the interrupted wait, or null where the status was read, not a wait ended
     */
    public static CancellationException cancelled(String work, InterruptedException cause) {
        CancellationException c = new CancellationException(work
                + ": cancelled, the calling thread was interrupted (its interrupt status is kept"
                + " set)");
        c.initCause(cause);
        return c;
    }

    /**
     * Throws a {@link CancellationException} naming {@code work} when the calling thread has been
     * interrupted; leaves the interrupt status as it is.
     *
     * @param work what stops, for the message, e.g. {@code "MMD fit (optimiser iteration)"}; a
     *     constant, so that the check builds no string per unit
     */
    public static void stopIfInterrupted(String work) {
        if (Thread.currentThread().isInterrupted()) {
            throw cancelled(work, null);
        }
    }
}
