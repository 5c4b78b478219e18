package io.synalign.models;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Resolves the model names a user may type ({@code minilm}, {@code bge-small}, a directory). */
public final class ModelRegistry {

    /** The model used when none is named. */
    public static final String DEFAULT_MODEL = "minilm";

    private static final List<String> NAMES = List.of("minilm", "bge-small");

    private ModelRegistry() {
    }

    /** The built-in model names, default first. */
    public static List<String> names() {
        return NAMES;
    }

    /**
     * Resolves a built-in name (case-insensitive) or a directory holding {@code model.onnx} and
     * {@code tokenizer.json} (mean pooling).
     *
     * @throws IllegalArgumentException for anything else, listing the choices
     */
    public static ModelSpec resolve(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank; choose "
                    + choices());
        }
        String key = nameOrPath.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "minilm":
                return ModelSpec.minilm();
            case "bge-small":
                return ModelSpec.bgeSmall();
            default:
                break;
        }
        Path dir;
        try {
            dir = Path.of(nameOrPath.trim());
        } catch (InvalidPathException e) {
            dir = null;
        }
        if (dir != null && Files.isDirectory(dir)) {
            return ModelSpec.directory(dir);
        }
        throw new IllegalArgumentException("unknown model '" + nameOrPath + "'; choose "
                + choices());
    }

    private static String choices() {
        return "minilm (default), bge-small, or a directory with "
                + ModelSource.Directory.MODEL_FILE + " and "
                + ModelSource.Directory.TOKENIZER_FILE;
    }
}
