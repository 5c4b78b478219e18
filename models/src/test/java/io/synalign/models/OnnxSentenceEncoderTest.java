package io.synalign.models;

import static io.synalign.models.TestSupport.cosine;
import static io.synalign.models.TestSupport.maxAbsDiff;
import static io.synalign.models.TestSupport.maxAbsDiffRow;
import static io.synalign.models.TestSupport.norm;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class OnnxSentenceEncoderTest {

    private final OnnxSentenceEncoder encoder = TestSupport.minilm();

    @Test
    void paraphrasesScoreHigherThanUnrelatedPairs() {
        double minParaphrase = 1;
        double maxUnrelated = -1;
        for (String[] triple : TestSupport.PARAPHRASE_TRIPLES) {
            FloatMatrix m = encoder.encode(Arrays.asList(triple));
            double para = cosine(m, 0, 1);
            double unrelatedA = cosine(m, 0, 2);
            double unrelatedP = cosine(m, 1, 2);
            assertTrue(para > unrelatedA + 0.2 && para > unrelatedP + 0.2,
                    Arrays.toString(triple) + ": paraphrase " + para + ", unrelated "
                            + unrelatedA + " / " + unrelatedP);
            minParaphrase = Math.min(minParaphrase, para);
            maxUnrelated = Math.max(maxUnrelated, Math.max(unrelatedA, unrelatedP));
        }
        assertTrue(minParaphrase > maxUnrelated,
                "weakest paraphrase " + minParaphrase + " vs strongest unrelated " + maxUnrelated);
    }

    @Test
    void rowsAreUnitVectorsOfTheModelDimension() {
        List<String> texts = TestSupport.variedTexts(9, 3);
        FloatMatrix m = encoder.encode(texts);
        assertEquals(384, encoder.dimension());
        assertEquals(9, m.rows());
        assertEquals(384, m.cols());
        for (int i = 0; i < m.rows(); i++) {
            assertEquals(1.0, norm(m, i), 1e-5, "row " + i);
        }
    }

    @Test
    void rowsFollowInputOrder() {
        String a = "How do I reset my password?";
        String b = "The weather in Paris is sunny today.";
        FloatMatrix ab = encoder.encode(List.of(a, b));
        FloatMatrix ba = encoder.encode(List.of(b, a));
        assertTrue(maxAbsDiffRow(ab, 0, ab, 1) > 1e-2, "the two texts must differ");
        assertEquals(0.0, maxAbsDiffRow(ab, 0, ba, 1), 1e-6);
        assertEquals(0.0, maxAbsDiffRow(ab, 1, ba, 0), 1e-6);
    }

    @Test
    void batchSizeChangesNoResult() {
        List<String> texts = TestSupport.variedTexts(20, 11);
        FloatMatrix at32 = encoder.encode(texts);
        try (OnnxSentenceEncoder one = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                        EncoderOptions.defaults().withBatchSize(1));
                OnnxSentenceEncoder three = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                        EncoderOptions.defaults().withBatchSize(3))) {
            assertEquals(encoder.modelId(), one.modelId(), "batch size must not change the id");
            assertTrue(maxAbsDiff(at32, one.encode(texts)) <= 1e-5);
            assertTrue(maxAbsDiff(at32, three.encode(texts)) <= 1e-5);
            // A text's vector must not depend on its neighbours either.
            List<String> reversed = new ArrayList<>(texts);
            java.util.Collections.reverse(reversed);
            FloatMatrix rev = three.encode(reversed);
            for (int i = 0; i < texts.size(); i++) {
                assertTrue(maxAbsDiffRow(at32, i, rev, texts.size() - 1 - i) <= 1e-5);
            }
        }
    }

    @Test
    void dynamicallyQuantisedModelRunsOneTextAtATime() {
        assertEquals(BatchMode.PER_TEXT, encoder.batchMode());
        // Why: padded batches of this int8 model shift each row with its batch-mates.
        List<String> texts = TestSupport.variedTexts(12, 5);
        try (OnnxSentenceEncoder padded = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                EncoderOptions.defaults().withBatchMode(BatchMode.PADDED))) {
            assertEquals("minilm-l6-v2-q;batch=padded;rev=2", padded.modelId());
            double diff = maxAbsDiff(encoder.encode(texts), padded.encode(texts));
            assertTrue(diff > 1e-4, "padded batch differs by only " + diff);
        }
    }

    @Test
    void reportsProgressInTextsAfterEveryBatch() {
        List<int[]> calls = new ArrayList<>();
        try (OnnxSentenceEncoder seven = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                EncoderOptions.defaults().withBatchSize(7))) {
            seven.encode(TestSupport.variedTexts(20, 2), (done, total) ->
                    calls.add(new int[] {done, total}));
        }
        assertEquals(3, calls.size());
        int[] done = {7, 14, 20};
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(new int[] {done[i], 20}, calls.get(i));
        }
    }

    @Test
    void truncatesLongTextsToMaxLength() {
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            prefix.append("word").append(i % 17).append(' ');
        }
        String longA = prefix + "the ending about cats";
        String longB = prefix + "a completely different ending about tax returns";
        FloatMatrix m = encoder.encode(List.of(longA, longB, "word0 word1"));
        // Both texts exceed 128 tokens within the shared prefix, so truncation makes them equal.
        assertEquals(0.0, maxAbsDiffRow(m, 0, m, 1), 1e-6);
        assertEquals(1.0, norm(m, 0), 1e-5);
        assertTrue(maxAbsDiffRow(m, 0, m, 2) > 1e-2);
        try (OnnxSentenceEncoder longer = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                EncoderOptions.defaults().withMaxLength(512))) {
            assertEquals("minilm-l6-v2-q;max=512;rev=2", longer.modelId());
            FloatMatrix l = longer.encode(List.of(longA, longB));
            assertTrue(maxAbsDiffRow(l, 0, m, 0) > 1e-3, "512 tokens must see more text");
        }
    }

    /**
     * A maximum beyond the model's 512 positions is refused at load, naming it; before, the load
     * passed and the run failed at its first long text with ONNX Runtime's broadcast error.
     */
    @Test
    void aMaximumBeyondTheModelsPositionsIsRefusedAtLoad() {
        MaxLengthExceededException e = assertThrows(MaxLengthExceededException.class,
                () -> OnnxSentenceEncoder.load(ModelSpec.minilm(),
                        EncoderOptions.defaults().withMaxLength(513)));
        assertEquals(513, e.maxLength());
        assertTrue(e.getMessage().startsWith("model minilm fails on a text of 513 tokens (ONNX Runtime: "),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("); it takes fewer, give a smaller maximum"),
                e.getMessage());
        assertTrue(e.getMessage().contains("512 by 513"), "the runtime's reason: " + e.getMessage());
    }

    @Test
    void theRuntimesReasonIsItsStatusMessageEnd() {
        assertEquals("Attempting to broadcast. 512 by 1024", OnnxSentenceEncoder.runtimeReason(
                new IllegalStateException("ai.onnxruntime.OrtException: Error code - ORT_FAIL -"
                        + " message: Non-zero status\n code. Status Message: Attempting to"
                        + " broadcast. 512 by 1024")));
        String tail = OnnxSentenceEncoder.runtimeReason(new RuntimeException("x".repeat(50)
                + " " + "word ".repeat(60).strip()));
        assertTrue(tail.startsWith("...word ") && tail.endsWith("word") && tail.length() <= 163,
                tail);
        assertEquals("no message", OnnxSentenceEncoder.runtimeReason(new RuntimeException()));
    }

    @Test
    void emptyListGivesEmptyMatrix() {
        FloatMatrix m = encoder.encode(List.of());
        assertEquals(0, m.rows());
        assertEquals(384, m.cols());
    }

    @Test
    void nullTextIsRejectedByIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> encoder.encode(Arrays.asList("a", "b", null, "d")));
        assertTrue(e.getMessage().contains("texts[2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> encoder.encode(null));
    }

    @Test
    void concurrentCallsAgreeWithSequentialOnes() throws Exception {
        List<String> texts = TestSupport.variedTexts(10, 21);
        FloatMatrix expected = encoder.encode(texts);
        FloatMatrix[] got = new FloatMatrix[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int slot = t;
            threads[t] = new Thread(() -> got[slot] = encoder.encode(texts));
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(expected, got[0]);
        assertEquals(expected, got[1]);
    }

    @Test
    void defaultModelIdAndClosedEncoder() {
        assertEquals("minilm-l6-v2-q;rev=2", encoder.modelId());
        assertEquals(Pooling.MEAN, encoder.pooling());
        OnnxSentenceEncoder closed = OnnxSentenceEncoder.load("minilm");
        closed.close();
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.encode(List.of("x")));
    }

    @Test
    void cudaRequestFailsClearlyWithoutTheGpuRuntime() {
        org.junit.jupiter.api.Assumptions.assumeFalse(
                ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                        .contains(ai.onnxruntime.OrtProvider.CUDA));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OnnxSentenceEncoder.load(ModelSpec.minilm(),
                        EncoderOptions.defaults().withDevice(ExecutionDevice.CUDA, 0)));
        assertTrue(e.getMessage().contains("onnxruntime-gpu"), e.getMessage());
    }

    /** The encoder counts the texts it ran and those truncated; its load probes are not counted. */
    @Test
    void countsTheTextsItTruncated() {
        OnnxSentenceEncoder encoder = TestSupport.minilm(); // shared: count from here
        SentenceEncoder.Truncation before = encoder.truncation();
        encoder.encode(List.of("short", "word ".repeat(300), "word ".repeat(300)));
        SentenceEncoder.Truncation after = encoder.truncation();
        assertEquals(3, after.texts() - before.texts());
        assertEquals(2, after.truncated() - before.truncated());
        assertEquals(128, after.maxLength());
    }

    /**
     * Cancelling an embedding by interrupting its thread (session 22's review: every remaining
     * batch ran, and an already interrupted thread embedded everything): it stops before the
     * next batch with a {@link CancellationException}, the status kept; afterwards the same
     * encoder embeds on the same thread, to the same rows. Batches are counted by progress.
     */
    @Test
    void anInterruptStopsTheEmbeddingBeforeItsNextBatch() {
        List<String> texts = TestSupport.variedTexts(40, 3);
        try (OnnxSentenceEncoder seven = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                EncoderOptions.defaults().withBatchSize(7))) {
            FloatMatrix uninterrupted = seven.encode(texts);
            List<Integer> done = new ArrayList<>();
            try {
                assertThrows(CancellationException.class, () -> seven.encode(texts, (d, total) -> {
                    done.add(d);
                    if (d == 14) {
                        Thread.currentThread().interrupt();
                    }
                }), "the batches after the interrupt ran");
                assertEquals(List.of(7, 14), done, "texts embedded, batch by batch");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

                Thread.interrupted();
                Thread.currentThread().interrupt();
                assertThrows(CancellationException.class, () -> seven.encode(texts),
                        "texts embedded on an already interrupted thread");
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(uninterrupted.data(), seven.encode(texts).data(),
                    "a later embedding on the same thread");
        }
    }
}
