package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF reply journaled as cut off at its token budget is asked again by a resumed run whose
 * context grants the request a larger budget (the cut-off warning's advice, a larger
 * {@code --gguf-context}, taken on a run resumed from the same journal), and its reply takes the
 * entry's place; complete replies, and entries whose budget is not larger or not known (journals
 * written before budgets were recorded, a server's replies), replay as they did, under the keys
 * they had.
 *
 * <p>One model file (the same identity, so the same keys) opened with three contexts: the
 * training context (4096, roomy) and two small ones. The oracle of an asked-again reply is the
 * roomy model's own reply to the request, asked without a journal (seeded: the same tokens).
 */
class GgufJournalBudgetTest {

    /** "hello" in the fallback format is about 30 byte tokens: a free-text reply gets about 30. */
    static final int SMALL_CONTEXT = 64;
    /** The samples prompt (about 95 tokens) leaves a reply 54 tokens: most seeds' first sample outgrows it. */
    static final int TIGHT_CONTEXT = 150;
    /** The samples prompt leaves a reply 160 tokens, which a few seeds' replies fit. */
    static final int SHORT_CONTEXT = 256;
    static final int SEEDS = 16;

    @TempDir
    static Path dir;
    static GgufChatModel roomy;
    static GgufChatModel small;
    static GgufChatModel tight;
    static GgufChatModel shortish;

    @BeforeAll
    static void load() throws IOException {
        Path file = TinyGgufWriter.write(dir.resolve("tiny.gguf"), TinyGgufWriter.Spec.tiny(11));
        roomy = open(file, 4096);
        small = open(file, SMALL_CONTEXT);
        tight = open(file, TIGHT_CONTEXT);
        shortish = open(file, SHORT_CONTEXT);
    }

    static GgufChatModel open(Path f, int context) {
        return GgufChatModel.open(f, GgufChatModel.Options.defaults().withThreads(2)
                .withBounds(GgufChatModelTest.BOUNDS).withContextSize(context));
    }

    @AfterAll
    static void close() {
        for (GgufChatModel m : new GgufChatModel[] {roomy, small, tight, shortish}) {
            if (m != null) {
                m.close();
            }
        }
    }

