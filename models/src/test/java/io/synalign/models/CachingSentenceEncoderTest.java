package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachingSentenceEncoderTest {

    /** Counts the calls and texts that reach the real model. */
    static class CountingEncoder implements SentenceEncoder {
        final SentenceEncoder inner;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger texts = new AtomicInteger();

        CountingEncoder(SentenceEncoder inner) {
            this.inner = inner;
        }

        @Override
        public String modelId() {
            return inner.modelId();
        }

        @Override
        public int dimension() {
            return inner.dimension();
        }

        @Override
        public FloatMatrix encode(List<String> batch, EncodeProgress progress) {
            calls.incrementAndGet();
            texts.addAndGet(batch.size());
            return inner.encode(batch, progress);
        }

        @Override
        public void close() {
            // the shared encoder stays open
        }
    }

    @TempDir
    Path dir;

    private final OnnxSentenceEncoder model = TestSupport.minilm();

    /**
     * Progress comes in texts, through the cache from the model's own batches: it came once per
     * chunk of 256 new texts, so a call with fewer showed nothing until it ended (21 s of CJK
     * texts, or minutes), and in batches (26/80 when 32 of 80 texts were done).
     */
    @Test
    void progressIsReportedInTextsFromTheModelsBatchesThroughTheCache() {
        SentenceEncoder perText = new SentenceEncoder() {
            @Override
            public String modelId() {
                return "fake-3";
            }

            @Override
            public int dimension() {
                return 3;
            }

            @Override
            public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
                float[] d = new float[texts.size() * 3];
                for (int i = 0; i < texts.size(); i++) {
                    d[3 * i] = texts.get(i).length();
                    progress.onBatch(i + 1, texts.size());
                }
                return new FloatMatrix(texts.size(), 3, d);
            }

            @Override
            public void close() {
            }
        };
        CachingSentenceEncoder cached = new CachingSentenceEncoder(perText, EmbeddingCache.open(dir), 4);
        List<String> texts = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            texts.add("text " + i);
        }
        cached.encode(texts.subList(0, 3), EncodeProgress.NONE);
        List<String> seen = new java.util.ArrayList<>();
        cached.encode(texts, (done, total) -> seen.add(done + "/" + total));
        assertEquals(List.of("1/7", "2/7", "3/7", "4/7", "5/7", "6/7", "7/7"), seen);

        // The model itself reports texts, not batches: 80 texts in batches of 32.
        List<String> model = new java.util.ArrayList<>();
        TestSupport.minilm().encode(TestSupport.variedTexts(80, 2), (done, total) -> model.add(done + "/" + total));
        assertEquals(List.of("32/80", "64/80", "80/80"), model);
    }

    @Test
    void secondPassRunsNoModelAndReturnsIdenticalVectors() {
        List<String> texts = TestSupport.variedTexts(15, 4);
        CountingEncoder counting = new CountingEncoder(model);
        CachingSentenceEncoder cached =
                new CachingSentenceEncoder(counting, EmbeddingCache.open(dir));
        assertEquals(model.modelId(), cached.modelId());
        assertEquals(384, cached.dimension());

        FloatMatrix first = cached.encode(texts);
        assertEquals(1, counting.calls.get());
        assertEquals(15, counting.texts.get());
        assertEquals(model.encode(texts), first, "caching must not change the vectors");

        List<int[]> progress = new ArrayList<>();
        FloatMatrix second = cached.encode(texts, (d, t) -> progress.add(new int[] {d, t}));
        assertEquals(1, counting.calls.get(), "second pass must not run the model");
        assertTrue(progress.isEmpty());
        assertTrue(Arrays.equals(first.data(), second.data()), "bit-for-bit equal");
        assertEquals(15, cached.cacheHits());
        assertEquals(15, cached.cacheMisses());
    }

    @Test
    void encodesOnlyDistinctMissesAndKeepsInputOrder() {
        CountingEncoder counting = new CountingEncoder(model);
        CachingSentenceEncoder cached =
                new CachingSentenceEncoder(counting, EmbeddingCache.open(dir));
        cached.encode(List.of("alpha", "beta"));
        List<String> texts = List.of("gamma", "alpha", "gamma", "delta", "beta");
        FloatMatrix m = cached.encode(texts);
        assertEquals(2, counting.calls.get());
        assertEquals(2 + 2, counting.texts.get(), "only gamma and delta are new");
        FloatMatrix direct = model.encode(texts);
        assertEquals(direct, m);
        assertThrows(IllegalArgumentException.class,
                () -> cached.encode(Arrays.asList("x", null)));
        assertEquals(0, cached.encode(List.of()).rows());
    }

    @Test
    void repeatedTextsAreLookedUpAndEncodedOnceAndScatteredBackInInputOrder() {
        CountingEncoder counting = new CountingEncoder(model);
        CachingSentenceEncoder cached =
                new CachingSentenceEncoder(counting, EmbeddingCache.open(dir));
        cached.encode(List.of("alpha", "beta"));
        assertEquals(0, cached.cacheHits());
        assertEquals(2, cached.cacheMisses());

        List<String> texts = List.of("alpha", "gamma", "alpha", "alpha", "gamma", "beta",
                "delta", "gamma");
        FloatMatrix m = cached.encode(texts);
        assertEquals(2, counting.calls.get());
        assertEquals(2 + 2, counting.texts.get(), "gamma and delta once each");
        assertEquals(2, cached.cacheHits(), "one lookup hit each for alpha and beta, not 3 + 1");
        assertEquals(2 + 2, cached.cacheMisses());
        assertEquals(model.encode(texts), m, "rows in input order");

        FloatMatrix again = cached.encode(texts);
        assertEquals(2, counting.calls.get(), "everything from the cache");
        assertEquals(2 + 4, cached.cacheHits(), "four distinct texts, one lookup each");
        assertTrue(Arrays.equals(m.data(), again.data()));
    }

    @Test
    void failedRunKeepsFinishedChunksAndTheRerunResumes() {
        List<String> texts = TestSupport.variedTexts(10, 6);
        AtomicInteger attempts = new AtomicInteger();
        SentenceEncoder failsOnThirdChunk = new CountingEncoder(model) {
            @Override
            public FloatMatrix encode(List<String> batch, EncodeProgress progress) {
                if (attempts.incrementAndGet() == 3) {
                    throw new IllegalStateException("simulated crash");
                }
                return super.encode(batch, progress);
            }
        };
        EmbeddingCache cache = EmbeddingCache.open(dir);
        List<int[]> progress = new ArrayList<>();
        assertThrows(IllegalStateException.class,
                () -> new CachingSentenceEncoder(failsOnThirdChunk, cache, 4)
                        .encode(texts, (d, t) -> progress.add(new int[] {d, t})));
        assertEquals(2, progress.size(), "two chunks finished before the crash");
        assertArrayEquals(new int[] {8, 10}, progress.get(1), "8 of the 10 texts to encode");

        CountingEncoder counting = new CountingEncoder(model);
        CachingSentenceEncoder rerun = new CachingSentenceEncoder(counting, cache, 4);
        assertEquals(model.encode(texts), rerun.encode(texts));
        assertEquals(1, counting.calls.get());
        assertEquals(2, counting.texts.get(), "8 of 10 texts were stored before the crash");
        assertThrows(IllegalArgumentException.class,
                () -> new CachingSentenceEncoder(model, cache, 0));
    }

    @Test
    void corruptEntryIsRecomputedAndRewritten() throws Exception {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        CountingEncoder counting = new CountingEncoder(model);
        CachingSentenceEncoder cached = new CachingSentenceEncoder(counting, cache);
        List<String> texts = List.of("first text", "second text", "third text");
        FloatMatrix first = cached.encode(texts);

        Path file = cache.entryPath(model.modelId(), "second text");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));

        FloatMatrix again = cached.encode(texts);
        assertEquals(2, counting.calls.get());
        assertEquals(3 + 1, counting.texts.get(), "only the damaged entry is recomputed");
        assertEquals(first, again);
        assertNotNull(cache.get(model.modelId(), "second text", 384), "entry rewritten");
    }

    @Test
    void twoEncodersSharingACacheConcurrentlyEndConsistent() throws Exception {
        List<String> texts = TestSupport.variedTexts(24, 8);
        List<String> shuffled = new ArrayList<>(texts);
        Collections.shuffle(shuffled, new Random(1));
        FloatMatrix expected = model.encode(texts);

        CountingEncoder countA = new CountingEncoder(model);
        CountingEncoder countB = new CountingEncoder(model);
        CachingSentenceEncoder a = new CachingSentenceEncoder(countA, EmbeddingCache.open(dir));
        CachingSentenceEncoder b = new CachingSentenceEncoder(countB, EmbeddingCache.open(dir));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<FloatMatrix> fa = pool.submit(() -> a.encode(texts));
            Future<FloatMatrix> fb = pool.submit(() -> b.encode(shuffled));
            assertEquals(expected, fa.get(60, TimeUnit.SECONDS));
            FloatMatrix gotB = fb.get(60, TimeUnit.SECONDS);
            for (int i = 0; i < shuffled.size(); i++) {
                int j = texts.indexOf(shuffled.get(i));
                assertEquals(0.0, TestSupport.maxAbsDiffRow(gotB, i, expected, j));
            }
        } finally {
            pool.shutdownNow();
        }
        CountingEncoder countC = new CountingEncoder(model);
        CachingSentenceEncoder c = new CachingSentenceEncoder(countC, EmbeddingCache.open(dir));
        assertEquals(expected, c.encode(texts));
        assertEquals(0, countC.calls.get(), "every entry written by either run must be valid");
    }
}
