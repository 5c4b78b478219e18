package io.synalign.models;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * A HuggingFace fast tokenizer (Rust, through DJL's JNI binding) configured for sentence
 * encoding: special tokens added, truncation to {@code maxLength} tokens, no padding (the
 * encoder pads a batch itself, so each text's token count is known exactly).
 *
 * <p>Thread-safe: the native tokenizer is immutable after construction.
 */
final class TextTokenizer implements AutoCloseable {

    /**
     * Token ids and segment ids of one text; its attention mask is all ones. {@code truncated}:
     * the text had more than {@code maxLength} tokens and lost the rest (reported to the user,
     * whose vectors then stand for a prefix of the text only).
     */
    record Tokens(long[] ids, long[] typeIds, boolean truncated) {
        int length() {
            return ids.length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    /** Texts longer than this many characters are tokenised from a prefix ({@link #prefix}). */
    private final int longChars;

    TextTokenizer(byte[] tokenizerJson, int maxLength) {
        DjlOffline.configure();
        this.maxLength = maxLength;
        this.longChars = Math.max(1024, 16 * maxLength);
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "padding", "false",
                "truncation", "true",
                "maxLength", Integer.toString(maxLength),
                // DJL clamps maxLength to modelMaxLength (default 512); take ours as given.
                "modelMaxLength", Integer.toString(maxLength));
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(tokenizerJson), options);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer.json", e);
        }
    }

    /**
     * Tokenises each text independently. Cost linear in the text read: a text longer than
     * {@link #longChars} characters is tokenised from a prefix that already yields
     * {@code maxLength} tokens (a 10 MB text took 21-30 s to tokenise whole, of which 128 tokens
     * were used). A text is marked truncated when its encoding overflowed {@code maxLength}, or
     * when it was read from a prefix and words follow the cut (the prefix alone may fill the
     * tokens exactly without overflowing).
     */
    Tokens[] tokenize(List<String> texts) {
        List<String> read = new java.util.ArrayList<>(texts.size());
        for (String t : texts) {
            read.add(t.length() > longChars ? prefix(t) : t);
        }
        Encoding[] encodings = tokenizer.batchEncode(read);
        Tokens[] out = new Tokens[encodings.length];
        for (int i = 0; i < encodings.length; i++) {
            String text = texts.get(i);
            String head = read.get(i);
            boolean cut = head.length() < text.length()
                    && !text.substring(head.length()).isBlank();
            out[i] = new Tokens(encodings[i].getIds(), encodings[i].getTypeIds(),
                    cut || encodings[i].exceedMaxLength());
        }
        return out;
    }

    /** The tokens of the whole text, never a prefix (the reference the prefix is tested against). */
    Tokens tokenizeWhole(String text) {
        Encoding e = tokenizer.encode(text);
        return new Tokens(e.getIds(), e.getTypeIds(), e.exceedMaxLength());
    }

    /** Tokens kept per text; longer texts are truncated. */
    int maxLength() {
        return maxLength;
    }

    /**
     * The shortest prefix of {@code text}, cut before a space (U+0020), whose truncated encoding has
     * {@code maxLength} tokens; {@code text} itself when there is none. The truncated encodings of
     * the prefix and of the whole text are then equal: every pre-tokeniser SynAlign loads
     * (BERT's WordPiece, byte-level BPE, SentencePiece's metaspace) splits words at whitespace
     * and tokenises them independently, so the words before a whitespace cut keep their tokens,
     * and they are already more than truncation keeps. Only U+0020 is a cut: other characters
     * Java calls whitespace are not split points for every tokenizer (BERT's normaliser deletes
     * U+001C-U+001F and U+000B as control characters, joining the words around them; U+2028 is
     * a letter to it; SentencePiece's metaspace splits at spaces only), and a cut there gave
     * other tokens than the whole text, silently. The cut is searched in the last half of
     * a budget that quadruples from {@link #longChars}; a text without a space there (one huge
     * "word", which WordPiece maps to a single unknown token) is tokenised whole.
     */
    String prefix(String text) {
        for (long budget = longChars; budget < text.length(); budget *= 4) {
            int cut = lastWhitespace(text, (int) budget);
            if (cut < 0) {
                break;
            }
            String head = text.substring(0, cut);
            if (tokenizer.encode(head).getIds().length >= maxLength) {
                return head;
            }
        }
        return text;
    }

    /** The index of the last space (U+0020) in [budget / 2, budget), or -1. */
    private static int lastWhitespace(String text, int budget) {
        for (int i = budget - 1; i >= budget / 2; i--) {
            if (text.charAt(i) == ' ') {
                return i;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
