package io.synalign.cli;

import java.util.Locale;

/** Number formatting for the human-readable summaries (the JSON keeps full precision). */
final class Numbers {

    private Numbers() {
    }

    /**
     * Four significant digits with their trailing zeros, for a table column: {@code 0.01000}
     * beside {@code 0.009996} reads as the near tie it is, where {@link #short4}'s {@code 0.01}
     * looked a digit apart.
     */
    static String column4(double v) {
        return Double.isFinite(v) && v != 0 ? String.format(Locale.ROOT, "%.4g", v) : short4(v);
    }

    /** Four significant digits without trailing zeros: {@code 0.4}, {@code 1.235e-05}, {@code 12.5}. */
    static String short4(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (v == 0) {
            return "0";
        }
        String s = String.format(Locale.ROOT, "%.4g", v);
        int e = s.indexOf('e');
        String mantissa = e >= 0 ? s.substring(0, e) : s;
        String exponent = e >= 0 ? s.substring(e) : "";
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return mantissa + exponent;
    }
}
