package io.synalign.report;

import java.util.Locale;

/** HTML text helpers: escaping of data (labels, settings, paths) and number formatting. */
final class Html {

    private Html() {
    }

    /**
     * {@code s} with {@code & < > " '} replaced by character references, safe in element text
     * and in quoted attribute values; control characters other than tab and newline become
     * U+FFFD. {@code null} becomes the empty string.
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
                        ? '\ufffd' : ch);
            }
        }
        return sb.toString();
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
