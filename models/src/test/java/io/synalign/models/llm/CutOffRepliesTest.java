package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replies cut off at the server's token limit ({@code finish_reason length}): the complete
 * samples of a cut-off array are kept (and replayed from the journal), a cut-off reply is asked
 * afresh rather than fed back, and a reply whose reasoning used up the limit is not asked again.
 */
class CutOffRepliesTest {

    @TempDir
    Path dir;
    private FakeOpenAiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private OpenAiCompatibleChatModel singleAsk() {
        return server.singleAskClient("qwen3-8b"); // asks once per call
    }

    private static ChatRequest samples() {
        return ChatRequest.of(List.of(ChatMessage.system("You write examples."),
                ChatMessage.user("Write 3 examples")), new SamplingParams(1.0, null, null, 7L), Schemas.SAMPLES);
    }

    /** Two whole samples, the third cut off inside its text (escapes and brackets in the text). */
    static final String CUT_AFTER_TWO =
            "{\"samples\": [{\"text\": \"one ] } \\\" [ {\"}, {\"text\": \"two\"}, {\"text\": \"thr";

    private static List<String> texts(JsonNode json) {
        return java.util.stream.StreamSupport.stream(json.path("samples").spliterator(), false)
                .map(s -> s.path("text").asText()).toList();
    }

