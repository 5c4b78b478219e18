package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Terminal columns, against widths read off UAX #11 (East Asian Width) by hand, and the tables
 * that pad labels by them (session 24's Open: {@code %-15s} padded {@code 日本語} as 3 columns).
 */
class DisplayColumnsTest {

    @Test
    void wideCharactersTakeTwoColumnsMarksNoneAndTheRestOne() {
        assertEquals(3, DisplayColumns.of("abc"));
        assertEquals(0, DisplayColumns.of(""));
        assertEquals(6, DisplayColumns.of("日本語")); // CJK ideographs: W
        assertEquals(6, DisplayColumns.of("한국어")); // Hangul syllables: W
        assertEquals(8, DisplayColumns.of("カタカナ")); // katakana: W
        assertEquals(1, DisplayColumns.of("ｶ")); // halfwidth katakana: H
        assertEquals(2, DisplayColumns.of("Ａ")); // fullwidth Latin: F
        assertEquals(2, DisplayColumns.of("😀")); // an emoji outside the BMP: one code point, W
        assertEquals(2, DisplayColumns.of("𠀀")); // CJK extension B, a surrogate pair: W
        assertEquals(4, DisplayColumns.of("café")); // precomposed é
        assertEquals(4, DisplayColumns.of("cafe\u0301")); // e + combining acute: the mark adds none
        assertEquals(2, DisplayColumns.of("👍\uFE0F")); // variation selector 16: none
        assertEquals(5, DisplayColumns.of("Ωμέγα")); // Greek: ambiguous, one each
        assertEquals(8, DisplayColumns.of("中文 mix")); // 2 + 2 + 1 + 3
    }

    @Test
    void paddingAndCuttingCountColumns() {
        assertEquals("日本語    |", DisplayColumns.padRight("日本語", 10) + "|");
        assertEquals("    日本語", DisplayColumns.padLeft("日本語", 10));
        assertEquals("toolong", DisplayColumns.padRight("toolong", 3), "wider: no padding, no cut");
        assertEquals("abcdefg", DisplayColumns.truncate("abcdefg", 7));
        assertEquals("abc...", DisplayColumns.truncate("abcdefgh", 6));
        // 10 ideographs are 20 columns: cut to 9 columns, 4 ideographs (8) then "..."
        assertEquals("一二三四...", DisplayColumns.truncate("一二三四五六七八九十", 12 - 1));
        // never half a surrogate pair
        assertEquals("a😀...", DisplayColumns.truncate("a😀😀😀", 6));
        assertEquals("a...", DisplayColumns.truncate("a😀😀😀", 5));
        // a combining mark stays with its letter
        assertEquals("e\u0301e\u0301...", DisplayColumns.truncate("e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301", 5));
    }

    @Test
    void alignsTableLinesUpForWideLabels() {
        StringWriter s = new StringWriter();
        try (PrintWriter out = new PrintWriter(s)) {
            TextAlignReport.printTable(out, List.of(
                    new String[] {"label", "real", "synthetic"},
                    new String[] {"日本語", "12", "340"},
                    new String[] {"sports", "7", "1200"}));
        }
        assertEquals(List.of(
                "label   real  synthetic",
                "日本語    12        340",
                "sports     7       1200"), s.toString().lines().toList());
    }

    @Test
    void longLabelsAreCutByColumns() {
        String ascii = "x".repeat(40);
        assertEquals("x".repeat(27) + "...", TextAlignReport.shortLabel(ascii), "ASCII as before");
        String cjk = "漢".repeat(20); // 40 columns
        assertEquals("漢".repeat(13) + "...", TextAlignReport.shortLabel(cjk));
        assertEquals("日本語", TextAlignReport.shortLabel("日本語"));
    }
}
