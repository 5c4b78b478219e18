package io.synalign.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.io.InputException;
import io.synalign.models.DocumentFormat;
import java.nio.file.Path;

/**
 * The format number of the JSON documents in a run directory ({@link RunFiles}:
 * {@value RunFiles#ALIGNMENT}, {@value RunFiles#LABELS}, {@value RunFiles#GENERATION},
 * {@value RunFiles#TEST}, {@value RunFiles#EVALUATION}). Every command writes its documents
 * through {@link #stamped}, which puts {@code "format": }{@value #FORMAT} first, and every
 * reader (report, {@code test --weighted --run-dir}) goes through {@link #requireReadable}: a
 * document without the number was written before documents had one and reads as format 1; a
 * larger number is refused, naming the file, since this build would misread what a newer one
 * changed ({@link DocumentFormat}).
 *
 * <p>Raise {@link #FORMAT} when a key of any of these documents changes meaning, so that an
 * older build reading it would take it for what it meant before; not for a key added.
 */
public final class RunDocuments {

    /** The key of the format number, the first of every run document. */
    public static final String KEY = "format";
    /** The format this build writes, and the newest it reads. */
    public static final int FORMAT = 1;

    private RunDocuments() {
    }

    /**
     * {@code document} (a JSON object) with {@code "format": }{@value #FORMAT} as its first key,
     * as written to a run directory; a format key it held is replaced.
     */
    public static ObjectNode stamped(JsonNode document) {
        if (document == null || !document.isObject()) {
            throw new IllegalArgumentException("a run document is a JSON object, got " + document);
        }
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put(KEY, FORMAT);
        document.fields().forEachRemaining(e -> {
            if (!e.getKey().equals(KEY)) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    /**
     * Returns {@code document}, read from {@code file}, when this build can read its format.
     *
     * @throws InputException naming {@code file} when a newer SynAlign wrote it (its format is
     *     larger than {@value #FORMAT}), or its format is not a number
     */
    public static JsonNode requireReadable(Path file, JsonNode document) {
        int format;
        try {
            format = DocumentFormat.of(document, KEY);
        } catch (IllegalArgumentException e) {
            throw new InputException(file, e.getMessage());
        }
        String newer = DocumentFormat.newer(format, FORMAT);
        if (newer != null) {
            throw new InputException(file, newer);
        }
        return document;
    }
}
