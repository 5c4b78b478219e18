package io.synalign.models;

import io.synalign.kernels.FloatMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link SentenceEncoder} that answers from an {@link EmbeddingCache} and runs the wrapped
 * encoder only on the texts it has not seen.
 *
 * <p>Per call: group the texts into distinct texts (first-seen order, each with the input
 * positions it fills); look each distinct text up once under the delegate's {@link #modelId()};
 * encode the distinct missing texts with the delegate in chunks of {@code chunkSize} texts,
 * storing each chunk's vectors before the next chunk starts (so a run that is killed or fails
 * keeps every finished chunk, and a rerun resumes there); scatter each distinct text's row to
 * all its positions, so rows come back in input order. Progress is reported per chunk (none when
 * everything hits). Cached vectors are returned bit for bit as computed. Correct only because
 * {@link SentenceEncoder} promises that a text's vector does not depend on its batch-mates.
 * Cost: one cache lookup per distinct text (a cache lookup reads a file, so a text repeated
 * r times costs one read, not r) plus the delegate's cost on the distinct misses.
 *
 * <p>Thread-safe when the delegate is. {@link #close()} closes the delegate.
 */
public final class CachingSentenceEncoder implements SentenceEncoder {

    /** Texts per delegate call (and per progress report) when none is given. */
    public static final int DEFAULT_CHUNK_SIZE = 256;

    private final SentenceEncoder delegate;
    private final EmbeddingCache cache;
    private final int chunkSize;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    /** Distinct texts answered from the cache whose truncation the model checked, and cut. */
    private final AtomicLong hitsChecked = new AtomicLong();
    private final AtomicLong hitsTruncated = new AtomicLong();

    public CachingSentenceEncoder(SentenceEncoder delegate, EmbeddingCache cache) {
        this(delegate, cache, DEFAULT_CHUNK_SIZE);
    }

    /** @param chunkSize missing texts encoded and stored per delegate call, {@code >= 1} */
    public CachingSentenceEncoder(SentenceEncoder delegate, EmbeddingCache cache, int chunkSize) {
        if (delegate == null || cache == null) {
            throw new IllegalArgumentException("delegate and cache must not be null");
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be >= 1, got " + chunkSize);
        }
        this.delegate = delegate;
        this.cache = cache;
        this.chunkSize = chunkSize;
    }

    @Override
    public String modelId() {
        return delegate.modelId();
    }

    @Override
    public int dimension() {
        return delegate.dimension();
    }

    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
        return encode(texts, progress, new EncodeTally());
    }

    /** Also adds this call's hits, misses and truncations to {@code tally}, the model's through it. */
    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress, EncodeTally tally) {
        SentenceEncoder.requireNoNulls(texts);
        if (progress == null || tally == null) {
            throw new IllegalArgumentException("progress and tally must not be null");
        }
        String id = delegate.modelId();
        int d = delegate.dimension();
        int n = texts.size();
        float[] out = new float[Math.multiplyExact(n, d)];
        // Distinct texts in first-seen order, each with every input position it fills.
        Map<String, List<Integer>> positions = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            positions.computeIfAbsent(texts.get(i), t -> new ArrayList<>(1)).add(i);
        }
        Map<String, List<Integer>> missing = new LinkedHashMap<>();
        List<String> answered = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : positions.entrySet()) {
            float[] cached = cache.get(id, e.getKey(), d);
            if (cached != null) {
                scatter(cached, e.getValue(), out, d);
                hits.incrementAndGet();
                answered.add(e.getKey());
            } else {
                missing.put(e.getKey(), e.getValue());
            }
        }
        if (!answered.isEmpty()) {
            // The tokenizer alone (no model pass): a re-run from the cache notes the same
            // truncations as the run that embedded the texts, instead of none.
            long cut = delegate.truncatedAmong(answered);
            if (cut >= 0) {
                hitsChecked.addAndGet(answered.size());
                hitsTruncated.addAndGet(cut);
                tally.checked(answered.size(), cut, delegate.truncation().maxLength());
            }
        }
        tally.cache(answered.size(), 0);
        List<String> toEncode = new ArrayList<>(missing.keySet());
        int chunks = (toEncode.size() + chunkSize - 1) / chunkSize;
        for (int c = 0; c < chunks; c++) {
            List<String> chunk = toEncode.subList(c * chunkSize,
                    Math.min(toEncode.size(), (c + 1) * chunkSize));
            // The model's own batches reported through: a chunk of long texts is minutes, and
            // a call with fewer new texts than one chunk reported nothing until it ended.
            int before = c * chunkSize;
            int total = toEncode.size();
            FloatMatrix fresh = delegate.encode(chunk, (done, of) -> {
                if (done < of) {
                    progress.onBatch(before + done, total);
                }
            }, tally);
            if (fresh.rows() != chunk.size() || fresh.cols() != d) {
                throw new IllegalStateException("delegate returned " + fresh + " for "
                        + chunk.size() + " texts of dimension " + d);
            }
            misses.addAndGet(chunk.size());
            tally.cache(0, chunk.size());
            for (int k = 0; k < chunk.size(); k++) {
                float[] row = new float[d];
                System.arraycopy(fresh.data(), k * d, row, 0, d);
                cache.put(id, chunk.get(k), row);
                scatter(row, missing.get(chunk.get(k)), out, d);
            }
            progress.onBatch(before + chunk.size(), total); // once stored
        }
        return new FloatMatrix(n, d, out);
    }

    /** Copies {@code row} to each of {@code positions}' rows of {@code out}. */
    private static void scatter(float[] row, List<Integer> positions, float[] out, int d) {
        for (int i : positions) {
            System.arraycopy(row, 0, out, i * d, d);
        }
    }

    /**
     * Distinct texts (per call) answered from the cache so far: one per lookup that found its
     * entry, however often the text occurs in the call, so that hits plus misses of a call are
     * its distinct texts.
     */
    public long cacheHits() {
        return hits.get();
    }

    /** Distinct texts sent to the wrapped encoder so far. */
    public long cacheMisses() {
        return misses.get();
    }

    /** The model's counts plus the texts answered from the cache that it could check. */
    @Override
    public Truncation truncation() {
        Truncation model = delegate.truncation();
        return new Truncation(model.texts() + hitsChecked.get(),
                model.truncated() + hitsTruncated.get(), model.maxLength());
    }

    @Override
    public long truncatedAmong(List<String> texts) {
        return delegate.truncatedAmong(texts);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