    @Test
    void theCompleteSamplesOfACutOffReplyAreKept() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice(CUT_AFTER_TWO, "length"));
        ChatReply r = new ReaskingChatModel(singleAsk(), 2).complete(samples());
        assertEquals(List.of("one ] } \" [ {", "two"), texts(r.json()));
        assertEquals("length", r.finishReason(), "the caller can count the reply as cut off");
        assertEquals(1, server.requests.get(), "kept, not asked again");
    }

    /** A reply that ENDED malformed is the model's fault, not the limit's: nothing is salvaged. */
    @Test
    void aMalformedReplyThatWasNotCutOffIsNotSalvaged() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice(CUT_AFTER_TWO, "stop"));
        InvalidReplyException e = assertThrows(InvalidReplyException.class, () -> singleAsk().complete(samples()));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    /**
     * A reply cut off before its first complete sample is asked afresh: the original
     * conversation (no assistant turn with the cut-off text, which would leave even less room),
     * its last user turn asking for a complete, shorter reply.
     */
    @Test
    void aCutOffReplyIsAskedAfreshNotFedBack() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                n == 0 ? FakeOpenAiServer.choice("{\"samples\": [{\"text\": \"a long fir", "length") : null);
        ChatReply r = new ReaskingChatModel(singleAsk(), 2).complete(samples());
        assertEquals(FakeOpenAiServer.SAMPLES, r.json().path("samples").size());
        assertEquals(1, r.reasks());
        List<ChatMessage> reask = FakeOpenAiServer.messages(server.bodies.get(1));
        assertEquals(2, reask.size(), "no assistant turn and no extra user turn: " + reask);
        assertEquals("system", reask.get(0).role());
        assertEquals("user", reask.get(1).role());
        assertTrue(reask.get(1).content().startsWith("Write 3 examples\n\n"), reask.get(1).content());
        assertTrue(reask.get(1).content().endsWith(ReaskingChatModel.CUT_OFF_NOTE), reask.get(1).content());
        assertFalse(reask.get(1).content().contains("a long fir"));
    }

    /** vLLM's reasoning parser, limit spent thinking: one call, not three, and the fix named. */
    @Test
    void reasoningThatUsedUpTheLimitIsNotAskedAgain() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice(null, "length", "reasoning_content", "Let me think. ".repeat(50)));
        InvalidReplyException e = assertThrows(InvalidReplyException.class,
                () -> new ReaskingChatModel(singleAsk(), 2).complete(samples()));
        assertEquals(1, server.requests.get(), e.getMessage());
        assertTrue(e.getMessage().contains("not asked again"), e.getMessage());
        assertTrue(e.getMessage().contains("raise the server's limit on generated tokens"), e.getMessage());
        assertEquals(1, e.httpAttempts());
    }

    /**
     * An in-process GGUF model has no server: a reply of its cut off before any answer names its
     * budget (which the model's problem states), not a server's limit and flags. A stand-in model
     * throws the reply, since a grammar-bounded GGUF reply always begins with its JSON.
     */
    @Test
    void aGgufReplyWithoutAnAnswerNamesItsBudgetNotAServer() {
        ChatModel gguf = new ChatModel() {
            @Override
            public ChatReply complete(ChatRequest request) {
                throw new InvalidReplyException("only the model's reasoning, no answer (the GGUF reply was cut"
                        + " off at its token budget, finish_reason length: 54 tokens, the context of 150 tokens"
                        + " less the prompt's 95)", "<think>\nhmm", 1, "length");
            }

            @Override
            public String backend() {
                return GgufChatModel.BACKEND;
            }

            @Override
            public String model() {
                return "tiny.gguf";
            }
        };
        InvalidReplyException e = assertThrows(InvalidReplyException.class,
                () -> new ReaskingChatModel(gguf, 2).complete(samples()));
        assertTrue(e.getMessage().startsWith("tiny.gguf wrote no answer before its token budget; not asked again"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("the context of 150 tokens less the prompt's 95)"), e.getMessage());
        assertFalse(e.getMessage().contains("server"), e.getMessage());
    }

    /** A server without a reasoning parser: the content ends inside {@code <think>}. */
    @Test
    void reasoningInTheContentThatUsedUpTheLimitIsNotAskedAgain() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice("<think>\nThe user wants examples. {\"samples\": [{\"text\": \"x\"}, "
                        + "hmm".repeat(30), "length"));
        InvalidReplyException e = assertThrows(InvalidReplyException.class,
                () -> new ReaskingChatModel(singleAsk(), 2).complete(samples()));
        assertEquals(1, server.requests.get(), e.getMessage());
        assertTrue(e.getMessage().contains("raise the server's limit on generated tokens"), e.getMessage());
    }

    /** The model's built-in re-asks (maxReasks above 0) behave the same. */
    @Test
    void theBuiltInReasksStopToo() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice("", "length", "reasoning", "Thinking. ".repeat(20)));
        OpenAiCompatibleChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), "qwen3-8b")
                .requestTimeout(Duration.ofSeconds(5)).sleeper(new RecordingSleeper()).maxReasks(2).build();
        assertThrows(InvalidReplyException.class, () -> m.complete(samples()));
        assertEquals(1, server.requests.get());
    }

    /**
     * A salvaged reply is journaled as the server sent it, with its finish reason: the resumed
     * run replays the same two samples without a request, under the same key.
     */
    @Test
    void aSalvagedReplyReplaysTheSameSamples() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                FakeOpenAiServer.choice(CUT_AFTER_TWO, "length"));
        ChatReply first;
        try (CallJournal j = CallJournal.open(dir)) {
            first = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(samples());
        }
        int sent = server.requests.get();
        ChatReply again;
        try (CallJournal j = CallJournal.open(dir)) {
            again = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(samples());
        }
        assertEquals(sent, server.requests.get(), "replayed, not sent");
        assertTrue(again.fromJournal());
        assertEquals(texts(first.json()), texts(again.json()));
        assertEquals("length", again.finishReason());
    }

    /**
     * The invalid cut-off reply is journaled with its finish reason, so the resumed run builds
     * the same fresh re-ask (same key) and replays it instead of asking with the text fed back.
     */
    @Test
    void aFreshReaskReplaysOnResume() throws Exception {
        server = new FakeOpenAiServer(null).choices((body, valid, n) ->
                n == 0 ? FakeOpenAiServer.choice("{\"samples\": [{\"text\": \"a long fir", "length") : null);
        ChatReply first;
        try (CallJournal j = CallJournal.open(dir)) {
            first = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(samples());
        }
        assertEquals(2, server.requests.get());
        ChatReply again;
        try (CallJournal j = CallJournal.open(dir)) {
            again = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(samples());
        }
        assertEquals(2, server.requests.get(), "both the ask and the fresh re-ask replayed");
        assertEquals(first.content(), again.content());
        assertEquals(1, again.reasks());
    }

    /** Salvage itself, on awkward cuts; an independent reading of each expected result. */
    @Test
    void salvageKeepsOnlyWholeElementsOfTheFirstArray() {
        // a number cut mid-digits is not an element yet
        assertEquals("[1]", ReplyParser.salvage("[1, 23").toString());
        assertEquals("[1,23]", ReplyParser.salvage("[1, 23, 4").toString());
        assertEquals("[true]", ReplyParser.salvage("[true, nul").toString());
        // an element cut inside an inner list of its own is dropped whole
        assertEquals("{\"samples\":[{\"text\":\"a\"}]}",
                ReplyParser.salvage("{\"samples\":[{\"text\":\"a\"},{\"text\":\"b\",\"tags\":[\"x\",\"y").toString());
        // after the first array closed, a later cut keeps the array's elements only
        assertEquals("{\"samples\":[{\"text\":\"a\"}]}",
                ReplyParser.salvage("{\"samples\":[{\"text\":\"a\"}],\"x\":{\"y\":[1,2").toString());
        // a fence and prose before the JSON
        assertEquals("{\"samples\":[{\"text\":\"a\"}]}",
                ReplyParser.salvage("Here:\n```json\n{\"samples\":[{\"text\":\"a\"}, {\"te").toString());
        // nothing whole, no JSON, or a value that ended: nothing to salvage
        assertNull(ReplyParser.salvage("{\"samples\":[{\"text\":\"a"));
        assertNull(ReplyParser.salvage("no json here"));
        assertNull(ReplyParser.salvage("{\"samples\":[{\"text\":\"a\"}]} trailing"));
        // surrogate pairs and escapes survive the cut
        assertEquals("\uD83D\uDE00 \"q\"", ReplyParser.salvage("[\"\uD83D\uDE00 \\\"q\\\"\", \"cu").get(0).asText());
    }

    /** Only a reply cut off at the limit is salvaged, and only when what is kept matches the schema. */
    @Test
    void salvageNeedsTheLimitAndTheSchema() {
        assertFalse(ReplyParser.parse(CUT_AFTER_TWO, Schemas.SAMPLES, "stop").valid());
        assertFalse(ReplyParser.parse(CUT_AFTER_TWO, Schemas.SAMPLES, null).valid());
        assertTrue(ReplyParser.parse(CUT_AFTER_TWO, Schemas.SAMPLES, "length").valid());
        // the kept elements break the schema (a number for a sample): not kept
        assertFalse(ReplyParser.parse("{\"samples\":[{\"text\":1},{\"te", Schemas.SAMPLES, "length").valid());
        // an empty list kept is no salvage
        assertFalse(ReplyParser.parse("{\"samples\":[{\"te", Schemas.SAMPLES, "length").valid());
    }
}
