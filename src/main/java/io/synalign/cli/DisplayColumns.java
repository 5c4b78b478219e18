package io.synalign.cli;

/**
 * The terminal columns a string takes, for the CLI's tables of labels: wide and fullwidth
 * characters (CJK ideographs, kana, Hangul syllables, fullwidth forms, most emoji) take two,
 * combining marks and format characters (accents written as a second code point, zero-width
 * joiners, variation selectors) none, every other code point one. After Markus Kuhn's
 * {@code wcwidth} and Unicode's East Asian Width property (UAX #11, the W and F classes), which
 * terminals follow; the JDK has no such table.
 *
 * <p>Why: {@code printf("%-15s")} pads by UTF-16 chars, so a table whose labels were
 * {@code 日本語} (3 chars, 6 columns) printed its numbers three columns right of the header's,
 * and an emoji label (2 chars, 2 columns) happened to fit. Ambiguous-width characters (Greek,
 * Cyrillic, box drawing: one column in Western terminals, two in some East Asian ones) count
 * one. Cost O(length).
 */
final class DisplayColumns {

    /** Code point ranges, inclusive, that take two columns (ascending, not overlapping). */
    private static final int[][] WIDE = {
        {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
        {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
        {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
        {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
        {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
        {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
        {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
        {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF},
        {0xA960, 0xA97F}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F},
        {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x16FE0, 0x16FE4}, {0x17000, 0x18CFF},
        {0x1AFF0, 0x1B2FF}, {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E},
        {0x1F191, 0x1F19A}, {0x1F200, 0x1F202}, {0x1F210, 0x1F23B}, {0x1F240, 0x1F248},
        {0x1F250, 0x1F251}, {0x1F260, 0x1F265}, {0x1F300, 0x1F320}, {0x1F32D, 0x1F335},
        {0x1F337, 0x1F37C}, {0x1F37E, 0x1F393}, {0x1F3A0, 0x1F3CA}, {0x1F3CF, 0x1F3D3},
        {0x1F3E0, 0x1F3F0}, {0x1F3F4, 0x1F3F4}, {0x1F3F8, 0x1F43E}, {0x1F440, 0x1F440},
        {0x1F442, 0x1F4FC}, {0x1F4FF, 0x1F53D}, {0x1F54B, 0x1F54E}, {0x1F550, 0x1F567},
        {0x1F57A, 0x1F57A}, {0x1F595, 0x1F596}, {0x1F5A4, 0x1F5A4}, {0x1F5FB, 0x1F64F},
        {0x1F680, 0x1F6C5}, {0x1F6CC, 0x1F6CC}, {0x1F6D0, 0x1F6D2}, {0x1F6D5, 0x1F6D7},
        {0x1F6DC, 0x1F6DF}, {0x1F6EB, 0x1F6EC}, {0x1F6F4, 0x1F6FC}, {0x1F7E0, 0x1F7EB},
        {0x1F7F0, 0x1F7F0}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945}, {0x1F947, 0x1F9FF},
        {0x1FA70, 0x1FAFF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
    };

    private DisplayColumns() {
    }

    /** Columns {@code s} takes on a terminal. */
    static int of(String s) {
        int columns = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            columns += of(cp);
            i += Character.charCount(cp);
        }
        return columns;
    }

    /** Columns one code point takes: 0, 1 or 2. */
    static int of(int cp) {
        int type = Character.getType(cp);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                || type == Character.FORMAT || (cp >= 0x1160 && cp <= 0x11FF)) {
            return 0; // combining marks, ZWJ, variation selectors, Hangul medial/final jamo
        }
        int lo = 0;
        int hi = WIDE.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < WIDE[mid][0]) {
                hi = mid - 1;
            } else if (cp > WIDE[mid][1]) {
                lo = mid + 1;
            } else {
                return 2;
            }
        }
        return 1;
    }

    /** {@code s} followed by spaces up to {@code columns} columns (none when it is wider). */
    static String padRight(String s, int columns) {
        return s + " ".repeat(Math.max(0, columns - of(s)));
    }

    /** Spaces up to {@code columns} columns, then {@code s} (none when it is wider). */
    static String padLeft(String s, int columns) {
        return " ".repeat(Math.max(0, columns - of(s))) + s;
    }

    /**
     * {@code s} cut to at most {@code columns} columns, ending in {@code ...} where cut (never
     * inside a surrogate pair, nor before a combining mark that belongs to a kept character).
     *
     * @param columns at least 4
     */
    static String truncate(String s, int columns) {
        if (of(s) <= columns) {
            return s;
        }
        int budget = columns - 3;
        int used = 0;
        int end = 0;
        while (end < s.length()) {
            int cp = s.codePointAt(end);
            int w = of(cp);
            if (used + w > budget) {
                break;
            }
            used += w;
            end += Character.charCount(cp);
        }
        return s.substring(0, end) + "...";
    }
}
