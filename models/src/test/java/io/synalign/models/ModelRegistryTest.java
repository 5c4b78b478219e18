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
            assertEquals(spec.modelId() + ";rev=" + OnnxSentenceEncoder.ENCODER_REVISION,
                    fromDir.modelId());
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

    /** The encoder's cache id for {@code spec} pooled by {@code pooling}, other settings default. */
    private static String cacheId(ModelSpec spec, Pooling pooling) {
        return OnnxSentenceEncoder.modelId(spec, pooling, EncoderOptions.DEFAULT_MAX_LENGTH,
                BatchMode.PADDED, BatchMode.PADDED);
    }

    @Test
    void aSentenceTransformersFolderSetsItsPoolingAndAnUnsupportedOneIsNamed() throws Exception {
        ModelSource bundled = ModelSpec.minilm().source();
        Files.write(dir.resolve("model.onnx"), bundled.readModel());
        Files.write(dir.resolve("tokenizer.json"), bundled.readTokenizer());
        ModelSpec meanSpec = ModelRegistry.resolve(dir.toString());
        assertEquals(Pooling.MEAN, meanSpec.pooling(), "no config");
        Files.createDirectories(dir.resolve("1_Pooling"));
        Path config = dir.resolve("1_Pooling/config.json");
        Files.writeString(config, "{\"word_embedding_dimension\": 384,"
                + " \"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false,"
                + " \"pooling_mode_max_tokens\": false}");
        Files.writeString(dir.resolve("modules.json"), "[{\"idx\":0,\"type\":"
                + "\"sentence_transformers.models.Transformer\"},{\"idx\":1,\"type\":"
                + "\"sentence_transformers.models.Pooling\"}]");
        ModelSpec clsSpec = ModelRegistry.resolve(dir.toString());
        assertEquals(Pooling.CLS, clsSpec.pooling());
        // The cache id follows the pooling the vectors were made with, not only the files: a
        // config added or edited in place must not return the other pooling's cached vectors.
        String meanId = cacheId(meanSpec, Pooling.MEAN);
        String clsId = cacheId(clsSpec, Pooling.CLS);
        assertEquals(meanSpec.modelId() + ";rev=2", meanId, "mean from no config: the files' id");
        assertEquals(meanSpec.modelId() + ";pool=cls;rev=2", clsId);
        assertEquals(clsId, cacheId(meanSpec, Pooling.CLS), "CLS by override: as from the config");
        assertEquals(meanId, cacheId(clsSpec, Pooling.MEAN), "mean by override: as with no config");
        SentenceTransformersConfig read = SentenceTransformersConfig.read(dir);
        assertEquals(Boolean.FALSE, read.normalised());
        assertEquals(config, read.source());
        Files.writeString(config, "{\"pooling_mode_cls_token\": false,"
                + " \"pooling_mode_mean_tokens\": true, \"pooling_mode_max_tokens\": true}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.resolve(dir.toString()));
        assertEquals(config + ": pooling pooling_mode_mean_tokens + pooling_mode_max_tokens is not"
                + " supported; SynAlign pools by the mean of the tokens or by the CLS token",
                e.getMessage());
        Files.writeString(config, "{not json");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ModelRegistry.resolve(dir.toString())).getMessage().startsWith(config
                + ": not readable JSON"));
    }
}
