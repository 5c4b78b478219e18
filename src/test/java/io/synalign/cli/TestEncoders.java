package io.synalign.cli;

import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncodeProgress;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The real default encoder, loaded once per test JVM, and a counting view of it. */
final class TestEncoders {

    private static OnnxSentenceEncoder minilm;

    private TestEncoders() {
    }

    /** all-MiniLM-L6-v2 with default options; shared, never closed. */
    static synchronized SentenceEncoder minilm() {
        if (minilm == null) {
            minilm = OnnxSentenceEncoder.load(ModelSpec.minilm());
        }
        return minilm;
    }

    /** Counts the loads a command makes and the texts it sends to the model. */
    static final class Counter {
        final AtomicInteger loads = new AtomicInteger();
        final AtomicInteger encodeCalls = new AtomicInteger();
        final AtomicInteger textsEncoded = new AtomicInteger();

        /** A loader that hands out counting views of the shared minilm. */
        EmbeddingOptions.EncoderLoader loader() {
            return (spec, options) -> {
                loads.incrementAndGet();
                if (!spec.name().equals("minilm")) {
                    throw new AssertionError("tests use minilm, got " + spec.name());
                }
                return new Counting(minilm(), this);
            };
        }

        /** A loader that must not be called. */
        EmbeddingOptions.EncoderLoader forbidden() {
            return (spec, options) -> {
                loads.incrementAndGet();
                throw new AssertionError("the model must not be loaded");
            };
        }
    }

    /** Delegates to a shared encoder, counting calls; close() leaves the shared one open. */
    static final class Counting implements SentenceEncoder {
        private final SentenceEncoder delegate;
        private final Counter counter;
        /** The shared encoder's counts when this view was made: it counts for every test. */
        private final Truncation before;

        Counting(SentenceEncoder delegate, Counter counter) {
            this.delegate = delegate;
            this.counter = counter;
            this.before = delegate.truncation();
        }

        /** The shared encoder's counts since this view was made. */
        @Override
        public Truncation truncation() {
            Truncation now = delegate.truncation();
            return new Truncation(now.texts() - before.texts(),
                    now.truncated() - before.truncated(), now.maxLength());
        }

        @Override
        public String modelId() {
            return delegate.modelId();
        }

        @Override
        public long truncatedAmong(List<String> texts) {
            return delegate.truncatedAmong(texts);
        }

        @Override
        public int dimension() {
            return delegate.dimension();
        }

        @Override
        public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
            counter.encodeCalls.incrementAndGet();
            counter.textsEncoded.addAndGet(texts.size());
            return delegate.encode(texts, progress);
        }

        @Override
        public void close() {
        }
    }
}
