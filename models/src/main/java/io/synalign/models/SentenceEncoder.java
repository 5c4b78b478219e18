package io.synalign.models;

import io.synalign.kernels.FloatMatrix;
import java.util.List;

/**
 * Maps texts to fixed-size embedding vectors, one row per text.
 *
 * <p>Contract for every implementation:
 * <ul>
 *   <li>row {@code i} of {@link #encode} is the embedding of {@code texts.get(i)};</li>
 *   <li>the result has exactly {@link #dimension()} columns, also for an empty input
 *       (a {@code 0 x dimension} matrix);</li>
 *   <li>a {@code null} list or a {@code null} element is an {@link IllegalArgumentException}
 *       whose message names the index of the bad element;</li>
 *   <li>the embedding of a text depends only on the text and {@link #modelId()}, never on the
 *       other texts of the call or on the batch size, so it may be cached under that id.</li>
 * </ul>
 */
public interface SentenceEncoder extends AutoCloseable {

    /**
     * Stable identifier of everything that determines the vectors (model weights, tokenizer,
     * pooling, truncation length). Caches key entries by it, so two encoders with the same id
     * must produce the same vectors.
     */
    String modelId();

    /** Number of columns of every matrix this encoder returns. */
    int dimension();

    /** Encodes {@code texts}; equivalent to {@code encode(texts, EncodeProgress.NONE)}. */
    default FloatMatrix encode(List<String> texts) {
        return encode(texts, EncodeProgress.NONE);
    }

    /**
     * Encodes {@code texts}, reporting progress after each internal batch.
     *
     * @param texts    texts to embed, none {@code null}
     * @param progress called with (batches done, batches total) after each batch
     * @return a {@code texts.size() x dimension()} matrix, rows in input order
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     (the library's encoders check before every batch, {@link io.synalign.kernels.Cancellation});
     *     the interrupt status is kept set and nothing is returned; a caching encoder keeps
     *     the batches it stored before the interrupt
     */
    FloatMatrix encode(List<String> texts, EncodeProgress progress);

    /**
     * Encodes {@code texts} as {@link #encode(List, EncodeProgress)} does, and adds what this call
     * did to {@code tally}: the texts it ran and truncated, and a cache's hits and misses. A
     * caller that reports on its own texts (one alignment of many on a shared encoder) passes a
     * tally of its own; {@link #truncation()} counts every call's. The default counts nothing, as
     * {@link #truncation()}'s does, for an encoder that never truncates.
     */
    default FloatMatrix encode(List<String> texts, EncodeProgress progress, EncodeTally tally) {
        return encode(texts, progress);
    }

    /**
     * The texts this encoder has run through its model so far, and how many of them were longer
     * than its maximum length and lost their end: their vectors stand for a prefix only, which a
     * user should be told. A cache adds the texts it answered, checked by
     * {@link #truncatedAmong} where the model can tell. {@link Truncation#NONE} for an encoder
     * that never truncates.
     */
    default Truncation truncation() {
        return Truncation.NONE;
    }

    /**
     * How many of {@code texts} this encoder would truncate, found without embedding them (the
     * tokenizer alone), and not added to {@link #truncation()}; -1 when it cannot tell. A cache
     * asks it of the texts it answers, so that a re-run from the cache notes the same
     * truncations as the run that embedded them.
     */
    default long truncatedAmong(List<String> texts) {
        return -1;
    }

    /**
     * Counts of {@link #truncation()}.
     *
     * @param texts     texts run through the model (a text repeated in one call counts each time),
     *                  and, through a cache, the distinct texts it answered and could check
     * @param truncated those of them longer than {@code maxLength} tokens
     * @param maxLength tokens kept per text, 0 for an encoder without a maximum
     */
    record Truncation(long texts, long truncated, int maxLength) {
        public static final Truncation NONE = new Truncation(0, 0, 0);
    }

    /** Releases native resources. Encoding after close is an {@link IllegalStateException}. */
    @Override
    void close();

    /** Throws {@link IllegalArgumentException} naming the first {@code null} text, if any. */
    static void requireNoNulls(List<String> texts) {
        if (texts == null) {
            throw new IllegalArgumentException("texts must not be null");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
        }
    }
}
