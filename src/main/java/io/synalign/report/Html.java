package io.synalign.report;

import java.util.Locale;

/** HTML text helpers: escaping of data (labels, settings, paths) and number formatting. */
final class Html {

    private Html() {
    }

    /**
     * {@code s} with {@code & < > " '} replaced by character references, safe in element text
     * and in quoted attribute values; control characters other than tab and newline, and the
     * explicit bidirectional controls (embeddings, overrides, isolates: a U+202E in a label
     * reversed the caption text after it, "ESS 4.974" read "479.4 SSE"), become U+FFFD.
     * {@code null} becomes the empty string.
     */
    static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(ch < 0x20 && ch != '\t' && ch != '\n' || ch == 0x7f
                        || isBidiControl(ch) ? '\ufffd' : ch);
            }
        }
        return sb.toString();
    }

    /** U+202A-U+202E and U+2066-U+2069: the explicit bidirectional formatting characters. */
    static boolean isBidiControl(char ch) {
        return io.synalign.io.SafeText.isBidiControl(ch);
    }

    /**
     * {@code s} cut to at most {@code max} code points, the last an ellipsis when cut. By code
     * points: a cut inside a surrogate pair (an emoji, a CJK extension character) would leave half
     * a character, which UTF-8 encodes as '?'.
     */
    static String cut(String s, int max) {
        return s.codePointCount(0, s.length()) > max
                ? s.substring(0, s.offsetByCodePoints(0, max - 1)) + "\u2026" : s;
    }

    /** The most code points of a label shown in text; the whole label is in its title. */
    static final int LABEL_CHARS = 80;

    /**
     * A label as element content: escaped, cut to {@link #LABEL_CHARS} code points with an
     * ellipsis (a 5,000-character label made a card 1,000 px tall), inside a span whose title
     * holds it whole.
     */
    static String label(String s) {
        if (s == null) {
            return "";
        }
        String shown = cut(s, LABEL_CHARS);
        return "<span class=\"data\" title=\"" + escape(s) + "\">" + escape(shown) + "</span>";
    }

    /** A value for a table: 4 significant digits, or "-" for NaN/null-like input. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) {
            String s = String.format(Locale.ROOT, "%.4g", v);
            return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
        }
        return String.format(Locale.ROOT, "%.3e", v);
    }

    /** A coordinate in an SVG: one decimal. */
    static String px(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** A share as a percentage with one decimal. */
    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }
}
