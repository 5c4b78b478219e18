package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LazyOnnxSentenceEncoderTest {

    @TempDir
    Path dir;

    /** Texts of every length, some beyond 128 tokens (cut), and a repeat. */
    private static List<String> texts() {
        List<String> texts = new ArrayList<>(TestSupport.variedTexts(40, 25));
        texts.add("word ".repeat(300));
        texts.add("another long text, " + "more words ".repeat(200));
        texts.add(texts.get(3));
        return texts;
    }

    @Test
    void theBuiltInModelsIdsAndDimensionsAreTheLoadedOnes() {
        for (OnnxSentenceEncoder loaded : List.of(TestSupport.minilm(), TestSupport.bgeSmall())) {
            ModelSpec spec = loaded.modelId().startsWith("minilm") ? ModelSpec.minilm()
                    : ModelSpec.bgeSmall();
            try (SentenceEncoder lazy = LazyOnnxSentenceEncoder.open(spec,
                    EncoderOptions.defaults())) {
                assertEquals(loaded.modelId(), lazy.modelId());
                assertEquals(loaded.dimension(), lazy.dimension());
            }
        }
        // Settings the id names: pooling and a shorter maximum.
        EncoderOptions options = EncoderOptions.defaults().withPooling(Pooling.CLS)
                .withMaxLength(64);
        try (OnnxSentenceEncoder loaded = OnnxSentenceEncoder.load(ModelSpec.minilm(), options);
                SentenceEncoder lazy = LazyOnnxSentenceEncoder.open(ModelSpec.minilm(), options)) {
            assertEquals(loaded.modelId(), lazy.modelId());
        }
    }

    @Test
    void aRunAnsweredFromTheCacheNeverCreatesTheSessionAndGetsTheSameVectorsAndCounts() {
        List<String> texts = texts();
        FloatMatrix eager = TestSupport.minilm().encode(texts);
        EmbeddingCache cache = EmbeddingCache.open(dir);

        LazyOnnxSentenceEncoder first = lazyMinilm();
        assertFalse(first.sessionCreated(), "opened, nothing encoded");
        EncodeTally missTally = new EncodeTally();
        SentenceEncoder.Truncation missCounts;
        try (CachingSentenceEncoder caching = new CachingSentenceEncoder(first, cache)) {
            assertEquals(eager, caching.encode(texts, EncodeProgress.NONE, missTally));
            assertTrue(first.sessionCreated(), "misses run the model");
            missCounts = caching.truncation();
        }

        LazyOnnxSentenceEncoder second = lazyMinilm();
        EncodeTally hitTally = new EncodeTally();
        try (CachingSentenceEncoder caching = new CachingSentenceEncoder(second, cache)) {
            assertEquals(eager, caching.encode(texts, EncodeProgress.NONE, hitTally));
            assertEquals(texts.size() - 1, caching.cacheHits(), "every distinct text hits");
            assertFalse(second.sessionCreated(), "hits only: no session");
            SentenceEncoder.Truncation hitCounts = caching.truncation();
            assertEquals(2, hitCounts.truncated(), "the two long texts are noted as cut");
            assertEquals(missCounts.truncated(), hitCounts.truncated());
            assertEquals(missCounts.maxLength(), hitCounts.maxLength());
        }
        assertEquals(missTally.truncation().truncated(), hitTally.truncation().truncated());
    }

    @Test
    void theSessionIsCreatedOnceWhateverTheThreadsAndClosedOnce() throws Exception {
        AtomicInteger created = new AtomicInteger();
        List<OnnxSentenceEncoder> made = new ArrayList<>();
        LazyOnnxSentenceEncoder lazy = lazyMinilm(t -> {
            created.incrementAndGet();
            OnnxSentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                    EncoderOptions.defaults(), t);
            made.add(e);
            return e;
        });
        List<String> texts = texts();
        FloatMatrix eager = TestSupport.minilm().encode(texts);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<FloatMatrix>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                runs.add(pool.submit(() -> lazy.encode(texts)));
            }
            for (Future<FloatMatrix> run : runs) {
                assertEquals(eager, run.get());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, created.get());
        assertEquals(4L * texts.size(), lazy.truncation().texts(), "the session's own counts");
        lazy.close();
        lazy.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> made.get(0).encode(List.of("a")));
        assertTrue(closed.getMessage().endsWith("is closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> lazy.encode(List.of("a")));
        assertEquals(1, created.get());
    }

    @Test
    void aSessionNeverCreatedIsNeverCreatedByClose() {
        AtomicInteger created = new AtomicInteger();
        LazyOnnxSentenceEncoder lazy = lazyMinilm(t -> {
            created.incrementAndGet();
            throw new AssertionError("no session wanted");
        });
        assertEquals(0, lazy.truncatedAmong(List.of("short")));
        assertEquals(new SentenceEncoder.Truncation(0, 0, EncoderOptions.DEFAULT_MAX_LENGTH),
                lazy.truncation());
        lazy.close();
        lazy.close();
        assertEquals(0, created.get());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> lazy.truncatedAmong(List.of("word ".repeat(300))));
        assertEquals("encoder is closed", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> lazy.encode(List.of("a")));
        assertEquals("encoder " + lazy.modelId() + " is closed", e.getMessage());
        assertEquals(0, created.get());
    }

    @Test
    void onlyWhatCannotFailForTheInputIsDeferred() throws Exception {
        EncoderOptions defaults = EncoderOptions.defaults();
        assertInstanceOf(LazyOnnxSentenceEncoder.class,
                LazyOnnxSentenceEncoder.open(ModelSpec.bgeSmall(), defaults));
        // A raised maximum is checked by a probe run, an explicit batch mode names the graph's
        // own in the id, a device may be missing: loaded at once, as before.
        for (EncoderOptions loadedNow : List.of(defaults.withMaxLength(129),
                defaults.withBatchMode(BatchMode.PADDED),
                defaults.withDevice(ExecutionDevice.CUDA, 0))) {
            assertFalse(LazyOnnxSentenceEncoder.deferrable(ModelSpec.minilm(), loadedNow),
                    loadedNow.toString());
        }
        MaxLengthExceededException tooLong = assertThrows(MaxLengthExceededException.class,
                () -> LazyOnnxSentenceEncoder.open(ModelSpec.minilm(),
                        defaults.withMaxLength(2048)));
        assertEquals(2048, tooLong.maxLength());

        // A model directory, even one holding a built-in model's files, is loaded at once: a
        // broken one is refused at open, as before.
        ModelSource bundled = ModelSpec.minilm().source();
        Files.write(dir.resolve("tokenizer.json"), bundled.readTokenizer());
        Files.write(dir.resolve("model.onnx"), bundled.readModel());
        try (SentenceEncoder folder = LazyOnnxSentenceEncoder.open(
                ModelRegistry.resolve(dir.toString()), defaults)) {
            assertInstanceOf(OnnxSentenceEncoder.class, folder);
        }
        byte[] garbage = new byte[5000];
        new java.util.Random(3).nextBytes(garbage);
        Files.write(dir.resolve("model.onnx"), garbage);
        ModelSpec broken = ModelRegistry.resolve(dir.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LazyOnnxSentenceEncoder.open(broken, defaults));
        assertTrue(e.getMessage().startsWith("model directory " + dir.toAbsolutePath()
                .normalize() + ": cannot load it as an ONNX model and a tokenizer ("),
                e.getMessage());
    }

    private static LazyOnnxSentenceEncoder lazyMinilm() {
        return (LazyOnnxSentenceEncoder) LazyOnnxSentenceEncoder.open(ModelSpec.minilm(),
                EncoderOptions.defaults());
    }

    /** minilm with default options, its session made by {@code session}. */
    private static LazyOnnxSentenceEncoder lazyMinilm(
            Function<TextTokenizer, OnnxSentenceEncoder> session) {
        EncoderOptions options = EncoderOptions.defaults();
        return new LazyOnnxSentenceEncoder(OnnxSentenceEncoder.modelId(ModelSpec.minilm(),
                options), 384, options, new TextTokenizer(ModelSpec.minilm().source()
                        .readTokenizer(), options.maxLength()), session);
    }
}
