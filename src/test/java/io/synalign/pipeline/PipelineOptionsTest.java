package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pipeline API's inputs are checked up front, with messages that name the bad value. */
class PipelineOptionsTest {

    @Test
    void textsRejectNullEntriesAndMismatchedLabels() {
        assertEquals("label 1 is null", assertThrows(IllegalArgumentException.class,
                () -> new TextAlignment.Texts(List.of("a", "b"), Arrays.asList("x", null)))
                .getMessage());
        assertEquals("text 0 is null", assertThrows(IllegalArgumentException.class,
                () -> TextAlignment.Texts.unlabelled(Arrays.asList(null, "b"))).getMessage());
        assertEquals("1 labels for 2 texts", assertThrows(IllegalArgumentException.class,
                () -> new TextAlignment.Texts(List.of("a", "b"), List.of("x"))).getMessage());
    }

    @Test
    void generationOptionsNeedExactlyOneAmountAndSaneBounds() {
        Generation.Options d = Generation.Options.perLabel(5);
        assertThrows(IllegalArgumentException.class, () -> new Generation.Options(5, 10,
                d.demonstrationsPerPrompt(), d.samplesPerSummary(), null, d.minChars(),
                d.maxChars(), d.prompts(), d.concurrency(), 0, "auto"));
        assertEquals("maximum sample length 2 is below the minimum 3",
                assertThrows(IllegalArgumentException.class, () -> new Generation.Options(5,
                        null, 3, 10, null, 3, 2, d.prompts(), 8, 0, "auto")).getMessage());
    }

    @Test
    void generationNeedsRealTextsAndOneEmbeddingRowEach() {
        Generation g = new Generation(Generation.Options.perLabel(2));
        assertEquals("no real texts to generate from", assertThrows(
                IllegalArgumentException.class, () -> g.withLlm(null,
                        TextAlignment.Texts.unlabelled(List.of()), FloatMatrix.zeros(0, 4)))
                .getMessage());
        assertEquals("3 embedding rows for 2 real texts", assertThrows(
                IllegalArgumentException.class, () -> g.withLlm(null,
                        TextAlignment.Texts.unlabelled(List.of("a", "b")),
                        FloatMatrix.zeros(3, 4))).getMessage());
    }
}
