package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {

    @TempDir
    Path dir;

    @Test
    void resolvesBuiltInNames() {
        assertEquals("minilm", ModelRegistry.DEFAULT_MODEL);
        assertEquals(List.of("minilm", "bge-small"), ModelRegistry.names());
        assertEquals(ModelSpec.minilm(), ModelRegistry.resolve("minilm"));
        assertEquals(ModelSpec.minilm(), ModelRegistry.resolve(" MiniLM "));
        assertEquals(ModelSpec.bgeSmall(), ModelRegistry.resolve("bge-small"));
        assertEquals(Pooling.CLS, ModelSpec.bgeSmall().pooling());
        assertEquals(Pooling.MEAN, ModelSpec.minilm().pooling());
    }

    @Test
    void unknownNamesListTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.resolve("gpt-17"));
        assertTrue(e.getMessage().contains("'gpt-17'"), e.getMessage());
        assertTrue(e.getMessage().contains("minilm") && e.getMessage().contains("bge-small")
                && e.getMessage().contains("model.onnx"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelRegistry.resolve(" "));
        assertThrows(IllegalArgumentException.class, () -> ModelRegistry.resolve(null));
    }

    @Test
    void directoryWithoutModelFilesIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.resolve(dir.toString()));
        assertTrue(e.getMessage().contains("model.onnx"), e.getMessage());
    }

    @Test
    void directoryModelLoadsAndItsIdTracksTheFiles() throws Exception {
        ModelSource bundled = ModelSpec.minilm().source();
        Files.write(dir.resolve("model.onnx"), bundled.readModel());
        Files.write(dir.resolve("tokenizer.json"), bundled.readTokenizer());

        ModelSpec spec = ModelRegistry.resolve(dir.toString());
        String prefix = "dir:" + dir.toAbsolutePath().normalize() + "#";
        assertTrue(spec.modelId().startsWith(prefix), spec.modelId());
        assertEquals(prefix.length() + 16, spec.modelId().length());
        assertEquals(Pooling.MEAN, spec.pooling());

        List<String> texts = List.of("How do I reset my password?", "A cat naps on the couch.");
        try (OnnxSentenceEncoder fromDir = OnnxSentenceEncoder.load(spec)) {
            assertEquals(spec.modelId(), fromDir.modelId());
            FloatMatrix expected = TestSupport.minilm().encode(texts);
            assertEquals(expected, fromDir.encode(texts), "same files, same vectors");
        }

        Files.writeString(dir.resolve("tokenizer.json"), " ",
                java.nio.file.StandardOpenOption.APPEND);
        assertNotEquals(spec.modelId(), ModelRegistry.resolve(dir.toString()).modelId());
    }

    @Test
    void aDirectoryWhoseModelIsGarbageIsBadInputNamingIt() throws Exception {
        ModelSource bundled = ModelSpec.minilm().source();
        byte[] garbage = new byte[5000];
        new java.util.Random(3).nextBytes(garbage);
        Files.write(dir.resolve("model.onnx"), garbage);
        Files.write(dir.resolve("tokenizer.json"), bundled.readTokenizer());
        ModelSpec spec = ModelRegistry.resolve(dir.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxSentenceEncoder.load(spec));
        assertTrue(e.getMessage().startsWith("model directory " + dir + ": cannot load it as an"
                + " ONNX model and a tokenizer ("), e.getMessage());
    }
}
