package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Callers of {@link OpenAiCompatibleChatModel#servedModel} that find an asking in flight wait for
 * it interruptibly (session 23's Open: the asking held a monitor through its HTTP request, its
 * retries and backoffs, and a journal keying or a provenance asking meanwhile sat in a
 * {@code synchronized} wait no interrupt ends). The server stalls by holding its listing until
 * the test releases it ({@link FakeOpenAiServer#holdModelListings}), so nothing here is timed;
 * the waits below that have a limit are hang guards, which the code under test meets at once.
 */
class ServedModelWaitTest {

    private static final String MODEL = "fake-model";
    private static final String WEIGHTS = FakeOpenAiServer.llamaCppModelList(
            "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 8030261312L, 4912898304L);
    /** How long a hang guard waits: far longer than anything here takes when it works. */
    private static final long GUARD_MILLIS = 20_000;

    private static OpenAiCompatibleChatModel client(String baseUrl) {
        return OpenAiCompatibleChatModel.builder(baseUrl, MODEL)
                .requestTimeout(Duration.ofSeconds(60)).sleeper(new RecordingSleeper())
                .clock(Clock.systemUTC()).build();
    }

    /** A thread calling {@code servedModel()}, with what it got, or threw, and its interrupt status then. */
    private static final class Caller extends Thread {
        final OpenAiCompatibleChatModel model;
        final AtomicReference<Object> outcome = new AtomicReference<>();
        final AtomicBoolean interruptedAfter = new AtomicBoolean();

        Caller(OpenAiCompatibleChatModel model, String name) {
            super(name);
            this.model = model;
            setDaemon(true); // one left blocked by a failing run must not keep the JVM
        }

        @Override
        public void run() {
            try {
                outcome.set(model.servedModel());
            } catch (RuntimeException e) {
                outcome.set(e);
            } finally {
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            }
        }
    }

    private static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                fail("not within " + GUARD_MILLIS + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Waiting (parked, or blocked on a monitor): where a second caller sits while the first asks. */
    private static boolean waiting(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING
                || s == Thread.State.BLOCKED;
    }

    @Test
    void aCallerWaitingForTheAskingInFlightLeavesAtOnceWhenInterrupted() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS)
                .holdModelListings()) {
            OpenAiCompatibleChatModel m = client(server.baseUrl());
            Caller asker = new Caller(m, "asker");
            Caller waiter = new Caller(m, "waiter");
            try {
                asker.start();
                until(() -> server.modelListings.get() == 1, "the first caller asks");
                waiter.start();
                until(() -> waiting(waiter), "the second caller waits");
                waiter.interrupt();
                waiter.join(GUARD_MILLIS);
                assertFalse(waiter.isAlive(), "the interrupted waiter stays blocked: "
                        + waiter.getState());
                assertInstanceOf(CancellationException.class, waiter.outcome.get(),
                        String.valueOf(waiter.outcome.get()));
                assertTrue(((CancellationException) waiter.outcome.get()).getMessage()
                        .contains("interrupted"), waiter.outcome.get().toString());
                assertTrue(waiter.interruptedAfter.get(), "the waiter's interrupt status is kept");
                assertTrue(asker.isAlive(), "the asking goes on for the others");
            } finally {
                server.releaseModelListings();
                asker.join(GUARD_MILLIS);
                waiter.join(GUARD_MILLIS);
            }
            ServedModel answer = (ServedModel) asker.outcome.get();
            assertEquals(ServedModel.Kind.OTHER, answer.kind(), answer.toString());
            assertEquals(answer, m.servedModel(), "the answer is kept");
            assertEquals(1, server.modelListings.get(), "one listing: the waiter asked nothing");
        }
    }

    /**
     * An asker cut short by an interrupt hands its waiters nothing: they ask the server
     * themselves (ServedModelReaskTest's rule: an interrupted asking is not kept), and get its
     * answer, not the asker's "interrupted".
     */
    @Test
    void anInterruptedAskerLeavesItsWaitersNoResultButTheirOwnAsking() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS)
                .holdModelListings()) {
            OpenAiCompatibleChatModel m = client(server.baseUrl());
            Caller asker = new Caller(m, "asker");
            Caller waiter = new Caller(m, "waiter");
            try {
                asker.start();
                until(() -> server.modelListings.get() == 1, "the first caller asks");
                waiter.start();
                until(() -> waiting(waiter), "the second caller waits");
                asker.interrupt();
                asker.join(GUARD_MILLIS);
                assertFalse(asker.isAlive(), "the interrupted asker stays in its request");
                until(() -> server.modelListings.get() == 2, "the waiter asks in its turn");
            } finally {
                server.releaseModelListings();
                asker.join(GUARD_MILLIS);
                waiter.join(GUARD_MILLIS);
            }
            ServedModel cut = (ServedModel) asker.outcome.get();
            assertFalse(cut.said(), cut.toString());
            assertTrue(asker.interruptedAfter.get(), "the asker's interrupt status is kept");
            ServedModel answer = (ServedModel) waiter.outcome.get();
            assertEquals(ServedModel.Kind.OTHER, answer.kind(), answer.toString());
            assertFalse(waiter.interruptedAfter.get());
            assertEquals(answer, m.servedModel(), "the waiter's answer is kept");
            assertEquals(2, server.modelListings.get());
        }
    }
}
