package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancelling a GGUF call while it decodes (session 22's Open: the decoding did not look at the
 * interrupt, so a cancelled batch's call decoded its whole reply and returned it). The interrupt
 * is placed by the model's per-token hook at a chosen token, not timed: the decoding must stop
 * there with the contract's exception, and the model must then answer as a fresh one does.
 */
class GgufCancellationTest {

    /** The token whose hook interrupts the calling thread. */
    private static final int INTERRUPT_AT = 5;

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted(); // a failed assertion must not leave the runner's thread interrupted
    }

    private static GgufChatModel open(Path file) {
        return GgufChatModel.open(file, GgufChatModel.Options.defaults().withThreads(2)
                .withBounds(GgufChatModelTest.BOUNDS));
    }

    @Test
    void anInterruptStopsTheDecodingWithinOneTokenAndTheModelThenAnswersAsAFreshOne(@TempDir Path dir)
            throws IOException {
        Path file = TinyGgufWriter.write(dir.resolve("tiny-random.gguf"), TinyGgufWriter.Spec.tiny(11));
        ChatRequest request = GgufChatModelTest.request(Schemas.SAMPLES, 77);
        List<Integer> tokens = new ArrayList<>();
        String afterCancelled;
        try (GgufChatModel model = open(file)) {
            List<Integer> afterInterrupt = new ArrayList<>();
            model.onEachDecodedToken(token -> {
                if (Thread.currentThread().isInterrupted()) {
                    afterInterrupt.add(token);
                }
                if (token == INTERRUPT_AT) {
                    Thread.currentThread().interrupt();
                }
            });
            CancellationException e = assertThrows(CancellationException.class,
                    () -> model.complete(request), "the reply was decoded to its end and returned");
            assertEquals(List.of(), afterInterrupt, "tokens decoded after the interrupt");
            assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

            assertTrue(Thread.interrupted());
            model.onEachDecodedToken(tokens::add);
            afterCancelled = model.complete(request).content();
        }
        assertTrue(tokens.size() > INTERRUPT_AT + 5,
                "the reply runs well past the interrupt's token: " + tokens.size() + " tokens");
        try (GgufChatModel fresh = open(file)) {
            assertEquals(fresh.complete(request).content(), afterCancelled,
                    "the call after a cancelled one answers as a fresh model does");
        }
    }
}
