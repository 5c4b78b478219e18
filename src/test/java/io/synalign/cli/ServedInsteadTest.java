package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatMessage;
import io.synalign.models.llm.ChatReply;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.FakeOpenAiServer;
import io.synalign.models.llm.JournaledChatModel;
import io.synalign.models.llm.MovableClock;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import io.synalign.models.llm.SamplingParams;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's provenance ({@link ServedInstead}) names what keyed the journal's entries, read from
 * the journal, not what the client says afterwards: a client whose server was unreached when
 * the journal was put in front of it asks again later
 * ({@link OpenAiCompatibleChatModel#servedModel}), and may then learn of other weights than the
 * record that keyed the run.
 */
class ServedInsteadTest {

    private static final String MODEL = "fake-model";
    private static final String LLAMA_PATH = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf";
    private static final long SIZE_A = 4912898304L;
    private static final long SIZE_B = 8540770304L;

    @TempDir
    Path dir;

    private static OpenAiCompatibleChatModel client(String base, Clock clock) {
        return OpenAiCompatibleChatModel.builder(base, MODEL).requestTimeout(Duration.ofSeconds(5)).clock(clock).build();
    }

    private static ChatRequest hello(int attempt) {
        return ChatRequest.of(List.of(ChatMessage.user("hello")), SamplingParams.DEFAULTS, null).withAttempt(attempt);
    }

    private static String weights(long size) {
        return FakeOpenAiServer.llamaCppModelList(LLAMA_PATH, 8030261312L, size);
    }

    @Test
    void theProvenanceNamesTheRecordThatKeyedTheRunNotTheClientsLaterAnswer() throws Exception {
        String base;
        try (FakeOpenAiServer server = new FakeOpenAiServer(null).modelList(weights(SIZE_A));
                CallJournal j = CallJournal.open(dir)) {
            base = server.baseUrl();
            OpenAiCompatibleChatModel first = client(base, Clock.systemUTC());
            new JournaledChatModel(first, j).complete(hello(0));
            ServedInstead s = ServedInstead.of(first, j);
            assertEquals(ServedInstead.SERVER, s.source(), "the server said, on this run");
            assertEquals(SIZE_A, s.model().weights().get("size"));
        }
        MovableClock clock = new MovableClock();
        OpenAiCompatibleChatModel m = client(base, clock); // the server is stopped: the record keys the run
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel journaled = new JournaledChatModel(m, j);
            try (FakeOpenAiServer server = FakeOpenAiServer.onPort(java.net.URI.create(base).getPort())
                    .modelList(weights(SIZE_B))) {
                ChatReply sent = journaled.complete(hello(1));
                assertFalse(sent.fromJournal());
                clock.advance(OpenAiCompatibleChatModel.SERVED_REASK_PACE);
                assertEquals(SIZE_B, m.servedModel().weights().get("size"), "the client has learnt of other weights");
                ServedInstead s = ServedInstead.of(m, j);
                assertEquals(ServedInstead.JOURNAL, s.source(), "the record keyed the entries");
                assertEquals(SIZE_A, s.model().weights().get("size"));
                assertEquals(journaled.modelIdentity(), s.model().identity());
            }
        }
        // Without a journal nothing is asked or named.
        assertNull(ServedInstead.of(client(base, Clock.systemUTC()), null));
    }
}
