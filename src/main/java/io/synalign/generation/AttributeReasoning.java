package io.synalign.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.models.llm.ChatMessage;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.ResponseSchema;
import io.synalign.models.llm.SamplingParams;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The pieces both generators ({@link LlmSampleGenerator}, {@link QueryGenerator}) share for
 * latent attribute reasoning: a stage request with a reproducible attempt index, the stage-1
 * reply as an attribute object, and that object as the bullet list stage 2 shows.
 */
final class AttributeReasoning {

    private AttributeReasoning() {
    }

    /** A request whose attempt index counts earlier asks of the same prompt in this run. */
    static ChatRequest request(String prompt, SamplingParams sampling, ResponseSchema schema,
            Map<String, Integer> asked) {
        int attempt = asked.merge(schema.name() + "\u0000" + prompt, 1, Integer::sum) - 1;
        return new ChatRequest(List.of(ChatMessage.user(prompt)), sampling, schema, attempt);
    }

    /** The stage-1 reply's attributes, every value as text, in the reply's order. */
    static ObjectNode attributes(JsonNode json) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            o.put(e.getKey(), e.getValue().asText());
        }
        return o;
    }

    /** The attributes as stage 2 shows them: one "- name: value" line each. */
    static String describe(ObjectNode attrs) {
        StringBuilder sb = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue().asText());
            if (it.hasNext()) {
                sb.append('\n');
            }
        }
        return sb.toString();
    }
}
