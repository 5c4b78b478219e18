package io.synalign.models.llm;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * The two reply schemas of SynAlign's generation pipeline.
 *
 * <ul>
 *   <li>{@link #ATTRIBUTES} ({@code synalign_attributes}), stage 1: the latent linguistic
 *       attributes of a group of demonstrations, an object of string values
 *       ({@code {"tone": "...", "topic": "..."}}). The attribute names are the LLM's choice, so
 *       the object is open; OpenAI's strict mode rejects open objects, so it is sent with
 *       {@code strict = false} and enforced by client-side validation.</li>
 *   <li>{@link #SAMPLES} ({@code synalign_samples}), stage 2: new examples,
 *       {@code {"samples":[{"text": "..."}, ...]}}; closed, so sent with {@code strict = true}.</li>
 * </ul>
 */
public final class Schemas {

    public static final ResponseSchema ATTRIBUTES = new ResponseSchema("synalign_attributes", parse("""
            {"type": "object",
             "additionalProperties": {"type": "string"},
             "minProperties": 1}
            """), false);

    public static final ResponseSchema SAMPLES = new ResponseSchema("synalign_samples", parse("""
            {"type": "object",
             "properties": {
               "samples": {"type": "array",
                           "items": {"type": "object",
                                     "properties": {"text": {"type": "string"}},
                                     "required": ["text"],
                                     "additionalProperties": false}}},
             "required": ["samples"],
             "additionalProperties": false}
            """), true);

    private Schemas() {
    }

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
