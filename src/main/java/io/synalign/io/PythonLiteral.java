package io.synalign.io;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parser for the tiny subset of Python literal syntax that {@code .npy} headers use: a dict of
 * string keys whose values are strings, integers, {@code True}/{@code False}/{@code None}, tuples,
 * lists and nested dicts (structured dtypes). The header is the {@code repr} of a dict, which
 * NumPy itself reads with {@code ast.literal_eval}; this is the safe Java equivalent.
 *
 * <p>Values map to Java as: str to {@link String}, int to {@link Long} (or {@link BigInteger} when
 * it does not fit), bool to {@link Boolean}, None to {@code null}, tuple to {@link Tuple}, list to
 * {@link List}, dict to a {@link LinkedHashMap}. A Python 2 long suffix ({@code 3L}), which old
 * NumPy versions wrote into shapes, is accepted. Cost O(header length).
 */
final class PythonLiteral {

    /** A Python tuple, kept apart from lists so that {@link #repr} can render it faithfully. */
    record Tuple(List<Object> items) {
    }

    /**
     * Deepest nesting accepted. An {@code .npy} header nests three levels (dict, shape tuple,
     * structured dtype); without a bound, a header of thousands of brackets overflows the stack
     * of this recursive parser.
     */
    static final int MAX_DEPTH = 32;

    /**
     * Most digits of an integer. A shape's extents fit in 19; a longer number would otherwise
     * be echoed whole in the error message about it.
     */
    static final int MAX_DIGITS = 40;

    private final String text;
    private int pos;
    private int depth;

    private PythonLiteral(String text) {
        this.text = text;
    }

    /**
     * Parses one literal that makes up the whole text (surrounding whitespace allowed).
     *
     * @throws IllegalArgumentException saying what was expected and at which character
     */
    static Object parse(String text) {
        PythonLiteral p = new PythonLiteral(text);
        Object value = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the dict");
        }
        return value;
    }

    /** The Python {@code repr} of a parsed value, for error messages. */
    static String repr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof String s) {
            return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof Tuple t) {
            List<String> parts = new ArrayList<>();
            for (Object o : t.items()) {
                parts.add(repr(o));
            }
            return "(" + String.join(", ", parts) + (parts.size() == 1 ? ",)" : ")");
        }
        if (value instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            for (Object o : l) {
                parts.add(repr(o));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        if (value instanceof Map<?, ?> m) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                parts.add(repr(e.getKey()) + ": " + repr(e.getValue()));
            }
            return "{" + String.join(", ", parts) + "}";
        }
        return value.toString();
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end of header");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return nested(this::dict);
            case '(':
                return nested(() -> sequence('(', ')', true));
            case '[':
                return nested(() -> sequence('[', ']', false));
            case '\'':
            case '"':
                return string();
            default:
                if (c == '-' || c == '+' || Character.isDigit(c)) {
                    return integer();
                }
                if (Character.isLetter(c)) {
                    return word();
                }
                throw error("unexpected character '" + c + "'");
        }
    }

    private Object nested(java.util.function.Supplier<Object> parse) {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
        Object v = parse.get();
        depth--;
        return v;
    }

    private Map<Object, Object> dict() {
        expect('{');
        Map<Object, Object> map = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek('}')) {
                pos++;
                return map;
            }
            Object key = value();
            skipSpace();
            expect(':');
            Object v = value();
            if (map.put(key, v) != null) {
                throw error("duplicate key " + repr(key));
            }
            skipSpace();
            if (peek(',')) {
                pos++;
            } else if (!peek('}')) {
                throw error("expected ',' or '}'");
            }
        }
    }

    private Object sequence(char open, char close, boolean tuple) {
        expect(open);
        List<Object> items = new ArrayList<>();
        boolean sawComma = false;
        while (true) {
            skipSpace();
            if (peek(close)) {
                pos++;
                break;
            }
            items.add(value());
            skipSpace();
            if (peek(',')) {
                pos++;
                sawComma = true;
            } else if (!peek(close)) {
                throw error("expected ',' or '" + close + "'");
            }
        }
        if (tuple && items.size() == 1 && !sawComma) {
            return items.get(0); // "(3)" is a parenthesised int in Python, not a tuple
        }
        return tuple ? new Tuple(Collections.unmodifiableList(items)) : items;
    }

    private String string() {
        char quote = text.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\\' && pos < text.length()) {
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case '\\', '\'', '"' -> sb.append(e);
                    default -> sb.append('\\').append(e);
                }
            } else {
                sb.append(c);
            }
        }
        throw error("unterminated string");
    }

    private Object integer() {
        int start = pos;
        if (peek('-') || peek('+')) {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == digits) {
            throw error("expected a digit");
        }
        if (pos - digits > MAX_DIGITS) {
            pos = digits;
            throw error("an integer of more than " + MAX_DIGITS + " digits");
        }
        String number = text.substring(start, pos);
        if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
            pos++; // Python 2 long suffix
        }
        if (pos < text.length() && (text.charAt(pos) == '.' || text.charAt(pos) == 'e'
                || text.charAt(pos) == 'E')) {
            throw error("only integers are expected here");
        }
        BigInteger big = new BigInteger(number.startsWith("+") ? number.substring(1) : number);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private Object word() {
        int start = pos;
        while (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
            pos++;
        }
        String w = text.substring(start, pos);
        switch (w) {
            case "True":
                return Boolean.TRUE;
            case "False":
                return Boolean.FALSE;
            case "None":
                return null;
            default:
                pos = start;
                throw error("unexpected word '" + w + "'");
        }
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private boolean peek(char c) {
        return pos < text.length() && text.charAt(pos) == c;
    }

    private void expect(char c) {
        if (!peek(c)) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + pos);
    }
}
