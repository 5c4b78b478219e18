package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link OpenAiCompatibleChatModel#servedModel} remembers: a server's answer for the
 * client's life, a server not reached for {@link OpenAiCompatibleChatModel#SERVED_REASK_PACE}
 * (then asked again), an interrupted asking not at all; and that a journal keeps the identity
 * it keyed its entries by, whatever the client answers afterwards.
 *
 * <p>"Not reached" is a stopped server (connection refused) at a port a server later listens on
 * again; the pace is read from a clock the test moves, so nothing here waits for it.
 */
class ServedModelReaskTest {

    private static final String MODEL = "fake-model";
    private static final String LLAMA_PATH = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf";
    private static final String WEIGHTS_A = FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 4912898304L);
    private static final String WEIGHTS_B = FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, 8540770304L);

    @TempDir
    Path dir;

    private static OpenAiCompatibleChatModel client(String baseUrl, Clock clock) {
        return OpenAiCompatibleChatModel.builder(baseUrl, MODEL).requestTimeout(Duration.ofSeconds(5))
                .sleeper(new RecordingSleeper()).clock(clock).build();
    }

    private static ChatRequest hello() {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), SamplingParams.DEFAULTS, null);
    }

    /** The base URL of a server that was started and stopped: nothing listens there now. */
    private static String stoppedServer() throws Exception {
        try (FakeOpenAiServer s = new FakeOpenAiServer(null)) {
            return s.baseUrl();
        }
    }

    private static int portOf(String baseUrl) {
        return java.net.URI.create(baseUrl).getPort();
    }

    /**
     * Unreached: given again without asking within the pace, asked again after it; the answer
     * then had is remembered and never asked again, however much later.
     */
    @Test
    void anUnreachedServerIsAskedAgainAfterThePaceAndItsAnswerIsThenKept() throws Exception {
        String base = stoppedServer();
        MovableClock clock = new MovableClock();
        OpenAiCompatibleChatModel m = client(base, clock);
        assertEquals(ServedModel.Kind.UNREACHABLE, m.servedModel().kind());
        assertEquals(ModelIdentity.Source.UNSAID, m.identify().source());
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(WEIGHTS_A)) {
            clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE.minusSeconds(1));
            assertEquals(ServedModel.Kind.UNREACHABLE, m.servedModel().kind(), "within the pace: not asked");
            assertEquals(0, server.modelListings.get());
            clock.advance(Duration.ofSeconds(1));
            ServedModel now = m.servedModel();
            assertEquals(ServedModel.Kind.OTHER, now.kind(), "after the pace: asked, and the server answered");
            assertEquals(ModelIdentity.Source.SERVED, m.identify().source());
            assertEquals(1, server.modelListings.get());
            clock.advance(Duration.ofDays(1));
            assertEquals(now, m.servedModel());
            assertEquals(now.identity(), m.modelIdentity());
            assertEquals(1, server.modelListings.get(), "an answer is kept: never asked again");
        }
    }

    /** A server that stays down costs one asking per pace, however many callers ask meanwhile. */
    @Test
    void aServerThatStaysDownIsAskedOncePerPace() throws Exception {
        String base = stoppedServer();
        MovableClock clock = new MovableClock();
        OpenAiCompatibleChatModel m = client(base, clock);
        ServedModel first = m.servedModel();
        for (int i = 0; i < 5; i++) {
            assertEquals(first, m.servedModel(), "the same unreached answer, not asked");
        }
        clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE);
        ServedModel second = m.servedModel();
        assertEquals(ServedModel.Kind.UNREACHABLE, second.kind());
        // Asked again: a connection refused anew (the same words), and the pace starts over.
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(WEIGHTS_A)) {
            clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE.minusSeconds(1));
            assertEquals(ServedModel.Kind.UNREACHABLE, m.servedModel().kind(), "the pace counts from the last asking");
            assertEquals(0, server.modelListings.get());
        }
    }

    /**
     * A listing answered with a 5xx status (a gateway whose server is down) is paced as a server
     * not reached: asked again after the pace, its answer then kept; meanwhile the entries are
     * keyed by the name (the server is up, and may serve other weights than any record says).
     * A 4xx (a server without the route) is an answer, kept for the client's life.
     */
    @Test
    void aListingAnsweredWithA5xxIsAskedAgainAfterThePaceAndA4xxIsKept() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(502, "<html>Bad Gateway</html>")) {
            MovableClock clock = new MovableClock();
            OpenAiCompatibleChatModel m = client(server.baseUrl(), clock);
            ServedModel first = m.servedModel();
            assertEquals(ServedModel.Kind.UNKNOWN, first.kind(), first.toString());
            assertEquals(ModelIdentity.Source.UNCLEAR, m.identify().source());
            assertEquals(MODEL, m.modelIdentity());
            server.modelList(WEIGHTS_A);
            clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE.minusSeconds(1));
            assertEquals(first, m.servedModel(), "within the pace: not asked");
            assertEquals(1, server.modelListings.get());
            clock.advance(Duration.ofSeconds(1));
            assertEquals(ServedModel.Kind.OTHER, m.servedModel().kind(), "after the pace: asked again");
            assertEquals(2, server.modelListings.get());
        }
        try (FakeOpenAiServer server = new FakeOpenAiServer(null)) { // 404: no /models route
            MovableClock clock = new MovableClock();
            OpenAiCompatibleChatModel m = client(server.baseUrl(), clock);
            assertEquals(ServedModel.Kind.UNKNOWN, m.servedModel().kind());
            server.modelList(WEIGHTS_A);
            clock.advance(Duration.ofDays(1));
            assertEquals(ServedModel.Kind.UNKNOWN, m.servedModel().kind(), "an answer: kept");
            assertEquals(1, server.modelListings.get());
        }
    }

    /**
     * A server still loading its model when the retries are spent is asked again after the
     * pace, and the weights it then lists are kept.
     */
    @Test
    void aServerStillLoadingAfterTheRetriesIsAskedAgainAfterThePace() throws Exception {
        String loading = "{\"object\":\"list\",\"data\":[{\"id\":\"" + LLAMA_PATH.replace("\\", "\\\\")
                + "\",\"object\":\"model\",\"meta\":null}]}";
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(loading)) {
            MovableClock clock = new MovableClock();
            OpenAiCompatibleChatModel m = client(server.baseUrl(), clock);
            assertEquals(ServedModel.Kind.LOADING, m.servedModel().kind());
            int asked = server.modelListings.get();
            server.modelList(WEIGHTS_A);
            clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE.minusSeconds(1));
            assertEquals(ServedModel.Kind.LOADING, m.servedModel().kind(), "within the pace: not asked");
            assertEquals(asked, server.modelListings.get());
            clock.advance(Duration.ofSeconds(1));
            assertEquals(ServedModel.Kind.OTHER, m.servedModel().kind(), "after the pace: asked again");
            assertEquals(ModelIdentity.Source.SERVED, m.identify().source());
        }
    }

    /** An asking cut short by an interrupt is not kept: the next caller asks at once. */
    @Test
    void anInterruptedAskingIsNotKept() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            OpenAiCompatibleChatModel m = client(server.baseUrl(), new MovableClock());
            Thread.currentThread().interrupt();
            ServedModel cut;
            try {
                cut = m.servedModel();
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status is kept for the caller");
            }
            assertFalse(cut.said(), cut.toString());
            ServedModel asked = m.servedModel();
            assertEquals(ServedModel.Kind.OTHER, asked.kind(), "asked again at once, no pace: " + asked);
            assertEquals(asked.identity(), m.modelIdentity());
        }
    }

    /**
     * The journal's identity is the one it was given when the journaled model was built: the
     * client then learning more (its server up, with other weights than the record names) does
     * not re-key the entries, move the record, or change what the journal says keyed them; a new
     * run (a new journaled model) keys by the server's answer and replaces the record.
     */
    @Test
    void aFresherAnswerAfterTheJournalKeyedItsEntriesChangesNeitherTheKeysNorWhatTheJournalSays()
            throws Exception {
        String base;
        String identityA;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(WEIGHTS_A)) {
            base = server.baseUrl();
            try (CallJournal j = CallJournal.open(dir)) {
                JournaledChatModel first = new JournaledChatModel(client(base, Clock.systemUTC()), j);
                first.complete(hello());
                identityA = first.modelIdentity();
            }
        }
        String recordA = Files.readString(dir.resolve(CallJournal.SERVED_FILE));
        MovableClock clock = new MovableClock();
        OpenAiCompatibleChatModel m = client(base, clock); // the server is stopped
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel journaled = new JournaledChatModel(m, j);
            assertEquals(identityA, journaled.modelIdentity(), "unreached: keyed by the record");
            try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(WEIGHTS_B)) {
                ChatReply reply = journaled.complete(hello().withAttempt(1));
                assertFalse(reply.fromJournal(), "sent to the server, now up");
                clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE);
                assertEquals(ServedModel.fromListing(MODEL, WEIGHTS_B).identity(), m.modelIdentity(),
                        "the client learnt the weights it serves now");
                assertEquals(identityA, journaled.modelIdentity(), "the journal's keys are what they were");
                assertEquals(identityA, j.recordedIdentityInUse(m.backend(), MODEL, m.server()),
                        "what keyed the entries, for the run's provenance");
                assertNull(j.servedIdentityInUse(m.backend(), MODEL, m.server()));
                assertEquals(recordA, Files.readString(dir.resolve(CallJournal.SERVED_FILE)), "the record unmoved");
                assertNotNull(j.lookup(RequestKeys.key(m.backend(), identityA, hello().withAttempt(1))),
                        "the entry is under the journal's identity");
            }
        }
        try (FakeOpenAiServer server = FakeOpenAiServer.onPort(portOf(base)).modelList(WEIGHTS_B);
                CallJournal j = CallJournal.open(dir)) {
            OpenAiCompatibleChatModel next = client(base, Clock.systemUTC());
            JournaledChatModel journaled = new JournaledChatModel(next, j);
            assertNotEquals(identityA, journaled.modelIdentity(), "a new run keys by what the server says");
            assertEquals(journaled.modelIdentity(), j.servedIdentityInUse(next.backend(), MODEL, next.server()));
            assertNull(j.recordedIdentityInUse(next.backend(), MODEL, next.server()));
        }
    }
}
