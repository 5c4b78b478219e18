package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.evaluation.ClassificationScores;
import io.synalign.io.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test predictions that a classification's {@code evaluation.json} keeps: the test rows'
 * class indices ({@code testLabels}, once) and per variant one array of predicted class indices
 * per repeat ({@code testPredictions}), from which the verdict resamples test rows. An
 * evaluation written before they were kept has neither; the verdict then falls back to the
 * seeds-only interval.
 *
 * <p>Checked when read, because the verdict would otherwise quote an interval of other rows:
 * every array as long as {@code testLabels}, as many arrays as the variant's macro-F1 values,
 * class indices in range, and each repeat's predictions scoring the macro-F1 value recorded for
 * that repeat (1e-9). Cost O(variants x repeats x rows x classes) ({@code ClassificationScores}
 * passes over the rows once per class).
 *
 * @param truth the class index of each test row
 * @param classes the number of classes ({@code classes} of the document, else one more than the
 *     largest index)
 * @param byVariant per variant name, its predictions, {@code [repeat][row]}
 */
public record TestPredictions(int[] truth, int classes, Map<String, int[][]> byVariant) {

    /** Agreement required between recomputed and recorded macro-F1 (JSON round-trips doubles). */
    private static final double SCORE_TOLERANCE = 1e-9;

    /**
     * The predictions of an evaluation document, or {@code null} when it keeps none (written
     * before they were kept, or a retrieval evaluation).
     *
     * @param file the document, for messages
     * @throws InputException naming the file, variant and value when the predictions are unusable
     */
    static TestPredictions read(Path file, JsonNode evaluation) {
        JsonNode labels = evaluation.get("testLabels");
        if (labels == null || Verdict.retrieval(evaluation)) {
            return null;
        }
        int[] truth = indices(file, "testLabels", labels);
        if (truth.length == 0) {
            throw new InputException(file, "testLabels is empty");
        }
        Map<String, int[][]> byVariant = new LinkedHashMap<>();
        int largest = max(truth);
        for (JsonNode v : evaluation.path("variants")) {
            String name = v.path("name").asText();
            String where = "variant '" + name + "' testPredictions";
            JsonNode repeats = v.get("testPredictions");
            if (repeats == null || !repeats.isArray()) {
                throw new InputException(file, where + " is " + (repeats == null ? "missing"
                        : repeats.getNodeType().toString().toLowerCase(java.util.Locale.ROOT))
                        + "; beside testLabels every variant needs an array per repeat");
            }
            int[][] predictions = new int[repeats.size()][];
            for (int r = 0; r < predictions.length; r++) {
                predictions[r] = indices(file, where + "[" + r + "]", repeats.get(r));
                if (predictions[r].length != truth.length) {
                    throw new InputException(file, where + "[" + r + "] has "
                            + predictions[r].length + " entries for " + truth.length
                            + " testLabels");
                }
                largest = Math.max(largest, max(predictions[r]));
            }
            byVariant.put(name, predictions);
        }
        int classes = classCount(file, evaluation, largest);
        for (JsonNode v : evaluation.path("variants")) {
            checkScores(file, v, byVariant.get(v.path("name").asText()), truth);
        }
        return new TestPredictions(truth, classes, Collections.unmodifiableMap(byVariant));
    }

    /** {@code classes}' length where given (every index must be below it), else largest + 1. */
    private static int classCount(Path file, JsonNode evaluation, int largest) {
        JsonNode names = evaluation.get("classes");
        if (names == null || !names.isArray()) {
            return largest + 1;
        }
        if (largest >= names.size()) {
            throw new InputException(file, "class index " + largest + " in testLabels or"
                    + " testPredictions, but classes has " + names.size() + " names");
        }
        return names.size();
    }

    /** Each repeat's predictions must score the macro-F1 value the document records for it. */
    private static void checkScores(Path file, JsonNode variant, int[][] predictions,
            int[] truth) {
        List<Double> recorded = new ArrayList<>();
        for (JsonNode x : variant.path("macroF1").path("values")) {
            recorded.add(x.asDouble(Double.NaN));
        }
        String name = variant.path("name").asText();
        if (recorded.size() != predictions.length) {
            throw new InputException(file, "variant '" + name + "' has " + predictions.length
                    + " testPredictions arrays for " + recorded.size() + " macroF1 values");
        }
        for (int r = 0; r < predictions.length; r++) {
            double f1 = ClassificationScores.of(truth, predictions[r]).macroF1();
            if (!(Math.abs(f1 - recorded.get(r)) <= SCORE_TOLERANCE)) {
                throw new InputException(file, "variant '" + name + "' repeat " + r
                        + ": testPredictions score macro-F1 " + f1 + " against testLabels, but"
                        + " macroF1.values records " + recorded.get(r)
                        + " (predictions of another test set or run?)");
            }
        }
    }

    private static int[] indices(Path file, String where, JsonNode array) {
        if (array == null || !array.isArray()) {
            throw new InputException(file, where + " must be an array of class indices, got "
                    + (array == null ? "nothing" : JsonExcerpt.of(array)));
        }
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = array.get(i);
            if (!x.isIntegralNumber() || !x.canConvertToInt() || x.intValue() < 0) {
                throw new InputException(file, where + "[" + i + "] is " + JsonExcerpt.of(x)
                        + "; class indices are integers >= 0");
            }
            out[i] = x.intValue();
        }
        return out;
    }

    private static int max(int[] values) {
        int m = 0;
        for (int v : values) {
            m = Math.max(m, v);
        }
        return m;
    }
}
