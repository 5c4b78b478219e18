package io.synalign.models;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtProvider;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transformer sentence encoder run by ONNX Runtime through DJL, with a HuggingFace fast
 * tokenizer.
 *
 * <p>Algorithm, per batch of {@code batchSize} texts: tokenise (special tokens, truncation to
 * {@code maxLength}); feed {@code input_ids}, {@code attention_mask} and, when the graph declares
 * it, {@code token_type_ids} — either the whole batch right-padded to its longest text
 * ({@link BatchMode#PADDED}) or one text at a time ({@link BatchMode#PER_TEXT}, chosen
 * automatically for dynamically quantised graphs, see {@link BatchMode}); take
 * {@code last_hidden_state}; pool over the real tokens only (mean, Sentence-BERT, Reimers &amp;
 * Gurevych 2019; or CLS); L2-normalise. Cost: one transformer forward pass per text,
 * O(L^2 d + L d^2) per layer for L tokens; pooling O(L d). Each batch's native tensors live in
 * their own {@code NDManager} sub-manager, freed when the batch ends.
 *
 * <p>Thread-safety: {@link #encode} may be called from several threads at once (the ONNX
 * Runtime session and the tokenizer are safe for concurrent use; every call owns its tensors).
 * {@link #close} must not race with an {@code encode} in flight.
 *
 * <p>DJL is kept off the network with as few JVM-wide settings as it needs (see
 * {@link DjlOffline}); models are read from the class path or a directory, never downloaded.
 */
public final class OnnxSentenceEncoder implements SentenceEncoder {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxSentenceEncoder.class);
    static final String ENGINE = "OnnxRuntime";
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";
    static final String LAST_HIDDEN_STATE = "last_hidden_state";
    /** Pad id for right padding; padded positions are masked, so any valid id works. */
    private static final long PAD_ID = 0;
    /**
     * The revision of this encoder's own code, named in every {@link #modelId} ({@code ;rev=N})
     * so that the embedding cache never serves vectors that other code computed from the same
     * model and text. Bump it with any change that can move a vector: tokenisation (the
     * tokenizer's settings, {@link TextTokenizer}'s prefix cut), truncation, the inputs fed to
     * the graph (ids, mask, token types, padding), pooling, normalisation, or the
     * {@link BatchMode} chosen automatically; then re-pin {@code GoldenVectorsTest}'s vectors,
     * which fails when vectors change while this stays. A bump costs every user one re-embedding
     * of each text (old entries miss, stay on disk, and are never read again); a missed bump
     * serves the old vectors silently. Absent from the id before revision 2 (so revision 1 is
     * every build before the cut at U+001C was fixed, 753c06e, and those up to this constant).
     */
    static final int ENCODER_REVISION = 2;

    private final String modelId;
    /** What an interrupted {@link #encode} names, built once (see {@link Cancellation}). */
    private final String cancelledWork;
    private final EncoderOptions options;
    private final Pooling pooling;
    private final BatchMode batchMode;
    private final Model model;
    private final Block block;
    private final boolean feedsTokenTypeIds;
    private final TextTokenizer tokenizer;
    private final int dimension;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Texts {@link #encode} ran, and those of them truncated: {@link #truncation()}. */
    private final AtomicLong textsEncoded = new AtomicLong();
    private final AtomicLong textsTruncated = new AtomicLong();

    private OnnxSentenceEncoder(ModelSpec spec, EncoderOptions options, BatchMode autoMode,
            Model model, TextTokenizer tokenizer) {
        this.options = options;
        this.pooling = pooling(spec, options);
        this.batchMode = options.batchMode() == BatchMode.AUTO ? autoMode : options.batchMode();
        this.model = model;
        this.block = model.getBlock();
        this.tokenizer = tokenizer;
        List<String> inputs = block.describeInput().keys();
        if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)) {
            throw new IllegalArgumentException("model " + spec.name() + " has inputs " + inputs
                    + ", need " + INPUT_IDS + " and " + ATTENTION_MASK);
        }
        this.feedsTokenTypeIds = inputs.contains(TOKEN_TYPE_IDS);
        this.modelId = modelId(spec, pooling, options.maxLength(), batchMode, autoMode);
        this.cancelledWork = "embedding (batch of " + modelId + ")";
        this.dimension = probeDimension();
        if (options.maxLength() > EncoderOptions.DEFAULT_MAX_LENGTH) {
            probeMaxLength(spec, options.maxLength());
        }
    }

    /** Loads a model by name or directory ({@link ModelRegistry#resolve}) with default options. */
    public static OnnxSentenceEncoder load(String nameOrPath) {
        return load(ModelRegistry.resolve(nameOrPath), EncoderOptions.defaults());
    }

    /** Loads {@code spec} with default options. */
    public static OnnxSentenceEncoder load(ModelSpec spec) {
        return load(spec, EncoderOptions.defaults());
    }

    /**
     * Loads {@code spec}: reads the ONNX graph into an ONNX Runtime session (CPU, or CUDA when
     * requested) and the tokenizer, and runs one probe text to learn the output dimension.
     *
     * @throws IllegalStateException when CUDA is requested but not available, a bundled model
     *                               cannot be loaded, or DJL's OnnxRuntime engine cannot start
     *                               (an ONNX Runtime environment created before the first
     *                               encoder loaded: {@link OrtEngineFailure})
     * @throws IllegalArgumentException when a model directory's files cannot be loaded, naming
     *                               the directory
     */
    public static OnnxSentenceEncoder load(ModelSpec spec, EncoderOptions options) {
        return load(spec, options, null);
    }

    /**
     * {@link #load(ModelSpec, EncoderOptions)} with a tokenizer made already from {@code spec}'s
     * {@code tokenizer.json} and {@code options}' maximum length, or {@code null} to make one.
     * A given tokenizer passes to the encoder when the load succeeds (its {@link #close} closes
     * it) and stays the caller's when it fails; one made here is closed on failure.
     */
    static OnnxSentenceEncoder load(ModelSpec spec, EncoderOptions options,
            TextTokenizer givenTokenizer) {
        if (spec == null || options == null) {
            throw new IllegalArgumentException("spec and options must not be null");
        }
        if (givenTokenizer != null && givenTokenizer.maxLength() != options.maxLength()) {
            throw new IllegalArgumentException("tokenizer keeps " + givenTokenizer.maxLength()
                    + " tokens, options " + options.maxLength());
        }
        DjlOffline.configure();
        // Before requireCudaProvider, which is the first to touch ONNX Runtime for cuda.
        OrtNativeLibraries.prepare();
        Device device = Device.cpu();
        if (options.device() == ExecutionDevice.CUDA) {
            requireCudaProvider();
            device = Device.gpu(options.deviceId());
        }
        byte[] onnx = spec.source().readModel();
        BatchMode autoMode = OnnxGraphScan.usesDynamicQuantization(onnx)
                ? BatchMode.PER_TEXT : BatchMode.PADDED;
        startEngine();
        Model model = Model.newInstance(spec.name(), device, ENGINE);
        TextTokenizer tokenizer = null;
        try {
            try (OrtSession.SessionOptions quiet = quietSessionOptions()) {
                // Copied into the session when it is made: closed once the model is loaded.
                model.load(new ByteArrayInputStream(onnx), sessionOptions(options, quiet));
            }
            tokenizer = givenTokenizer != null ? givenTokenizer
                    : new TextTokenizer(spec.source().readTokenizer(), options.maxLength());
            OnnxSentenceEncoder encoder =
                    new OnnxSentenceEncoder(spec, options, autoMode, model, tokenizer);
            LOG.info("Loaded {} ({}): {} dimensions, {} pooling, {} batches, {}", spec.name(),
                    spec.source().describe(), encoder.dimension, encoder.pooling,
                    encoder.batchMode, device);
            return encoder;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            closeQuietly(model, tokenizer == givenTokenizer ? null : tokenizer);
            if (e instanceof MaxLengthExceededException tooLong) {
                throw tooLong; // the model loads; the option is what is wrong
            }
            if (spec.source() instanceof ModelSource.Directory dir) {
                // The user's files: bad input, named, rather than a fault of the program.
                throw new IllegalArgumentException("model directory " + dir.path() + ": cannot"
                        + " load it as an ONNX model and a tokenizer (" + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("cannot load model " + spec.name() + " from "
                    + spec.source().describe() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts DJL's OnnxRuntime engine (ONNX Runtime's native library and environment) unless it
     * runs already, then claims ONNX Runtime's temporary directory ({@link OrtTempDirectories}).
     *
     * @throws IllegalStateException when it cannot start ({@link OrtEngineFailure})
     */
    static void startEngine() {
        OrtNativeLibraries.prepare();
        try {
            Engine.getEngine(ENGINE);
        } catch (LinkageError e) {
            // The engine's class initialiser failed (now or earlier in this JVM), or ONNX
            // Runtime's native library did not load (an UnsatisfiedLinkError, not wrapped).
            throw OrtEngineFailure.explain(e);
        } finally {
            // ONNX Runtime's temporary directory exists once its loader ran, whether DJL's
            // engine then started or not (a host that created its own environment first, a
            // library that did not load): claim it, and remove those that killed runs left.
            OrtTempDirectories.claimAndSweep();
        }
    }

    /** The pooling in use: {@code options}' override, else {@code spec}'s convention. */
    private static Pooling pooling(ModelSpec spec, EncoderOptions options) {
        return options.pooling() != null ? options.pooling() : spec.pooling();
    }

    /**
     * The {@link #modelId} that {@link #load} gives {@code spec} with {@code options}, known
     * without loading it when the batch mode is {@link BatchMode#AUTO}: the mode chosen is then
     * the graph's own, which the id never names.
     */
    static String modelId(ModelSpec spec, EncoderOptions options) {
        if (options.batchMode() != BatchMode.AUTO) {
            throw new IllegalArgumentException("the id of batch mode " + options.batchMode()
                    + " depends on the graph; load the model");
        }
        return modelId(spec, pooling(spec, options), options.maxLength(), BatchMode.AUTO,
                BatchMode.AUTO);
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public int dimension() {
        return dimension;
    }

    /** The pooling in use (the option's override, else the model's convention). */
    public Pooling pooling() {
        return pooling;
    }

    /** The batch mode in use, {@link BatchMode#AUTO} resolved. */
    public BatchMode batchMode() {
        return batchMode;
    }

    public EncoderOptions options() {
        return options;
    }

    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress) {
        return encode(texts, progress, new EncodeTally());
    }

    @Override
    public FloatMatrix encode(List<String> texts, EncodeProgress progress, EncodeTally tally) {
        SentenceEncoder.requireNoNulls(texts);
        if (progress == null || tally == null) {
            throw new IllegalArgumentException("progress and tally must not be null");
        }
        if (closed.get()) {
            throw new IllegalStateException("encoder " + modelId + " is closed");
        }
        int n = texts.size();
        float[] out = new float[Math.multiplyExact(n, dimension)];
        int batchSize = options.batchSize();
        int batches = (n + batchSize - 1) / batchSize;
        for (int b = 0; b < batches; b++) {
            // Once per batch, before its tokens and its ONNX run (see Cancellation): the batch's
            // tensors are closed by embedInto's own scopes, so nothing is held on the way out.
            Cancellation.stopIfInterrupted(cancelledWork);
            int from = b * batchSize;
            int to = Math.min(n, from + batchSize);
            TextTokenizer.Tokens[] tokens = tokenizer.tokenize(texts.subList(from, to));
            long cut = 0;
            for (TextTokenizer.Tokens t : tokens) {
                if (t.truncated()) {
                    cut++;
                }
            }
            textsTruncated.addAndGet(cut);
            textsEncoded.addAndGet(tokens.length);
            tally.checked(tokens.length, cut, options.maxLength());
            if (batchMode == BatchMode.PER_TEXT) {
                for (int i = 0; i < tokens.length; i++) {
                    embedInto(new TextTokenizer.Tokens[] {tokens[i]}, out, from + i);
                }
            } else {
                embedInto(tokens, out, from);
            }
            progress.onBatch(to, n);
        }
        return new FloatMatrix(n, dimension, out);
    }

    /** Tokenizes {@code texts} in batches, as {@link #encode} would, and counts the cut ones. */
    @Override
    public long truncatedAmong(List<String> texts) {
        SentenceEncoder.requireNoNulls(texts);
        if (closed.get()) {
            throw new IllegalStateException("encoder is closed");
        }
        return truncatedAmong(tokenizer, texts, options);
    }

    /**
     * How many of {@code texts} {@code tokenizer} cuts, tokenizing in batches of
     * {@code options}' batch size only the texts that could reach its maximum length. Shared
     * with {@link LazyOnnxSentenceEncoder}, whose cache hits must count the same before the
     * model runs.
     */
    static long truncatedAmong(TextTokenizer tokenizer, List<String> texts,
            EncoderOptions options) {
        // Only texts that could reach the limit are tokenized: every token but the few a
        // tokenizer adds (special tokens, a prefix marker) consumes at least one byte of UTF-8
        // input, in WordPiece, byte-level BPE and SentencePiece alike. On 9,613 SST-2 texts
        // read from the cache (3,402 longer than 120 bytes), `embed` then takes 1.09 times the
        // CPU and 1.00 times the wall time of a version that checked none (docs/PERFORMANCE.md).
        List<String> candidates = new ArrayList<>();
        for (String text : texts) {
            if (mayExceed(text, options.maxLength())) {
                candidates.add(text);
            }
        }
        int batchSize = options.batchSize();
        long truncated = 0;
        for (int from = 0; from < candidates.size(); from += batchSize) {
            for (TextTokenizer.Tokens t : tokenizer.tokenize(
                    candidates.subList(from, Math.min(candidates.size(), from + batchSize)))) {
                if (t.truncated()) {
                    truncated++;
                }
            }
        }
        return truncated;
    }

    /** Tokens a tokenizer may add that consume no input byte, with room to spare. */
    private static final int ADDED_TOKENS_BOUND = 8;

    /**
     * Whether {@code text} could have more than {@code maxLength} tokens: false when its UTF-8
     * bytes plus {@value #ADDED_TOKENS_BOUND} are at most {@code maxLength} (counted without
     * encoding it, stopping once the bound is passed).
     */
    static boolean mayExceed(String text, int maxLength) {
        long budget = (long) maxLength - ADDED_TOKENS_BOUND;
        if (text.length() * 3L <= budget) {
            return false; // a UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair 4 for 2)
        }
        long bytes = 0;
        for (int i = 0; i < text.length() && bytes <= budget; i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes > budget;
    }

    /** Counts the texts of {@link #encode} only; the load's probes are not the user's texts. */
    @Override
    public Truncation truncation() {
        return new Truncation(textsEncoded.get(), textsTruncated.get(), options.maxLength());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeQuietly(model, tokenizer);
        }
    }

    /** Runs one padded batch and writes its pooled, normalised rows from row {@code firstRow}. */
    private void embedInto(TextTokenizer.Tokens[] rows, float[] out, int firstRow) {
        int seqLen = 0;
        int[] lengths = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            lengths[r] = rows[r].length();
            seqLen = Math.max(seqLen, lengths[r]);
        }
        FloatBuffer hidden = forward(rows, lengths, seqLen, dimension);
        pooling.pool(hidden, rows.length, seqLen, dimension, lengths, out, firstRow * dimension);
        Pooling.l2Normalise(out, firstRow * dimension, rows.length, dimension);
    }

    /**
     * One forward pass over right-padded inputs; returns {@code last_hidden_state} as
     * row-major {@code [rows, seqLen, hiddenSize]}, in the one copy ONNX Runtime makes of its
     * output (pooled in place, not copied again into a float array).
     * {@code expectedHidden < 0} accepts any size.
     */
    private FloatBuffer forward(TextTokenizer.Tokens[] rows, int[] lengths, int seqLen,
            int expectedHidden) {
        int b = rows.length;
        long[] ids = new long[b * seqLen];
        long[] mask = new long[b * seqLen];
        long[] types = new long[b * seqLen];
        java.util.Arrays.fill(ids, PAD_ID);
        for (int r = 0; r < b; r++) {
            System.arraycopy(rows[r].ids(), 0, ids, r * seqLen, lengths[r]);
            System.arraycopy(rows[r].typeIds(), 0, types, r * seqLen, lengths[r]);
            java.util.Arrays.fill(mask, r * seqLen, r * seqLen + lengths[r], 1L);
        }
        Shape shape = new Shape(b, seqLen);
        try (NDManager batch = model.getNDManager().newSubManager()) {
            NDList inputs = new NDList(3);
            inputs.add(named(batch, ids, shape, INPUT_IDS));
            inputs.add(named(batch, mask, shape, ATTENTION_MASK));
            if (feedsTokenTypeIds) {
                inputs.add(named(batch, types, shape, TOKEN_TYPE_IDS));
            }
            NDList outputs = block.forward(new ParameterStore(batch, false), inputs, false);
            NDArray hidden = lastHiddenState(outputs);
            long[] s = hidden.getShape().getShape();
            if (s.length != 3 || s[0] != b || s[1] != seqLen
                    || (expectedHidden >= 0 && s[2] != expectedHidden)) {
                throw new IllegalStateException(LAST_HIDDEN_STATE + " has shape "
                        + hidden.getShape() + ", expected (" + b + ", " + seqLen + ", "
                        + (expectedHidden >= 0 ? expectedHidden : "d") + ")");
            }
            return asFloat32(hidden);
        }
    }

    /**
     * The values of {@code hidden} as float32. A model folder may export float16, bfloat16 or
     * float64 outputs: their bytes read as floats gave a shape check failure ("(3, 26, 8),
     * expected (3, 26, 4)") or, had the sizes matched, garbage. Converted here in Java, exactly
     * (every float16 and bfloat16 value is a float32; float64 rounds to nearest), because the
     * ONNX Runtime engine of DJL has no cast of its own.
     *
     * @throws IllegalStateException for another data type (an integer output is no embedding)
     */
    static FloatBuffer asFloat32(NDArray hidden) {
        DataType type = hidden.getDataType();
        java.nio.ByteBuffer bytes = hidden.toByteBuffer();
        if (type == DataType.FLOAT32) {
            return bytes.asFloatBuffer();
        }
        int n = Math.toIntExact(hidden.size());
        float[] out = new float[n];
        if (type == DataType.FLOAT16) {
            java.nio.ShortBuffer b = bytes.asShortBuffer();
            for (int i = 0; i < n; i++) {
                out[i] = halfToFloat(b.get(i));
            }
        } else if (type == DataType.BFLOAT16) {
            java.nio.ShortBuffer b = bytes.asShortBuffer();
            for (int i = 0; i < n; i++) {
                out[i] = Float.intBitsToFloat((b.get(i) & 0xffff) << 16);
            }
        } else if (type == DataType.FLOAT64) {
            java.nio.DoubleBuffer b = bytes.asDoubleBuffer();
            for (int i = 0; i < n; i++) {
                out[i] = (float) b.get(i);
            }
        } else {
            throw new IllegalStateException(LAST_HIDDEN_STATE + " has data type " + type
                    + "; need float32, float16, bfloat16 or float64");
        }
        return FloatBuffer.wrap(out);
    }

    /** IEEE 754 binary16 to float32, exactly (subnormals, infinities and NaN included). */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa x 2^-24, exact in float32.
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static NDArray named(NDManager manager, long[] data, Shape shape, String name) {
        NDArray array = manager.create(LongBuffer.wrap(data), shape, DataType.INT64);
        array.setName(name);
        return array;
    }

    private static NDArray lastHiddenState(NDList outputs) {
        NDArray byName = outputs.get(LAST_HIDDEN_STATE);
        if (byName != null) {
            return byName;
        }
        if (outputs.size() == 1) {
            return outputs.head();
        }
        StringBuilder names = new StringBuilder();
        for (NDArray a : outputs) {
            names.append(names.length() == 0 ? "" : ", ").append(a.getName());
        }
        throw new IllegalStateException("model has no output " + LAST_HIDDEN_STATE
                + " (outputs: " + names + ")");
    }

    /**
     * Runs one text of {@code maxLength} tokens (a raised maximum only: the default is within
     * every model's reach), so that a maximum the model cannot take is refused now, naming it,
     * instead of failing at the first long text of a run. Costs one forward pass of that length.
     */
    private void probeMaxLength(ModelSpec spec, int maxLength) {
        TextTokenizer.Tokens[] probe = tokenizer.tokenize(List.of("a ".repeat(maxLength)));
        int len = probe[0].length();
        try {
            forward(probe, new int[] {len}, len, dimension);
        } catch (RuntimeException e) {
            throw new MaxLengthExceededException(maxLength, "model " + spec.name() + " fails on a"
                    + " text of " + len + " tokens (ONNX Runtime: " + runtimeReason(e)
                    + "); it takes fewer, give a smaller maximum", e);
        }
    }

    /**
     * The telling end of an ONNX Runtime failure for a one-line message: its status message
     * (after the wrapper's exception names and the source location), the last 160 characters
     * at most, cut at a word.
     */
    static String runtimeReason(Throwable e) {
        String text = e.getMessage() == null ? "" : e.getMessage().strip().replaceAll("\\s+", " ");
        int status = text.lastIndexOf("Status Message: ");
        if (status >= 0) {
            text = text.substring(status + "Status Message: ".length());
        }
        if (text.length() > 160) {
            String tail = text.substring(text.length() - 160);
            int space = tail.indexOf(' ');
            text = "..." + (space >= 0 ? tail.substring(space + 1) : tail);
        }
        return text.isEmpty() ? "no message" : text;
    }

    private int probeDimension() {
        TextTokenizer.Tokens[] probe = tokenizer.tokenize(List.of("dimension probe"));
        int len = probe[0].length();
        FloatBuffer hidden = forward(probe, new int[] {len}, len, -1);
        return hidden.remaining() / len;
    }

    /**
     * The encoder's cache id: the model's id plus every setting that changes its vectors and
     * differs from the model's defaults, then this code's {@link #ENCODER_REVISION}. A model folder's id hashes only its graph and tokenizer,
     * and its default pooling comes from a file that may change ({@code 1_Pooling/config.json}):
     * so for a folder any pooling but mean is always named, and the same vectors get the same id
     * whether the pooling came from the folder or from an override.
     */
    static String modelId(ModelSpec spec, Pooling pooling, int maxLength, BatchMode mode,
            BatchMode autoMode) {
        StringBuilder id = new StringBuilder(spec.modelId());
        boolean folder = spec.source() instanceof ModelSource.Directory;
        if (folder ? pooling != Pooling.MEAN : pooling != spec.pooling()) {
            id.append(";pool=").append(pooling.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (maxLength != EncoderOptions.DEFAULT_MAX_LENGTH) {
            id.append(";max=").append(maxLength);
        }
        if (mode != autoMode) {
            id.append(";batch=").append(mode.name().toLowerCase(java.util.Locale.ROOT));
        }
        return id.append(";rev=").append(ENCODER_REVISION).toString();
    }

    /**
     * Session options whose log shows only fatal errors: a failed forward pass (the probe of a
     * --max-length beyond the model's positions) printed ONNX Runtime's multi-line, coloured
     * native error before SynAlign's one-line message. Every failure still reaches the caller
     * as an exception carrying ONNX Runtime's status message.
     */
    private static OrtSession.SessionOptions quietSessionOptions() throws IOException {
        OrtSession.SessionOptions quiet = new OrtSession.SessionOptions();
        try {
            quiet.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
            return quiet;
        } catch (OrtException e) {
            quiet.close();
            throw new IOException("cannot set ONNX Runtime's session log level", e);
        }
    }

    private static Map<String, Object> sessionOptions(EncoderOptions options,
            OrtSession.SessionOptions ortOptions) {
        Map<String, Object> map = new HashMap<>();
        map.put("sessionOptions", ortOptions);
        int threads = intraOpThreads(options.intraOpThreads(), CpuTopology.current());
        if (threads > 0) {
            map.put("intraOpNumThreads", Integer.toString(threads));
        }
        return map;
    }

    /**
     * What the thread rule ({@link #intraOpThreads(int, CpuTopology)}) reads of the machine:
     * the JVM's processor count (its affinity and any cgroup quota, {@link
     * Runtime#availableProcessors}), the CPUs the process may run on ({@code Cpus_allowed_list}
     * of /proc/self/status), the CPUs online ({@code /sys/devices/system/cpu/online}) and the
     * sysfs tree that says which CPUs share a core. A list is null where it cannot be read (not
     * Linux). A value, so that tests can describe any machine.
     */
    record CpuTopology(int jvmProcessors, int[] allowedCpus, int[] onlineCpus, Path sysCpu) {

        /** This process's view, read now. */
        static CpuTopology current() {
            Path sys = Path.of("/sys/devices/system/cpu");
            return new CpuTopology(Runtime.getRuntime().availableProcessors(), readAllowedCpus(),
                    readCpuList(sys.resolve("online")), sys);
        }

        /** The CPUs the process may run on, or -1 when unknown. */
        int affinityCpus() {
            return allowedCpus == null ? -1 : allowedCpus.length;
        }

        /**
         * The allowed CPUs that are online (the affinity mask can name CPUs a VM could hot-add
         * but has not); the allowed CPUs where the CPUs online are unknown or none of them is
         * allowed (a reading between two changes); null when the affinity is unknown or empty.
         */
        int[] usableCpus() {
            if (allowedCpus == null || allowedCpus.length == 0) {
                return null;
            }
            if (onlineCpus == null) {
                return allowedCpus;
            }
            java.util.BitSet on = new java.util.BitSet();
            for (int cpu : onlineCpus) {
                on.set(cpu);
            }
            int[] both = Arrays.stream(allowedCpus).filter(on::get).toArray();
            return both.length == 0 ? allowedCpus : both;
        }

        /** The physical cores among the CPUs the process may run on, or -1 when unknown. */
        int affinityCores() {
            return allowedCpus == null ? -1 : physicalCores(allowedCpus, sysCpu);
        }
    }

    /**
     * ONNX Runtime's intra-op threads for {@code cpus}: {@code configured} when above 0; else,
     * where the process may use the whole machine, 0 (ONNX Runtime's own default, one thread
     * per core, each pinned to its core); else the JVM's processor count, but no more than the
     * physical cores among the CPUs the process may run on.
     *
     * <p>Why: ONNX Runtime's default on Linux counts the machine's cores (cpuinfo, from sysfs),
     * not those of the process's CPU affinity, and pins its workers to them, one to a core with
     * that core's hardware threads. So under {@code taskset -c 0} on a 2-core machine it ran 2
     * threads, its worker pinned to CPU 1, outside the affinity the user gave (measured: the
     * worker's {@code Cpus_allowed_list} was 1); under a cgroup quota ({@code
     * Runtime#availableProcessors} below the CPUs offered) it ran a thread per core that the quota
     * then throttled. A count given by the encoder turns that pinning off, so its threads stay
     * within the affinity. The cap at the cores: a core's second hardware thread adds little to
     * ONNX Runtime's GEMMs, which is why its default is one per core; a quota of 48 CPUs of a
     * host with 32 cores of 2 threads runs 32. Where the affinity is unknown (not Linux) the
     * default stays; where the CPUs online are unknown, the default stays unless the JVM's count
     * is below the affinity (the rule before this one). Cost: a few small files of /proc and
     * /sys, one per CPU offered.
     */
    static int intraOpThreads(int configured, CpuTopology cpus) {
        if (configured > 0) {
            return configured;
        }
        int[] usable = cpus.usableCpus();
        if (usable == null) {
            return 0;
        }
        // The whole machine: every CPU online is allowed; unknown CPUs online count as whole,
        // as before this rule knew them. Compared as sets, not counts: on a VM whose kernel may
        // hot-add CPUs the affinity mask can list CPUs that are not online (0-127 of 0-3 online),
        // which a count would take for the whole machine even under taskset -c 0-1,4-127.
        boolean wholeMachine = cpus.onlineCpus() == null || usable.length >= cpus.onlineCpus().length;
        if (wholeMachine && cpus.jvmProcessors() >= usable.length) {
            return 0;
        }
        // Never more than the CPUs the threads may run on: the JVM's count can exceed them
        // (-XX:ActiveProcessorCount) and the cores may be unknown.
        int threads = Math.min(Math.max(1, cpus.jvmProcessors()), usable.length);
        int cores = physicalCores(usable, cpus.sysCpu());
        return cores > 0 ? Math.min(threads, cores) : threads;
    }

    /** The CPUs of the kernel CPU list in {@code file}; null if unreadable or malformed. */
    private static int[] readCpuList(Path file) {
        try {
            return cpuList(java.nio.file.Files.readString(file).trim());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code Cpus_allowed_list} of /proc/self/status, parsed; null if unreadable (not Linux). */
    private static int[] readAllowedCpus() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Cpus_allowed_list:")) {
                    return cpuList(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc unreadable: ONNX Runtime keeps its default.
        }
        return null;
    }

    /**
     * The physical cores that {@code cpus} belong to: the distinct sets of hardware threads
     * that share a core ({@code cpuN/topology/core_cpus_list}, or {@code thread_siblings_list}
     * on kernels before 5.7) under {@code sysCpu}; -1 when a CPU's set cannot be read. One
     * small file per CPU.
     */
    static int physicalCores(int[] cpus, Path sysCpu) {
        if (cpus.length == 0) {
            return -1;
        }
        Set<String> cores = new HashSet<>();
        for (int cpu : cpus) {
            Path topology = sysCpu.resolve("cpu" + cpu).resolve("topology");
            String siblings = null;
            for (String name : new String[] {"core_cpus_list", "thread_siblings_list"}) {
                try {
                    siblings = java.nio.file.Files.readString(topology.resolve(name)).trim();
                    break;
                } catch (IOException | RuntimeException e) {
                    // the older name, or unknown
                }
            }
            int[] set = siblings == null ? null : cpuList(siblings);
            if (set == null) {
                return -1;
            }
            cores.add(Arrays.toString(set));
        }
        return cores.size();
    }

    /** The number of CPUs in a kernel CPU list ("0-3,8,10-11": 7), or -1 if malformed. */
    static int cpuListSize(String list) {
        int[] cpus = cpuList(list);
        return cpus == null ? -1 : cpus.length;
    }

    /**
     * The CPUs of a kernel CPU list ("0-3,8,10-11"), ascending and distinct; null if it is
     * malformed or empty.
     */
    static int[] cpuList(String list) {
        java.util.BitSet cpus = new java.util.BitSet();
        for (String part : list.split(",")) {
            String range = part.trim();
            if (range.isEmpty()) {
                continue;
            }
            int dash = range.indexOf('-');
            try {
                int from = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(range.substring(dash + 1));
                // Linux numbers at most 8,192 CPUs (NR_CPUS); past that the list is not one.
                if (from < 0 || to < from || to >= 1 << 16) {
                    return null;
                }
                cpus.set(from, to + 1);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return cpus.isEmpty() ? null : cpus.stream().toArray();
    }

    private static void requireCudaProvider() {
        Set<OrtProvider> providers = OrtEnvironment.getAvailableProviders();
        if (!providers.contains(OrtProvider.CUDA)) {
            throw new IllegalStateException("CUDA execution provider requested but the ONNX "
                    + "Runtime on the class path offers only " + providers
                    + "; build with the Maven profile onnxruntime-gpu");
        }
    }

    private static void closeQuietly(Model model, TextTokenizer tokenizer) {
        if (tokenizer != null) {
            tokenizer.close();
        }
        model.close();
    }
}
