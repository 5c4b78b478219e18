package io.synalign.io;

/**
 * Text from files (labels, paths recorded in run documents) made safe to print on a terminal:
 * control characters and the explicit bidirectional controls become U+FFFD. An ESC in a path
 * that {@code report} printed in a note recoloured the terminal or moved its cursor, and a
 * newline in it forged a line of its own ("synalign: note: ..." that no check wrote).
 */
public final class SafeText {

    private SafeText() {
    }

    /** U+202A-U+202E and U+2066-U+2069: the explicit bidirectional formatting characters. */
    public static boolean isBidiControl(char ch) {
        return ch >= '\u202a' && ch <= '\u202e' || ch >= '\u2066' && ch <= '\u2069';
    }

    /**
     * {@code s} with every control character but tab (C0 with newline, DEL, and C1: U+009B is a
     * terminal's CSI as ESC [ is) and every bidirectional control replaced by U+FFFD;
     * {@code null} stays {@code null}. Tab moves the cursor only forward on its line.
     */
    public static String forTerminal(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '\t' && Character.isISOControl(ch) || isBidiControl(ch)) {
                if (sb == null) {
                    sb = new StringBuilder(s);
                }
                sb.setCharAt(i, '\ufffd');
            }
        }
        return sb == null ? s : sb.toString();
    }
}
