package io.synalign.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a sentence-transformers model folder says about its pooling and normalisation:
 * {@code 1_Pooling/config.json} (the {@code pooling_mode_*} flags) and {@code modules.json}
 * (whether a {@code Normalize} module follows the pooling). SynAlign pools by mean or by the CLS
 * token; any other mode (max, weighted mean, last token, or several concatenated) is refused,
 * rather than embedded silently with the wrong pooling. SynAlign always L2-normalises, so a model
 * without a {@code Normalize} module is still normalised; {@link #normalised()} says whether the
 * model's own pipeline does too.
 *
 * @param pooling the pooling the folder prescribes, or null when it has no pooling config
 * @param source the file the pooling was read from, for messages, or null
 * @param normalised whether {@code modules.json} lists a Normalize module; null without one
 */
public record SentenceTransformersConfig(Pooling pooling, Path source, Boolean normalised) {

    static final String POOLING_CONFIG = "1_Pooling/config.json";
    static final String MODULES = "modules.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Reads the folder's config files, those that exist.
     *
     * @throws IllegalArgumentException naming the file when it is malformed or prescribes a
     *     pooling SynAlign does not have
     */
    public static SentenceTransformersConfig read(Path dir) {
        Path pooling = dir.resolve(POOLING_CONFIG);
        Pooling mode = null;
        if (Files.isRegularFile(pooling)) {
            JsonNode c = parse(pooling);
            List<String> on = new ArrayList<>();
            c.fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("pooling_mode_") && e.getValue().asBoolean(false)) {
                    on.add(e.getKey());
                }
            });
            if (on.equals(List.of("pooling_mode_cls_token"))) {
                mode = Pooling.CLS;
            } else if (on.equals(List.of("pooling_mode_mean_tokens"))) {
                mode = Pooling.MEAN;
            } else {
                throw new IllegalArgumentException(pooling + ": pooling " + (on.isEmpty() ? "none"
                        : String.join(" + ", on)) + " is not supported; SynAlign pools by the mean"
                        + " of the tokens or by the CLS token");
            }
        }
        Boolean normalised = null;
        Path modules = dir.resolve(MODULES);
        if (Files.isRegularFile(modules)) {
            normalised = false;
            for (JsonNode m : parse(modules)) {
                normalised |= m.path("type").asText("").endsWith(".Normalize");
            }
        }
        return new SentenceTransformersConfig(mode, mode == null ? null : pooling, normalised);
    }

    private static JsonNode parse(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not readable JSON ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }
}
