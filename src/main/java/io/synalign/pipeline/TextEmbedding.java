package io.synalign.pipeline;

import io.synalign.kernels.FloatMatrix;
import io.synalign.models.CachingSentenceEncoder;
import io.synalign.models.EncodeProgress;
import io.synalign.models.EncodeTally;
import io.synalign.models.SentenceEncoder;
import java.util.List;
import java.util.Locale;

/** Runs an encoder over texts and checks what comes back, before anything uses it. */
public final class TextEmbedding {

    private TextEmbedding() {
    }

    /**
     * Embeds {@code texts}, one row each in input order.
     *
     * @throws IllegalStateException when the encoder returns the wrong shape or a non-finite
     *     value (exit 1: not the user's input)
     */
    public static FloatMatrix encode(SentenceEncoder encoder, List<String> texts, EncodeProgress progress) {
        return encode(encoder, texts, progress, new EncodeTally());
    }

    /**
     * Embeds {@code texts} as {@link #encode(SentenceEncoder, List, EncodeProgress)} does, adding
     * this call's texts, truncations and cache use to {@code tally} ({@link Stats#of}).
     */
    public static FloatMatrix encode(SentenceEncoder encoder, List<String> texts, EncodeProgress progress,
            EncodeTally tally) {
        FloatMatrix m = encoder.encode(texts, progress, tally);
        if (m.rows() != texts.size() || m.cols() != encoder.dimension()) {
            throw new IllegalStateException("encoder returned a " + m.rows() + " x " + m.cols()
                    + " matrix for " + texts.size() + " texts of dimension " + encoder.dimension());
        }
        float[] data = m.data();
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new IllegalStateException("encoder returned " + data[i] + " for text "
                        + i / m.cols());
            }
        }
        return m;
    }

    /**
     * Cache use and truncation so far.
     *
     * @param hits texts answered from the cache, or -1 without a cache
     * @param misses distinct texts sent to the model
     * @param truncation the texts the model embedded and how many of them were truncated
     */
    public record Stats(long hits, long misses, SentenceEncoder.Truncation truncation) {

        /** No truncation recorded (embeddings read from files, or a model that never truncates). */
        public Stats(long hits, long misses) {
            this(hits, misses, SentenceEncoder.Truncation.NONE);
        }

        /**
         * The one line that says how many texts were truncated, e.g. {@code "note: 40 of 40
         * texts were longer than 128 tokens and were truncated (--max-length)"}, or null when
         * none was: without it a long text's vector silently stands for its beginning only.
         * Texts read from the cache count too where the model's tokenizer could check them;
         * the others are named as not checked.
         */
        public String truncationNote() {
            if (truncation.truncated() == 0) {
                return null;
            }
            long unchecked = hits < 0 ? 0 : Math.max(0, hits + misses - truncation.texts());
            return String.format(Locale.ROOT, "note: %d of %d texts were longer than %d tokens"
                    + " and were truncated (--max-length)%s", truncation.truncated(),
                    truncation.texts(), truncation.maxLength(), unchecked > 0 ? "; the "
                            + unchecked + " read from the cache were not checked" : "");
        }

        /** The counts of {@code tally}: the texts of the calls given it, and no others. */
        public static Stats of(EncodeTally tally) {
            return new Stats(tally.cacheHits(), tally.cacheMisses(), tally.truncation());
        }

        /** e.g. {@code "; 1200 texts from the cache, 800 embedded"}, or {@code ""} without a cache. */
        public String describe() {
            return hits < 0 ? "" : String.format(Locale.ROOT, "; %d from the cache, %d embedded",
                    hits, misses);
        }
    }

    /**
     * The cache counters of {@code encoder} so far, or (-1, -1) when it has no cache, and its
     * truncation counts: every text since it was loaded, by every caller. A command that loads
     * its own encoder reports its run with it; a caller sharing one counts its own texts with an
     * {@link EncodeTally} ({@link Stats#of}).
     */
    public static Stats stats(SentenceEncoder encoder) {
        if (encoder instanceof CachingSentenceEncoder c) {
            return new Stats(c.cacheHits(), c.cacheMisses(), c.truncation());
        }
        return new Stats(-1, -1, encoder.truncation());
    }
}
