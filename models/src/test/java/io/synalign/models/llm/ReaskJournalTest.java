package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.models.llm.FakeOpenAiServer.Fault;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-asks are journaled one by one: {@code ReaskingChatModel(JournaledChatModel(single ask))}
 * records every ask and re-ask, valid or not, with its re-ask index, so a resumed run sends none
 * of them again and ends with the same reply.
 */
class ReaskJournalTest {

    @TempDir
    Path dir;
    private FakeOpenAiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ChatModel singleAsk() {
        return OpenAiCompatibleChatModel.builder(server.baseUrl(), "fake-model").maxReasks(0)
                .requestTimeout(Duration.ofSeconds(5)).sleeper(new RecordingSleeper()).build();
    }

    private List<JsonNode> journalLines() throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(CallJournal.FILE), StandardCharsets.UTF_8)) {
            out.add(Json.MAPPER.readTree(line));
        }
        return out;
    }

    @Test
    void everyReaskIsItsOwnJournaledCallAndResumeSendsNone() throws Exception {
        server = new FakeOpenAiServer(null);
        // The first two asks of the conversation get invalid replies (a schema violation, then
        // malformed JSON); the third (re-ask 2) is valid.
        server.plan((d, seen) -> switch (server.requests.get()) {
            case 1 -> Fault.SCHEMA_VIOLATION;
            case 2 -> Fault.MALFORMED_JSON;
            default -> Fault.NONE;
        });
        ChatRequest request = OpenAiCompatibleChatModelTest.samplesRequest(3);
        ChatReply first;
        try (CallJournal j = CallJournal.open(dir)) {
            first = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(request);
            assertEquals(3, j.size(), "ask + 2 re-asks, each journaled");
            assertEquals(0, j.heldAtOpen());
            assertEquals(0, j.replayed());
            assertEquals(3, j.sent(), "each ask and re-ask counted as sent");
        }
        assertEquals(3, server.requests.get());
        assertEquals(2, first.reasks());
        assertEquals(3, first.httpAttempts());
        assertNotNull(first.json());

        List<JsonNode> lines = journalLines();
        assertEquals(List.of(0, 1, 2), lines.stream().map(l -> l.path("reask").asInt()).toList());
        assertTrue(lines.get(0).path("problem").asText().contains("$: required property 'samples' not found"),
                lines.get(0).toString());
        assertTrue(lines.get(1).path("problem").asText().contains("not valid JSON"), lines.get(1).toString());
        assertFalse(lines.get(2).has("problem"), "the valid reply has no problem");
        // Each re-ask carries the conversation so far: its messages differ from the ask's.
        assertEquals(3, lines.stream().map(l -> l.path("messages_sha256").asText()).distinct().count());

        // Resume: nothing is sent again (the server would now answer validly at once, which
        // would give a different reply if anything were re-sent).
        server.plan(FakeOpenAiServer.none());
        try (CallJournal j = CallJournal.open(dir)) {
            ChatReply again = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(request);
            assertEquals(first.content(), again.content());
            assertEquals(first.json(), again.json());
            assertEquals(2, again.reasks());
            assertTrue(again.fromJournal());
            assertEquals(3, j.size());
            assertEquals(3, j.heldAtOpen());
            assertEquals(3, j.replayed(), "the two invalid replies replayed count as replayed");
            assertEquals(0, j.sent());
        }
        assertEquals(3, server.requests.get(), "a resumed run re-sends no completed ask or re-ask");
    }

    @Test
    void aRunKilledBetweenReasksResumesAtTheNextReask() throws Exception {
        server = new FakeOpenAiServer(null);
        server.plan((d, seen) -> server.requests.get() == 1 ? Fault.SCHEMA_VIOLATION : Fault.NONE);
        ChatRequest request = OpenAiCompatibleChatModelTest.attributesRequest(5);
        // "Killed" after the invalid first ask: with no re-ask budget the call ends there, but
        // the invalid reply is journaled.
        try (CallJournal j = CallJournal.open(dir)) {
            assertThrows(InvalidReplyException.class,
                    () -> new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 0).complete(request));
            assertEquals(1, j.size());
        }
        assertEquals(1, server.requests.get());
        try (CallJournal j = CallJournal.open(dir)) {
            ChatReply r = new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 2).complete(request);
            assertEquals(1, r.reasks());
            assertFalse(r.fromJournal());
            assertEquals(2, j.size());
            assertEquals(1, j.replayed(), "the journaled invalid ask");
            assertEquals(1, j.sent(), "re-ask 1");
        }
        assertEquals(2, server.requests.get(), "only re-ask 1 was sent; the journaled ask was replayed");
        // The re-ask sent carried the journaled invalid reply and the correction.
        JsonNode msgs = server.bodies.get(1).path("messages");
        assertEquals("assistant", msgs.get(msgs.size() - 2).path("role").asText());
        assertEquals("{\"wrong\": 42}", msgs.get(msgs.size() - 2).path("content").asText());
        assertTrue(msgs.get(msgs.size() - 1).path("content").asText().startsWith("Your previous reply was invalid"));
    }

    @Test
    void exhaustedReasksFailTheSameWayOnResume() throws Exception {
        server = new FakeOpenAiServer(null).plan((d, seen) -> Fault.SCHEMA_VIOLATION);
        ChatRequest request = OpenAiCompatibleChatModelTest.samplesRequest(9);
        InvalidReplyException e1;
        try (CallJournal j = CallJournal.open(dir)) {
            e1 = assertThrows(InvalidReplyException.class,
                    () -> new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 1).complete(request));
        }
        assertEquals(2, server.requests.get());
        assertTrue(e1.getMessage().contains("after 2 asks (1 re-asks)"), e1.getMessage());
        try (CallJournal j = CallJournal.open(dir)) {
            InvalidReplyException e2 = assertThrows(InvalidReplyException.class,
                    () -> new ReaskingChatModel(new JournaledChatModel(singleAsk(), j), 1).complete(request));
            assertEquals(e1.getMessage(), e2.getMessage());
        }
        assertEquals(2, server.requests.get());
    }

    @Test
    void reaskIndexIsPartOfTheKeyOnlyWhenNonZero() {
        ChatRequest r = OpenAiCompatibleChatModelTest.samplesRequest(1);
        String k0 = RequestKeys.key("b", "m", r);
        assertEquals(k0, RequestKeys.key("b", "m", r.reask(0, r.messages())));
        assertTrue(!k0.equals(RequestKeys.key("b", "m", r.reask(1, r.messages()))));
        assertThrows(IllegalArgumentException.class, () -> r.reask(-1, r.messages()));
        assertNull(new ChatRequest(r.messages(), r.sampling(), null, 0).responseSchema());
    }
}
