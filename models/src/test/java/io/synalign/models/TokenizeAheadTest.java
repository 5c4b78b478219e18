package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tokenising the next batch on a helper thread ({@link EncoderOptions#tokenizeAhead()}) must
 * return exactly the vectors of the sequential loop, in both batch modes, for awkward sizes.
 */
class TokenizeAheadTest {

    private static final List<String> TEXTS = TestSupport.variedTexts(257, 77);

    @Test
    void defaultTokenisesAhead() {
        assertTrue(EncoderOptions.defaults().tokenizeAhead());
        assertFalse(EncoderOptions.defaults().withTokenizeAhead(false).tokenizeAhead());
        assertEquals("minilm-l6-v2-q", TestSupport.minilm().modelId(),
                "tokenising ahead must not change the cache id");
    }

    @Test
    void perTextModeIsBitIdenticalToSequential() {
        assertBitIdentical(BatchMode.PER_TEXT, new int[] {1, 5, 32}, new int[] {1, 7, 33, 257});
    }

    @Test
    void paddedModeIsBitIdenticalToSequential() {
        assertBitIdentical(BatchMode.PADDED, new int[] {1, 5, 32, 128},
                new int[] {1, 7, 33, 257});
    }

    private static void assertBitIdentical(BatchMode mode, int[] batchSizes, int[] sizes) {
        for (int batchSize : batchSizes) {
            EncoderOptions options = EncoderOptions.defaults().withBatchMode(mode)
                    .withBatchSize(batchSize);
            try (OnnxSentenceEncoder sequential = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                            options.withTokenizeAhead(false));
                    OnnxSentenceEncoder ahead = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                            options.withTokenizeAhead(true))) {
                assertEquals(sequential.modelId(), ahead.modelId());
                for (int n : sizes) {
                    // Batch 1 runs one model call per text; keep it to the small sizes.
                    if (batchSize == 1 && n > 33) {
                        continue;
                    }
                    List<String> texts = TEXTS.subList(0, n);
                    FloatMatrix expected = sequential.encode(texts);
                    FloatMatrix got = ahead.encode(texts);
                    assertEquals(n, got.rows());
                    assertArrayEquals(expected.data(), got.data(),
                            mode + ", batch " + batchSize + ", " + n + " texts");
                }
            }
        }
    }
}
