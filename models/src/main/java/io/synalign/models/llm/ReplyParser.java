package io.synalign.models.llm;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an assistant message into validated JSON. Tolerates what servers that ignore the schema
 * do: a Markdown code fence around the JSON (```json ... ```) and prose before or after it.
 *
 * <p>A reasoning model served without a reasoning parser (Qwen3 or a DeepSeek-R1 distill on a
 * llama.cpp server or vLLM without {@code --reasoning-parser}, gpt-oss without its Harmony
 * parser) writes its reasoning into the content before the answer: {@code <think>...</think>}
 * (an R1 template opens the tag in the prompt, so only {@code </think>} shows), or Harmony's
 * {@code <|channel|>analysis<|message|>...<|channel|>final<|message|>}. Reasoning drafts the
 * answer, often as fenced or bare JSON, so a content that is not one JSON value as a whole is
 * read from after the reasoning only: a draft is never taken for the answer, and a reply that
 * ends inside the reasoning is said to have no answer instead of "not valid JSON".
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

    /**
     * {@link #parse(String, ResponseSchema)} of a reply that ended with {@code finishReason}: one
     * cut off at the token limit ({@code length}) that does not parse as a whole keeps the
     * complete elements of its first JSON array ({@link #salvage}) when they, closed where the
     * cut-off element began, match the schema and are at least one. The journal replays a reply
     * through this too, with the finish reason it recorded, so a resumed run keeps the same rows.
     */
    static Result parse(String content, ResponseSchema schema, String finishReason) {
        Result whole = parse(content, schema);
        if (whole.valid() || !"length".equals(finishReason) || content == null || content.isBlank()) {
            return whole;
        }
        Answer answer = afterReasoning(content);
        if (answer.reasoningOnly()) {
            return whole;
        }
        JsonNode kept = salvage(answer.text());
        if (kept != null && JsonSchemaValidator.validate(schema.schema(), kept).isEmpty()) {
            return new Result(kept, null);
        }
        return whole;
    }

    /**
     * The complete elements of the first JSON array in a reply cut off inside it: the text from
     * the first {@code '{'} or {@code '['} (a Markdown fence opened before it is skipped) read
     * token by token until the text ends, cut after the last element of that array that was
     * read whole, and every container still open closed there. {@code null} when the array has
     * no complete element, or the text holds no JSON start. Only elements of the FIRST array
     * opened count: an element cut off inside an inner array of its own is dropped whole
     * rather than kept with half its list.
     */
    static JsonNode salvage(String text) {
        int start = -1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{' || c == '[') {
                start = i;
                break;
            }
        }
        if (start < 0) {
            return null;
        }
        String json = text.substring(start);
        ArrayDeque<Character> open = new ArrayDeque<>(); // closers, innermost first
        int arrayDepth = -1; // depth of the first array, once opened; 0 once it closed
        int cut = -1;
        String closers = null;
        // A number ends only where the next token starts (one cut at "23" of "234" reads as
        // 23): a number element counts once the next token is read.
        int pendingCut = -1;
        String pendingClosers = null;
        try (JsonParser p = Json.MAPPER.createParser(json)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (pendingCut >= 0) {
                    cut = pendingCut;
                    closers = pendingClosers;
                    pendingCut = -1;
                }
                if (t == JsonToken.START_OBJECT
                        || t == JsonToken.START_ARRAY) {
                    open.push(t == JsonToken.START_OBJECT ? '}' : ']');
                    if (arrayDepth < 0 && t == JsonToken.START_ARRAY) {
                        arrayDepth = open.size();
                    }
                    continue;
                }
                if (t == JsonToken.FIELD_NAME) {
                    continue;
                }
                if (t == JsonToken.END_OBJECT
                        || t == JsonToken.END_ARRAY) {
                    open.pop();
                    if (open.isEmpty()) {
                        return null; // the whole value ended: not a reply cut off inside it
                    }
                    if (open.size() < arrayDepth) {
                        arrayDepth = 0; // the first array ended; later values are not its elements
                    }
                }
                if (arrayDepth > 0 && open.size() == arrayDepth) {
                    // A value just ended directly inside the first array: a complete element.
                    if (t == JsonToken.VALUE_STRING) {
                        p.getText(); // the parser reads a string lazily: to its end, or it throws
                    }
                    int end = (int) p.getCurrentLocation().getCharOffset();
                    StringBuilder sb = new StringBuilder();
                    for (char c : open) {
                        sb.append(c);
                    }
                    if (t.isNumeric()) {
                        pendingCut = end;
                        pendingClosers = sb.toString();
                    } else {
                        cut = end;
                        closers = sb.toString();
                    }
                }
            }
        } catch (java.io.IOException e) {
            // the text ends inside a value: where it was cut off
        }
        if (cut < 0) {
            return null;
        }
        return tryParse(json.substring(0, cut) + closers);
    }

    /** Parses {@code content} and validates it against {@code schema}. */
    static Result parse(String content, ResponseSchema schema) {
        if (content == null || content.isBlank()) {
            return new Result(null, "the reply was empty");
        }
        if (tryParse(content.strip()) == null) {
            // Only a content that is not JSON as a whole can hold reasoning: a sample text that
            // mentions "</think>" inside valid JSON stays as it is.
            Answer answer = afterReasoning(content);
            if (answer.reasoningOnly()) {
                return new Result(null, "the reply holds only the model's reasoning ("
                        + answer.reasoningChars() + " characters), no answer after it");
            }
            if (answer.reasoningChars() > 0) {
                Result r = parseAnswer(answer.text(), schema);
                return r.valid() ? r : new Result(r.json(), r.problem() + " (in the answer after "
                        + answer.reasoningChars() + " characters of the model's reasoning)");
            }
        }
        return parseAnswer(content, schema);
    }

    /** {@link #parse} of a content without reasoning in it. */
    private static Result parseAnswer(String content, ResponseSchema schema) {
        if (content.isBlank()) {
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

    /**
     * A content split at the end of its reasoning: the answer's text, the characters of
     * reasoning before it (0: none found, the text is the whole content), and whether the
     * content ends inside the reasoning (no answer at all).
     */
    record Answer(String text, int reasoningChars, boolean reasoningOnly) {
    }

    private static final Pattern THINK_OPEN = Pattern.compile("^\\s*<(think|thinking|reasoning)>",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern THINK_CLOSE = Pattern.compile("</(think|thinking|reasoning)>",
            Pattern.CASE_INSENSITIVE);
    private static final String HARMONY_FINAL = "<|channel|>final<|message|>";
    private static final Pattern HARMONY_TAIL = Pattern.compile("(<\\|(return|end|call)\\|>\\s*)+$");

    /**
     * The answer after the reasoning in {@code content}: after the last closing think tag, or
     * after Harmony's last final-channel header (its closing {@code <|return|>} or
     * {@code <|end|>} removed); a content that opens a think tag and never closes it, or opens
     * Harmony's analysis channel and never reaches the final one, is reasoning only.
     */
    static Answer afterReasoning(String content) {
        Matcher close = THINK_CLOSE.matcher(content);
        int end = -1;
        while (close.find()) {
            end = close.end();
        }
        if (end >= 0) {
            return new Answer(content.substring(end), end, false);
        }
        int fin = content.lastIndexOf(HARMONY_FINAL);
        if (fin >= 0) {
            int start = fin + HARMONY_FINAL.length();
            return new Answer(HARMONY_TAIL.matcher(content.substring(start)).replaceFirst(""), start, false);
        }
        if (THINK_OPEN.matcher(content).find() || content.contains("<|channel|>analysis")) {
            return new Answer("", content.length(), true);
        }
        return new Answer(content, 0, false);
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
