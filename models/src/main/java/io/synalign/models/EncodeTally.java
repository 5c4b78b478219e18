package io.synalign.models;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one caller's {@link SentenceEncoder#encode(java.util.List, EncodeProgress, EncodeTally)}
 * calls did: the texts run through the model and how many of them were truncated, and, through a
 * {@link CachingSentenceEncoder}, the distinct texts answered from the cache and sent to the model.
 *
 * <p>Why a tally passed down rather than the encoder's own counters ({@link
 * SentenceEncoder#truncation()}, {@link CachingSentenceEncoder#cacheHits()}): those count every
 * text since the encoder was loaded, by every caller and thread, while a long-lived encoder (a
 * training job's, shared by threads) serves many alignments, each of which should report its own
 * texts only. Taking the encoder's counters before and after a call would still mix in other
 * threads' texts embedded meanwhile. Counters are atomic, so one tally may be given to calls on
 * several threads; a tally created per call (or per alignment) mixes nothing.
 */
public final class EncodeTally {

    private final AtomicLong texts = new AtomicLong();
    private final AtomicLong truncated = new AtomicLong();
    private final AtomicInteger maxLength = new AtomicInteger();
    private final AtomicLong cacheHits = new AtomicLong();
    private final AtomicLong cacheMisses = new AtomicLong();
    private volatile boolean cached;

    /**
     * {@code texts} more texts checked against the model's maximum length ({@code maxLength}
     * tokens, 0 for none), {@code truncated} of them longer: run through the model, or answered
     * by a cache and checked by the tokenizer.
     */
    public void checked(long texts, long truncated, int maxLength) {
        this.texts.addAndGet(texts);
        this.truncated.addAndGet(truncated);
        this.maxLength.set(maxLength);
    }

    /** {@code hits} distinct texts answered from a cache, {@code misses} sent to its model. */
    public void cache(long hits, long misses) {
        cached = true;
        cacheHits.addAndGet(hits);
        cacheMisses.addAndGet(misses);
    }

    /** The texts checked and truncated so far ({@link SentenceEncoder.Truncation#NONE} if none). */
    public SentenceEncoder.Truncation truncation() {
        return new SentenceEncoder.Truncation(texts.get(), truncated.get(), maxLength.get());
    }

    /** Distinct texts answered from a cache, or -1 when no cache was involved. */
    public long cacheHits() {
        return cached ? cacheHits.get() : -1;
    }

    /** Distinct texts a cache sent to its model, or -1 when no cache was involved. */
    public long cacheMisses() {
        return cached ? cacheMisses.get() : -1;
    }
}
