package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.FloatMatrix;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
                d.maxChars(), d.prompts(), d.concurrency(), 0, "auto", d.demos(), true));
        assertEquals("maximum sample length 2 is below the minimum 3",
                assertThrows(IllegalArgumentException.class, () -> new Generation.Options(5,
                        null, 3, 10, null, 3, 2, d.prompts(), 8, 0, "auto", d.demos(), true)).getMessage());
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

    @Test
    void evaluationInputsNameTheUnknownLabelAndItsRow() {
        TextAlignment.Texts train = new TextAlignment.Texts(List.of("a", "b", "c"),
                List.of("x", "y", "x"));
        TextAlignment.Texts test = new TextAlignment.Texts(List.of("d", "e"), List.of("y", "z"));
        TextEvaluation.UnknownLabel e = assertThrows(TextEvaluation.UnknownLabel.class,
                () -> TextEvaluation.Inputs.of(train, test));
        assertEquals("test", e.set());
        assertEquals(1, e.row());
        assertEquals("z", e.label());
        assertEquals("label 'z' of test row 1 does not occur in the training rows (labels"
                + " there: x, y)", e.getMessage());
        TextEvaluation.Inputs ok = TextEvaluation.Inputs.of(train, train);
        assertEquals(List.of("x", "y"), ok.classes());
        assertEquals("the training rows have 1 label(s); a classifier needs at least 2",
                assertThrows(IllegalArgumentException.class, () -> TextEvaluation.Inputs.of(
                        new TextAlignment.Texts(List.of("a"), List.of("x")), train)).getMessage());
        assertEquals("the test rows have no labels", assertThrows(IllegalArgumentException.class,
                () -> TextEvaluation.Inputs.of(train, TextAlignment.Texts.unlabelled(
                        List.of("a")))).getMessage());
        assertEquals("aligned rows need the synthetic rows they are compared with",
                assertThrows(IllegalArgumentException.class, () -> ok.withResampled(train))
                        .getMessage());
        TextEvaluation.Inputs withSynthetic = ok.withSynthetic(train);
        assertEquals("2 weights for 3 aligned rows", assertThrows(IllegalArgumentException.class,
                () -> withSynthetic.withWeighted(train, new double[] {1, 2})).getMessage());
        assertEquals("weight 1 is NaN; weights must be finite numbers >= 0",
                assertThrows(IllegalArgumentException.class, () -> withSynthetic.withWeighted(
                        train, new double[] {1, Double.NaN, 0})).getMessage());
        assertEquals("every weight is 0; nothing to train on", assertThrows(
                IllegalArgumentException.class, () -> withSynthetic.withWeighted(train,
                        new double[3])).getMessage());
        assertEquals("repeats must be at least 1, got 0", assertThrows(
                IllegalArgumentException.class, () -> new TextEvaluation.Options(
                        io.synalign.evaluation.StudentConfig.defaults(
                                io.synalign.evaluation.StudentKind.LOGREG), 0, 0, "auto"))
                .getMessage());
    }

    @Test
    void exampleWeightsGiveRealRowsOneAndSyntheticRowsMeanOne() {
        double[] w = TextEvaluation.exampleWeights(2, new double[] {0.5, 0.25, 0.25});
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[] {1, 1, 1.5, 0.75, 0.75},
                w, 1e-15);
    }

    /**
     * Found by a review of the library API: a NaN weight gave no weighted figures (silently),
     * a NaN row was kept by the filter, an unknown backend was found after every text was
     * embedded, all-zero weights gave NaN example weights, and a round that generated nothing
     * had a document that threw.
     */
    @Test
    void inputsTheLibraryTookSilentlyAreRefusedNamingTheValue() {
        FloatMatrix rows = new FloatMatrix(3, 2, new float[] {1, 0, 0, 1, 1, 1});
        List<String> texts = List.of("a", "b", "c");
        assertEquals("weight of row 1 is NaN: weights must be finite and >= 0",
                assertThrows(IllegalArgumentException.class, () -> new TwoSampleTesting.Side(rows, texts,
                        null, new double[] {0.5, Double.NaN, 0.5})).getMessage());
        assertEquals("weight of row 2 is -1.0: weights must be finite and >= 0",
                assertThrows(IllegalArgumentException.class, () -> new TwoSampleTesting.Side(rows, texts,
                        null, new double[] {1, 1, -1})).getMessage());
        FloatMatrix nan = new FloatMatrix(3, 2, new float[] {1, 0, 0, Float.NaN, 1, 1});
        assertEquals("row 1 has NaN at column 1", assertThrows(IllegalArgumentException.class,
                () -> UnitRows.of(nan)).getMessage());
        try (io.synalign.kernels.KernelBackend k = io.synalign.kernels.KernelBackends.create("reference")) {
            assertEquals("reference set 0: row 1 has NaN at column 1", assertThrows(
                    IllegalArgumentException.class, () -> SemanticFilter.filter(k, rows, List.of(nan), 0.9,
                            false, null)).getMessage());
            assertEquals("the weighted side's weights are all 0", assertThrows(IllegalArgumentException.class,
                    () -> TwoSampleTesting.run(k, new TwoSampleTesting.Side(rows, texts, null, null),
                            new TwoSampleTesting.Side(rows, texts, null, null),
                            new TwoSampleTesting.Side(rows, texts, null, new double[3]),
                            TwoSampleTesting.Options.of(100, 1), null)).getMessage());
        }
        IllegalArgumentException backend = assertThrows(IllegalArgumentException.class,
                () -> new TextAlignment.Options(io.synalign.engine.alignment.AlignmentConfig.defaults(),
                        io.synalign.engine.labelled.LabelMode.GLOBAL, "nd4jj"));
        assertEquals(true, backend.getMessage().contains("nd4jj"), backend.getMessage());
        assertEquals("every weight is 0; nothing to train on", assertThrows(IllegalArgumentException.class,
                () -> TextEvaluation.exampleWeights(2, new double[2])).getMessage());
        ClosedLoop.Round untested = new ClosedLoop.Round(1, 0, null, Map.of(), false, 0);
        assertEquals(0, untested.json().get("generated"));
        assertEquals(false, untested.json().containsKey("labels"));
    }
}
