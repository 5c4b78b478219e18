package io.synalign.models.llm;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaIterator;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import io.synalign.kernels.Cancellation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process {@link ChatModel} over a local GGUF model file, run by llama.cpp through the
 * java-llama.cpp bindings ({@code de.kherud:llama}, CPU natives inside the jar). No server, no
 * network.
 *
 * <p>Per call:
 * <ol>
 *   <li>the conversation becomes a prompt with the model's own chat template
 *       ({@code tokenizer.chat_template} in the GGUF metadata, applied by llama.cpp) or, when the
 *       model has none, with the fallback format of {@link #fallbackPrompt};</li>
 *   <li>with a {@link ResponseSchema}, decoding is constrained by a bounded GBNF grammar derived
 *       from the schema ({@link GbnfGrammar}), so the reply is compact JSON that satisfies the
 *       schema, and the token budget is the grammar's longest output (capped by the context
 *       left after the prompt), so even random weights terminate;</li>
 *   <li>sampling is seeded with the request's seed (a fixed default without one) and the prompt
 *       cache is off, so the same request gives the same reply;</li>
 *   <li>the reply is parsed and validated like any other backend's; one cut off at its token
 *       budget (the request's max_tokens, or the context left after the prompt) reports finish
 *       reason {@code length} as a server's does ({@link #finishReason}), so its complete array
 *       elements are kept ({@link ReplyParser#parse(String, ResponseSchema, String)}), journaled
 *       with it and the budget ({@link #replyBudget}) and replayed alike, unless this model's
 *       context grants the request a larger budget, when a {@link JournaledChatModel} asks it
 *       again; one with none complete throws an {@link InvalidReplyException} that a
 *       {@link ReaskingChatModel} asks afresh.</li>
 * </ol>
 * llama.cpp contexts are not safe for concurrent use: calls are serialised on one fair lock (a
 * single llama.cpp slot), so a {@link ConcurrentChatExecutor} over this model simply queues; a
 * queued call whose thread is interrupted leaves at once, a decoding one stops within one token,
 * both with a {@link CancellationException} (the library's
 * {@link Cancellation} contract, the status kept set, the slot free for the next call), and
 * {@link #close} waits for the call in progress.
 * The journal key names the model by {@link #modelIdentity} (file name plus a fingerprint of the
 * weights). The model is loaded once, in {@link #open}; {@link #close} frees it. Cost per call: prompt
 * evaluation plus one forward pass per generated token.
 *
 * <p>java-llama.cpp runs each model's task loop on a native thread it attaches to the JVM as a
 * non-daemon thread and never detaches, even after {@link #close}, so a JVM that has loaded a
 * model would wait for it for ever once {@code main} returns; {@link LlamaLoopThreads} ends such
 * a JVM as it would have ended without those threads (shutdown hooks run, status 0, or 1 after
 * an uncaught exception in {@code main}). The threads themselves stay until the JVM ends.
 */
public final class GgufChatModel implements ChatModel, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GgufChatModel.class);
    public static final String BACKEND = "gguf";
    /** The sampling seed of requests that carry none. */
    static final int DEFAULT_SEED = 42;
    /** The finish reason of a reply that stopped at its token budget, as servers name it. */
    static final String LENGTH = "length";
    /** The finish reason of a reply that ended by itself. */
    static final String STOP = "stop";
    /** The context (tokens) of {@link Options#defaults()}, which the model's training context caps. */
    public static final int DEFAULT_CONTEXT = 8192;
    /**
     * The smallest context (tokens) of {@link Options}: a call needs its prompt plus at least
     * 16 tokens of reply, and the shortest built-in prompt is about 120 tokens of an English
     * BPE vocabulary before its demonstrations, so no smaller context does any work. Whether a
     * larger one holds a given prompt is known only once the model's tokenizer has counted it,
     * at the call, which then fails naming the context.
     */
    public static final int MIN_CONTEXT = 64;
    /** Tokens generated for a free-text request without max_tokens. */
    static final int DEFAULT_FREE_TEXT_TOKENS = 512;
    /**
     * The default deadline of one call: a CPU decodes a 7B model at a few tokens per second,
     * and the longest grammar-bounded reply is a few thousand tokens.
     */
    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofMinutes(10);

    private final Path file;
    private final String modelName;
    private final String identity;
    private final GgufHeader header;
    private final Options options;
    private final int contextSize;
    /** The context {@link Options#defaults()} gives this model ({@link #defaultReplyBudget}). */
    private final int defaultContext;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** What an interrupted decoding names ({@link Cancellation}). */
    private static final String CANCELLED = "GGUF decoding (token)";
    /** Told each token's number (from 1) as it is decoded, before the checks (tests). */
    private volatile IntConsumer eachDecodedToken = token -> { };
    private LlamaModel llama;

    /**
     * Settings of the in-process backend.
     *
     * @param contextSize      most tokens of context (prompt plus reply), at least
     *                         {@value GgufChatModel#MIN_CONTEXT}
     * @param contextRequested whether {@code contextSize} was asked for ({@link #withContextSize}):
     *                         then a model trained on fewer tokens is refused
     *                         ({@link #contextOf}); otherwise it is the default of
     *                         {@link #defaults()}, which the training context caps
     * @param threads          CPU threads for llama.cpp
     * @param bounds           length bounds of the constrained-decoding grammar
     * @param callTimeout      the wall-clock deadline of one call, from the moment it holds the
     *                         model (prompt evaluation and decoding; the wait for a queued call's
     *                         turn is not counted), checked after every generated token
     */
    public record Options(int contextSize, boolean contextRequested, int threads, GbnfGrammar.Bounds bounds,
                          Duration callTimeout) {

        public Options {
            if (contextSize < MIN_CONTEXT) {
                throw new GgufContextException(contextSize, "at least " + MIN_CONTEXT
                        + " tokens (the prompt and a reply of at least 16 tokens)", null);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("GGUF threads must be at least 1: " + threads);
            }
            if (bounds == null) {
                throw new IllegalArgumentException("grammar bounds must not be null");
            }
            if (callTimeout == null || callTimeout.isNegative() || callTimeout.isZero()) {
                throw new IllegalArgumentException("GGUF call timeout must be positive: " + callTimeout);
            }
        }

        /** Options whose {@code contextSize} is asked for, as {@link #withContextSize} gives it. */
        public Options(int contextSize, int threads, GbnfGrammar.Bounds bounds, Duration callTimeout) {
            this(contextSize, true, threads, bounds, callTimeout);
        }

        /**
         * Context {@value GgufChatModel#DEFAULT_CONTEXT} capped by the model's training context
         * (a default, not a request: a model trained on fewer tokens gets all it has), one thread
         * per core, {@link GbnfGrammar.Bounds#DEFAULT}, a call timeout of {@link #DEFAULT_CALL_TIMEOUT}.
         */
        public static Options defaults() {
            return new Options(DEFAULT_CONTEXT, false, Runtime.getRuntime().availableProcessors(),
                    GbnfGrammar.Bounds.DEFAULT, DEFAULT_CALL_TIMEOUT);
        }

        /**
         * These options with {@code tokens} of context, asked for: {@link #open} refuses a model
         * trained on fewer tokens rather than capping it ({@link #contextOf}).
         */
        public Options withContextSize(int tokens) {
            return new Options(tokens, true, threads, bounds, callTimeout);
        }

        public Options withBounds(GbnfGrammar.Bounds b) {
            return new Options(contextSize, contextRequested, threads, b, callTimeout);
        }

        public Options withThreads(int n) {
            return new Options(contextSize, contextRequested, n, bounds, callTimeout);
        }

        public Options withCallTimeout(Duration d) {
            return new Options(contextSize, contextRequested, threads, bounds, d);
        }

        /**
         * The context these options give the model whose GGUF header is {@code header} (read from
         * {@code file}), the one rule for the library and the command line, applied before the
         * weights load: a context asked for is the model's when its training context
         * ({@code <arch>.context_length}) holds it, and refused above it, since a model never
         * trained to attend that far gives no reliable output there, and a silent cap would give
         * less room than was asked (a reply cut off sooner with no word why); the default is
         * capped by the training context, which asks for nothing in particular. A header without
         * a training context leaves the context as given. A model trained on fewer than
         * {@value GgufChatModel#MIN_CONTEXT} tokens is refused either way: no prompt and reply fit.
         *
         * @throws GgufContextException naming the value, the file and its training context
         */
        public int contextOf(GgufHeader header, Path file) {
            long trained = header.contextLength();
            if (trained > 0 && trained < MIN_CONTEXT) {
                throw new GgufContextException(null, "the model's training context, " + trained
                        + " tokens, is below the " + MIN_CONTEXT + " a prompt and its reply need", file);
            }
            if (trained <= 0 || contextSize <= trained) {
                return contextSize;
            }
            if (!contextRequested) {
                return (int) trained;
            }
            throw new GgufContextException(contextSize, "above the training context of " + file.getFileName()
                    + ", " + trained + " tokens (its GGUF header's " + header.architecture()
                    + ".context_length); give at most " + trained, file);
        }
    }

    private GgufChatModel(Path file, String fingerprint, GgufHeader header, Options options, int contextSize,
                          LlamaModel llama) {
        this.file = file;
        this.modelName = file.getFileName().toString();
        this.identity = modelName + "@" + fingerprint;
        this.header = header;
        this.options = options;
        this.contextSize = contextSize;
        this.defaultContext = Options.defaults().contextOf(header, file);
        this.llama = llama;
    }

    /**
     * Loads the model in {@code file}.
     *
     * @throws IllegalArgumentException naming the file when it is missing or not a GGUF file
     * @throws GgufContextException     (an IllegalArgumentException) when the context asked for
     *                                  is above the model's training context, before the weights
     *                                  load ({@link Options#contextOf})
     * @throws ChatModelException       when llama.cpp cannot load it (or its natives cannot load)
     */
    public static GgufChatModel open(Path file, Options options) {
        if (options == null) {
            throw new IllegalArgumentException("GGUF options must not be null");
        }
        Path f = file == null ? null : file.toAbsolutePath().normalize();
        GgufHeader header = GgufHeader.read(f);
        int ctx = options.contextOf(header, f);
        String fingerprint = fingerprint(f);
        LlamaModel llama;
        try {
            LlamaNatives.load();
            ModelParameters params = new ModelParameters()
                    .setModel(f.toString())
                    .setCtxSize(ctx)
                    .setThreads(options.threads())
                    .setThreadsBatch(options.threads())
                    .setParallel(1);
            // llama.cpp logs to stderr from native code (its log callback is reset when a model
            // loads, so it cannot be routed to slf4j): silent unless the "llama.cpp" logger is
            // at debug level.
            if (!LoggerFactory.getLogger("llama.cpp").isDebugEnabled()) {
                params.disableLog();
            }
            // The model's task loop runs on a thread java-llama.cpp attaches as non-daemon and
            // never detaches, which would keep the JVM from ever exiting by itself.
            Set<Thread> before = LlamaLoopThreads.live();
            llama = new LlamaModel(params);
            LlamaLoopThreads.registerNew(before);
        } catch (RuntimeException | LinkageError e) {
            // LlamaException (not public) is a RuntimeException; natives that cannot load throw
            // UnsatisfiedLinkError the first time and NoClassDefFoundError after.
            throw new ChatModelException("cannot load GGUF model " + f + ": " + e.getMessage(), e);
        }
        LOG.info("Loaded GGUF model {} (architecture {}, context {}, {})", f, header.architecture(), ctx,
                header.chatTemplate() == null ? "no chat template: fallback prompt format" : "its chat template");
        return new GgufChatModel(f, fingerprint, header, options, ctx, llama);
    }

    /** Bytes hashed per sample of {@link #fingerprint}. */
    private static final int SAMPLE_BYTES = 1 << 16;
    private static final int SAMPLES = 16;

    /**
     * A fingerprint of the weights, for the journal key: SHA-256 (first 16 hex digits) over the
     * file size and {@value #SAMPLES} samples of 64 KiB spread evenly over the file (all of it
     * when smaller than that), the first one covering the header. Files that merely share a
     * name (another quantisation, another fine-tune, both {@code ggml-model-Q4_K_M.gguf}) get
     * different keys, at the cost of reading 1 MiB instead of hashing gigabytes.
     */
    static String fingerprint(Path f) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            long size = ch.size();
            md.update(java.nio.ByteBuffer.allocate(8).putLong(0, size));
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(SAMPLE_BYTES);
            long span = (long) SAMPLE_BYTES * SAMPLES;
            int samples = size <= span ? (int) ((size + SAMPLE_BYTES - 1) / SAMPLE_BYTES) : SAMPLES;
            for (int i = 0; i < samples; i++) {
                long at = size <= span ? (long) i * SAMPLE_BYTES
                        : (size - SAMPLE_BYTES) / (SAMPLES - 1) * i;
                buf.clear();
                while (buf.hasRemaining() && ch.read(buf, at + buf.position()) > 0) {
                    // read the whole sample (or up to the end of the file)
                }
                buf.flip();
                md.update(buf);
            }
            return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read GGUF model file " + f + ": " + e.getMessage());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    @Override
    public String backend() {
        return BACKEND;
    }

    /** The model file's name (e.g. {@code qwen2.5-7b-instruct-q4_k_m.gguf}). */
    @Override
    public String model() {
        return modelName;
    }

    /** The file name and a fingerprint of the weights ({@link #fingerprint}): the journal key's model. */
    @Override
    public String modelIdentity() {
        return identity;
    }

    public Path file() {
        return file;
    }

    public GgufHeader header() {
        return header;
    }

    /** Tokens of context (prompt plus reply). */
    public int contextSize() {
        return contextSize;
    }

    /**
     * {@inheritDoc}
     *
     * @throws CancellationException when the calling thread is interrupted while the reply is
     *     decoded: the decoding stops after the token in progress, the status is kept set, and
     *     the model serves the next call as if this one had not been made
     */
    @Override
    public ChatReply complete(ChatRequest request) {
        ResponseSchema schema = request.responseSchema();
        GbnfGrammar grammar = schema == null ? null : GbnfGrammar.of(schema.schema(), options.bounds());
        SamplingParams s = request.sampling();
        Decoded decoded;
        Budget budget;
        lock();
        try {
            if (llama == null) {
                throw new ChatModelException("GGUF model " + file + " is closed");
            }
            String prompt = prompt(request.messages());
            int promptTokens = llama.encode(prompt).length;
            if (!leavesRoom(promptTokens, contextSize)) {
                throw new ChatModelException("the prompt (" + promptTokens + " tokens) does not fit the context of "
                        + contextSize + " tokens of " + modelName);
            }
            budget = budget(s, grammar, promptTokens, contextSize);
            InferenceParameters p = new InferenceParameters(prompt)
                    .setNPredict(budget.tokens())
                    .setSeed(seed(s.seed()))
                    .setCachePrompt(false);
            if (s.temperature() != null) {
                p.setTemperature(s.temperature().floatValue());
            }
            if (s.topP() != null) {
                p.setTopP(s.topP().floatValue());
            }
            if (grammar != null) {
                p.setGrammar(grammar.text());
            }
            decoded = decode(p);
        } catch (ChatModelException | IllegalArgumentException | CancellationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw nativeFailure(e);
        } finally {
            lock.unlock();
        }
        String content = decoded.text();
        String finish = finishReason(grammar != null, content, decoded.endOfGeneration());
        if (LENGTH.equals(finish)) {
            lastBudget.set(new AskedBudget(request, budget.tokens()));
        } else {
            // Only a cut-off reply's budget is asked next (a journal records it); a complete
            // one's, or an earlier call's, would be kept with its request for nothing.
            lastBudget.remove();
        }
        if (schema == null) {
            return new ChatReply(content, null, finish, 1, 0, false);
        }
        // A reply cut off at the budget keeps its complete array elements, as a server's does at
        // finish_reason length: asking again would cost a whole reply to get them back.
        ReplyParser.Result r = ReplyParser.parse(content, schema, finish);
        if (!r.valid()) {
            String problem = r.problem() + (LENGTH.equals(finish) ? budget.cutOffNote() : "");
            throw new InvalidReplyException(problem, content, 1, finish);
        }
        return new ChatReply(content, r.json(), finish, 1, 0, false);
    }

    /**
     * The tokens a reply to {@code request} may run to in this model ({@link Budget}), as
     * {@link #complete} would set it: the same computation, so a {@link JournaledChatModel}
     * compares a journaled cut-off reply's budget with the one this context grants. Costs a
     * tokenization of the prompt (waiting, like a call, for the call in progress). Empty when the
     * prompt does not fit (the call would fail; a reply journaled by a run with more room
     * replays) and when the model is closed.
     */
    @Override
    public OptionalInt replyBudget(ChatRequest request) {
        // The call this thread just made (or the request whose default budget it just asked):
        // its budget is known, so a cut-off reply is journaled without queueing again behind
        // other calls' generations (the lock is fair), which held the paid reply off the disk
        // for up to a generation per waiting call.
        AskedBudget last = lastBudget.get();
        if (last != null && last.request() == request) {
            lastBudget.remove();
            return OptionalInt.of(last.tokens());
        }
        return budgetAt(request, contextSize);
    }

    /**
     * The budget {@link Options#defaults()}' context (the training context capped at
     * {@value #DEFAULT_CONTEXT}) gives {@code request}: every SynAlign before
     * {@code --gguf-context} ran a GGUF model at that context, and none before budgets were
     * journaled recorded one, so a {@link JournaledChatModel} takes it as the budget of a reply
     * journaled as cut off without one. Empty where the prompt does not fit that context (such
     * an entry was written under another, unknown, context) or the model is closed. Where it
     * gives a budget, the budget under this model's own context, counted from the same
     * tokenization, is then given by the next {@link #replyBudget} of the same request on this
     * thread without a second turn at the model's lock (the journal asks it next); where it
     * gives none, nothing is kept for this thread (the journal asks nothing more, and a kept
     * budget would hold the request, a whole prompt, until the thread's next call, and answer a
     * {@link #replyBudget} asked after {@link #close} as if the model were open).
     */
    @Override
    public OptionalInt defaultReplyBudget(ChatRequest request) {
        int prompt = promptTokens(request);
        if (prompt < 0 || !leavesRoom(prompt, defaultContext)) {
            // Nothing kept for replyBudget: a journal asks it only after a default budget, so
            // a budget kept here would hold the request on this thread until its next call.
            return OptionalInt.empty();
        }
        GbnfGrammar grammar = grammar(request);
        if (leavesRoom(prompt, contextSize)) {
            lastBudget.set(new AskedBudget(request, budget(request.sampling(), grammar, prompt, contextSize).tokens()));
        }
        return OptionalInt.of(budget(request.sampling(), grammar, prompt, defaultContext).tokens());
    }

    /** The budget {@code context} tokens give {@code request}; empty where its prompt does not fit. */
    private OptionalInt budgetAt(ChatRequest request, int context) {
        int prompt = promptTokens(request);
        return prompt < 0 || !leavesRoom(prompt, context) ? OptionalInt.empty()
                : OptionalInt.of(budget(request.sampling(), grammar(request), prompt, context).tokens());
    }

    /** The grammar of {@code request}'s schema, or null for free text. */
    private GbnfGrammar grammar(ChatRequest request) {
        ResponseSchema schema = request.responseSchema();
        return schema == null ? null : GbnfGrammar.of(schema.schema(), options.bounds());
    }

    /** The tokens of {@code request}'s prompt, or -1 when the model is closed. */
    private int promptTokens(ChatRequest request) {
        lock();
        try {
            return llama == null ? -1 : llama.encode(prompt(request.messages())).length;
        } catch (ChatModelException | IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw nativeFailure(e);
        } finally {
            lock.unlock();
        }
    }

    /** Whether a prompt of this many tokens leaves a reply the 16 tokens a call needs in {@code context}. */
    private static boolean leavesRoom(int promptTokens, int context) {
        return context - promptTokens - 1 >= 16;
    }

    /** A failure inside llama.cpp, as the call's failure naming the model. */
    private ChatModelException nativeFailure(RuntimeException e) {
        return new ChatModelException("llama.cpp failed on " + modelName + ": " + e.getMessage(), e);
    }

    /**
     * Takes the model's lock interruptibly: a cancelled batch's queued calls leave at once
     * instead of each running a whole generation (native decoding itself cannot be interrupted).
     */
    private void lock() {
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Cancellation.cancelled("waiting for GGUF model " + modelName, e);
        }
    }

    /** The budget of a call whose prompt is {@code promptTokens} long (and fits) in {@code context} tokens. */
    private static Budget budget(SamplingParams s, GbnfGrammar grammar, int promptTokens, int context) {
        int room = context - promptTokens - 1;
        long wanted = s.maxTokens() != null ? s.maxTokens()
                : grammar != null ? grammar.maxBytes() : DEFAULT_FREE_TEXT_TOKENS;
        return new Budget((int) Math.min(wanted, room), wanted > room
                ? "the context of " + context + " tokens less the prompt's " + promptTokens
                : s.maxTokens() != null ? "the request's max_tokens" : "the grammar's longest reply");
    }

    /**
     * Why decoding stopped, which the bindings do not report (their output says only that it
     * did): {@value #LENGTH} at the token budget, {@value #STOP} when the reply ended by itself.
     * SynAlign sets no stop strings and no time limit, the budget is at most the context left
     * after the prompt (so the context cannot fill first), and a decoding cancelled at the
     * deadline throws: so llama.cpp stops either at an end-of-generation token or at the budget.
     *
     * <p>Under a grammar, llama.cpp admits end-of-generation only where the grammar is complete,
     * and the grammar's root is one compact JSON object or array, no proper prefix of which is a
     * whole JSON value: a reply that is not one whole value stopped at the budget. One that is
     * is complete even when the budget ran out just after it (nothing but end-of-generation could
     * follow). This holds whatever the bindings stream.
     *
     * <p>Free text has no such structure: it ended by itself when its last streamed piece was the
     * end-of-generation token, which llama.cpp streams as an empty piece (control tokens are not
     * rendered). Counting the pieces against the budget would not do: a token that ends inside a
     * UTF-8 character is streamed with the next one, so a non-English reply cut at its budget
     * streams fewer pieces than tokens. A random-weight model can end right after half a
     * character (llama.cpp then streams no end piece); such a reply reads as cut off.
     *
     * @param grammarBounded  whether decoding was constrained by a grammar (a schema request)
     * @param endOfGeneration whether the last streamed piece was the empty end-of-generation one
     */
    static String finishReason(boolean grammarBounded, String content, boolean endOfGeneration) {
        if (grammarBounded) {
            return ReplyParser.wholeValue(content) ? STOP : LENGTH;
        }
        return endOfGeneration ? STOP : LENGTH;
    }

    /**
     * The budget of the request this thread last asked, kept only where {@link #replyBudget} of
     * that request is asked next (a cut-off reply's, which a journal records; one under a
     * default budget, which it compares): the one-entry cache then holds the request no longer
     * than that.
     */
    private record AskedBudget(ChatRequest request, int tokens) {
    }

    private final ThreadLocal<AskedBudget> lastBudget = new ThreadLocal<>();

    /**
     * The tokens one call may generate: the request's max_tokens, or for a schema the grammar's
     * longest output (within which the grammar always ends), capped by the context left after
     * the prompt.
     *
     * @param setBy what set it, for the message of a reply cut off at it
     */
    private record Budget(int tokens, String setBy) {

        String cutOffNote() {
            return " (the GGUF reply was cut off at its token budget, finish_reason length: " + tokens + " tokens, "
                    + setBy + ")";
        }
    }

    /** What one decoding produced, and whether its last piece was the end-of-generation token. */
    private record Decoded(String text, boolean endOfGeneration) {
    }

    /**
     * Decodes token by token under the call's deadline: when it passes, the decoding is cancelled
     * (llama.cpp stops between tokens) and the call fails with a {@link ChatTimeoutException}, so a model too slow
     * for its budget cannot hold a run for ever. The same seed gives the same tokens as a
     * non-streamed completion. The bindings stream one piece per token (a token ending inside a
     * UTF-8 character goes with the next), then a closing output whose text is empty.
     */
    private Decoded decode(InferenceParameters p) {
        long start = System.nanoTime();
        long budget = options.callTimeout().toNanos();
        StringBuilder text = new StringBuilder();
        boolean endOfGeneration = false;
        int decodedTokens = 0;
        LlamaIterator tokens = llama.generate(p).iterator();
        while (tokens.hasNext()) {
            String piece = tokens.next().text;
            text.append(piece);
            if (tokens.hasNext()) { // a token's piece, not the closing output
                endOfGeneration = piece.isEmpty();
                eachDecodedToken.accept(++decodedTokens);
                if (System.nanoTime() - start > budget) {
                    tokens.cancel();
                    throw new ChatTimeoutException("GGUF model " + modelName, options.callTimeout(), text.length());
                }
                // Per token, as the deadline: a cancelled batch's call stops within one token
                // (Cancellation) instead of decoding its whole reply; cancelling first frees
                // llama.cpp's slot for the next call.
                if (Thread.currentThread().isInterrupted()) {
                    tokens.cancel();
                    Cancellation.stopIfInterrupted(CANCELLED);
                }
            }
        }
        return new Decoded(text.toString(), endOfGeneration);
    }

    /**
     * Tells {@code hook} each token's number (from 1) as a call decodes it, on the calling thread,
     * before the deadline and interrupt checks: tests place an interrupt inside a decoding.
     */
    void onEachDecodedToken(IntConsumer hook) {
        eachDecodedToken = hook;
    }

    /** The prompt of {@code messages}: the model's chat template, or {@link #fallbackPrompt}. */
    String prompt(List<ChatMessage> messages) {
        if (header.chatTemplate() == null) {
            return fallbackPrompt(messages);
        }
        StringBuilder system = new StringBuilder();
        List<Pair<String, String>> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m.role().equals("system")) {
                system.append(system.length() == 0 ? "" : "\n\n").append(m.content());
            } else {
                turns.add(new Pair<>(m.role(), m.content()));
            }
        }
        InferenceParameters p = new InferenceParameters("").setMessages(system.toString(), turns);
        return llama.applyTemplate(p);
    }

    /**
     * The prompt format for models without a chat template: the system messages (if any), then
     * each turn as {@code ### User:} or {@code ### Assistant:} on its own line followed by its
     * text, then an open {@code ### Assistant:} turn for the reply.
     */
    static String fallbackPrompt(List<ChatMessage> messages) {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "system" -> sb.append(m.content()).append("\n\n");
                case "user" -> sb.append("### User:\n").append(m.content()).append("\n\n");
                default -> sb.append("### Assistant:\n").append(m.content()).append("\n\n");
            }
        }
        return sb.append("### Assistant:\n").toString();
    }

    /** llama.cpp's seed is a non-negative int (negative means random): fold the long into one. */
    static int seed(Long seed) {
        return seed == null ? DEFAULT_SEED : SamplingParams.seed31(seed);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (llama != null) {
                llama.close();
                llama = null;
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "GgufChatModel[" + file + "]";
    }
}
