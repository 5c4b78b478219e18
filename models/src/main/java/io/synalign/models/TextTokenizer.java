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

    /** Token ids and segment ids of one text; its attention mask is all ones. */
    record Tokens(long[] ids, long[] typeIds) {
        int length() {
            return ids.length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;

    TextTokenizer(byte[] tokenizerJson, int maxLength) {
        DjlOffline.configure();
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
     * Tokenises each text independently; cost linear in the total text length.
     *
     * @throws IllegalArgumentException naming the first text (by its index in {@code texts})
     *                                  that the tokenizer rejects
     */
    Tokens[] tokenize(List<String> texts) {
        return tokenize(texts, 0, texts.size());
    }

    /**
     * Tokenises {@code texts[from, to)} (one call into the native tokenizer for the range, or
     * one per text when {@code PER_TEXT_CALLS} is set).
     *
     * @throws IllegalArgumentException naming the first text (by its index in {@code texts})
     *                                  that the tokenizer rejects
     */
    Tokens[] tokenize(List<String> texts, int from, int to) {
        Tokens[] out = new Tokens[to - from];
        if (PER_TEXT_CALLS) {
            for (int i = from; i < to; i++) {
                out[i - from] = tokens(encodeOne(texts, i));
            }
            return out;
        }
        Encoding[] encodings;
        try {
            encodings = tokenizer.batchEncode(texts.subList(from, to));
        } catch (RuntimeException e) {
            // Find the text to blame: the batch call does not say which one failed.
            for (int i = from; i < to; i++) {
                encodeOne(texts, i);
            }
            throw new IllegalArgumentException("cannot tokenise texts " + from + ".." + (to - 1)
                    + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < encodings.length; i++) {
            out[i] = tokens(encodings[i]);
        }
        return out;
    }

    /** Experiment switch (system property {@code synalign.tokenizer.perText}). */
    static final boolean PER_TEXT_CALLS = Boolean.getBoolean("synalign.tokenizer.perText");

    private Encoding encodeOne(List<String> texts, int index) {
        try {
            return tokenizer.encode(texts.get(index));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot tokenise text " + index + ": "
                    + e.getMessage(), e);
        }
    }

    private static Tokens tokens(Encoding encoding) {
        return new Tokens(encoding.getIds(), encoding.getTypeIds());
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
