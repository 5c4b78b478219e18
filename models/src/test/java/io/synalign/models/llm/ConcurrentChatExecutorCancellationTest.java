package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

        /** Whether only requests whose text starts with "block" block (the others answer). */
        boolean onlyBlocking;

        BlockingModel(int expectedEntries) {
            entered = new CountDownLatch(expectedEntries);
        }

        @Override
        public ChatReply complete(ChatRequest r) {
            calls.incrementAndGet();
            workers.add(Thread.currentThread());
            String text = r.messages().get(r.messages().size() - 1).content();
            if (onlyBlocking && !text.startsWith("block")) {
                return new ChatReply(text, null, "stop", 1, 0, false);
            }
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
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("request " + i);
        }
        return requests(texts);
    }

    private static List<ChatRequest> requests(List<String> texts) {
        List<ChatRequest> out = new ArrayList<>();
        for (String t : texts) {
            out.add(ChatRequest.of(List.of(ChatMessage.user(t)), SamplingParams.DEFAULTS, null));
        }
        return out;
    }

    @Test
    void aCancelledJournaledBatchLeavesTheAnsweredCallsAsCompleteLines(@TempDir Path dir)
            throws Exception {
        // Two threads: "a" and "b" answer, then both threads block in "block 1" and "block 2",
        // so "c" and "d" can only start after the interrupt, which must stop them.
        BlockingModel m = new BlockingModel(2);
        m.onlyBlocking = true;
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel jm = new JournaledChatModel(m, j);
            Thread caller = new Thread(() -> {
                try {
                    new ConcurrentChatExecutor(jm, 2)
                            .runAll(requests(List.of("a", "b", "block 1", "block 2", "c", "d")));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            }, "cancelled-journaled-caller");
            caller.start();
            m.entered.await();
            caller.interrupt();
            caller.join();
            assertInstanceOf(CancellationException.class, thrown.get(), String.valueOf(thrown.get()));
            assertEquals(4, m.calls.get(), "requests made");
            assertEquals(2, j.size(), "journaled calls");
            // The interrupted workers did not close the journal for others: it still appends.
            jm.complete(requests(List.of("after the cancellation")).get(0));
            assertEquals(3, j.size());
        }
        try (CallJournal j = CallJournal.open(dir)) {
            List<String> lines = Files.readAllLines(dir.resolve(CallJournal.FILE));
            assertEquals(3, lines.size());
            assertEquals(3, j.size(), "every line a complete entry");
        }
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
