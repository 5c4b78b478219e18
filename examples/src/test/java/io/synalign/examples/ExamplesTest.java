package io.synalign.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.labelled.LabelOutcome;
import io.synalign.kernels.FloatMatrix;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs every example as a user would and checks what it produced. */
class ExamplesTest {

    @Test
    void alignEmbeddingsLowersTheMmdAndDownWeightsTheShiftedRows() {
        Random random = new Random(3);
        FloatMatrix real = AlignEmbeddings.gaussian(random, 200, 8, 0.0, 200);
        FloatMatrix synthetic = AlignEmbeddings.gaussian(random, 400, 8, 2.0, 200);
        AlignmentResult r = AlignEmbeddings.align(real, synthetic, 7);
        double sum = 0;
        double shifted = 0;
        for (int i = 0; i < r.weights().length; i++) {
            assertTrue(r.weights()[i] >= 0);
            sum += r.weights()[i];
            shifted += i >= 200 ? r.weights()[i] : 0;
        }
        assertEquals(1.0, sum, 1e-9);
        assertTrue(r.mmd2Weighted() < 0.2 * r.mmd2Uniform(), r.mmd2Uniform() + " -> "
                + r.mmd2Weighted());
        // Uniform weights give the shifted half 0.5 of the mass; aligned, far less.
        assertTrue(shifted < 0.2, "weight on the shifted rows: " + shifted);
        AlignEmbeddings.main(new String[0]);
    }

    @Test
    void alignLabelledJsonlKeepsTheRealLabelSharesAndWritesEveryRecord(@TempDir Path dir)
            throws IOException {
        // Real: 3 "sport" and 1 "food" texts. Synthetic: 4 of each, some off topic.
        Path real = write(dir.resolve("real.jsonl"), List.of(
                row("The striker scored twice in the final minutes of the match.", "sport"),
                row("The goalkeeper saved a penalty and the team won the cup.", "sport"),
                row("The runner finished the marathon in under three hours.", "sport"),
                row("Slow-cooked lentils with garlic, cumin and lemon.", "food")));
        Path synthetic = write(dir.resolve("synthetic.jsonl"), List.of(
                row("The midfielder passed the ball and the forward scored.", "sport"),
                row("The cyclist won the stage after a long climb.", "sport"),
                row("Quarterly earnings rose on strong cloud revenue.", "sport"),
                row("The tennis player served an ace to win the set.", "sport"),
                row("Roasted vegetables with olive oil and rosemary.", "food"),
                row("A bowl of tomato soup with fresh basil.", "food"),
                row("The central bank raised interest rates again.", "food"),
                row("Grilled fish with lemon and parsley.", "food")));
        Path out = dir.resolve("weighted.jsonl");

        TextAlignment.Result result = AlignLabelledJsonl.align(real, synthetic, out);

        double[] w = result.alignment().weights();
        assertEquals(8, w.length);
        for (LabelOutcome l : result.alignment().labels()) {
            double want = l.label().equals("sport") ? 0.75 : 0.25;
            assertEquals(want, l.weightShare(), 1e-9, l.label());
        }
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(8, lines.size());
        ObjectMapper json = new ObjectMapper();
        double sum = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode node = json.readTree(lines.get(i));
            assertEquals(w[i], node.get(TextAlignment.WEIGHT_FIELD).asDouble(), 1e-12);
            sum += node.get(TextAlignment.WEIGHT_FIELD).asDouble();
        }
        assertEquals(1.0, sum, 1e-9);

        // The program as the README runs it: the same file.
        Path byMain = dir.resolve("weighted-main.jsonl");
        AlignLabelledJsonl.main(new String[] {real.toString(), synthetic.toString(), byMain.toString()});
        assertEquals(lines, Files.readAllLines(byMain, StandardCharsets.UTF_8));
    }

    private static String row(String text, String label) {
        return "{\"text\": \"" + text + "\", \"label\": \"" + label + "\"}";
    }

    private static Path write(Path file, List<String> lines) throws IOException {
        Files.write(file, new ArrayList<>(lines), StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void generateWithAChatModelFillsEveryLabelsQuotaWithValidatedRows() {
        List<String> texts = List.of("Great match last night.", "The team lost again.",
                "A win at home.", "Fresh bread this morning.", "Soup for dinner.");
        List<String> labels = List.of("sport", "sport", "sport", "food", "food");
        FloatMatrix embeddings = AlignEmbeddings.gaussian(new Random(5), texts.size(), 8, 0, 0);
        io.synalign.pipeline.Generation.Result r = GenerateWithChatModel.generate(
                new GenerateWithChatModel.TemplateChatModel(),
                new TextAlignment.Texts(texts, labels), embeddings, 4);
        assertEquals(java.util.Map.of("sport", 4, "food", 4), r.quotas());
        assertEquals(8, r.samples().size());
        assertEquals(4, r.samples().stream().filter(s -> s.label().equals("sport")).count());
        assertEquals(8, r.samples().stream().map(s -> s.text()).distinct().count());
        assertTrue(!r.baseline() && r.model().equals("template"), r.toString());
        GenerateWithChatModel.main(new String[0]);
    }

    @Test
    void evaluateStudentsScoresEveryVariantOnTheTestSet() {
        Random random = new Random(4);
        EvaluateStudents.Labelled train = EvaluateStudents.Labelled.twoClasses(random, 200, 0);
        EvaluateStudents.Labelled test = EvaluateStudents.Labelled.twoClasses(random, 100, 0);
        List<io.synalign.evaluation.VariantResult> results = EvaluateStudents.evaluate(List.of(
                new io.synalign.evaluation.TrainingVariant("real", train.x(), train.y(), null,
                        null)), test.x(), test.y(), List.of("a", "b"), 1);
        assertEquals(1, results.size());
        // The classes sit 4 apart along one axis (Bayes accuracy 0.98): far better than chance.
        assertTrue(results.get(0).accuracy().mean() > 0.8, EvaluateStudents.describe(
                results.get(0)));
        EvaluateStudents.main(new String[0]);
    }
}
