package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.regex.Pattern;

/**
 * A JSON schema the reply must satisfy, sent as OpenAI's
 * {@code response_format: {"type":"json_schema","json_schema":{"name","schema","strict"}}}.
 * Replies are validated against it on the client side too, since many servers ignore it.
 *
 * @param name   1-64 characters of {@code [A-Za-z0-9_-]} (OpenAI's rule)
 * @param schema a JSON schema whose root is an object schema
 * @param strict whether to ask for strict (constrained) decoding; OpenAI's strict mode only
 *               accepts closed objects ({@code additionalProperties: false}), so open maps
 *               must be sent with {@code strict = false}
 */
public record ResponseSchema(String name, JsonNode schema, boolean strict) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public ResponseSchema {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "schema name must be 1-64 characters of [A-Za-z0-9_-]: " + name);
        }
        if (schema == null || !schema.isObject()) {
            throw new IllegalArgumentException("schema " + name + " must be a JSON object");
        }
        schema = schema.deepCopy();
    }

    /** A defensive copy of the schema (records expose their components; JsonNode is mutable). */
    @Override
    public JsonNode schema() {
        return schema.deepCopy();
    }
}
