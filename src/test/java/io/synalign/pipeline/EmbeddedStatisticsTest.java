package io.synalign.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.models.CachingSentenceEncoder;
import io.synalign.models.EmbeddingCache;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TextAlignment.Embedded#cache()} (and so the truncation note a caller shows for one
 * alignment) counts the texts of that alignment only, on an encoder shared by earlier calls and
 * by other threads' calls in flight, as a training job keeps one for hours (a load takes
 * seconds). It used to read the encoder's counters, which count every text since the load: a
 * second call with no long text reported the first call's truncated texts as its own.
 */
class EmbeddedStatisticsTest {

    /** Far past MiniLM's 128 tokens; the short texts are far below. */
    private static final String LONG = "long text ".repeat(200);

    static OnnxSentenceEncoder encoder;

    @BeforeAll
    static void load() {
        encoder = OnnxSentenceEncoder.load(ModelSpec.minilm());
    }

    @AfterAll
    static void close() {
        if (encoder != null) {
            encoder.close();
        }
    }

    private static TextAlignment alignment() {
        return new TextAlignment(TextAlignment.Options.defaults());
    }

    /** {@code longs} long texts (each distinct) then {@code shorts} short ones, tagged with {@code tag}. */
    private static List<String> texts(String tag, int longs, int shorts) {
        List<String> t = new ArrayList<>();
        for (int i = 0; i < longs; i++) {
            t.add(tag + " " + i + " " + LONG);
        }
        for (int i = 0; i < shorts; i++) {
            t.add("short text " + tag + " " + i);
        }
        return t;
    }

    @Test
    void aCallsStatisticsCountItsOwnTexts() {
        List<String> first = texts("first", 10, 10);
        alignment().embed(encoder, first.subList(0, 10), first.subList(10, 20), ProgressListener.NONE);
        List<String> second = List.of("a short text", "another short one", "a third");
        TextAlignment.Embedded e = alignment().embed(encoder, second.subList(0, 1), second.subList(1, 3),
                ProgressListener.NONE);
        assertEquals(3, e.cache().truncation().texts(), "texts counted by the second call's statistics");
        assertEquals(0, e.cache().truncation().truncated(),
                "truncated texts of the second call (none is long); note: " + e.cache().truncationNote());
        assertNull(e.cache().truncationNote());
        assertEquals(-1, e.cache().hits(), "no cache");
        // The encoder's own counters still count every call since the load.
        assertTrue(encoder.truncation().truncated() >= 10, "the encoder's counters: " + encoder.truncation());
    }

    /**
     * Four threads align at once on one encoder, thread i with i + 1 long texts among i + 3, three
     * times over: every result counts its own texts, however the calls interleave.
     */
    @Test
    void concurrentAlignmentsOnOneEncoderCountTheirOwnTexts() throws Exception {
        int threads = 4;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<TextAlignment.Embedded>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<String> mine = texts("thread" + t, t + 1, 2);
                results.add(pool.submit(() -> {
                    start.await();
                    List<TextAlignment.Embedded> done = new ArrayList<>();
                    for (int round = 0; round < 3; round++) {
                        done.add(alignment().embed(encoder, mine.subList(0, 1), mine.subList(1, mine.size()),
                                ProgressListener.NONE));
                    }
                    return done;
                }));
            }
            for (int t = 0; t < threads; t++) {
                for (TextAlignment.Embedded e : results.get(t).get()) {
                    assertEquals(new SentenceEncoder.Truncation(t + 3, t + 1, 128), e.cache().truncation(),
                            "thread " + t + "'s statistics");
                    assertEquals(String.format("note: %d of %d texts were longer than 128 tokens and were"
                            + " truncated (--max-length)", t + 1, t + 3), e.cache().truncationNote());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Through a cache: a call's hits and misses are its own distinct texts, and its truncation
     * counts both the texts the model ran and those the cache answered (checked by the tokenizer).
     */
    @Test
    void throughACacheACallCountsItsOwnHitsAndMisses(@TempDir Path cacheDir) {
        SentenceEncoder cached = new CachingSentenceEncoder(new Unclosed(encoder), EmbeddingCache.open(cacheDir));
        List<String> first = texts("cached", 2, 2);
        TextAlignment.Embedded a = alignment().embed(cached, first.subList(0, 2), first.subList(2, 4),
                ProgressListener.NONE);
        assertEquals(0, a.cache().hits());
        assertEquals(4, a.cache().misses());
        assertEquals(new SentenceEncoder.Truncation(4, 2, 128), a.cache().truncation());
        // One long and one short text again (from the cache), one new short text.
        TextAlignment.Embedded b = alignment().embed(cached, List.of(first.get(0)),
                List.of(first.get(2), "a new short text"), ProgressListener.NONE);
        assertEquals(2, b.cache().hits());
        assertEquals(1, b.cache().misses());
        assertEquals(new SentenceEncoder.Truncation(3, 1, 128), b.cache().truncation());
        assertEquals("; 2 from the cache, 1 embedded", b.cache().describe());
    }

    /** The shared encoder, not closed by the cache that wraps it. */
    private record Unclosed(SentenceEncoder inner) implements SentenceEncoder {
        @Override
        public String modelId() {
            return inner.modelId();
        }

        @Override
        public int dimension() {
            return inner.dimension();
        }

        @Override
        public io.synalign.kernels.FloatMatrix encode(List<String> texts, io.synalign.models.EncodeProgress p) {
            return inner.encode(texts, p);
        }

        @Override
        public io.synalign.kernels.FloatMatrix encode(List<String> texts, io.synalign.models.EncodeProgress p,
                io.synalign.models.EncodeTally tally) {
            return inner.encode(texts, p, tally);
        }

        @Override
        public Truncation truncation() {
            return inner.truncation();
        }

        @Override
        public long truncatedAmong(List<String> texts) {
            return inner.truncatedAmong(texts);
        }

        @Override
        public void close() {
        }
    }
}
