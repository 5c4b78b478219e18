package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The executor honours the library's cancellation contract ({@code io.synalign.kernels.Cancellation}):
 * an interrupted caller sends nothing, an interrupt while requests block cancels them, ends the
 * pool's threads and throws a {@link CancellationException} with the flag kept set, and the thread
 * works again once its flag is cleared. Requests are counted by the stub, never timed.
 */
class ConcurrentChatExecutorCancellationTest {

    /** Blocks every call until {@link #release} opens (or the calling worker is interrupted). */
    private static final class BlockingModel implements ChatModel {
        final AtomicInteger calls = new AtomicInteger();
        final CountDownLatch entered;
        final CountDownLatch release = new CountDownLatch(1);
        final List<Thread> workers = new CopyOnWriteArrayList<>();

        BlockingModel(int expectedEntries) {
            entered = new CountDownLatch(expectedEntries);
        }

        @Override
        public ChatReply complete(ChatRequest r) {
            calls.incrementAndGet();
            workers.add(Thread.currentThread());
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChatModelException("interrupted while calling the stub", e);
            }
            return new ChatReply("ok", null, "stop", 1, 0, false);
        }

        @Override
        public String backend() {
            return "blocking";
        }

        @Override
        public String model() {
            return "blocking";
        }
    }

    private static List<ChatRequest> requests(int n) {
        List<ChatRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ChatRequest.of(List.of(ChatMessage.user("request " + i)), SamplingParams.DEFAULTS, null));
        }
        return out;
    }

    @Test
    void anInterruptedCallerSendsNoRequest() {
        BlockingModel m = new BlockingModel(1);
        m.release.countDown();
        Thread.currentThread().interrupt();
        try {
            CancellationException e = org.junit.jupiter.api.Assertions.assertThrows(
                    CancellationException.class, () -> new ConcurrentChatExecutor(m, 4).runAll(requests(6)));
            assertTrue(e.getMessage().contains("LLM generation"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept set");
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, m.calls.get(), "requests sent by an interrupted caller");
    }

    @Test
    void anInterruptWhileRequestsBlockCancelsThemEndsThePoolAndLeavesTheThreadReusable()
            throws Exception {
        int threads = 2;
        BlockingModel m = new BlockingModel(threads);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flagAtCatch = new AtomicBoolean();
        AtomicReference<List<ChatOutcome>> after = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                new ConcurrentChatExecutor(m, threads).runAll(requests(7));
            } catch (Throwable t) {
                thrown.set(t);
                flagAtCatch.set(Thread.currentThread().isInterrupted());
            }
            // The same thread, its flag cleared, generates again.
            Thread.interrupted();
            BlockingModel open = new BlockingModel(0);
            open.release.countDown();
            after.set(new ConcurrentChatExecutor(open, threads).runAll(requests(3)));
        }, "cancelled-caller");
        caller.start();
        m.entered.await(); // both pool threads are inside a request
        caller.interrupt();
        caller.join();

        assertInstanceOf(CancellationException.class, thrown.get(), String.valueOf(thrown.get()));
        assertTrue(flagAtCatch.get(), "interrupt status kept set");
        assertEquals(threads, m.calls.get(), "no request submitted after the interrupt");
        for (Thread w : m.workers) {
            w.join(30_000); // a bound on a hang, not a timing check: never released, only an interrupt ends it
            assertFalse(w.isAlive(), w.getName() + " still running");
        }
        assertNotNull(after.get(), "the later run on the same thread");
        assertEquals(3, after.get().size());
        assertTrue(after.get().stream().allMatch(ChatOutcome::ok));
    }
}
