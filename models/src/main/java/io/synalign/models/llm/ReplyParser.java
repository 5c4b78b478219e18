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
 * read from after the reasoning only, and a reply cut off without a whole answer is refused
 * (an R1 draft before its {@code </think>} looks like prose and JSON): a draft is not taken for
 * the answer, and a reply that ends inside the reasoning is said to have no answer instead of
 * "not valid JSON". Harmony's final header may carry a constraint
 * ({@code <|channel|>final <|constrain|>json<|message|>}, gpt-oss given a response format).
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
     *
     * <p>A reply cut off ({@code length} or {@code content_filter}) is taken as it parses only
     * when it is one JSON value as a whole, or its reasoning closed and the answer after it is
     * one: anything else that parses in it may be a draft in reasoning whose opening tag was in
     * the prompt (a DeepSeek-R1 distill shows no {@code <think>}), so the reply is refused as
     * cut off, its salvaged elements (at {@code length}) apart.
     */
    static Result parse(String content, ResponseSchema schema, String finishReason) {
        Result whole = parse(content, schema);
        boolean cut = "length".equals(finishReason) || "content_filter".equals(finishReason);
        if (!cut || content == null || content.isBlank()) {
            return whole;
        }
        if (tryParse(content.strip()) != null) {
            return whole; // one JSON value as a whole: its end was written
        }
        Answer answer = afterReasoning(content);
        if (answer.reasoningOnly()) {
            return whole;
        }
        if (whole.valid() && answer.reasoningChars() > 0 && tryParse(answer.text().strip()) != null) {
            return whole; // the reasoning closed, and the answer after it is one whole value
        }
        if ("length".equals(finishReason)) {
            JsonNode kept = salvage(answer.text());
            if (kept != null && JsonSchemaValidator.validate(schema.schema(), kept).isEmpty()) {
                return new Result(kept, null);
            }
        }
        // Cut off with no whole answer: what parses in it may be a draft in reasoning whose
        // opening tag was in the prompt (a DeepSeek-R1 distill), never the answer.
        return whole.valid() ? new Result(null, "the reply ended before a whole answer") : whole;
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

    /**
     * Parses {@code content} and validates it against {@code schema}. A content that is not one
     * JSON value as a whole is read from after the end of its reasoning ({@link #reasoningEnds}):
     * the latest end whose answer is a valid reply, because a sample may mention a closing tag
     * itself (in fenced JSON or prose around it, where the latest tag is inside the answer).
     */
    static Result parse(String content, ResponseSchema schema) {
        if (content == null || content.isBlank()) {
            return new Result(null, "the reply was empty");
        }
        JsonNode whole = tryParse(content.strip());
        if (whole != null) {
            // Only a content that is not JSON as a whole can hold reasoning: a sample text that
            // mentions "</think>" inside valid JSON stays as it is.
            return validated(whole, schema);
        }
        Extracted json = extract(content);
        List<Answer> answers = reasoningEnds(content, json);
        if (answers.isEmpty()) {
            if (opensReasoning(content, json)) {
                return new Result(null, "the reply holds only the model's reasoning ("
                        + content.length() + " characters), no answer after it");
            }
            return parseAnswer(content, schema);
        }
        Result latest = null;
        for (Answer answer : answers) {
            Result r = parseAnswer(answer.text(), schema);
            if (r.valid()) {
                return r;
            }
            if (latest == null) {
                latest = new Result(r.json(), r.problem() + " (in the answer after "
                        + answer.reasoningChars() + " characters of the model's reasoning)");
            }
        }
        return latest;
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
        return validated(json, schema);
    }

    /** {@code json} checked against {@code schema}: valid, or why it does not match. */
    private static Result validated(JsonNode json, ResponseSchema schema) {
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
    /**
     * Harmony's final-channel header; given a response format gpt-oss writes a constraint in it,
     * {@code <|channel|>final <|constrain|>json<|message|>}.
     */
    private static final Pattern HARMONY_FINAL =
            Pattern.compile("<\\|channel\\|>final(\\s*<\\|constrain\\|>[^<]*)?<\\|message\\|>");
    private static final String HARMONY_ANALYSIS = "<|channel|>analysis";
    private static final Pattern HARMONY_TAIL = Pattern.compile("(<\\|(return|end|call)\\|>\\s*)+$");

    /**
     * The answer after the reasoning in {@code content}: after the latest end of reasoning
     * ({@link #reasoningEnds}); a content with none that opens a think tag, or Harmony's analysis
     * channel, outside the JSON it holds is reasoning only; otherwise the whole content.
     */
    static Answer afterReasoning(String content) {
        Extracted json = extract(content);
        List<Answer> answers = reasoningEnds(content, json);
        if (!answers.isEmpty()) {
            return answers.get(0);
        }
        if (opensReasoning(content, json)) {
            return new Answer("", content.length(), true);
        }
        return new Answer(content, 0, false);
    }

    /**
     * The answers after each end of reasoning in {@code content}, latest first: after a closing
     * think tag, or after a Harmony final-channel header (its closing {@code <|return|>} or
     * {@code <|end|>} removed). A tag inside the JSON value the whole content holds
     * ({@code json}, the content's {@link #extract}) is a sample's text, not an end of reasoning.
     */
    private static List<Answer> reasoningEnds(String content, Extracted json) {
        java.util.TreeMap<Integer, Answer> byEnd = new java.util.TreeMap<>(java.util.Comparator.reverseOrder());
        Matcher close = THINK_CLOSE.matcher(content);
        while (close.find()) {
            if (json == null || !json.contains(close.start())) {
                byEnd.put(close.end(), new Answer(content.substring(close.end()), close.end(), false));
            }
        }
        Matcher fin = HARMONY_FINAL.matcher(content);
        while (fin.find()) {
            if (json == null || !json.contains(fin.start())) {
                byEnd.put(fin.end(), new Answer(HARMONY_TAIL.matcher(content.substring(fin.end())).replaceFirst(""),
                        fin.end(), false));
            }
        }
        return List.copyOf(byEnd.values());
    }

    /**
     * Whether {@code content} opens reasoning (a think tag, Harmony's analysis channel) outside
     * its JSON ({@code json}, the content's {@link #extract}).
     */
    private static boolean opensReasoning(String content, Extracted json) {
        if (THINK_OPEN.matcher(content).find()) {
            return true;
        }
        for (int at = content.indexOf(HARMONY_ANALYSIS); at >= 0; at = content.indexOf(HARMONY_ANALYSIS, at + 1)) {
            if (json == null || !json.contains(at)) {
                return true;
            }
        }
        return false;
    }

    /** Braces {@link #objectsAtBraces} tries at most. */
    static final int MAX_BRACES = 64;

    /** The JSON value in {@code content}, or {@code null} when there is none. */
    static JsonNode extractJson(String content) {
        Extracted e = extract(content);
        return e == null ? null : e.json();
    }

    /** A JSON value found in a content, and where its text lies there ({@code start} inclusive, {@code end} exclusive). */
    record Extracted(JsonNode json, int start, int end) {
        boolean contains(int at) {
            return at >= start && at < end;
        }
    }

    /**
     * The JSON value in {@code content}, or {@code null} when there is none: the content as a
     * whole, else the first Markdown fence whose body parses, else the text from the first
     * {@code '{'} to the last {@code '}'}.
     */
    static Extracted extract(String content) {
        String text = content.strip();
        int lead = text.isEmpty() ? 0 : content.indexOf(text.charAt(0));
        JsonNode direct = tryParse(text);
        if (direct != null) {
            return new Extracted(direct, lead, lead + text.length());
        }
        Matcher m = FENCE.matcher(text);
        while (m.find()) {
            JsonNode fenced = tryParse(m.group(1).strip());
            if (fenced != null) {
                return new Extracted(fenced, lead + m.start(1), lead + m.end(1));
            }
        }
        // Prose around a bare object: take the outermost braces.
        int open = text.indexOf('{');
        int close = text.lastIndexOf('}');
        if (open >= 0 && close > open) {
            JsonNode braced = tryParse(text.substring(open, close + 1));
            return braced == null ? null : new Extracted(braced, lead + open, lead + close + 1);
        }
        return null;
    }

    /**
     * Whether {@code content} is one JSON object or array as a whole (surrounding whitespace
     * aside): what a grammar-constrained reply is once its grammar has ended, and what no proper
     * prefix of one is.
     */
    static boolean wholeValue(String content) {
        return content != null && tryParse(content.strip()) != null;
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
