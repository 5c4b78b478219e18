package io.synalign.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** The one Jackson mapper of the CLI: UTF-8, pretty for summaries, compact for JSON lines. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private Json() {
    }

    /** Writes {@code value} indented, followed by a newline. */
    static void writePretty(OutputStream out, Object value) throws IOException {
        MAPPER.writer(SerializationFeature.INDENT_OUTPUT).writeValue(out, value);
        out.write('\n');
    }

    /**
     * Writes {@code document} (a JSON object, or what maps to one) as a run directory's
     * document: {@link io.synalign.pipeline.RunDocuments#stamped stamped} with its format
     * number, indented.
     */
    static void writeRunDocument(OutputStream out, Object document) throws IOException {
        writePretty(out, io.synalign.pipeline.RunDocuments.stamped(MAPPER.valueToTree(document)));
    }

    /** One compact JSON document on one line, newline-terminated. */
    static void writeLine(OutputStream out, Object value) throws IOException {
        out.write(MAPPER.writeValueAsString(value).getBytes(StandardCharsets.UTF_8));
        out.write('\n');
    }

    /**
     * {"mean": x, "std": y}, in that order (Map.of has no stable order); std is null where it
     * is undefined (a single repeat).
     */
    static java.util.Map<String, Object> meanStd(io.synalign.evaluation.MeanStd m) {
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        out.put("mean", m.mean());
        out.put("std", Double.isNaN(m.std()) ? null : m.std());
        return out;
    }

    /** {@link #meanStd} with the measurements, in repeat order ({@code values}). */
    static java.util.Map<String, Object> meanStdValues(io.synalign.evaluation.MeanStd m) {
        java.util.Map<String, Object> out = meanStd(m);
        out.put("values", m.values());
        return out;
    }
}
