package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.generation.Demonstrations;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ChatModelException;
import io.synalign.models.llm.ChatReply;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.Schemas;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Generation#withLlm}, the library's generation entry, honours the cancellation contract
 * of {@code io.synalign.kernels.Cancellation}: interrupting the calling thread (what
 * {@code Future.cancel(true)} does) sends no further request and throws a
 * {@link CancellationException} with the interrupt status kept set. Requests are counted by the
 * stub model, never timed. Random demonstrations, so that the GP selection's own check (which
 * stops an interrupted caller before any request) does not stand in for generation's.
 */
class GenerationCancellationTest {

    private static final List<String> TEXTS = List.of("Great match last night.",
            "The team lost again.", "A win at home.", "Fresh bread this morning.",
            "Soup for dinner.", "Pasta with tomatoes.");
    private static final List<String> LABELS = List.of("sport", "sport", "sport", "food", "food",
            "food");

    /** Answers both stages in their schema; with {@code block}, every call waits for release. */
    private static final class CountingModel implements ChatModel {
        final boolean block;
        final AtomicInteger attributeCalls = new AtomicInteger();
        final AtomicInteger samplesCalls = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Thread> workers = new CopyOnWriteArrayList<>();
        private final AtomicInteger counter = new AtomicInteger();

        CountingModel(boolean block) {
            this.block = block;
        }

        @Override
        public ChatReply complete(ChatRequest request) {
            boolean attributes = request.responseSchema().name().equals(Schemas.ATTRIBUTES.name());
            (attributes ? attributeCalls : samplesCalls).incrementAndGet();
            workers.add(Thread.currentThread());
            entered.countDown();
            if (block) {
                try {
                    release.await(); // never released: only an interrupt ends the call
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ChatModelException("interrupted while calling the stub", e);
                }
            }
            ObjectNode reply = JsonNodeFactory.instance.objectNode();
            if (attributes) {
                reply.put("tone", "plain");
                reply.put("length", "one sentence");
            } else {
                var samples = reply.putArray("samples");
                for (int k = 0; k < 3; k++) {
                    samples.addObject().put("text", "A plain one-sentence example, number "
                            + counter.incrementAndGet() + ".");
                }
            }
            return new ChatReply(reply.toString(), reply, "stop", 1, 0, false);
        }

        int calls() {
            return attributeCalls.get() + samplesCalls.get();
        }

        @Override
        public String backend() {
            return "counting";
        }

        @Override
        public String model() {
            return "counting";
        }
    }

    private static Generation generation() {
        return new Generation(Generation.Options.perLabel(4).withSeed(11)
                .withAblations(Demonstrations.RANDOM, true));
    }

    private static Generation.Result generate(ChatModel chat) {
        FloatMatrix embeddings = FloatMatrix.zeros(TEXTS.size(), 4);
        Random random = new Random(5);
        float[] data = embeddings.data();
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return generation().withLlm(chat, new TextAlignment.Texts(TEXTS, LABELS), embeddings);
    }

    @Test
    void anInterruptedCallerSendsNoRequest() {
        CountingModel m = new CountingModel(false);
        Thread.currentThread().interrupt();
        try {
            CancellationException e = assertThrows(CancellationException.class, () -> generate(m));
            assertTrue(e.getMessage().contains("LLM generation"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept set");
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, m.calls(), "requests sent by an interrupted caller");
    }

    @Test
    void anInterruptWhileARequestBlocksStopsGenerationAndTheThreadGeneratesAgainAfterwards()
            throws Exception {
        CountingModel blocking = new CountingModel(true);
        CountingModel open = new CountingModel(false);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicBoolean flagAtCatch = new AtomicBoolean();
        AtomicReference<Generation.Result> later = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                generate(blocking);
            } catch (Throwable t) {
                thrown.set(t);
                flagAtCatch.set(Thread.currentThread().isInterrupted());
            }
            Thread.interrupted();
            later.set(generate(open));
        }, "cancelled-generation");
        caller.start();
        blocking.entered.await(); // the first label's attribute summary is in flight
        caller.interrupt();
        caller.join();

        assertInstanceOf(CancellationException.class, thrown.get(), String.valueOf(thrown.get()));
        assertTrue(flagAtCatch.get(), "interrupt status kept set");
        // perLabel 4 with 10 samples a summary: one group, so one stage-1 request in flight.
        assertEquals(1, blocking.attributeCalls.get(), "attribute requests");
        assertEquals(0, blocking.samplesCalls.get(), "samples requests after the interrupt");
        for (Thread w : blocking.workers) {
            w.join(30_000); // a bound on a hang, not a timing check
            assertFalse(w.isAlive(), w.getName() + " still running");
        }
        assertNotNull(later.get(), "the later generation on the same thread");
        assertEquals(8, later.get().samples().size());
    }
}
