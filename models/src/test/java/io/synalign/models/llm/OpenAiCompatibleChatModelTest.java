package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.models.llm.FakeOpenAiServer.Fault;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OpenAiCompatibleChatModelTest {

    private static final String KEY = "sk-test-" + Long.toHexString(new Random().nextLong());
    private static final RetryPolicy FAST = new RetryPolicy(8, Duration.ofMillis(10), Duration.ofMillis(200),
            Duration.ofMinutes(10));

    private FakeOpenAiServer server;
    private final RecordingSleeper sleeper = new RecordingSleeper();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private OpenAiCompatibleChatModel.Builder model(String key) {
        return OpenAiCompatibleChatModel.builder(server.baseUrl(), "fake-model")
                .apiKeyEnv("SYNALIGN_TEST_KEY")
                .environment(Map.of("SYNALIGN_TEST_KEY", key)::get)
                .requestTimeout(Duration.ofMillis(400))
                .retryPolicy(FAST)
                .sleeper(sleeper)
                .random(new Random(7));
    }

    static ChatRequest samplesRequest(int i) {
        return ChatRequest.of(List.of(ChatMessage.system("You write examples."),
                ChatMessage.user("Write 3 examples like demonstration group " + i)),
                new SamplingParams(0.7, 0.95, 512, 1000L + i), Schemas.SAMPLES);
    }

    static ChatRequest attributesRequest(int i) {
        return ChatRequest.of(List.of(ChatMessage.user("Summarise the attributes of group " + i)),
                new SamplingParams(0.2, null, 256, 42L), Schemas.ATTRIBUTES);
    }

    @Test
    void sendsSchemaAsResponseFormatAndReturnsValidatedJson() throws Exception {
        server = new FakeOpenAiServer(KEY);
        ChatReply reply = model(KEY).build().complete(samplesRequest(1));
        assertEquals(FakeOpenAiServer.SAMPLES, reply.json().path("samples").size());
        assertEquals(1, reply.httpAttempts());
        assertEquals(0, reply.reasks());
        JsonNode body = server.bodies.get(0);
        assertEquals("fake-model", body.path("model").asText());
        assertEquals("json_schema", body.path("response_format").path("type").asText());
        assertEquals("synalign_samples", body.path("response_format").path("json_schema").path("name").asText());
        assertTrue(body.path("response_format").path("json_schema").path("strict").asBoolean());
        assertEquals(Schemas.SAMPLES.schema(), body.path("response_format").path("json_schema").path("schema"));
        assertEquals(0.7, body.path("temperature").asDouble());
        assertEquals(0.95, body.path("top_p").asDouble());
        assertEquals(512, body.path("max_tokens").asInt());
        assertEquals(1001, body.path("seed").asLong());
        assertEquals("Bearer " + KEY, server.authorizations.get(0));

        ChatReply attrs = model(KEY).build().complete(attributesRequest(1));
        assertTrue(attrs.json().path("tone").isTextual());
    }

    /**
     * An interrupt of the calling thread, wherever the call waits (for its reply, in a backoff,
     * for a concurrency slot), ends it with the library's cancellation contract: a
     * {@link java.util.concurrent.CancellationException} with the status kept set, not a
     * {@link ChatModelException}, which callers count as a failed request.
     */
    @Test
    void anInterruptWhereverTheCallWaitsIsACancellation() throws Exception {
        server = new FakeOpenAiServer(KEY);
        // Waiting for the reply (already interrupted: the future's get stops at once).
        assertCancelled(model(KEY).build(), "calling " + server.baseUrl());
        // In a backoff: a 429 first, then the sleep is interrupted.
        server.close();
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> seen == 0 ? Fault.RATE_LIMIT : Fault.NONE);
        OpenAiCompatibleChatModel backingOff = model(KEY).sleeper(d -> {
            throw new InterruptedException("stop");
        }).build();
        java.util.concurrent.CancellationException e = assertThrows(
                java.util.concurrent.CancellationException.class, () -> backingOff.complete(samplesRequest(8)));
        try {
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept set");
            assertTrue(e.getMessage().startsWith("backing off from " + server.baseUrl()), e.getMessage());
        } finally {
            Thread.interrupted();
        }
        // For a concurrency slot: none free.
        AdaptiveConcurrencyLimiter full = new AdaptiveConcurrencyLimiter(1);
        full.acquire();
        assertCancelled(model(KEY).limiter(full).build(), "waiting for a concurrency slot");
    }

    private static void assertCancelled(OpenAiCompatibleChatModel m, String where) {
        Thread.currentThread().interrupt();
        try {
            java.util.concurrent.CancellationException e = assertThrows(
                    java.util.concurrent.CancellationException.class, () -> m.complete(samplesRequest(9)));
            assertTrue(Thread.currentThread().isInterrupted(), "interrupt status kept set");
            assertTrue(e.getMessage().startsWith(where) && e.getMessage().contains(": cancelled, the calling"
                    + " thread was interrupted"), e.getMessage());
            assertTrue(e.getCause() instanceof InterruptedException, String.valueOf(e.getCause()));
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void toleratesCodeFences() throws Exception {
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.FENCED);
        ChatReply reply = model(KEY).build().complete(attributesRequest(2));
        assertEquals(0, reply.reasks());
        assertTrue(reply.content().contains("```"));
        assertTrue(reply.json().path("topic").asText().startsWith("topic-"));
    }

    @Test
    void rateLimitHonoursRetryAfterAndHalvesTheLimiter() throws Exception {
        server = new FakeOpenAiServer(KEY).retryAfterSeconds(3)
                .plan((d, seen) -> seen == 0 ? Fault.RATE_LIMIT : Fault.NONE);
        AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(8);
        ChatReply reply = model(KEY).limiter(limiter).build().complete(samplesRequest(3));
        assertEquals(2, reply.httpAttempts());
        assertEquals(1, sleeper.sleeps.size());
        assertTrue(sleeper.sleeps.get(0).compareTo(Duration.ofSeconds(3)) >= 0, sleeper.sleeps.toString());
        // 8 halved once to 4; the success afterwards does not complete a window of 4.
        assertEquals(4, limiter.limit());
        assertEquals(0, limiter.inFlight());
    }

    @Test
    void retryAfterAsHttpDateIsHonoured() throws Exception {
        java.time.Instant now = java.time.Instant.parse("2025-06-01T12:00:00Z");
        server = new FakeOpenAiServer(KEY).retryAfterHeader("Sun, 01 Jun 2025 12:00:20 GMT")
                .plan((d, seen) -> seen == 0 ? Fault.RATE_LIMIT : Fault.NONE);
        ChatReply reply = model(KEY).clock(java.time.Clock.fixed(now, java.time.ZoneOffset.UTC)).build()
                .complete(samplesRequest(30));
        assertEquals(2, reply.httpAttempts());
        assertEquals(Duration.ofSeconds(20), sleeper.sleeps.get(0));
    }

    @Test
    void retryAfterBeyondTheAllowedMaximumFails() throws Exception {
        server = new FakeOpenAiServer(KEY).retryAfterSeconds(3600).plan((d, seen) -> Fault.RATE_LIMIT);
        ChatModelException e = assertThrows(ChatModelException.class, () -> model(KEY)
                .retryPolicy(new RetryPolicy(8, Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofMinutes(5)))
                .build().complete(samplesRequest(31)));
        assertTrue(e.getMessage().contains("3600"), e.getMessage());
        assertEquals(1, server.requests.get());
    }

    /** No credit left: a retry cannot succeed (it was retried as a rate limit, 40 requests a label). */
    @Test
    void anExhaustedQuotaStopsAtOnceWithTheServerMessage() throws Exception {
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.QUOTA);
        ChatHttpException e = assertThrows(ChatHttpException.class,
                () -> model(KEY).build().complete(samplesRequest(5)));
        assertEquals(429, e.status());
        assertTrue(e.getMessage().contains("You exceeded your current quota"), e.getMessage());
        assertEquals(1, server.requests.get());
        assertTrue(sleeper.sleeps.isEmpty());
        assertFalse(OpenAiCompatibleChatModel.insufficientQuota(
                "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}"));
        assertFalse(OpenAiCompatibleChatModel.insufficientQuota("insufficient_quota, not JSON"));
    }

    /**
     * Seeds go out non-negative and within 31 bits (TGI refused a negative one with HTTP 422,
     * half of all requests), folded as the GGUF model folds them; the seeds the generator makes
     * (64 random bits) stay distinct after the fold.
     */
    @Test
    void seedsAreSentNonNegativeWithin31Bits() throws Exception {
        server = new FakeOpenAiServer(KEY);
        long[] seeds = {-3690351588901384177L, Long.MIN_VALUE, -1L, 0L, 1000L, Long.MAX_VALUE};
        for (int i = 0; i < seeds.length; i++) {
            ChatRequest r = ChatRequest.of(List.of(ChatMessage.user("Write 3 examples " + i)),
                    new SamplingParams(0.7, null, 64, seeds[i]), Schemas.SAMPLES);
            model(KEY).build().complete(r);
            long wire = server.bodies.get(i).path("seed").asLong(-1);
            assertTrue(wire >= 0 && wire <= Integer.MAX_VALUE, seeds[i] + " sent as " + wire);
            assertEquals(SamplingParams.seed31(seeds[i]), wire);
            assertEquals(GgufChatModel.seed(seeds[i]), wire, "one fold for both backends");
        }
        java.util.Set<Integer> folded = new java.util.HashSet<>();
        Random random = new Random(7);
        for (int i = 0; i < 1000; i++) {
            folded.add(SamplingParams.seed31(random.nextLong()));
        }
        assertEquals(1000, folded.size(), "1,000 random seeds, folded");
    }

    @Test
    void unauthorizedStopsAtOnceWithTheServerMessage() throws Exception {
        server = new FakeOpenAiServer(KEY);
        String wrong = "sk-wrong-" + Long.toHexString(new Random().nextLong());
        ChatHttpException e = assertThrows(ChatHttpException.class, () -> model(wrong).build().complete(samplesRequest(4)));
        assertEquals(401, e.status());
        assertTrue(e.getMessage().contains("Incorrect API key provided"), e.getMessage());
        assertFalse(e.getMessage().contains(wrong), "the key leaked into: " + e.getMessage());
        assertEquals(1, server.requests.get(), "401 must not be retried");
        assertTrue(sleeper.sleeps.isEmpty());
    }

    @Test
    void serverErrorsTimeoutsAndDropsAreRetried() throws Exception {
        List<Fault> sequence = List.of(Fault.SERVER_ERROR, Fault.HANG, Fault.DROP, Fault.NONE);
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> sequence.get(Math.min(seen, 3)));
        ChatReply reply = model(KEY).build().complete(samplesRequest(5));
        assertEquals(4, reply.httpAttempts());
        assertEquals(3, sleeper.sleeps.size());
        // Full jitter: each wait within [0, min(cap, base * 2^retry)].
        for (int i = 0; i < 3; i++) {
            long w = sleeper.sleeps.get(i).toMillis();
            assertTrue(w >= 0 && w <= Math.min(200, 10L << i), "wait " + i + " = " + w);
        }
    }

    @Test
    void aTrickledBodyMeetsTheWholeRequestDeadline() throws Exception {
        for (Fault trickle : List.of(Fault.TRICKLE_CHUNKED, Fault.TRICKLE_FIXED)) {
            server = new FakeOpenAiServer(KEY).plan((d, seen) -> seen < 2 ? trickle : Fault.NONE);
            long start = System.nanoTime();
            ChatReply reply = model(KEY).build().complete(samplesRequest(11));
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(3, reply.httpAttempts(), trickle.toString());
            // Two 400 ms deadlines and the third, prompt reply; a trickle of 100 ms per byte
            // would take minutes.
            assertTrue(seconds < 10, trickle + ": " + seconds + " s");
            server.close();
        }
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.TRICKLE_CHUNKED);
        ChatModelException e = assertThrows(ChatModelException.class,
                () -> model(KEY).retryPolicy(FAST.withMaxAttempts(2)).build().complete(samplesRequest(12)));
        assertTrue(e.getMessage().contains("no complete reply within 400ms"), e.getMessage());
    }

    @Test
    void aReplyOverTheSizeBoundIsCutOffAndRetried() throws Exception {
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> seen < 1 ? Fault.HUGE : Fault.NONE);
        OpenAiCompatibleChatModel m = model(KEY).requestTimeout(Duration.ofSeconds(20))
                .maxReplyBytes(1 << 20).build();
        assertEquals(2, m.complete(samplesRequest(13)).httpAttempts());
        server.close();
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.HUGE);
        ChatModelException e = assertThrows(ChatModelException.class, () -> model(KEY)
                .requestTimeout(Duration.ofSeconds(20)).maxReplyBytes(1 << 20)
                .retryPolicy(FAST.withMaxAttempts(2)).build().complete(samplesRequest(14)));
        assertTrue(e.getMessage().contains("the reply is larger than 1048576 bytes"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model(KEY).maxReplyBytes(10));
    }

    @Test
    void aServerThatWasNeverReachedFailsAfterThreeAttemptsNamingTheAddress() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: connections are refused
        }
        OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(
                "http://127.0.0.1:" + port + "/v1", "m").retryPolicy(FAST).sleeper(sleeper)
                .requestTimeout(Duration.ofSeconds(5)).build();
        ChatConnectException e = assertThrows(ChatConnectException.class,
                () -> m.complete(samplesRequest(15)));
        assertTrue(e.getMessage().startsWith("cannot connect to http://127.0.0.1:" + port
                + "/v1/chat/completions (ConnectException"), e.getMessage());
        assertEquals(OpenAiCompatibleChatModel.CONNECT_ATTEMPTS - 1, sleeper.sleeps.size(),
                "three attempts, not the retry budget of eight");
    }

    @Test
    void retryBudgetIsBounded() throws Exception {
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.SERVER_ERROR);
        ChatModelException e = assertThrows(ChatModelException.class,
                () -> model(KEY).retryPolicy(FAST.withMaxAttempts(3)).build().complete(samplesRequest(6)));
        assertEquals(3, server.requests.get());
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("internal error"), e.getMessage());
    }

    @Test
    void invalidRepliesAreReaskedAtMostNTimes() throws Exception {
        server = new FakeOpenAiServer(KEY).plan((d, seen) -> Fault.SCHEMA_VIOLATION);
        InvalidReplyException e = assertThrows(InvalidReplyException.class,
                () -> model(KEY).maxReasks(2).build().complete(samplesRequest(7)));
        assertEquals(3, server.requests.get(), "1 ask + 2 re-asks");
        assertTrue(e.getMessage().contains("synalign_samples"), e.getMessage());
        assertTrue(e.getMessage().contains("$: required property 'samples' not found"), e.getMessage());
        // Each re-ask carries the invalid reply and a correction.
        JsonNode last = server.bodies.get(2).path("messages");
        assertEquals(2 + 4, last.size());
        assertEquals("assistant", last.get(2).path("role").asText());
        assertEquals("{\"wrong\": 42}", last.get(2).path("content").asText());
        assertTrue(last.get(3).path("content").asText().startsWith("Your previous reply was invalid"));
    }

    @Test
    void malformedJsonIsReaskedThenAccepted() throws Exception {
        server = new FakeOpenAiServer(KEY);
        // Only the first request is malformed (a re-ask is a new body, so key on the request count).
        server.plan((d, seen) -> server.requests.get() == 1 ? Fault.MALFORMED_JSON : Fault.NONE);
        ChatReply reply = model(KEY).build().complete(samplesRequest(8));
        assertEquals(1, reply.reasks());
        assertEquals(2, reply.httpAttempts());
        assertNotNull(reply.json());
    }

    @Test
    void freeTextRequestsAreNotParsed() throws Exception {
        server = new FakeOpenAiServer(null);
        OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl() + "/", "m")
                .sleeper(sleeper).build();
        ChatReply r = m.complete(ChatRequest.of(List.of(ChatMessage.user("hi")), SamplingParams.DEFAULTS, null));
        assertNull(r.json());
        assertTrue(r.content().startsWith("free text "));
        assertEquals("", server.authorizations.get(0), "no key configured: no Authorization header");
        assertFalse(server.bodies.get(0).has("response_format"));
    }

    @Test
    void batchUnderTwentyPercentFaultsCompletes() throws Exception {
        // 20 % of HTTP answers faulty, six kinds. The plan is a function of (body, arrival), so
        // it is reproducible whatever the thread interleaving. With 2 re-asks a request fails
        // only if 3 asks in a row get invalid content (p ~ (0.2 * 2/6)^3 ~ 3e-4 per request).
        server = new FakeOpenAiServer(KEY).retryAfterSeconds(1).plan(FakeOpenAiServer.random(2024, 0.2,
                List.of(Fault.RATE_LIMIT, Fault.SERVER_ERROR, Fault.HANG, Fault.DROP, Fault.MALFORMED_JSON,
                        Fault.SCHEMA_VIOLATION)));
        AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(6);
        OpenAiCompatibleChatModel m = model(KEY).limiter(limiter).build();
        List<ChatRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            reqs.add(i % 2 == 0 ? samplesRequest(i) : attributesRequest(i));
        }
        List<ChatReply> replies = new ConcurrentChatExecutor(m, limiter).completeAll(reqs);
        assertEquals(60, replies.size());
        for (int i = 0; i < 60; i++) {
            ChatReply r = replies.get(i);
            ResponseSchema s = reqs.get(i).responseSchema();
            assertTrue(JsonSchemaValidator.validate(s.schema(), r.json()).isEmpty(), "reply " + i);
            // Submission order: the reply is the fake's deterministic answer to that conversation.
            List<ChatMessage> conv = new ArrayList<>(reqs.get(i).messages());
            if (r.reasks() == 0) {
                assertEquals(ReplyParser.extractJson(FakeOpenAiServer.content(s.name(), conv)), r.json(), "reply " + i);
            }
        }
        int injected = server.requests.get() - server.faultCount(Fault.NONE);
        System.out.println("60-request batch: " + server.requests.get() + " HTTP requests, outcomes " + server.faults
                + ", limiter ended at " + limiter.limit());
        assertTrue(injected >= 5, "faults actually injected: " + server.faults);
        assertEquals(0, limiter.inFlight());
    }
}
