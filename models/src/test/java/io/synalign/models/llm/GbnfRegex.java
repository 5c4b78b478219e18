package io.synalign.models.llm;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A test oracle for {@link GbnfGrammar}: translates a non-recursive GBNF grammar (literals,
 * character classes, rule references, groups, alternatives and the suffixes {@code ? * +
 * {m,n}}) into a Java regular expression for its root rule, so that a test can ask whether a
 * given string is in the grammar's language exactly as llama.cpp would (both match code points).
 */
final class GbnfRegex {

    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, String> compiled = new HashMap<>();
    private String src;
    private int pos;

    private GbnfRegex(String grammar) {
        for (String line : grammar.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int sep = line.indexOf("::=");
            rules.put(line.substring(0, sep).strip(), line.substring(sep + 3).strip());
        }
    }

    static Pattern of(GbnfGrammar g) {
        GbnfRegex r = new GbnfRegex(g.text());
        return Pattern.compile(r.rule("root"));
    }

    private String rule(String name) {
        String done = compiled.get(name);
        if (done != null) {
            return done;
        }
        String body = rules.get(name);
        if (body == null) {
            throw new IllegalArgumentException("undefined rule " + name);
        }
        String savedSrc = src;
        int savedPos = pos;
        src = body;
        pos = 0;
        String re = alternatives();
        if (pos != src.length()) {
            throw new IllegalArgumentException("rule " + name + ": unparsed rest at " + pos + ": " + src.substring(pos));
        }
        src = savedSrc;
        pos = savedPos;
        compiled.put(name, re);
        return re;
    }

    private void skipSpace() {
        while (pos < src.length() && src.charAt(pos) == ' ') {
            pos++;
        }
    }

    private String alternatives() {
        StringBuilder sb = new StringBuilder("(?:").append(sequence());
        skipSpace();
        while (pos < src.length() && src.charAt(pos) == '|') {
            pos++;
            sb.append('|').append(sequence());
            skipSpace();
        }
        return sb.append(')').toString();
    }

    private String sequence() {
        StringBuilder sb = new StringBuilder();
        while (true) {
            skipSpace();
            if (pos >= src.length() || src.charAt(pos) == '|' || src.charAt(pos) == ')') {
                return sb.toString();
            }
            sb.append(item());
        }
    }

    private String item() {
        char c = src.charAt(pos);
        String atom;
        if (c == '"') {
            atom = Pattern.quote(literal());
        } else if (c == '[') {
            int start = pos++;
            while (src.charAt(pos) != ']') {
                pos += src.charAt(pos) == '\\' ? 2 : 1;
            }
            pos++;
            atom = src.substring(start, pos);
        } else if (c == '(') {
            pos++;
            atom = alternatives();
            skipSpace();
            if (src.charAt(pos++) != ')') {
                throw new IllegalArgumentException("unclosed group in " + src);
            }
        } else {
            int start = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_'
                    || src.charAt(pos) == '-')) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("unexpected '" + c + "' at " + pos + " in " + src);
            }
            atom = "(?:" + rule(src.substring(start, pos)) + ")";
        }
        if (pos < src.length()) {
            char s = src.charAt(pos);
            if (s == '?' || s == '*' || s == '+') {
                pos++;
                return atom + s;
            }
            if (s == '{') {
                int end = src.indexOf('}', pos);
                String rep = src.substring(pos, end + 1);
                pos = end + 1;
                return atom + rep;
            }
        }
        return atom;
    }

    private String literal() {
        StringBuilder sb = new StringBuilder();
        pos++; // opening quote
        while (src.charAt(pos) != '"') {
            char c = src.charAt(pos++);
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'x' -> {
                    sb.append((char) Integer.parseInt(src.substring(pos, pos + 2), 16));
                    pos += 2;
                }
                default -> sb.append(e);
            }
        }
        pos++; // closing quote
        return sb.toString();
    }
}
