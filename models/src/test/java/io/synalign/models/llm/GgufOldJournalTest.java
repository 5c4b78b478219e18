package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF journals written before cut-off replies recorded their budget ({@code cut_off_at_tokens},
 * commit 00846b9): their cut-off replies are taken as cut off at the budget of the context every
 * such version ran the model at, its default (the training context capped at 8192), and asked
 * again where this run's context grants more, as a journal recording that budget would be;
 * replayed where it grants no more. Both old formats, written out here as those versions wrote
 * them: {@code "finish_reason":"length"} without a budget (commits 7590cda to 00846b9), and,
 * before GGUF replies reported {@code length}, an invalid reply whose problem says the reply
 * "ended before the grammar did" with no finish reason.
 *
 * <p>The model: the tiny random-weight llama trained on 16,384 tokens, so its default context is
 * 8192 and a run may give it more; a prompt of about 8,000 byte tokens leaves a reply under the
 * default context fewer tokens than it wants (512 for free text, the grammar's longest reply for
 * a schema) and all of them under 16,384.
 */
class GgufOldJournalTest {

    static final int TRAINED = 16_384;

    @TempDir
    static Path dir;
    /** The default options: 8192 tokens, what every version before --gguf-context gave it. */
    static GgufChatModel atDefault;
    static GgufChatModel roomy;
    static Path file;
    static GgufChatModel.Options options;

    @BeforeAll
    static void load() throws IOException {
        TinyGgufWriter.Spec tiny = TinyGgufWriter.Spec.tiny(11);
        file = TinyGgufWriter.write(dir.resolve("tiny16k.gguf"), new TinyGgufWriter.Spec(tiny.layers(),
                tiny.embd(), tiny.heads(), tiny.ff(), TRAINED, tiny.seed(), null));
        options = GgufChatModel.Options.defaults().withThreads(2).withBounds(GgufChatModelTest.BOUNDS);
        atDefault = GgufChatModel.open(file, options);
        roomy = GgufChatModel.open(file, options.withContextSize(TRAINED));
    }

    @AfterAll
    static void close() {
        for (GgufChatModel m : new GgufChatModel[] {atDefault, roomy}) {
            if (m != null) {
                m.close();
            }
        }
    }

    /** A request whose prompt is about {@code 8192 - 150} byte tokens: the default context leaves it little. */
    private static ChatRequest longRequest(ResponseSchema schema, long seed) {
        String text = "a".repeat(GgufChatModel.DEFAULT_CONTEXT - 150 - 40);
        return ChatRequest.of(List.of(ChatMessage.user(text)), new SamplingParams(1.0, null, null, seed), schema);
    }

    /** A request whose prompt, about 8,700 byte tokens, fits 16,384 tokens of context but not 8192. */
    private static ChatRequest beyondDefault(long seed) {
        String text = "a".repeat(GgufChatModel.DEFAULT_CONTEXT + 500);
        return ChatRequest.of(List.of(ChatMessage.user(text)), new SamplingParams(1.0, null, null, seed), null);
    }

    /**
     * Asks {@code m} the default budget of a request made here and let go; a weak reference to it,
     * by which the test sees whether anything (the thread's kept budget) still holds it.
     */
    private static WeakReference<ChatRequest> defaultBudgetAskedAndLetGo(GgufChatModel m) {
        ChatRequest req = beyondDefault(8);
        assertTrue(m.defaultReplyBudget(req).isEmpty(), "its prompt does not fit the default context");
        return new WeakReference<>(req);
    }

