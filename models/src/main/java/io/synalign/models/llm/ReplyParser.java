package io.synalign.models.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an assistant message into validated JSON. Tolerates what servers that ignore the schema
 * do: a Markdown code fence around the JSON (```json ... ```) and prose before or after it.
 */
final class ReplyParser {

    private static final Pattern FENCE = Pattern.compile("```[A-Za-z0-9_-]*\\s*\\n?(.*?)```", Pattern.DOTALL);

    private ReplyParser() {
    }

    /** The outcome: the parsed JSON, or why the reply is invalid. */
    record Result(JsonNode json, String problem) {
        boolean valid() {
            return problem == null;
        }
    }

    /** Parses {@code content} and validates it against {@code schema}. */
    static Result parse(String content, ResponseSchema schema) {
        if (content == null || content.isBlank()) {
            return new Result(null, "the reply was empty");
        }
        JsonNode json = extractJson(content);
        if (json == null) {
            // Prose with braces of its own around the JSON ("the {style} you asked for", a
            // <think> block before it): the outermost braces are not one value. The one object
            // in the text that matches the schema is the reply; two that do are not one reply.
            JsonNode only = null;
            int matching = 0;
            for (JsonNode candidate : objectsAtBraces(content)) {
                if (JsonSchemaValidator.validate(schema.schema(), candidate).isEmpty()) {
                    only = candidate;
                    matching++;
                }
            }
            if (matching == 1) {
                return new Result(only, null);
            }
            return new Result(null, "the reply was not valid JSON");
        }
        List<String> errors = JsonSchemaValidator.validate(schema.schema(), json);
        if (!errors.isEmpty()) {
            return new Result(json, "the reply does not match the schema " + schema.name() + ": "
                    + String.join("; ", errors));
        }
        return new Result(json, null);
    }

    /**
     * The JSON objects of {@code content} that start at a {@code '{'} outside any object found
     * before: each parsed as one value with whatever follows it ignored, the scan going on after
     * its end (so an object's inner objects are not counted again), in order of position (at
     * most {@value #MAX_BRACES} braces tried, so a long reply full of braces stays cheap).
     */
    static List<JsonNode> objectsAtBraces(String content) {
        List<JsonNode> found = new java.util.ArrayList<>();
        int tried = 0;
        int at = content.indexOf('{');
        while (at >= 0 && tried < MAX_BRACES) {
            tried++;
            int next = at + 1;
            try (com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.createParser(
                    content.substring(at))) {
                JsonNode node = Json.MAPPER.readTree(p);
                if (node != null && node.isObject()) {
                    found.add(node);
                    next = at + (int) p.getCurrentLocation().getCharOffset();
                }
            } catch (java.io.IOException e) {
                // not a value from here
            }
            at = content.indexOf('{', Math.max(next, at + 1));
        }
        return found;
    }

    /** Braces {@link #objectsAtBraces} tries at most. */
    static final int MAX_BRACES = 64;

    /** The JSON value in {@code content}, or {@code null} when there is none. */
    static JsonNode extractJson(String content) {
        String text = content.strip();
        JsonNode direct = tryParse(text);
        if (direct != null) {
            return direct;
        }
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            JsonNode fenced = tryParse(m.group(1).strip());
            if (fenced != null) {
                return fenced;
            }
        }
        // Prose around a bare object: take the outermost braces.
        int open = text.indexOf('{');
        int close = text.lastIndexOf('}');
        if (open >= 0 && close > open) {
            return tryParse(text.substring(open, close + 1));
        }
        return null;
    }

    private static JsonNode tryParse(String text) {
        if (text.isEmpty() || (text.charAt(0) != '{' && text.charAt(0) != '[')) {
            return null;
        }
        try {
            // readTree accepts trailing content after the first value; reject that by re-checking.
            com.fasterxml.jackson.core.JsonParser p = Json.MAPPER.createParser(text);
            JsonNode node = Json.MAPPER.readTree(p);
            if (p.nextToken() != null) {
                return null;
            }
            return node;
        } catch (JsonProcessingException e) {
            return null;
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
