package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Replies as real servers send them when the model reasons, refuses, is filtered or calls a
 * tool: vLLM with {@code --reasoning-parser} ({@code content} null beside
 * {@code reasoning_content}, also when the token limit ran out inside the reasoning), Ollama's
 * {@code reasoning}, OpenAI's {@code refusal} and {@code content_filter}, Mistral's list of
 * content parts, and reasoning written into the content by a server without a reasoning parser.
 * Each invalid one must say what happened, not only "no message content".
 */
class ReasoningRepliesTest {

    private FakeOpenAiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private OpenAiCompatibleChatModel model() {
        return server.singleAskClient("qwen3-8b"); // asks once per call
    }

    private static ChatRequest samples() {
        return ChatRequest.of(List.of(ChatMessage.user("Write 3 examples")),
                new SamplingParams(1.0, null, null, 7L), Schemas.SAMPLES);
    }

    private static String choice(String content, String finish, String... fieldsAndValues) {
        return FakeOpenAiServer.choice(content, finish, fieldsAndValues);
    }

    private String problem(FakeOpenAiServer.ChoiceWriter w) throws Exception {
        server = new FakeOpenAiServer(null).choices(w);
        return assertThrows(InvalidReplyException.class, () -> model().complete(samples())).getMessage();
    }

    /** vLLM --reasoning-parser, max tokens spent thinking: said as such, with the remedy. */
    @Test
    void reasoningThatUsedUpTheTokenLimitIsNamed() throws Exception {
        String reasoning = "Okay, the user wants three examples. ".repeat(40);
        String p = problem((body, valid, n) -> choice(null, "length", "reasoning_content", reasoning));
        assertTrue(p.contains("reasoning used up the server's token limit"), p);
        assertTrue(p.contains(reasoning.length() + " characters of reasoning"), p);
        assertTrue(p.contains("sends no max_tokens"), p);
    }

    /** Ollama's field name, an empty content and a normal stop: reasoning without an answer. */
    @Test
    void reasoningWithoutAnAnswerIsNamed() throws Exception {
        String p = problem((body, valid, n) -> choice("", "stop", "reasoning", "Let me think."));
        assertTrue(p.contains("only the model's reasoning (13 characters), no answer"), p);
    }

    @Test
    void aRefusalIsQuoted() throws Exception {
        String p = problem((body, valid, n) -> choice(null, "stop", "refusal", "I can't help with that."));
        assertEquals("the model refused: \"I can't help with that.\" (finish_reason stop)", p);
    }

    /** A long, multi-line refusal was quoted whole: one line, capped, in the message and the log. */
    @Test
    void aLongRefusalIsQuotedOnOneLineCapped() throws Exception {
        String refusal = "I can't help with that.\n\nHere is why:\n" + "reason. ".repeat(200);
        String p = problem((body, valid, n) -> choice(null, "stop", "refusal", refusal));
        assertTrue(p.startsWith("the model refused: \"I can't help with that. Here is why: reason. reason."), p);
        assertTrue(p.endsWith("...\" (finish_reason stop)"), p);
        assertFalse(p.contains("\n"), p);
        assertTrue(p.length() < 600, p.length() + ": " + p);
    }

    @Test
    void theContentFilterIsNamed() throws Exception {
        String p = problem((body, valid, n) -> choice(null, "content_filter"));
        assertTrue(p.contains("content filter withheld the reply"), p);
        String cut = problem((body, valid, n) -> choice("{\"samples\": [{\"text\": \"a", "content_filter"));
        assertTrue(cut.contains("content filter cut it off"), cut);
    }

    @Test
    void aToolCallIsNamed() throws Exception {
        String p = problem((body, valid, n) -> {
            ObjectNode c = (ObjectNode) readTree(choice(null, "tool_calls"));
            ((ObjectNode) c.path("message")).putArray("tool_calls").addObject().put("id", "call_1")
                    .put("type", "function").putObject("function").put("name", "write_samples")
                    .put("arguments", "{}");
            return c.toString();
        });
        assertTrue(p.contains("a tool call (write_samples)"), p);
    }

    /**
     * SynAlign sends no max_tokens: a cut-off reply names the server's limit (cut inside its
     * first sample, so no complete sample is kept: {@link CutOffRepliesTest}).
     */
    @Test
    void aCutOffReplyNamesTheServersLimit() throws Exception {
        String p = problem((body, valid, n) -> choice("{\"samples\": [{\"text\": \"on", "length"));
        assertTrue(p.contains("cut off at the server's token limit"), p);
    }

