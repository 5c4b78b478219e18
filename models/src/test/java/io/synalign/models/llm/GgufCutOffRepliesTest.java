package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-process GGUF replies cut off at their token budget report {@code finish_reason length}, as
 * a server's do, so the complete samples of a cut-off reply are kept, journaled with the finish
 * reason and replayed alike, and a reply with none complete is asked afresh.
 *
 * <p>The oracle is the same random-weight model ({@link TinyGgufWriter}) given room: a file
 * with the same weights but a training context of {@value #SHORT_CONTEXT} tokens caps the
 * budget at the context left after the prompt, while the same seed decodes the same tokens, so
 * a cut-off reply is a prefix of the roomy model's whole reply, and the samples kept are the
 * whole reply's samples that end inside that prefix.
 */
class GgufCutOffRepliesTest {

    /** The prompt is 95 tokens (byte tokens): a reply gets 160, which a few seeds' replies outgrow. */
    static final int SHORT_CONTEXT = 256;
    /** A reply gets 54 tokens: a short first sample ends in them, most do not. */
    static final int TIGHT_CONTEXT = 150;
    static final int SEEDS = 16;

    @TempDir
    static Path dir;
    static Path shortFile;
    static GgufChatModel roomy;
    static GgufChatModel cramped;
    static GgufChatModel tight;

    @BeforeAll
    static void load() throws IOException {
        // The same weights (the writer's seed), two training contexts.
        Path roomyFile = TinyGgufWriter.write(dir.resolve("roomy.gguf"), TinyGgufWriter.Spec.tiny(11));
        TinyGgufWriter.Spec tiny = TinyGgufWriter.Spec.tiny(11);
        shortFile = TinyGgufWriter.write(dir.resolve("short.gguf"), new TinyGgufWriter.Spec(tiny.layers(), tiny.embd(),
                tiny.heads(), tiny.ff(), SHORT_CONTEXT, tiny.seed(), null));
        Path tightFile = TinyGgufWriter.write(dir.resolve("tight.gguf"), new TinyGgufWriter.Spec(tiny.layers(),
                tiny.embd(), tiny.heads(), tiny.ff(), TIGHT_CONTEXT, tiny.seed(), null));
        roomy = open(roomyFile);
        cramped = open(shortFile);
        tight = open(tightFile);
    }

    static GgufChatModel open(Path f) {
        return GgufChatModel.open(f, GgufChatModel.Options.defaults().withThreads(2).withBounds(GgufChatModelTest.BOUNDS));
    }

    @AfterAll
    static void close() {
        for (GgufChatModel m : new GgufChatModel[] {roomy, cramped, tight}) {
            if (m != null) {
                m.close();
            }
        }
    }

    private static List<String> texts(JsonNode json) {
        return StreamSupport.stream(json.path("samples").spliterator(), false).map(s -> s.path("text").asText()).toList();
    }

    /**
     * The samples of {@code whole} (compact JSON, as the grammar writes it) whose element ends
     * inside {@code prefix}: what a reply cut off after {@code prefix} holds complete.
     */
    private static List<String> wholeSamplesWithin(ChatReply whole, String prefix) {
        List<String> kept = new ArrayList<>();
        StringBuilder sb = new StringBuilder("{\"samples\":[");
        for (JsonNode s : whole.json().path("samples")) {
            sb.append(kept.isEmpty() ? "" : ",").append(Json.write(s));
            if (sb.length() > prefix.length()) {
                break;
            }
            assertTrue(prefix.startsWith(sb.toString()), prefix);
            kept.add(s.path("text").asText());
        }
        return kept;
    }

    @Test
    void aReplyCutOffByTheContextKeepsTheSamplesTheWholeReplyBeganWith() {
        int[] counts = new int[2];
        compareWithTheRoomyModel(cramped, SHORT_CONTEXT, counts);
        compareWithTheRoomyModel(tight, TIGHT_CONTEXT, counts);
        System.out.println("GGUF cut-off replies over " + SEEDS + " seeds at contexts " + SHORT_CONTEXT + " and "
                + TIGHT_CONTEXT + ": " + counts[0] + " kept their complete samples, " + counts[1] + " had none");
        assertTrue(counts[0] >= 2, "cut-off replies with complete samples: " + counts[0]);
        assertTrue(counts[1] >= 1, "cut-off replies with no complete sample: " + counts[1]);
    }

    /**
     * Each seed's reply from {@code small} against the roomy model's: the same whole reply, or
     * a prefix of it that keeps the samples ending inside it ({@code counts[0]}), or a prefix
     * with none, refused as cut off ({@code counts[1]}).
     */
    private static void compareWithTheRoomyModel(GgufChatModel small, int context, int[] counts) {
        for (long seed = 1; seed <= SEEDS; seed++) {
            ChatRequest req = GgufChatModelTest.request(Schemas.SAMPLES, seed);
            ChatReply whole = roomy.complete(req);
            assertEquals("stop", whole.finishReason(), whole.content());
            assertEquals(whole.content(), Json.write(whole.json()), "compact, as the oracle assumes");
            ChatReply cut;
            try {
                cut = small.complete(req);
            } catch (InvalidReplyException e) {
                assertEquals("length", e.finishReason(), e.getMessage());
                assertTrue(e.lastContent().length() < whole.content().length()
                        && whole.content().startsWith(e.lastContent()), e.lastContent());
                assertEquals(List.of(), wholeSamplesWithin(whole, e.lastContent()), e.lastContent());
                assertTrue(e.getMessage().contains("cut off at its token budget, finish_reason length")
                        && e.getMessage().contains("the context of " + context + " tokens less the prompt's"),
                        e.getMessage());
                counts[1]++;
                continue;
            }
            if ("stop".equals(cut.finishReason())) {
                assertEquals(whole.content(), cut.content(), "room enough: the same reply");
                continue;
            }
            assertEquals("length", cut.finishReason());
            assertTrue(cut.content().length() < whole.content().length()
                    && whole.content().startsWith(cut.content()), cut.content());
            assertEquals(wholeSamplesWithin(whole, cut.content()), texts(cut.json()), cut.content());
            counts[0]++;
        }
    }

    /** The first seed whose reply from the cramped model is cut off with complete samples. */
    private static ChatRequest salvagedRequest() {
        for (long seed = 1; seed <= SEEDS; seed++) {
            ChatRequest req = GgufChatModelTest.request(Schemas.SAMPLES, seed);
            try {
                if ("length".equals(cramped.complete(req).finishReason())) {
                    return req;
                }
            } catch (InvalidReplyException e) {
                // no complete sample: not this one
            }
        }
        throw new AssertionError("no seed up to " + SEEDS + " gave a cut-off reply with complete samples");
    }

    /**
     * A kept cut-off reply is journaled with its finish reason: a resumed run replays the same
     * samples under the same key without decoding (the replaying model is closed).
     */
    @Test
    void aSalvagedReplyIsJournaledAndReplayedWithoutDecoding(@TempDir Path journalDir) {
        ChatRequest req = salvagedRequest();
        ChatReply first;
        try (CallJournal j = CallJournal.open(journalDir)) {
            first = new ReaskingChatModel(new JournaledChatModel(cramped, j), 2).complete(req);
            assertEquals(1, j.size(), "kept, not asked again");
        }
        assertEquals("length", first.finishReason());
        assertEquals(0, first.reasks());
        GgufChatModel closed = open(shortFile);
        closed.close();
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply again = new ReaskingChatModel(new JournaledChatModel(closed, j), 2).complete(req);
            assertTrue(again.fromJournal());
            assertEquals("length", again.finishReason());
            assertEquals(texts(first.json()), texts(again.json()));
            assertEquals(first.content(), again.content());
        }
    }

    /**
     * A reply cut off at the request's max_tokens before its first sample ended is asked
     * afresh: the original conversation, its last user turn asking for a shorter reply, the
     * cut-off text not fed back.
     */
    @Test
    void aReplyCutOffBeforeItsFirstSampleIsAskedAfresh() {
        List<ChatRequest> asked = new ArrayList<>();
        ChatModel recording = new ForwardingChatModel(roomy) {
            @Override
            public ChatReply complete(ChatRequest request) {
                asked.add(request);
                return delegate.complete(request);
            }
        };
        ChatRequest base = GgufChatModelTest.request(Schemas.SAMPLES, 5);
        ChatRequest req = ChatRequest.of(base.messages(), new SamplingParams(1.0, null, 15, 5L), Schemas.SAMPLES);
        InvalidReplyException e = assertThrows(InvalidReplyException.class,
                () -> new ReaskingChatModel(recording, 1).complete(req));
        assertEquals("length", e.finishReason());
        assertTrue(e.getMessage().contains("15 tokens, the request's max_tokens"), e.getMessage());
        assertEquals(2, asked.size());
        List<ChatMessage> reask = asked.get(1).messages();
        assertEquals(base.messages().size(), reask.size(), "no assistant turn, no extra user turn: " + reask);
        String last = reask.get(reask.size() - 1).content();
        assertTrue(last.startsWith(base.messages().get(1).content()) && last.endsWith(ReaskingChatModel.CUT_OFF_NOTE),
                last);
    }

    /**
     * Free text stopped at max_tokens says so: the same seed with more room writes on, so the
     * short reply did not end by itself.
     */
    @Test
    void freeTextStoppedAtMaxTokensIsLength() {
        int cut = 0;
        for (long seed = 1; seed <= 6; seed++) {
            List<ChatMessage> hi = List.of(ChatMessage.user("hi"));
            ChatReply shortReply = roomy.complete(ChatRequest.of(hi, new SamplingParams(1.0, null, 5, seed), null));
            ChatReply longer = roomy.complete(ChatRequest.of(hi, new SamplingParams(1.0, null, 200, seed), null));
            if (longer.content().length() > shortReply.content().length()) {
                assertEquals("length", shortReply.finishReason(), "seed " + seed + ": " + shortReply.content());
                cut++;
            }
        }
        assertTrue(cut >= 3, "replies that wrote on with more room: " + cut);
    }

    /**
     * The rule itself: a grammar-bounded reply is cut off exactly when it is not one whole JSON
     * value (llama.cpp ends a grammar only where it is complete), whatever was streamed; free
     * text ended by itself when its last piece was the end-of-generation token.
     */
    @Test
    void howTheFinishReasonIsDecided() {
        String whole = "{\"samples\":[{\"text\":\"a\"}]}";
        assertEquals("stop", GgufChatModel.finishReason(true, whole, true));
        assertEquals("stop", GgufChatModel.finishReason(true, whole, false), "the budget ran out just after the end");
        assertEquals("length", GgufChatModel.finishReason(true, whole.substring(0, whole.length() - 1), false));
        assertEquals("length", GgufChatModel.finishReason(true, "{\"samples\":[{\"text\":\"a\"},", false));
        assertEquals("length", GgufChatModel.finishReason(true, "", false));
        assertEquals("stop", GgufChatModel.finishReason(false, "some text", true));
        assertEquals("length", GgufChatModel.finishReason(false, "some text", false));
        assertNotNull(GgufChatModel.finishReason(false, "", false));
    }
}
