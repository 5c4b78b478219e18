package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.spi.AbstractInterruptibleChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The race session 34's CI saw once ("requests made expected 4 but was 5"), made to happen on
 * demand: while the caller stops a batch, a pool thread freed by that stop must not take a
 * request that was still queued.
 *
 * <p>The old stop cancelled the futures one by one ({@code futures.forEach(f -> f.cancel(true))}):
 * cancelling request 0 interrupted its worker, and that worker could take queued request 2 from
 * the pool before the loop reached request 2's future, and send it. The window is the caller's
 * own loop, a few nanoseconds, so the test holds the caller inside it. The one place where
 * code of ours runs on the caller's thread during a stop is {@code Thread.interrupt()} of a
 * thread blocked in an interruptible channel: the JDK closes the channel there, on the
 * interrupting thread ({@code AbstractInterruptibleChannel}'s interruptor calls
 * {@code implCloseChannel}). So request 1 blocks in such a channel, and its close is the hook:
 * it lets request 0 end (the worker is free) and then waits until that worker has either
 * started a later request (the race happened) or stopped asking the pool for work (it parked:
 * the pool gave it none). Whichever stop the executor uses, the caller reaches the hook when it
 * interrupts request 1 ({@code FutureTask.cancel} then, {@code shutdownNow} now), and every
 * request any worker starts is counted, since the executor returns only once its threads
 * ended. No sleeps: latches, and a spin on the worker's state inside the hook, bounded only
 * against a hang.
 */
class ConcurrentChatExecutorStopRaceTest {

    /** What the hook waits for at most before it gives up (a hang bound, not a timing check). */
    private static final long HANG_BOUND_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Request 0 waits for the hook, request 1 blocks in the channel, the rest are counted. */
    private static final class RacingModel implements ChatModel {
        final AtomicInteger calls = new AtomicInteger();
        /** Requests 0 and 1 are inside the model (1 inside its channel operation). */
        final CountDownLatch inFlight = new CountDownLatch(2);
        /** Ends request 0: opened by the hook, on the caller's thread, mid-stop. */
        final CountDownLatch releaseFirst = new CountDownLatch(1);
        /** Counted down when a request after 0 and 1 starts (sent after the stop began). */
        final CountDownLatch lateStarted = new CountDownLatch(1);
        final AtomicReference<Thread> firstWorker = new AtomicReference<>();
        volatile boolean firstDone;
        final AtomicBoolean hookRan = new AtomicBoolean();
        final AtomicBoolean hookGaveUp = new AtomicBoolean();
        final HookChannel channel = new HookChannel(this);

        @Override
        public ChatReply complete(ChatRequest r) {
            calls.incrementAndGet();
            String text = r.messages().get(r.messages().size() - 1).content();
            switch (text) {
                case "request 0":
                    return first();
                case "request 1":
                    channel.block();
                    throw new ChatModelException("request 1 was not interrupted");
                default:
                    lateStarted.countDown();
                    try {
                        new CountDownLatch(1).await(); // only an interrupt ends it
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    throw new ChatModelException(text + " interrupted");
            }
        }

        /** Request 0: ends when the hook opens it, not on an interrupt (a call finishing). */
        private ChatReply first() {
            firstWorker.set(Thread.currentThread());
            inFlight.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    releaseFirst.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            firstDone = true;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return new ChatReply("answer 0", null, "stop", 1, 0, false);
        }

        /**
         * Runs on the thread that interrupts request 1's worker, i.e. inside the caller's stop:
         * frees request 0's worker, then holds the caller until that worker has started a later
         * request or parked (waiting for the pool's lock or for work: it will start none while
         * the caller is held).
         */
        void hook() {
            hookRan.set(true);
            releaseFirst.countDown();
            Thread w = firstWorker.get();
            long deadline = System.nanoTime() + HANG_BOUND_NANOS;
            while (lateStarted.getCount() > 0 && !(firstDone && parked(w))) {
                if (System.nanoTime() - deadline > 0) {
                    hookGaveUp.set(true);
                    return;
                }
                Thread.onSpinWait();
            }
        }

        private static boolean parked(Thread t) {
            Thread.State s = t.getState();
            return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING
                    || s == Thread.State.BLOCKED || s == Thread.State.TERMINATED;
        }

        @Override
        public String backend() {
            return "racing";
        }

        @Override
        public String model() {
            return "racing";
        }
    }

    /**
     * A channel whose blocking operation ends only when it is closed; an interrupt of the
     * blocked thread closes it on the interrupting thread, which runs the model's hook.
     */
    private static final class HookChannel extends AbstractInterruptibleChannel {
        private final RacingModel model;
        private final CountDownLatch closed = new CountDownLatch(1);

        HookChannel(RacingModel model) {
            this.model = model;
        }

        void block() {
            boolean completed = false;
            try {
                begin();
                model.inFlight.countDown();
                closed.await();
                completed = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    end(completed);
                } catch (IOException e) {
                    // ClosedByInterruptException: the interrupt this test waits for.
                    throw new ChatModelException("request 1 interrupted", e);
                }
            }
        }

        @Override
        protected void implCloseChannel() {
            model.hook();
            closed.countDown();
        }
    }

    private static List<ChatRequest> requests(int n) {
        List<ChatRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ChatRequest.of(List.of(ChatMessage.user("request " + i)),
                    SamplingParams.DEFAULTS, null));
        }
        return out;
    }

    @Test
    void aWorkerFreedByTheStopTakesNoQueuedRequest() throws Exception {
        // Two threads, four requests: 0 and 1 in flight, 2 and 3 queued when the caller stops.
        RacingModel m = new RacingModel();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                new ConcurrentChatExecutor(m, 2).runAll(requests(4));
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "stop-race-caller");
        caller.start();
        m.inFlight.await();
        caller.interrupt();
        caller.join(120_000); // a bound on a hang, not a timing check
        assertFalse(caller.isAlive(), "the caller still runs");

        assertTrue(m.hookRan.get(), "the stop never interrupted request 1: nothing was raced");
        assertFalse(m.hookGaveUp.get(), "request 0's worker neither took a request nor parked");
        assertTrue(m.firstDone, "request 0 ended inside the stop");
        assertInstanceOf(CancellationException.class, thrown.get(), String.valueOf(thrown.get()));
        assertEquals(2, m.calls.get(), "requests made (only 0 and 1 were in flight at the stop)");
        assertEquals(1, m.lateStarted.getCount(), "a queued request was started after the stop");
    }
}
