package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Review 22 (embedded use), reproduction: {@link OnnxSentenceEncoder#encode} never looks at the
 * thread's interrupt status, so cancelling an embedding of a large set (a training job's
 * {@code Future.cancel(true)}) waits for every remaining batch. Expected: the call stops at the
 * next batch with an exception, the interrupt status kept.
 */
class Review22EncoderInterruptTest {

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void anEncodeOnAnInterruptedThreadStops() {
        OnnxSentenceEncoder encoder = TestSupport.minilm();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            texts.add("text number " + i);
        }
        Thread.currentThread().interrupt();
        try {
            assertThrows(RuntimeException.class, () -> encoder.encode(texts),
                    "200 texts embedded on an interrupted thread");
        } finally {
            Thread.interrupted();
        }
    }
}
