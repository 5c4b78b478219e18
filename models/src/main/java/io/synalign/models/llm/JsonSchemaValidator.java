package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A small JSON Schema validator for the subset that structured-output APIs use: {@code type}
 * (object, array, string, integer, number, boolean, null, or a list of them), {@code properties},
 * {@code required}, {@code additionalProperties} (boolean or schema), {@code minProperties},
 * {@code maxProperties}, {@code items}, {@code minItems}, {@code maxItems}, {@code enum},
 * {@code minLength}, {@code maxLength}. Other keywords are ignored. Cost: one pass over the
 * instance.
 */
final class JsonSchemaValidator {

    private static final int MAX_ERRORS = 5;

    private JsonSchemaValidator() {
    }

    /** The violations of {@code schema} by {@code instance} (at most a few), empty when valid. */
    static List<String> validate(JsonNode schema, JsonNode instance) {
        List<String> errors = new ArrayList<>();
        check(schema, instance, "$", errors);
        return errors;
    }

    private static void check(JsonNode schema, JsonNode node, String path, List<String> errors) {
        if (errors.size() >= MAX_ERRORS || schema == null || !schema.isObject()) {
            return;
        }
        JsonNode type = schema.get("type");
        if (type != null && !typeMatches(type, node)) {
            errors.add(path + ": expected " + type + " but got " + kind(node));
            return;
        }
        JsonNode en = schema.get("enum");
        if (en != null && en.isArray()) {
            boolean found = false;
            for (JsonNode v : en) {
                found |= v.equals(node);
            }
            if (!found) {
                errors.add(path + ": value not in enum " + en);
            }
        }
        if (node.isTextual()) {
            int len = node.textValue().codePointCount(0, node.textValue().length());
            if (schema.has("minLength") && len < schema.get("minLength").asInt()) {
                errors.add(path + ": string shorter than " + schema.get("minLength").asInt());
            }
            if (schema.has("maxLength") && len > schema.get("maxLength").asInt()) {
                errors.add(path + ": string longer than " + schema.get("maxLength").asInt());
            }
        }
        if (node.isObject()) {
            checkObject(schema, node, path, errors);
        }
        if (node.isArray()) {
            if (schema.has("minItems") && node.size() < schema.get("minItems").asInt()) {
                errors.add(path + ": fewer than " + schema.get("minItems").asInt() + " items");
            }
            if (schema.has("maxItems") && node.size() > schema.get("maxItems").asInt()) {
                errors.add(path + ": more than " + schema.get("maxItems").asInt() + " items");
            }
            JsonNode items = schema.get("items");
            for (int i = 0; i < node.size() && items != null; i++) {
                check(items, node.get(i), path + "[" + i + "]", errors);
            }
        }
    }

    private static void checkObject(JsonNode schema, JsonNode node, String path, List<String> errors) {
        JsonNode props = schema.get("properties");
        JsonNode required = schema.get("required");
        if (required != null) {
            for (JsonNode r : required) {
                if (!node.has(r.asText())) {
                    errors.add(path + ": missing required property '" + r.asText() + "'");
                }
            }
        }
        if (schema.has("minProperties") && node.size() < schema.get("minProperties").asInt()) {
            errors.add(path + ": fewer than " + schema.get("minProperties").asInt() + " properties");
        }
        if (schema.has("maxProperties") && node.size() > schema.get("maxProperties").asInt()) {
            errors.add(path + ": more than " + schema.get("maxProperties").asInt() + " properties");
        }
        JsonNode additional = schema.get("additionalProperties");
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String p = path + "." + f.getKey();
            if (props != null && props.has(f.getKey())) {
                check(props.get(f.getKey()), f.getValue(), p, errors);
            } else if (additional != null) {
                if (additional.isBoolean() && !additional.booleanValue()) {
                    errors.add(path + ": unexpected property '" + f.getKey() + "'");
                } else if (additional.isObject()) {
                    check(additional, f.getValue(), p, errors);
                }
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode node) {
        if (type.isArray()) {
            for (JsonNode t : type) {
                if (typeMatches(t, node)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.asText()) {
            case "object" -> node.isObject();
            case "array" -> node.isArray();
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber()
                    || (node.isNumber() && node.asDouble() == Math.rint(node.asDouble()));
            case "number" -> node.isNumber();
            case "boolean" -> node.isBoolean();
            case "null" -> node.isNull();
            default -> true; // unknown type keyword: do not reject on it
        };
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
