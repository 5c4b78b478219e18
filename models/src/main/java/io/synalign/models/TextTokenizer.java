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

    /** Tokenises each text independently; cost linear in the total text length. */
    Tokens[] tokenize(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        Tokens[] out = new Tokens[encodings.length];
        for (int i = 0; i < encodings.length; i++) {
            out[i] = new Tokens(encodings[i].getIds(), encodings[i].getTypeIds());
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