    private static ChatRequest hello(long seed) {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), new SamplingParams(1.0, null, null, seed), null);
    }

    /**
     * The key of {@link #hello} as GGUF journals have been keyed (no context, no budget in it):
     * SHA-256 of the canonical JSON written out here, independently of {@link RequestKeys}.
     */
    private static String oldHelloKey(long seed) throws Exception {
        String canonical = "{\"attempt\":0,\"backend\":\"gguf\",\"messages\":[{\"content\":\"hello\","
                + "\"role\":\"user\"}],\"model\":\"" + roomy.modelIdentity() + "\",\"sampling\":{\"seed\":" + seed
                + ",\"temperature\":1.0},\"schema\":null,\"v\":1}";
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(canonical.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> lines(Path journalDir) throws IOException {
        return Files.readAllLines(journalDir.resolve(CallJournal.FILE), StandardCharsets.UTF_8);
    }

    /** A model that must not decode: a replayed entry needs none. */
    private static ChatModel noDecoding(ChatModel m, AtomicInteger budgetsAsked) {
        return new ForwardingChatModel(m) {
            @Override
            public ChatReply complete(ChatRequest request) {
                throw new AssertionError("decoded " + request.messages());
            }

            @Override
            public java.util.OptionalInt replyBudget(ChatRequest request) {
                budgetsAsked.incrementAndGet();
                return delegate.replyBudget(request);
            }
        };
    }

    @Test
    void aReplyCutOffUnderASmallContextIsAskedAgainUnderALargerOneAndTakesItsPlace(@TempDir Path journalDir)
            throws Exception {
        ChatRequest req = hello(3);
        String key = oldHelloKey(3);
        int smallBudget = small.replyBudget(req).getAsInt();
        int roomyBudget = roomy.replyBudget(req).getAsInt();
        assertTrue(smallBudget < 40 && roomyBudget == GgufChatModel.DEFAULT_FREE_TEXT_TOKENS,
                smallBudget + " / " + roomyBudget);
        ChatReply cut;
        try (CallJournal j = CallJournal.open(journalDir)) {
            cut = new JournaledChatModel(small, j).complete(req);
            assertEquals("length", cut.finishReason(), cut.content());
            assertEquals(Integer.valueOf(smallBudget), j.lookup(key).cutOffAt(), "the old key, the budget recorded");
        }
        List<String> first = lines(journalDir);
        assertEquals(1, first.size());
        assertTrue(first.get(0).contains(",\"cut_off_at_tokens\":" + smallBudget + ","), first.get(0));

        ChatReply whole = roomy.complete(req); // the oracle: the same request given the larger budget
        assertTrue(whole.content().length() > cut.content().length(), whole.content());
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply again = new JournaledChatModel(roomy, j).complete(req);
            assertFalse(again.fromJournal(), "asked again: the journaled reply had less room");
            assertEquals(whole.content(), again.content());
            assertEquals(whole.content(), j.lookup(key).content(), "in the entry's place");
            assertEquals(1, j.size());
        }
        List<String> second = lines(journalDir);
        assertEquals(2, second.size());
        assertEquals(first.get(0), second.get(0), "append-only: the first line stays as it was");
        byte[] afterSecond = Files.readAllBytes(journalDir.resolve(CallJournal.FILE));

        // Back to the small context, or a model that cannot say: the larger reply replays.
        AtomicInteger asked = new AtomicInteger();
        for (ChatModel m : List.of(small, noDecoding(roomy, asked))) {
            try (CallJournal j = CallJournal.open(journalDir)) {
                ChatReply replay = new JournaledChatModel(m, j).complete(req);
                assertTrue(replay.fromJournal());
                assertEquals(whole.content(), replay.content(), "the later line wins on open");
            }
        }
        // Cut off again at the roomy budget: asked once, and not larger than the one recorded.
        assertEquals("length".equals(whole.finishReason()) ? 1 : 0, asked.get());
        assertArrayEquals(afterSecond, Files.readAllBytes(journalDir.resolve(CallJournal.FILE)), "nothing sent");
    }

    /**
     * The budget of the call a thread just made is known without the model's lock: a cut-off
     * reply was held off the journal while the thread queued again (the lock is fair) behind
     * other calls' whole generations. Shown on a model closed after the call, which cannot count
     * a prompt: the call's own budget still comes back, another request's does not.
     */
    @Test
    void theBudgetOfTheCallJustMadeNeedsNoSecondTurnAtTheModel() throws IOException {
        Path file = TinyGgufWriter.write(dir.resolve("tiny-closed.gguf"), TinyGgufWriter.Spec.tiny(11));
        GgufChatModel m = open(file, SMALL_CONTEXT);
        ChatRequest asked = hello(3);
        java.util.OptionalInt before;
        try {
            before = m.replyBudget(asked);
            m.complete(asked);
        } finally {
            m.close();
        }
        assertTrue(before.isPresent());
        assertEquals(before, m.replyBudget(asked), "the call's own budget, after the model closed");
        assertTrue(m.replyBudget(hello(4)).isEmpty(), "another request needs the (closed) model");
    }

    /**
     * A complete reply's budget is not kept for the thread: only a cut-off reply's is asked next
     * (a journal records it). Kept (the old code), it held the request until the thread's next
     * call and answered a budget asked after the model closed as if it were open.
     */
    @Test
    void aCompleteReplysBudgetIsNotKeptForTheThread() throws IOException {
        Path file = TinyGgufWriter.write(dir.resolve("tiny-complete.gguf"), TinyGgufWriter.Spec.tiny(11));
        GgufChatModel m = open(file, 4096);
        ChatRequest asked = ChatRequest.of(List.of(ChatMessage.user("hello")),
                new SamplingParams(1.0, null, null, 3L), Schemas.ATTRIBUTES);
        ChatReply reply;
        try {
            assertTrue(m.replyBudget(asked).isPresent());
            reply = m.complete(asked);
        } finally {
            m.close();
        }
        assertEquals("stop", reply.finishReason(), "the grammar ended within its budget: " + reply.content());
        assertTrue(m.replyBudget(asked).isEmpty(), "the model is closed: no budget");
    }

    /**
     * A journal written before budgets were recorded (its cut-off GGUF entry has none): the same
     * key finds it and it replays as it did, the file byte for byte: it is taken as cut off at the
     * budget of the default context (for this model trained on 4096 tokens, 4096), which this
     * context does not exceed ({@link GgufOldJournalTest} has a context that does).
     */
    @Test
    void aCutOffEntryWithoutABudgetReplaysAsItDid(@TempDir Path journalDir) throws Exception {
        ChatRequest req = hello(4);
        String line = "{\"key\":\"" + oldHelloKey(4) + "\",\"backend\":\"gguf\",\"model\":\"tiny.gguf\",\"schema\":null,"
                + "\"attempt\":0,\"reask\":0,\"messages_sha256\":\"" + RequestKeys.messagesDigest(req.messages())
                + "\",\"content\":\"cut short\",\"finish_reason\":\"length\",\"http_attempts\":1,\"reasks\":0,"
                + "\"started\":\"2026-12-01T00:00:00Z\",\"completed\":\"2026-12-01T00:00:01Z\"}\n";
        Files.writeString(journalDir.resolve(CallJournal.FILE), line);
        AtomicInteger asked = new AtomicInteger();
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply replay = new JournaledChatModel(noDecoding(roomy, asked), j).complete(req);
            assertTrue(replay.fromJournal());
            assertEquals("cut short", replay.content());
            assertEquals("length", replay.finishReason());
            assertNull(j.lookup(oldHelloKey(4)).cutOffAt());
        }
        assertEquals(line, Files.readString(journalDir.resolve(CallJournal.FILE)));
    }

    /**
     * A complete reply journaled under a short context replays under the roomy one, without
     * decoding and without asking the budget: it had room enough.
     */
    @Test
    void aCompleteReplyReplaysUnderALargerContext(@TempDir Path journalDir) throws Exception {
        ChatRequest req = null;
        for (long seed = 1; seed <= SEEDS && req == null; seed++) {
            ChatRequest r = GgufChatModelTest.request(Schemas.SAMPLES, seed);
            try {
                if ("stop".equals(shortish.complete(r).finishReason())) {
                    req = r;
                }
            } catch (InvalidReplyException e) {
                // cut off with no complete sample: not this one
            }
        }
        assertTrue(req != null, "no seed up to " + SEEDS + " gave a complete reply in " + SHORT_CONTEXT + " tokens");
        ChatReply first;
        try (CallJournal j = CallJournal.open(journalDir)) {
            first = new ReaskingChatModel(new JournaledChatModel(shortish, j), 2).complete(req);
        }
        byte[] journaled = Files.readAllBytes(journalDir.resolve(CallJournal.FILE));
        assertFalse(new String(journaled, StandardCharsets.UTF_8).contains("cut_off_at_tokens"));
        AtomicInteger asked = new AtomicInteger();
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply replay = new ReaskingChatModel(new JournaledChatModel(noDecoding(roomy, asked), j), 2)
                    .complete(req);
            assertTrue(replay.fromJournal());
            assertEquals(first.content(), replay.content());
        }
        assertEquals(0, asked.get());
        assertArrayEquals(journaled, Files.readAllBytes(journalDir.resolve(CallJournal.FILE)));
    }

    /**
     * A samples reply cut off before its first sample ended (an invalid entry, then the fresh
     * re-asks after it) under a tight context: the roomy run asks the original again, and its
     * reply, complete, answers the request without re-asks, as the roomy model alone does.
     */
    @Test
    void anInvalidCutOffReplyIsAskedAgainUnderALargerContext(@TempDir Path journalDir) throws Exception {
        ChatRequest req = null;
        for (long seed = 1; seed <= SEEDS && req == null; seed++) {
            ChatRequest r = GgufChatModelTest.request(Schemas.SAMPLES, seed);
            try {
                tight.complete(r);
            } catch (InvalidReplyException e) {
                if (e.cutOff() && "stop".equals(roomy.complete(r).finishReason())) {
                    req = r;
                }
            }
        }
        assertTrue(req != null, "no seed up to " + SEEDS + " was cut off with no complete sample");
        String key = RequestKeys.key("gguf", roomy.modelIdentity(), req);
        try (CallJournal j = CallJournal.open(journalDir)) {
            try {
                new ReaskingChatModel(new JournaledChatModel(tight, j), 2).complete(req);
            } catch (ChatModelException e) {
                // the fresh re-ask's prompt, longer by its note, does not fit 150 tokens: the
                // original ask is journaled all the same
            }
            JournalEntry entry = j.lookup(key);
            assertTrue(entry.problem() != null && entry.cutOffAt() == tight.replyBudget(req).getAsInt(),
                    entry.toString());
        }
        ChatReply whole = roomy.complete(req);
        try (CallJournal j = CallJournal.open(journalDir)) {
            ChatReply again = new ReaskingChatModel(new JournaledChatModel(roomy, j), 2).complete(req);
            assertFalse(again.fromJournal());
            assertEquals(0, again.reasks(), "the original ask answered, not a re-ask replayed");
            assertEquals(whole.content(), again.content());
            assertNull(j.lookup(key).problem());
        }
    }
}
