package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A bounded llama.cpp GBNF grammar derived from a JSON schema, for constrained decoding: every
 * string the grammar accepts is compact JSON (no whitespace) that satisfies the schema, and its
 * length is bounded, so that even a model with random weights finishes within
 * {@link #maxBytes()} tokens (each token emits at least one byte).
 *
 * <p>Supported schema subset (what {@link Schemas} and structured-output APIs use): {@code type}
 * object (with {@code properties}, all emitted in the schema's order, or with
 * {@code additionalProperties} as a schema: a map of 1 to {@link Bounds#maxProperties()} entries,
 * {@code minProperties}/{@code maxProperties} honoured), array ({@code items},
 * {@code minItems}/{@code maxItems}, else 1 to {@link Bounds#maxItems()}), string
 * ({@code minLength}/{@code maxLength}, else 1 to {@link Bounds#maxStringChars()} characters;
 * escapes limited to {@code \" \\ \/ \n \t}), integer and number (JSON syntax: no leading zeros, no
 * exponent, at most 15 digits each side of the point), boolean, null, {@code enum} of
 * scalars, and a list of types. Map keys are identifiers: a letter, then letters, digits,
 * {@code _} or spaces, at most {@link Bounds#maxKeyChars()}. Anything else is rejected with an
 * {@link IllegalArgumentException}. String characters are any code point but controls, so
 * non-English text is possible; llama.cpp checks the grammar on decoded code points, so a model
 * that spells text with byte tokens (a random test model does) can emit invalid UTF-8, which
 * decodes to U+FFFD and still parses. Cost: O(schema size) rules; llama.cpp expands
 * {@code x{m,n}} into O(n) rules.
 *
 * <p>Why not llama.cpp's own converter ({@code LlamaModel.jsonSchemaToGrammar} in
 * {@code de.kherud:llama} 4.2.0): it does not keep the bounds. For the attributes schema
 * ({@code additionalProperties} of strings with {@code minProperties} 1 and
 * {@code maxProperties} 12) it emits {@code ( "," space additional-kv )*} and keys
 * {@code "\"" char* "\""}: any number of entries with keys of any length, none required, so a
 * model that never closes the object never stops; and it puts {@code space ::= | " " |
 * "\n"{1,2} [ \t]{0,20}} after every token, so no byte bound can be stated. Both were read
 * from its output for {@link Schemas#ATTRIBUTES} and {@link Schemas#SAMPLES} with the bounds
 * written into the schema.
 *
 * @param text     the GBNF source, root rule {@code root}
 * @param maxBytes the most UTF-8 bytes an accepted string can have
 */
public record GbnfGrammar(String text, long maxBytes) {

    /**
     * Length bounds for the parts of a schema that have none.
     *
     * @param maxStringChars characters of a string without {@code maxLength}
     * @param maxKeyChars    characters of a map key
     * @param maxItems       items of an array without {@code maxItems}
     * @param maxProperties  entries of a map without {@code maxProperties}
     */
    public record Bounds(int maxStringChars, int maxKeyChars, int maxItems, int maxProperties) {

        /** 500-character strings, 40-character keys, 32 items, 12 map entries. */
        public static final Bounds DEFAULT = new Bounds(500, 40, 32, 12);

        public Bounds {
            if (maxStringChars < 1 || maxKeyChars < 1 || maxItems < 1 || maxProperties < 1) {
                throw new IllegalArgumentException("grammar bounds must be at least 1: strings " + maxStringChars
                        + ", keys " + maxKeyChars + ", items " + maxItems + ", properties " + maxProperties);
            }
        }

        public Bounds withMaxStringChars(int n) {
            return new Bounds(n, maxKeyChars, maxItems, maxProperties);
        }
    }

    /** A JSON-string character: printable, not a quote or backslash, or a short escape. */
    private static final String CHAR_RULE = "char ::= [^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" [\"\\\\/nt]";
    private static final int MAX_CHAR_BYTES = 4;
    /** The integer part of a JSON number, at most 15 digits. */
    private static final String INT_DIGITS = "(\"0\" | [1-9] [0-9]{0,14})";

    /** The grammar of {@code schema} under {@code bounds}. */
    public static GbnfGrammar of(JsonNode schema, Bounds bounds) {
        if (schema == null || bounds == null) {
            throw new IllegalArgumentException("schema and bounds must not be null");
        }
        Builder b = new Builder(bounds);
        Part root = b.value(schema, "$");
        StringBuilder text = new StringBuilder("root ::= ").append(root.expr).append('\n');
        for (String r : b.rules) {
            text.append(r).append('\n');
        }
        text.append(CHAR_RULE).append('\n');
        return new GbnfGrammar(text.toString(), root.maxBytes);
    }

    /** A grammar expression and the most bytes it can produce. */
    private record Part(String expr, long maxBytes) {
    }

    private static final class Builder {
        private final Bounds bounds;
        private final List<String> rules = new ArrayList<>();

        Builder(Bounds bounds) {
            this.bounds = bounds;
        }

        private String rule(String expr) {
            String name = "r" + rules.size();
            rules.add(name + " ::= " + expr);
            return name;
        }

        Part value(JsonNode s, String path) {
            if (s == null || !s.isObject()) {
                throw new IllegalArgumentException("schema at " + path + " is not an object: " + s);
            }
            JsonNode en = s.get("enum");
            if (en != null) {
                return enumeration(en, path);
            }
            JsonNode type = s.get("type");
            if (type == null) {
                throw new IllegalArgumentException("schema at " + path + " has no type (needed for the GGUF grammar)");
            }
            if (type.isArray()) {
                List<String> alts = new ArrayList<>();
                long max = 0;
                for (JsonNode t : type) {
                    Part p = typed(t.asText(), s, path);
                    alts.add(p.expr);
                    max = Math.max(max, p.maxBytes);
                }
                return new Part("(" + String.join(" | ", alts) + ")", max);
            }
            return typed(type.asText(), s, path);
        }

        private Part typed(String type, JsonNode s, String path) {
            return switch (type) {
                case "object" -> object(s, path);
                case "array" -> array(s, path);
                case "string" -> string(s.path("minLength").asInt(1),
                        s.has("maxLength") ? s.get("maxLength").asInt() : bounds.maxStringChars(), path);
                // JSON forbids leading zeros (01 does not parse): 0, or a non-zero digit first.
                case "integer" -> new Part("(\"-\"? " + INT_DIGITS + ")", 16);
                case "number" -> new Part("(\"-\"? " + INT_DIGITS + " (\".\" [0-9]{1,15})?)", 32);
                case "boolean" -> new Part("(\"true\" | \"false\")", 5);
                case "null" -> new Part("\"null\"", 4);
                default -> throw new IllegalArgumentException(
                        "schema type at " + path + " not supported by the GGUF grammar: " + type);
            };
        }

        private Part enumeration(JsonNode en, String path) {
            if (!en.isArray() || en.isEmpty()) {
                throw new IllegalArgumentException("enum at " + path + " must be a non-empty array");
            }
            List<String> alts = new ArrayList<>();
            long max = 0;
            for (JsonNode v : en) {
                if (v.isContainerNode()) {
                    throw new IllegalArgumentException("enum at " + path + " may hold only scalars: " + v);
                }
                String json = Json.write(v);
                alts.add(literal(json));
                max = Math.max(max, json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            }
            return new Part("(" + String.join(" | ", alts) + ")", max);
        }

        private Part string(int min, int max, String path) {
            if (min < 0 || max < Math.max(min, 1)) {
                throw new IllegalArgumentException("string length bounds at " + path + " are empty: "
                        + min + ".." + max);
            }
            return new Part("\"\\\"\" char{" + min + "," + max + "} \"\\\"\"", 2 + (long) MAX_CHAR_BYTES * max);
        }

        private Part object(JsonNode s, String path) {
            JsonNode props = s.get("properties");
            if (props != null && props.isObject() && !props.isEmpty()) {
                StringBuilder e = new StringBuilder("\"{\"");
                long max = 2;
                boolean first = true;
                for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext();) {
                    Map.Entry<String, JsonNode> f = it.next();
                    String key = (first ? "" : ",") + Json.write(Json.MAPPER.getNodeFactory().textNode(f.getKey())) + ":";
                    Part v = value(f.getValue(), path + "." + f.getKey());
                    e.append(' ').append(literal(key)).append(' ').append(rule(v.expr));
                    max += key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + v.maxBytes;
                    first = false;
                }
                e.append(" \"}\"");
                return new Part(e.toString(), max);
            }
            JsonNode additional = s.get("additionalProperties");
            if (additional != null && additional.isObject()) {
                int minProps = Math.max(s.path("minProperties").asInt(0), 0);
                int maxProps = s.has("maxProperties") ? s.get("maxProperties").asInt() : bounds.maxProperties();
                if (maxProps < Math.max(minProps, 1)) {
                    throw new IllegalArgumentException("property count bounds at " + path + " are empty: "
                            + minProps + ".." + maxProps);
                }
                Part v = value(additional, path + ".*");
                String key = "\"\\\"\" [a-zA-Z] [a-zA-Z0-9_ ]{0," + (bounds.maxKeyChars() - 1) + "} \"\\\"\"";
                String entry = rule(key + " \":\" " + rule(v.expr));
                long entryMax = 2 + bounds.maxKeyChars() + 1 + v.maxBytes;
                return new Part(repeated("\"{\"", entry, minProps, maxProps, "\"}\""),
                        2 + maxProps * (entryMax + 1));
            }
            return new Part("\"{}\"", 2);
        }

        private Part array(JsonNode s, String path) {
            JsonNode items = s.get("items");
            if (items == null) {
                throw new IllegalArgumentException("array at " + path + " has no items schema");
            }
            int min = Math.max(s.path("minItems").asInt(1), 0);
            int max = s.has("maxItems") ? s.get("maxItems").asInt() : bounds.maxItems();
            if (max < Math.max(min, 1)) {
                throw new IllegalArgumentException("item count bounds at " + path + " are empty: " + min + ".." + max);
            }
            Part item = value(items, path + "[]");
            return new Part(repeated("\"[\"", rule(item.expr), min, max, "\"]\""), 2 + max * (item.maxBytes + 1));
        }

        /** {@code open} then min..max comma-separated {@code element}s then {@code close}. */
        private static String repeated(String open, String element, int min, int max, String close) {
            String tail = max > 1 ? " (\",\" " + element + "){" + Math.max(min - 1, 0) + "," + (max - 1) + "}" : "";
            String body = element + tail;
            return open + " " + (min == 0 ? "(" + body + ")?" : body) + " " + close;
        }
    }

    /** {@code s} as a GBNF string literal. */
    static String literal(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format(java.util.Locale.ROOT, "\\x%02X", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
