package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A fake OpenAI-compatible chat-completions server on 127.0.0.1 (ephemeral port). It answers by
 * the request's schema name: {@code synalign_attributes} gets an attributes object,
 * {@code synalign_samples} gets {@value #SAMPLES} samples, anything else gets free text; the
 * content is a deterministic function of the messages, so runs can be compared. Faults are
 * chosen per request by a {@link FaultPlan} of (body digest, times this body was seen), which
 * makes a seeded plan reproducible whatever the thread interleaving.
 *
 * <p>Counts, server-side: all requests, and successful (valid, HTTP 200) answers per
 * {@link RequestKeys#messagesDigest} of the request's messages.
 *
 * <p>{@code GET /v1/models} answers 404, as a server without the route does, unless
 * {@link #modelList} gives it a reply; those requests are counted apart ({@link #modelListings}).
 */
public final class FakeOpenAiServer implements AutoCloseable {

    public static final int SAMPLES = 3;
    static final ObjectMapper MAPPER = new ObjectMapper();

    public enum Fault {
        NONE, RATE_LIMIT, SERVER_ERROR, HANG, DROP, MALFORMED_JSON, SCHEMA_VIOLATION, FENCED, UNAUTHORIZED,
        /** Headers at once, then one body byte every 100 ms, chunked. */
        TRICKLE_CHUNKED,
        /** Headers with the body's length at once, then one body byte every 100 ms. */
        TRICKLE_FIXED,
        /** A well-formed completion of 3 MB. */
        HUGE,
        /** OpenAI's 429 for an account without credit ({@code insufficient_quota}). */
        QUOTA
    }

    /** Chooses the fault for the {@code seen}-th (0-based) arrival of a body with {@code bodyDigest}. */
    public interface FaultPlan extends BiFunction<String, Integer, Fault> {
    }

    public static FaultPlan none() {
        return (digest, seen) -> Fault.NONE;
    }

    /** Each arrival independently faulty with probability {@code rate}, kinds uniform; seeded. */
    public static FaultPlan random(long seed, double rate, List<Fault> kinds) {
        return (digest, seen) -> {
            long h = seed * 0x9E3779B97F4A7C15L ^ digest.hashCode() * 31L ^ seen * 0xBF58476D1CE4E5B9L;
            java.util.SplittableRandom r = new java.util.SplittableRandom(h);
            return r.nextDouble() < rate ? kinds.get(r.nextInt(kinds.size())) : Fault.NONE;
        };
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-openai");
        t.setDaemon(true);
        return t;
    });
    private final String expectedKey;
    private volatile FaultPlan plan = none();
    private volatile int retryAfterSeconds = 1;
    private volatile long delayMillis;
    private volatile int samplesPerReply = -1;
    private volatile String retryAfterHeader;
    private final CountDownLatch closing = new CountDownLatch(1);
    public final AtomicInteger requests = new AtomicInteger();
    final Map<Fault, AtomicInteger> faults = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> successesByMessages = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> seenBodies = new ConcurrentHashMap<>();
    public final List<JsonNode> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    public final List<String> authorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** {@code GET /v1/models} requests, and the Authorization header each carried ("" for none). */
    public final AtomicInteger modelListings = new AtomicInteger();
    public final List<String> modelListingAuthorizations = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile int modelListStatus = 404;
    private volatile String modelListBody = "{\"error\":{\"message\":\"File Not Found\"}}";
    private volatile long modelListDelayMillis;
    /** While set and not released, {@code GET /v1/models} waits (see {@link #holdModelListings}). */
    private volatile CountDownLatch modelListGate;
    private volatile String modelListFirstBody;
    private final AtomicInteger modelListFirstTimes = new AtomicInteger();

    /** @param expectedKey the API key the server accepts, or {@code null} to accept anything */
    public FakeOpenAiServer(String expectedKey) throws IOException {
        this(expectedKey, 0);
    }

    /**
     * A server without a key on {@code port}: one restarted where a closed one listened, as a
     * server restarted at the same base URL.
     */
    public static FakeOpenAiServer onPort(int port) throws IOException {
        return new FakeOpenAiServer(null, port);
    }

    private FakeOpenAiServer(String expectedKey, int port) throws IOException {
        this.expectedKey = expectedKey;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.createContext("/v1/chat/completions", this::handle);
        server.createContext("/v1/models", this::listModels);
        server.setExecutor(pool);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /**
     * A client of this server for {@code model} that asks once per call (no built-in re-asks:
     * tests wrap it where they want them), with quick seeded retries and a sleeper that only
     * records, so that a test counts the requests a reply costs.
     */
    OpenAiCompatibleChatModel singleAskClient(String model) {
        return OpenAiCompatibleChatModel.builder(baseUrl(), model)
                .requestTimeout(java.time.Duration.ofSeconds(5))
                .retryPolicy(new RetryPolicy(2, java.time.Duration.ofMillis(1),
                        java.time.Duration.ofMillis(2), java.time.Duration.ofMinutes(1)))
                .sleeper(new RecordingSleeper())
                .random(new java.util.Random(1))
                .maxReasks(0)
                .build();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code GET /v1/models} answers {@code status} with {@code body} (any text). */
    public FakeOpenAiServer modelList(int status, String body) {
        this.modelListStatus = status;
        this.modelListBody = body;
        return this;
    }

    /** {@code GET /v1/models} answers 200 with {@code body}. */
    public FakeOpenAiServer modelList(String body) {
        return modelList(200, body);
    }

    /**
     * The next {@code times} {@code GET /v1/models} requests answer 200 with {@code body} (a
     * llama.cpp server still loading: {@link #llamaCppLoadingList}), later ones as
     * {@link #modelList} set.
     */
    public FakeOpenAiServer modelListFirst(int times, String body) {
        this.modelListFirstBody = body;
        this.modelListFirstTimes.set(times);
        return this;
    }

    /**
     * {@code GET /v1/models} requests wait, once counted in {@link #modelListings}, until
     * {@link #releaseModelListings()} (or the server closes): a server that stalls for as long
     * as a test needs, with no timing.
     */
    public FakeOpenAiServer holdModelListings() {
        this.modelListGate = new CountDownLatch(1);
        return this;
    }

    /** Lets the held {@code GET /v1/models} requests, and later ones, answer. */
    public void releaseModelListings() {
        CountDownLatch gate = modelListGate;
        if (gate != null) {
            gate.countDown();
        }
    }

    /** {@code GET /v1/models} waits this long before answering (or until the server closes). */
    public FakeOpenAiServer modelListDelayMillis(long ms) {
        this.modelListDelayMillis = ms;
        return this;
    }

    /**
     * A llama.cpp server's {@code GET /v1/models} reply (tools/server/README.md): one model whose
     * id is the file path given with {@code -m}, a {@code created} time that changes with every
     * reply, and the weights' {@code meta}.
     */
    public static String llamaCppModelList(String path, long nParams, long size) {
        ObjectNode root = MAPPER.createObjectNode().put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", path).put("object", "model").put("created", System.nanoTime()).put("owned_by", "llamacpp");
        m.putObject("meta").put("vocab_type", 2).put("n_vocab", 128256).put("n_ctx_train", 131072)
                .put("n_embd", 4096).put("n_params", nParams).put("size", size);
        return root.toString();
    }

    /**
     * A llama.cpp server's {@code GET /v1/models} reply while it loads {@code path}: its
     * {@code handle_models} fills {@code meta} in only once the server is ready, null before.
     */
    public static String llamaCppLoadingList(String path) {
        ObjectNode root = MAPPER.createObjectNode().put("object", "list");
        ObjectNode m = root.putArray("data").addObject();
        m.put("id", path).put("object", "model").put("created", System.nanoTime()).put("owned_by", "llamacpp");
        m.putNull("meta");
        return root.toString();
    }

    /** An OpenAI-style {@code GET /v1/models} reply listing {@code ids}. */
    public static String modelListOf(String... ids) {
        ObjectNode root = MAPPER.createObjectNode().put("object", "list");
        var data = root.putArray("data");
        for (String id : ids) {
            data.addObject().put("id", id).put("object", "model").put("created", 1686935002).put("owned_by", "system");
        }
        return root.toString();
    }

    private void listModels(HttpExchange ex) throws IOException {
        try (ex) {
            modelListings.incrementAndGet();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            modelListingAuthorizations.add(auth == null ? "" : auth);
            if (modelListDelayMillis > 0) {
                closing.await(modelListDelayMillis, TimeUnit.MILLISECONDS);
            }
            CountDownLatch gate = modelListGate;
            while (gate != null && !gate.await(20, TimeUnit.MILLISECONDS)
                    && closing.getCount() > 0) {
                // held: until released or closed
            }
            if (modelListFirstTimes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                send(ex, 200, modelListFirstBody);
            } else {
                send(ex, modelListStatus, modelListBody);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client gave up waiting
        }
    }

    public FakeOpenAiServer plan(FaultPlan p) {
        this.plan = p;
        return this;
    }

    /** Every answer waits this long first (so a client run lasts long enough to be killed). */
    public FakeOpenAiServer delayMillis(long ms) {
        this.delayMillis = ms;
        return this;
    }

    /**
     * Stage-2 replies carry {@code k} samples whose texts depend on the whole request body
     * (messages and sampling seed), so repeated asks of one prompt with new seeds get new
     * samples; by default {@value #SAMPLES} samples tagged by the messages only.
     */
    /** Applies the fault plan only to requests whose response schema is {@code name}; others get none. */
    public FakeOpenAiServer faultsOnlyFor(String name) {
        this.faultSchema = name;
        return this;
    }

    private volatile String faultSchema;

    /**
     * Replies without a fault answer with the choice this function writes, given the request's
     * body, the valid content it would otherwise get and its arrival number at this
     * server (0-based): a JSON object with {@code message} and {@code finish_reason} as a real
     * server shapes them (reasoning fields, a refusal, a cut-off content); a choice of
     * {@code null} answers as usual.
     */
    public FakeOpenAiServer choices(ChoiceWriter writer) {
        this.choiceWriter = writer;
        return this;
    }

    /** Writes a reply's {@code choices[0]} ({@link #choices}). */
    @FunctionalInterface
    public interface ChoiceWriter {
        String choice(JsonNode body, String validContent, int arrival);
    }

    private volatile ChoiceWriter choiceWriter;
    private volatile boolean refuseTemperature;

    /**
     * Requests with a {@code temperature} get OpenAI's HTTP 400 for a reasoning model (o-series,
     * gpt-5), which takes only its default: {@code "param": "temperature"},
     * {@code "code": "unsupported_value"}.
     */
    public FakeOpenAiServer refuseTemperature() {
        this.refuseTemperature = true;
        return this;
    }

    private volatile boolean refuseSamplingAlways;
    private volatile CountDownLatch refusalsTogether;

    /**
     * Every request gets {@link #refuseTemperature}'s HTTP 400, with or without a temperature:
     * a server that refuses for another reason under the same message must not loop the client.
     */
    FakeOpenAiServer refuseSamplingAlways() {
        this.refuseTemperature = true;
        this.refuseSamplingAlways = true;
        return this;
    }

    /**
     * {@link #refuseTemperature}, each refusal held until {@code together} requests with a
     * temperature have arrived (at most 10 s): that many calls in flight when the first refusal
     * arrives, whatever the thread timing.
     */
    FakeOpenAiServer refuseTemperatureTogether(int together) {
        this.refusalsTogether = new CountDownLatch(together);
        this.refuseTemperature = true;
        return this;
    }
    private final AtomicInteger arrivals = new AtomicInteger();

    public FakeOpenAiServer samplesPerReply(int k) {
        this.samplesPerReply = k;
        return this;
    }

    /** Sends this literal {@code Retry-After} (e.g. an HTTP-date) instead of seconds. */
    FakeOpenAiServer retryAfterHeader(String h) {
        this.retryAfterHeader = h;
        return this;
    }

    public FakeOpenAiServer retryAfterSeconds(int s) {
        this.retryAfterSeconds = s;
        return this;
    }

    public int faultCount(Fault f) {
        AtomicInteger n = faults.get(f);
        return n == null ? 0 : n.get();
    }

    public int successes(String messagesDigest) {
        AtomicInteger n = successesByMessages.get(messagesDigest);
        return n == null ? 0 : n.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            requests.incrementAndGet();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(auth == null ? "" : auth);
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = MAPPER.readTree(raw);
            bodies.add(body);
            if (expectedKey != null && !("Bearer " + expectedKey).equals(auth)) {
                String given = auth == null ? "" : auth.replaceFirst("^Bearer ", "");
                // Like OpenAI, echo (part of) the key that was given: the client must mask it.
                send(ex, 401, "{\"error\":{\"message\":\"Incorrect API key provided: " + given
                        + ". You can find your API key at https://example.invalid.\",\"type\":\"invalid_request_error\"}}");
                return;
            }
            if (refuseTemperature && (refuseSamplingAlways || body.has("temperature"))) {
                CountDownLatch together = refusalsTogether;
                if (together != null) {
                    together.countDown();
                    try {
                        together.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                send(ex, 400, "{\"error\":{\"message\":\"Unsupported value: 'temperature' does not support "
                        + body.path("temperature").asText() + " with this model. Only the default (1) value is"
                        + " supported.\",\"type\":\"invalid_request_error\",\"param\":\"temperature\","
                        + "\"code\":\"unsupported_value\"}}");
                return;
            }
            String digest = RequestKeys.sha256Hex(new String(raw, StandardCharsets.UTF_8));
            int seen = seenBodies.computeIfAbsent(digest, k -> new AtomicInteger()).getAndIncrement();
            String requestSchema = body.path("response_format").path("json_schema").path("name").asText("");
            Fault fault = faultSchema != null && !faultSchema.equals(requestSchema) ? Fault.NONE
                    : plan.apply(digest, seen);
            faults.computeIfAbsent(fault, k -> new AtomicInteger()).incrementAndGet();
            String schema = body.path("response_format").path("json_schema").path("name").asText("");
            List<ChatMessage> messages = messages(body);
            String content = samplesPerReply >= 0 && schema.equals("synalign_samples")
                    ? samples(samplesPerReply, digest.substring(0, 8) + "-" + RequestKeys.messagesDigest(messages).substring(0, 4))
                    : content(schema, messages);
            if (delayMillis > 0) {
                closing.await(delayMillis, TimeUnit.MILLISECONDS);
            }
            switch (fault) {
                case RATE_LIMIT -> {
                    ex.getResponseHeaders().add("Retry-After",
                            retryAfterHeader != null ? retryAfterHeader : Integer.toString(retryAfterSeconds));
                    send(ex, 429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
                }
                case QUOTA -> send(ex, 429, "{\"error\":{\"message\":\"You exceeded your current quota,"
                        + " please check your plan and billing details.\",\"type\":\"insufficient_quota\","
                        + "\"code\":\"insufficient_quota\"}}");
                case SERVER_ERROR -> send(ex, 500, "{\"error\":{\"message\":\"internal error\"}}");
                case HANG -> {
                    closing.await(3, TimeUnit.SECONDS);
                    send(ex, 200, completion("{\"late\": \"reply\"}"));
                }
                case TRICKLE_CHUNKED, TRICKLE_FIXED -> {
                    byte[] b = completion(content).getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    ex.sendResponseHeaders(200, fault == Fault.TRICKLE_CHUNKED ? 0 : b.length);
                    try (OutputStream os = ex.getResponseBody()) {
                        for (int i = 0; i < b.length && !closing.await(100, TimeUnit.MILLISECONDS); i++) {
                            os.write(b[i]);
                            os.flush();
                        }
                    } catch (IOException e) {
                        // the client gave up
                    }
                }
                case HUGE -> send(ex, 200, completion("{\"samples\": [{\"text\": \""
                        + "x".repeat(3 << 20) + "\"}]}"));
                case DROP -> {
                    // Close the exchange without a response: the client sees the connection drop.
                }
                case MALFORMED_JSON -> send(ex, 200, completion("{\"samples\": [{\"text\": \"unterminated"));
                case SCHEMA_VIOLATION -> send(ex, 200, completion("{\"wrong\": 42}"));
                case FENCED -> {
                    succeeded(messages);
                    send(ex, 200, completion("Here you go:\n```json\n" + content + "\n```"));
                }
                case UNAUTHORIZED -> send(ex, 401, "{\"error\":{\"message\":\"unauthorized\"}}");
                case NONE -> {
                    ChoiceWriter w = choiceWriter;
                    String choice = w == null ? null : w.choice(body, content, arrivals.getAndIncrement());
                    if (choice != null) {
                        ObjectNode root = MAPPER.createObjectNode().put("id", "chatcmpl-fake")
                                .put("object", "chat.completion");
                        root.putArray("choices").add(MAPPER.readTree(choice));
                        send(ex, 200, root.toString());
                        return;
                    }
                    succeeded(messages);
                    send(ex, 200, completion(content));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void succeeded(List<ChatMessage> messages) {
        successesByMessages.computeIfAbsent(RequestKeys.messagesDigest(messages), k -> new AtomicInteger())
                .incrementAndGet();
    }

    public static List<ChatMessage> messages(JsonNode body) {
        List<ChatMessage> out = new java.util.ArrayList<>();
        for (JsonNode m : body.path("messages")) {
            out.add(new ChatMessage(m.path("role").asText(), m.path("content").asText()));
        }
        return out;
    }

    /** The deterministic valid content for a conversation. */
    static String content(String schemaName, List<ChatMessage> messages) {
        String tag = RequestKeys.messagesDigest(messages).substring(0, 8);
        ObjectNode o = MAPPER.createObjectNode();
        switch (schemaName) {
            case "synalign_attributes" -> {
                o.put("tone", "tone-" + tag);
                o.put("topic", "topic-" + tag);
            }
            case "synalign_samples" -> {
                var arr = o.putArray("samples");
                for (int i = 0; i < SAMPLES; i++) {
                    arr.addObject().put("text", "sample " + i + " of " + tag);
                }
            }
            default -> {
                return "free text " + tag;
            }
        }
        return o.toString();
    }

    private static String samples(int k, String tag) {
        ObjectNode o = MAPPER.createObjectNode();
        var arr = o.putArray("samples");
        for (int i = 0; i < k; i++) {
            arr.addObject().put("text", "synthetic sample " + i + " of " + tag);
        }
        return o.toString();
    }

    /** The response schema's name of a request body ("" for none). */
    public static String schemaOf(JsonNode body) {
        return body.path("response_format").path("json_schema").path("name").asText("");
    }

    /**
     * A choice ({@link #choices}) whose message has {@code content} (null: JSON null) and the
     * string fields given as name, value pairs ({@code reasoning_content}, {@code refusal}).
     */
    public static String choice(String content, String finish, String... fieldsAndValues) {
        ObjectNode c = MAPPER.createObjectNode();
        ObjectNode m = c.putObject("message").put("role", "assistant");
        if (content == null) {
            m.putNull("content");
        } else {
            m.put("content", content);
        }
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            m.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        c.put("finish_reason", finish);
        return c.toString();
    }

    private static String completion(String content) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", "chatcmpl-fake");
        root.put("object", "chat.completion");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", content);
        choice.put("finish_reason", "stop");
        root.putObject("usage").put("prompt_tokens", 10).put("completion_tokens", 10);
        return root.toString();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    @Override
    public void close() {
        closing.countDown();
        server.stop(0);
        pool.shutdownNow();
    }
}