    private static ChatRequest hello(long seed) {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), new SamplingParams(1.0, null, null, seed), null);
    }

    /** A line as SynAlign wrote a cut-off GGUF reply from commit 7590cda until 00846b9: no budget. */
    private static String lengthLine(ChatRequest req, String content) {
        return "{\"key\":\"" + RequestKeys.key("gguf", roomy.modelIdentity(), req) + "\",\"backend\":\"gguf\","
                + "\"model\":\"tiny16k.gguf\",\"schema\":" + schemaName(req) + ",\"attempt\":0,\"reask\":0,"
                + "\"messages_sha256\":\"" + RequestKeys.messagesDigest(req.messages()) + "\",\"content\":\""
                + content + "\",\"finish_reason\":\"length\",\"http_attempts\":1,\"reasks\":0,"
                + "\"started\":\"2026-12-06T15:20:00Z\",\"completed\":\"2026-12-06T15:20:01Z\"}\n";
    }

    /**
     * A line as SynAlign wrote a GGUF reply cut off inside its grammar before commit 7590cda: an
     * invalid reply, its problem ending "(the GGUF reply ended before the grammar did: ...)", a
     * null finish reason.
     */
    private static String beforeLengthLine(ChatRequest req, String content) {
        return "{\"key\":\"" + RequestKeys.key("gguf", roomy.modelIdentity(), req) + "\",\"backend\":\"gguf\","
                + "\"model\":\"tiny16k.gguf\",\"schema\":" + schemaName(req) + ",\"attempt\":0,\"reask\":0,"
                + "\"messages_sha256\":\"" + RequestKeys.messagesDigest(req.messages()) + "\",\"content\":\""
                + content + "\",\"problem\":\"the reply was not valid JSON: unexpected end of input (the GGUF"
                + " reply ended before the grammar did: the token budget or the context ran out)\","
                + "\"finish_reason\":null,\"http_attempts\":1,\"reasks\":0,"
                + "\"started\":\"2026-11-21T16:00:00Z\",\"completed\":\"2026-11-21T16:00:01Z\"}\n";
    }

    private static String schemaName(ChatRequest req) {
        return req.responseSchema() == null ? "null" : "\"" + req.responseSchema().name() + "\"";
    }

    /** A model that must not decode: a replayed entry needs none. */
    private static ChatModel noDecoding(ChatModel m) {
        return new ForwardingChatModel(m) {
            @Override
            public ChatReply complete(ChatRequest request) {
                throw new AssertionError("decoded " + request.messages().get(0).content().length() + " characters");
            }
        };
    }

    @Test
    void theModelsDefaultBudgetIsThatOfTheDefaultContext() {
        ChatRequest req = longRequest(null, 1);
        int prompt = GgufChatModel.DEFAULT_CONTEXT - 1 - atDefault.replyBudget(req).getAsInt();
        assertTrue(prompt > 7_900 && prompt < 8_100, "prompt tokens " + prompt);
        assertEquals(atDefault.replyBudget(req), roomy.defaultReplyBudget(req), "8192's budget, whatever the context");
        assertEquals(atDefault.replyBudget(req), atDefault.defaultReplyBudget(req));
        assertEquals(GgufChatModel.DEFAULT_FREE_TEXT_TOKENS, roomy.replyBudget(req).getAsInt());
        assertEquals(8192, atDefault.contextSize(), "the default, capped by nothing under 16,384");
    }

    /**
     * A prompt that fits the context in force (16,384) but not the default (8192): the default
     * budget is none, and nothing is kept on the thread for a {@link GgufChatModel#replyBudget}
     * that the journal then does not ask. Kept (the old code), the request, a whole prompt, was
     * held by the thread until its next call, and a budget asked after the model closed came
     * from it as if the model were open.
     */
    @Test
    void aPromptThatFitsOnlyTheContextInForceKeepsNothingOnTheThread() {
        GgufChatModel m = GgufChatModel.open(file, options.withContextSize(TRAINED));
        ChatRequest req = beyondDefault(7);
        try {
            WeakReference<ChatRequest> letGo = defaultBudgetAskedAndLetGo(m);
            for (int i = 0; i < 50 && letGo.get() != null; i++) {
                System.gc();
            }
            assertTrue(letGo.get() == null, "a request asked about and let go is still held after 50 collections");
            assertTrue(m.replyBudget(req).isPresent(), "it fits the context in force");
            assertTrue(m.defaultReplyBudget(req).isEmpty(), "and not the default one");
        } finally {
            m.close();
        }
        assertTrue(m.replyBudget(req).isEmpty(), "the model is closed: no budget");
    }

    /**
     * The old free-text entry cut off under the default context, resumed at 16,384: asked again
     * (the oracle, the roomy model's own reply), its reply taking the entry's place with its
     * budget recorded; the old line stays (append-only); a resume at the default context then
     * replays the roomy reply without decoding.
     */
    @Test
    void aReplyCutOffBeforeBudgetsWereRecordedIsAskedAgainWhenThisContextGivesMore(@TempDir Path journalDir)
            throws IOException {
        ChatRequest req = longRequest(null, 3);
        String key = RequestKeys.key("gguf", roomy.modelIdentity(), req);
        String old = lengthLine(req, "aaaa");
        Files.writeString(journalDir.resolve(CallJournal.FILE), old);
        ChatReply whole = roomy.complete(req);
        assertTrue(whole.content().length() > 4, whole.content());
        try (CallJournal j = CallJournal.open(journalDir)) {
            assertTrue(j.lookup(key).cutOffWithoutBudget());
            ChatReply again = new JournaledChatModel(roomy, j).complete(req);
            assertFalse(again.fromJournal(), "asked again: 8192 left it less room than 16,384 gives");
            assertEquals(whole.content(), again.content());
            JournalEntry now = j.lookup(key);
            assertEquals(whole.content(), now.content(), "in the entry's place");
            assertEquals("length".equals(whole.finishReason()) ? Integer.valueOf(GgufChatModel.DEFAULT_FREE_TEXT_TOKENS)
                    : null, now.cutOffAt());
            assertTrue(j.cutOffWithoutBudgetNote().contains(": 1 GGUF reply was journaled as cut off at a token"
                    + " budget not recorded (by a SynAlign from before budgets were, which ran every GGUF model at"
                    + " its default context: the training context capped at 8192 tokens), so each was taken as cut"
                    + " off at that context's budget: 1 asked again, this run's context giving them more room, and 0"
                    + " replayed as journaled, this run's giving them no more"), j.cutOffWithoutBudgetNote());
        }
        List<String> lines = Files.readAllLines(journalDir.resolve(CallJournal.FILE), StandardCharsets.UTF_8);
        assertEquals(2, lines.size());
        assertEquals(old, lines.get(0) + "\n", "append-only: the old line stays as it was");
        byte[] after = Files.readAllBytes(journalDir.resolve(CallJournal.FILE));
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply replay = new JournaledChatModel(noDecoding(atDefault), j).complete(req);
            assertTrue(replay.fromJournal());
            assertEquals(whole.content(), replay.content(), "the later line wins on open");
            assertNull(j.cutOffWithoutBudgetNote(), "no entry without a budget was looked up");
        }
        assertArrayEquals(after, Files.readAllBytes(journalDir.resolve(CallJournal.FILE)));
    }

    /**
     * The same old entries where this run gives no more room: at the default context (what
     * wrote them), and a short prompt whose budget is its 512 free-text tokens under either
     * context: replayed as they were, nothing decoded, the file byte for byte; the note counts
     * them as replayed.
     */
    @Test
    void aReplyCutOffBeforeBudgetsWereRecordedReplaysWhenThisContextGivesNoMore(@TempDir Path journalDir)
            throws IOException {
        ChatRequest cramped = longRequest(null, 3);
        ChatRequest shortOne = hello(4);
        String old = lengthLine(cramped, "aaaa") + lengthLine(shortOne, "cut short");
        Files.writeString(journalDir.resolve(CallJournal.FILE), old);
        for (GgufChatModel m : List.of(atDefault, roomy)) {
            try (CallJournal j = CallJournal.open(journalDir)) {
                JournaledChatModel journaled = new JournaledChatModel(noDecoding(m), j);
                ChatReply replay = journaled.complete(shortOne);
                assertTrue(replay.fromJournal());
                assertEquals("cut short", replay.content());
                assertEquals("length", replay.finishReason());
                if (m == atDefault) {
                    assertEquals("aaaa", journaled.complete(cramped).content(), "the context that wrote it");
                }
                assertTrue(j.cutOffWithoutBudgetNote().endsWith(": 0 asked again, this run's context giving them"
                        + " more room, and " + (m == atDefault ? 2 : 1) + " replayed as journaled, this run's giving"
                        + " them no more"), j.cutOffWithoutBudgetNote());
            }
            assertEquals(old, Files.readString(journalDir.resolve(CallJournal.FILE)));
        }
    }

    /**
     * A samples reply cut off inside its grammar before GGUF replies reported {@code length}
     * (journaled as invalid, no finish reason), resumed at 16,384 inside the re-asking chain the
     * pipeline uses: the original ask is asked again and answers as the roomy model alone does,
     * rather than the old invalid reply being replayed into a re-ask.
     */
    @Test
    void anInvalidReplyThatEndedBeforeItsGrammarIsAskedAgainWhenThisContextGivesMore(@TempDir Path journalDir)
            throws IOException {
        ChatRequest req = longRequest(Schemas.SAMPLES, 5);
        String key = RequestKeys.key("gguf", roomy.modelIdentity(), req);
        assertTrue(roomy.defaultReplyBudget(req).getAsInt() < roomy.replyBudget(req).getAsInt(),
                "the grammar's longest reply outgrows what 8192 leaves");
        Files.writeString(journalDir.resolve(CallJournal.FILE), beforeLengthLine(req, "{\\\"samples\\\":[{\\\"te"));
        ChatReply alone = new ReaskingChatModel(roomy, 2).complete(req);
        try (CallJournal j = CallJournal.open(journalDir)) {
            assertTrue(j.lookup(key).cutOffWithoutBudget());
            ChatReply again = new ReaskingChatModel(new JournaledChatModel(roomy, j), 2).complete(req);
            assertFalse(again.fromJournal());
            assertEquals(alone.content(), again.content());
            assertEquals(alone.reasks(), again.reasks());
            assertFalse(j.lookup(key).cutOffWithoutBudget(), "the new reply took the old one's place");
        }
        // A server's cut-off reply records no budget either, and is not among these.
        JournalEntry server = new JournalEntry(key, "openai-compatible", "m", null, 0, 0, "d", "x", null, "length",
                1, 0, java.time.Instant.EPOCH, java.time.Instant.EPOCH);
        assertFalse(server.cutOffWithoutBudget());
    }
}