    /** The answer of vLLM's reasoning parser is the content; the reasoning beside it is ignored. */
    @Test
    void contentBesideReasoningIsTheAnswer() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                choice(valid, "stop", "reasoning_content", "{\"samples\": [{\"text\": \"draft\"}]}"));
        ChatReply r = model().complete(samples());
        assertEquals(FakeOpenAiServer.SAMPLES, r.json().path("samples").size());
    }

    /** Mistral's reasoning models: content as a list of parts, the text parts being the answer. */
    @Test
    void contentPartsAreJoined() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) -> {
            ObjectNode c = (ObjectNode) readTree(choice(null, "stop"));
            var parts = ((ObjectNode) c.path("message")).putArray("content");
            parts.addObject().put("type", "thinking").putArray("thinking").addObject()
                    .put("type", "text").put("text", "{\"samples\": []}");
            parts.addObject().put("type", "text").put("text", valid);
            return c.toString();
        });
        ChatReply r = model().complete(samples());
        assertEquals(FakeOpenAiServer.SAMPLES, r.json().path("samples").size());
    }

    /**
     * Qwen3 on a server without a reasoning parser: the reasoning, with a fenced draft, before
     * the answer in the content. The draft was taken for the reply.
     */
    @Test
    void aDraftInThinkingIsNotTheAnswer() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) -> choice("<think>\nA draft:\n```json\n"
                + "{\"samples\": [{\"text\": \"draft\"}]}\n```\nNow the real one.\n</think>\n\n" + valid, "stop"));
        ChatReply r = model().complete(samples());
        assertEquals(FakeOpenAiServer.SAMPLES, r.json().path("samples").size());
        assertTrue(r.json().path("samples").get(0).path("text").asText().startsWith("sample 0 of"), r.json().toString());
    }

    /**
     * OpenAI's reasoning models take no temperature but their default: every request (stage 1
     * at 0.2, stage 2 at 1.0) was refused with HTTP 400 and the run stopped, exit 2. Now the
     * first refusal sends the request again without temperature and top_p, and later requests
     * go without them; the seed and the schema are still sent.
     */
    @Test
    void aModelThatTakesNoTemperatureIsAskedWithout() throws Exception {
        server = new FakeOpenAiServer(null).refuseTemperature();
        OpenAiCompatibleChatModel m = model();
        ChatReply r = m.complete(samples());
        assertEquals(FakeOpenAiServer.SAMPLES, r.json().path("samples").size());
        assertEquals(2, server.requests.get());
        assertTrue(server.bodies.get(0).has("temperature"));
        assertTrue(!server.bodies.get(1).has("temperature") && !server.bodies.get(1).has("top_p"), server.bodies.get(1).toString());
        assertEquals(7, server.bodies.get(1).path("seed").asLong());
        assertEquals("synalign_samples", FakeOpenAiServer.schemaOf(server.bodies.get(1)));
        m.complete(ChatRequest.of(List.of(ChatMessage.user("Summarise")), new SamplingParams(0.2, null, null, 8L),
                Schemas.ATTRIBUTES));
        assertEquals(3, server.requests.get(), "later requests go without temperature at once");
        assertTrue(!server.bodies.get(2).has("temperature"));
    }

    /**
     * A server that refuses the temperature every time, also without one: each call sends once
     * more without temperature and top_p, then stops with the server's 400; no endless re-sending.
     */
    @Test
    void aRefusalWithoutTemperatureIsNotSentAgain() throws Exception {
        server = new FakeOpenAiServer(null).refuseSamplingAlways();
        OpenAiCompatibleChatModel m = model();
        ChatHttpException first = assertThrows(ChatHttpException.class, () -> m.complete(samples()));
        assertEquals(400, first.status(), first.getMessage());
        assertEquals(2, server.requests.get(), "one re-send without temperature");
        assertThrows(ChatHttpException.class, () -> m.complete(samples()));
        assertEquals(3, server.requests.get(), "later calls go without temperature at once, and stop");
    }

    /**
     * Calls in flight when the first refusal arrives: each is sent once more (one extra request
     * a call, not one a run), and the warning is logged once.
     */
    @Test
    void concurrentRefusalsWarnOnce() throws Exception {
        int calls = 4;
        server = new FakeOpenAiServer(null).refuseTemperatureTogether(calls);
        OpenAiCompatibleChatModel m = model();
        List<ChatRequest> reqs = new java.util.ArrayList<>();
        for (int i = 0; i < calls; i++) {
            reqs.add(ChatRequest.of(List.of(ChatMessage.user("Write 3 examples " + i)),
                    new SamplingParams(1.0, null, null, 7L), Schemas.SAMPLES));
        }
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        // slf4j-simple writes to the current System.err on each call.
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        List<ChatReply> replies;
        try {
            replies = new ConcurrentChatExecutor(m, calls).completeAll(reqs);
        } finally {
            System.setErr(stderr);
        }
        String logs = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        stderr.print(logs);
        assertEquals(calls, replies.size());
        assertEquals(2 * calls, server.requests.get(), "each call in flight sent once more");
        assertEquals(1, logs.split("takes no temperature or top_p", -1).length - 1, "warned once: " + logs);
    }

    /** Any other 400 still stops at once with the server's message. */
    @Test
    void anotherBadRequestStillStops() throws Exception {
        assertTrue(!OpenAiCompatibleChatModel.refusesSampling("{\"error\":{\"message\":\"Invalid 'messages'\","
                + "\"param\":\"messages\",\"code\":\"invalid_value\"}}"));
        assertTrue(!OpenAiCompatibleChatModel.refusesSampling("{\"error\":{\"message\":\"temperature too high\","
                + "\"param\":\"temperature\",\"code\":\"invalid_value\"}}"));
        assertTrue(!OpenAiCompatibleChatModel.refusesSampling("temperature is unsupported_value"));
    }

    private static com.fasterxml.jackson.databind.JsonNode readTree(String json) {
        try {
            return FakeOpenAiServer.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
