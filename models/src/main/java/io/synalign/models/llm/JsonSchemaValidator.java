package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.path.PathType;
import com.networknt.schema.SpecificationVersion;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates replies against their JSON Schema with networknt's json-schema-validator (Draft
 * 2020-12, the dialect OpenAI-style structured outputs follow). Schemas are compiled once and
 * kept (the pipeline uses two); a reply is checked in one pass. The violations are returned as
 * short lines of the form {@code $.samples[0]: MESSAGE}, at most {@value #MAX_ERRORS}, so that a
 * re-ask prompt and a log line stay readable.
 */
final class JsonSchemaValidator {

    private static final int MAX_ERRORS = 5;

    // JSONPath locations ($.samples[0]) as the re-ask prompt shows them; English messages
    // whatever the JVM's locale (they go into prompts, journals and logs); 3.0 counts as an
    // integer, as a JSON number an LLM writes may carry a fraction of zero.
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12, b -> b.schemaRegistryConfig(
                    SchemaRegistryConfig.builder().pathType(PathType.JSON_PATH)
                            .locale(Locale.ENGLISH).losslessNarrowing(true).build()));

    /** Compiled schemas by their JSON (equal schemas share one). */
    private static final Map<JsonNode, Schema> COMPILED = new ConcurrentHashMap<>();

    private JsonSchemaValidator() {
    }

    /** The violations of {@code schema} by {@code instance} (at most a few), empty when valid. */
    static List<String> validate(JsonNode schema, JsonNode instance) {
        Schema compiled = COMPILED.get(schema);
        if (compiled == null) {
            // The key is a copy: a caller's later change to its node must not move the entry.
            compiled = COMPILED.computeIfAbsent(schema.deepCopy(), REGISTRY::getSchema);
        }
        return compiled.validate(instance).stream().limit(MAX_ERRORS).map(Error::toString)
                .toList();
    }
}
