package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Long texts are tokenised from a prefix: the result must equal tokenising the whole text, for
 * the bundled WordPiece tokenizers, on texts built to stress the cut (long words, punctuation,
 * accents, runs of whitespace, no whitespace at all).
 */
class TextTokenizerTest {

    /**
     * Characters Java calls whitespace that a tokenizer does not split at: BERT deletes the
     * control ones (joining the words around them) and reads U+2028 as a letter.
     */
    private static final String[] CONTROL_GAPS = {"\u001c", "\u001f", "\u000b", "\u2028", "\u000c"};

    private static String text(Random r, int chars) {
        String[] words = {"alignment", "un", "believable", "synthétique", "données", "x", "—",
            "CamelCaseWord", "42", "3.14", "e-mail", "naïve", "supercalifragilisticexpialidocious",
            "😀", "中文", "a".repeat(150)};
        StringBuilder sb = new StringBuilder();
        while (sb.length() < chars) {
            sb.append(words[r.nextInt(words.length)]);
            int gap = r.nextInt(10);
            sb.append(gap == 0 ? "" : gap == 1 ? "\n\n   \t" : gap == 2 ? ", " : gap == 3
                    ? CONTROL_GAPS[r.nextInt(CONTROL_GAPS.length)] : " ");
        }
        return sb.toString();
    }

    @Test
    void aLongTextGivesTheTokensOfTheWholeText() {
        for (ModelSpec spec : List.of(ModelSpec.minilm(), ModelSpec.bgeSmall())) {
            byte[] json = spec.source().readTokenizer();
            for (int maxLength : new int[] {16, 128, 512}) {
                try (TextTokenizer cutting = new TextTokenizer(json, maxLength)) {
                    Random r = new Random(maxLength);
                    List<String> texts = new ArrayList<>();
                    for (int k = 0; k < 12; k++) {
                        texts.add(text(r, 1000 + r.nextInt(60 * maxLength)));
                    }
                    texts.add("y".repeat(20 * maxLength + 7)); // no whitespace: read whole
                    texts.add(" ".repeat(40 * maxLength) + "late words at the end");
                    // The reviewer's text: the only cut Java's whitespace offered was U+001C
                    // inside one BERT word ("abc\u001cdef" is "abcdef" to it).
                    String head = "y".repeat(1500) + " " + "a ".repeat(maxLength - 4) + "abc\u001cdef"
                            + "g".repeat(200);
                    texts.add(head + "g".repeat(16 * maxLength) + " tail words here".repeat(10));
                    TextTokenizer.Tokens[] got = cutting.tokenize(texts);
                    for (int k = 0; k < texts.size(); k++) {
                        // The whole text, bypassing the prefix: a list of one, below the cut size.
                        TextTokenizer.Tokens want = cutting.tokenizeWhole(texts.get(k));
                        String what = spec.name() + " maxLength " + maxLength + " text " + k;
                        assertArrayEquals(want.ids(), got[k].ids(), what);
                        assertArrayEquals(want.typeIds(), got[k].typeIds(), what);
                        assertTrue(got[k].length() <= maxLength, what);
                    }
                }
            }
        }
    }

    @Test
    void aPrefixIsTakenOnlyWhenItFillsTheTokens() {
        try (TextTokenizer t = new TextTokenizer(ModelSpec.minilm().source().readTokenizer(), 16)) {
            String text = "word ".repeat(100_000);
            String prefix = t.prefix(text);
            assertTrue(prefix.length() < 2048, "a short prefix of a 500 KB text: " + prefix.length());
            assertEquals(16, t.tokenize(List.of(text))[0].length());
        }
    }

    /**
     * Whether a text lost tokens, which DJL's encoding knew and the tokenizer dropped: also for a
     * text read from a prefix, and not for one that fills the tokens exactly.
     */
    @Test
    void marksTheTextsThatLostTokens() {
        try (TextTokenizer t = new TextTokenizer(ModelSpec.minilm().source().readTokenizer(), 16)) {
            List<String> texts = List.of(
                    "a ".repeat(14),                     // 14 + [CLS] + [SEP]: fits exactly
                    "a ".repeat(15),                     // one token too many
                    "word ".repeat(100_000),             // read from a prefix
                    "a ".repeat(14) + " ".repeat(5000),  // a prefix, and only spaces after it
                    "");
            TextTokenizer.Tokens[] got = t.tokenize(texts);
            boolean[] want = {false, true, true, false, false};
            for (int k = 0; k < want.length; k++) {
                assertEquals(want[k], got[k].truncated(), "text " + k);
            }
            assertTrue(t.prefix(texts.get(3)).length() < texts.get(3).length(),
                    "text 3 is read from a prefix");
        }
    }

    /**
     * The byte bound that lets a cache skip tokenizing short texts never skips one the
     * tokenizer truncates: random texts of ASCII, accented, CJK and emoji characters around
     * the limit, for both built-in tokenizers.
     */
    @Test
    void textsTheByteBoundSkipsAreNeverTruncated() {
        String[] alphabet = {"a", "b ", "é", "中", "\uD83D\uDE00", " ", "-", "Zq", "##", "\u00A0"};
        Random random = new Random(4);
        for (ModelSpec spec : List.of(ModelSpec.minilm(), ModelSpec.bgeSmall())) {
            for (int maxLength : new int[] {16, 40}) {
                try (TextTokenizer t = new TextTokenizer(spec.source().readTokenizer(),
                        maxLength)) {
                    int skipped = 0;
                    int truncatedNear = 0;
                    for (int k = 0; k < 420; k++) {
                        String text;
                        if (k < 20) {
                            // One token per byte ("-" is a word of its own): the tightest case.
                            text = "-".repeat(Math.max(0, maxLength - 12 + k));
                        } else {
                            StringBuilder sb = new StringBuilder();
                            int pieces = random.nextInt(maxLength + 8);
                            for (int p = 0; p < pieces; p++) {
                                sb.append(alphabet[random.nextInt(alphabet.length)]);
                            }
                            text = sb.toString();
                        }
                        boolean truncated = t.tokenize(List.of(text))[0].truncated();
                        if (!OnnxSentenceEncoder.mayExceed(text, maxLength)) {
                            skipped++;
                            assertFalse(truncated, spec.name() + " max " + maxLength + ": '"
                                    + text + "' was skipped but is truncated");
                        } else if (truncated) {
                            truncatedNear++;
                        }
                    }
                    assertTrue(skipped > 50 && truncatedNear > 5, spec.name() + ": "
                            + skipped + " skipped, " + truncatedNear + " truncated");
                }
            }
        }
    }
}
