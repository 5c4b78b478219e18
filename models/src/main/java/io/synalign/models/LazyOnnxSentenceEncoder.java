package io.synalign.models;

import io.synalign.kernels.FloatMatrix;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OnnxSentenceEncoder} of a built-in model whose ONNX Runtime session is created at the
 * first {@link #encode}, not when it is opened: behind an {@link EmbeddingCache}, a run whose
 * texts are all cached never creates it. The session (the graph inflated from its jar, ONNX
 * Runtime's graph optimisation, a probe run) cost 0.8-1.1 s of every text command, a third of
 * {@code filter}'s time with a warm cache (docs/RELIABILITY.md, session 25).
 *
 * <p>What a cache hit needs is known without the session: the {@link #modelId} is computed from
 * the model's id and the options alone, exactly as the loaded encoder computes it; the
 * {@link #dimension} is the built-in model's ({@link #BUILT_IN_DIMENSIONS}); and the tokenizer,
 * loaded at once, answers {@link #truncatedAmong} as the loaded encoder would. When the session
 * is created, its id and its probed dimension are checked against these.
 *
 * <p>Only where that session cannot fail for the user's input is it deferred: {@link #open}
 * loads everything else as before ({@link OnnxSentenceEncoder#load}), so a model directory that
 * does not load, a {@code maxLength} beyond the model's positions (found by a probe run) and a
 * missing CUDA provider are still refused at open, before any work. Deferred: built-in models on
 * the CPU with the automatic batch mode and at most the default maximum length. ONNX Runtime's
 * engine (its native library) is started at open all the same, so an engine that cannot start
 * on this host is reported there, not after a run's first stage.
 *
 * <p>Thread-safety as {@link OnnxSentenceEncoder}'s: {@link #encode} from several threads at
 * once (the first ones wait while one creates the session); {@link #close} must not race with an
 * {@code encode} in flight. A session never created is never closed; one created is closed once,
 * with the tokenizer, which it then owns.
 */
public final class LazyOnnxSentenceEncoder implements SentenceEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(LazyOnnxSentenceEncoder.class);

    /**
     * The output dimension of each built-in model, which the loaded encoder learns from a probe
     * run; a model not listed here is loaded at open. {@code LazyOnnxSentenceEncoderTest}
     * checks each against the probe.
     */
    static final Map<ModelSpec, Integer> BUILT_IN_DIMENSIONS =
            Map.of(ModelSpec.minilm(), 384, ModelSpec.bgeSmall(), 384);

    private final String modelId;
    private final int dimension;
    private final EncoderOptions options;
    private final TextTokenizer tokenizer;
    /** Creates the session around the tokenizer: {@link OnnxSentenceEncoder#load}, or a test's. */
    private final Function<TextTokenizer, OnnxSentenceEncoder> session;
    /** The loaded encoder once created; guarded by {@code this} for writes. */
    private volatile OnnxSentenceEncoder loaded;
    /** Guarded by {@code this}. */
    private boolean closed;

    LazyOnnxSentenceEncoder(String modelId, int dimension, EncoderOptions options,
            TextTokenizer tokenizer, Function<TextTokenizer, OnnxSentenceEncoder> session) {
        this.modelId = modelId;
        this.dimension = dimension;
        this.options = options;
        this.tokenizer = tokenizer;
        this.session = session;
    }

    /**
     * {@code spec} with {@code options}: an encoder whose session waits for the first
     * {@link #encode} where that defers no error ({@link #deferrable}), else
     * {@link OnnxSentenceEncoder#load}'s, with its errors.
     *
     * @throws IllegalStateException         as {@link OnnxSentenceEncoder#load}, and when ONNX
     *                                       Runtime's engine cannot start
     * @throws IllegalArgumentException      as {@link OnnxSentenceEncoder#load}
     * @throws MaxLengthExceededException    as {@link OnnxSentenceEncoder#load}
     */
    public static SentenceEncoder open(ModelSpec spec, EncoderOptions options) {
        if (spec == null || options == null) {
            throw new IllegalArgumentException("spec and options must not be null");
        }
        if (!deferrable(spec, options)) {
            return OnnxSentenceEncoder.load(spec, options);
        }
        DjlOffline.configure();
        OnnxSentenceEncoder.startEngine();
        TextTokenizer tokenizer = new TextTokenizer(spec.source().readTokenizer(),
                options.maxLength());
        String id = OnnxSentenceEncoder.modelId(spec, options);
        LOG.debug("{}: ONNX Runtime session deferred to the first text not in the cache",
                spec.name());
        return new LazyOnnxSentenceEncoder(id, BUILT_IN_DIMENSIONS.get(spec), options, tokenizer,
                t -> OnnxSentenceEncoder.load(spec, options, t));
    }

    /**
     * Whether {@code spec}'s session can wait: a built-in model (whose dimension is known and
     * whose graph loads), on the CPU, with the automatic batch mode (the id then needs no scan
     * of the graph) and without a raised maximum length (whose probe run is the check that the
     * model takes it).
     */
    static boolean deferrable(ModelSpec spec, EncoderOptions options) {
        return BUILT_IN_DIMENSIONS.containsKey(spec)
                && options.device() == ExecutionDevice.CPU
                && options.batchMode() == BatchMode.AUTO
                && options.maxLength() <= EncoderOptions.DEFAULT_MAX_LENGTH;
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** Whether the ONNX Runtime session has been created (by a first {@link #encode}). */
    public boolean sessionCreated() {
        return loaded != null;
    }

    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
        return encode(texts, progress, new EncodeTally());
    }

    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress, EncodeTally tally) {
        return loaded().encode(texts, progress, tally);
    }

    @Override
    public long truncatedAmong(List<String> texts) {
        OnnxSentenceEncoder now = loaded;
        if (now != null) {
            return now.truncatedAmong(texts);
        }
        SentenceEncoder.requireNoNulls(texts);
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("encoder is closed");
            }
        }
        return OnnxSentenceEncoder.truncatedAmong(tokenizer, texts, options);
    }

    /** The loaded encoder's counts; before it exists, none, as a fresh encoder's. */
    @Override
    public Truncation truncation() {
        OnnxSentenceEncoder now = loaded;
        return now != null ? now.truncation() : new Truncation(0, 0, options.maxLength());
    }

    /**
     * The loaded encoder, created now if it is not yet: once, whatever the threads.
     *
     * @throws IllegalStateException when closed, or when the session's id or dimension is not
     *     the one this encoder answered with (a fault of this class, never of the input)
     */
    private OnnxSentenceEncoder loaded() {
        OnnxSentenceEncoder now = loaded;
        if (now != null) {
            return now;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("encoder " + modelId + " is closed");
            }
            if (loaded == null) {
                OnnxSentenceEncoder made = session.apply(tokenizer);
                if (!made.modelId().equals(modelId) || made.dimension() != dimension) {
                    closed = true; // the tokenizer went with it: nothing is left to close
                    made.close();
                    throw new IllegalStateException("the session of " + modelId + " gives id "
                            + made.modelId() + " and dimension " + made.dimension() + "; "
                            + dimension + " was assumed");
                }
                loaded = made;
            }
            return loaded;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (loaded != null) {
            loaded.close(); // closes the tokenizer, which it owns
        } else {
            tokenizer.close();
        }
    }
}
