package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallJournalTest {

    @TempDir
    Path dir;
    private FakeOpenAiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private ChatModel client() {
        return OpenAiCompatibleChatModel.builder(server.baseUrl(), "fake-model")
                .requestTimeout(Duration.ofSeconds(5)).sleeper(new RecordingSleeper()).build();
    }

    private static List<ChatRequest> requests(int n) {
        List<ChatRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i % 3 == 0 ? OpenAiCompatibleChatModelTest.attributesRequest(i)
                    : OpenAiCompatibleChatModelTest.samplesRequest(i));
        }
        return out;
    }

    @Test
    void resumedRunSendsNothingAlreadyJournaled() throws Exception {
        server = new FakeOpenAiServer(null);
        List<ChatRequest> reqs = requests(12);
        List<ChatReply> first;
        try (CallJournal j = CallJournal.open(dir)) {
            first = new ConcurrentChatExecutor(new JournaledChatModel(client(), j), 4).completeAll(reqs);
            assertEquals(12, j.size());
        }
        assertEquals(12, server.requests.get());
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals(12, j.size());
            List<ChatReply> again = new ConcurrentChatExecutor(new JournaledChatModel(client(), j), 4).completeAll(reqs);
            assertEquals(12, server.requests.get(), "a resumed run must not re-send journaled calls");
            for (int i = 0; i < 12; i++) {
                assertTrue(again.get(i).fromJournal());
                assertEquals(first.get(i).content(), again.get(i).content());
                assertEquals(first.get(i).json(), again.get(i).json());
            }
            // A new attempt index is a new call.
            new JournaledChatModel(client(), j).complete(reqs.get(0).withAttempt(1));
            assertEquals(13, server.requests.get());
        }
        List<String> lines = Files.readAllLines(dir.resolve(CallJournal.FILE));
        assertEquals(13, lines.size());
        assertTrue(lines.get(0).contains("\"key\":\"") && lines.get(0).contains("\"completed\":\""), lines.get(0));
    }

    /**
     * A run refused after its journal opened (bad input found later) left a new, empty journal
     * directory behind; now what open created goes when nothing was appended, and nothing else.
     */
    @Test
    void aJournalClosedWithoutAnAppendLeavesOnlyWhatWasThereBefore() throws Exception {
        Path fresh = dir.resolve("a/b/journal");
        CallJournal.open(fresh).close();
        assertTrue(Files.notExists(fresh), "a new directory, unused, is removed");
        assertTrue(Files.isDirectory(dir.resolve("a/b")), "its parents are the caller's (as mkdir -p left them)");

        Path existing = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(existing.resolve("notes.txt"), "kept");
        CallJournal.open(existing).close();
        try (var list = Files.list(existing)) {
            assertEquals(List.of("notes.txt"), list.map(p -> p.getFileName().toString()).toList());
        }

        server = new FakeOpenAiServer(null);
        try (CallJournal j = CallJournal.open(fresh)) {
            new JournaledChatModel(client(), j).complete(requests(1).get(0));
        }
        assertEquals(1, Files.readAllLines(fresh.resolve(CallJournal.FILE)).size());
        CallJournal.open(fresh).close(); // a replay that appends nothing keeps the journal
        assertEquals(1, Files.readAllLines(fresh.resolve(CallJournal.FILE)).size());
        assertTrue(Files.exists(fresh.resolve(CallJournal.LOCK_FILE)));
    }

    /**
     * A key's later line takes its place only over an entry cut off at a recorded budget, and only
     * with more room (not cut off, or cut off at a larger budget), or over a GGUF entry cut off
     * with none recorded (an old journal's) when it is complete or records its budget; otherwise
     * (a server's cut-off reply, which records no budget, among them) the first line stays, as it
     * always has, on open and on append (which then writes nothing).
     */
    @Test
    void aLaterLineTakesAKeysPlaceOnlyOverAReplyCutOffAtASmallerRecordedBudget() throws Exception {
        String plain = "a".repeat(64);
        String cut = "b".repeat(64);
        java.util.function.BiFunction<String, Object[], JournalEntry> entry = (key, v) -> new JournalEntry(key, "gguf",
                "m.gguf", null, 0, 0, key, (String) v[0], null, (String) v[1], 1, 0, java.time.Instant.EPOCH,
                java.time.Instant.EPOCH, (Integer) v[2]);
        java.util.function.BiFunction<String, String, JournalEntry> server = (key, content) -> new JournalEntry(key,
                "openai-compatible", "m", null, 0, 0, key, content, null, content.equals("first") ? "length" : "stop",
                1, 0, java.time.Instant.EPOCH, java.time.Instant.EPOCH, null);
        String old = "c".repeat(64);
        StringBuilder file = new StringBuilder();
        for (JournalEntry e : List.of(
                server.apply(plain, "first"), // no budget: a server's
                server.apply(plain, "second"),
                entry.apply(old, new Object[] {"old cut", "length", null}), // no budget: an old GGUF journal's
                entry.apply(old, new Object[] {"old cut again", "length", null}),
                entry.apply(old, new Object[] {"asked again at 50", "length", 50}),
                entry.apply(cut, new Object[] {"cut at 30", "length", 30}),
                entry.apply(cut, new Object[] {"cut at 20", "length", 20}),
                entry.apply(cut, new Object[] {"cut at 40", "length", 40}),
                entry.apply(cut, new Object[] {"cut at 35", "length", 35}))) {
            file.append(Json.write(e.toJson())).append('\n');
        }
        Files.writeString(dir.resolve(CallJournal.FILE), file);
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals(3, j.size());
            assertEquals("first", j.lookup(plain).content());
            assertEquals("asked again at 50", j.lookup(old).content());
            assertEquals("cut at 40", j.lookup(cut).content());
            j.append(server.apply(plain, "third"));
            j.append(entry.apply(cut, new Object[] {"cut at 40 again", "length", 40}));
            assertEquals(file.toString(), Files.readString(dir.resolve(CallJournal.FILE)), "nothing appended");
            j.append(entry.apply(cut, new Object[] {"whole", "stop", null}));
            assertEquals("whole", j.lookup(cut).content());
            j.append(entry.apply(cut, new Object[] {"cut at 99", "length", 99}));
            assertEquals("whole", j.lookup(cut).content(), "a complete reply stays");
        }
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals("whole", j.lookup(cut).content());
        }
        assertEquals(10, Files.readAllLines(dir.resolve(CallJournal.FILE)).size());
    }

    @Test
    void tornLastLineIsIgnoredAndTruncated() throws Exception {
        server = new FakeOpenAiServer(null);
        List<ChatRequest> reqs = requests(3);
        try (CallJournal j = CallJournal.open(dir)) {
            new ConcurrentChatExecutor(new JournaledChatModel(client(), j), 1).completeAll(reqs);
        }
        Path file = dir.resolve(CallJournal.FILE);
        String whole = Files.readString(file);
        List<String> lines = Files.readAllLines(file);
        // Simulate kill -9 in the middle of writing a 4th entry: half of a line, no newline.
        Files.writeString(file, lines.get(1).substring(0, lines.get(1).length() / 2), StandardOpenOption.APPEND);
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals(3, j.size());
            assertEquals(whole, Files.readString(file), "the torn tail is truncated away");
            new ConcurrentChatExecutor(new JournaledChatModel(client(), j), 1).completeAll(requests(4));
            assertEquals(4, server.requests.get());
        }
        assertEquals(4, Files.readAllLines(file).size());
        for (String l : Files.readAllLines(file)) {
            FakeOpenAiServer.MAPPER.readTree(l); // every line parses
        }
    }

    @Test
    void damagedMiddleLineIsAnError() throws Exception {
        server = new FakeOpenAiServer(null);
        try (CallJournal j = CallJournal.open(dir)) {
            new ConcurrentChatExecutor(new JournaledChatModel(client(), j), 1).completeAll(requests(2));
        }
        Path file = dir.resolve(CallJournal.FILE);
        List<String> lines = Files.readAllLines(file);
        Files.writeString(file, "garbage\n" + lines.get(1) + "\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CallJournal.open(dir));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void secondOpenOfALockedJournalFailsNamingTheDirectory() throws IOException {
        try (CallJournal j = CallJournal.open(dir)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CallJournal.open(dir));
            assertTrue(e.getMessage().contains(dir.toAbsolutePath().normalize().toString()), e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        // Released on close: opens again.
        CallJournal.open(dir).close();
    }

    @Test
    void keysCoverEverythingThatDeterminesTheReply() {
        ChatRequest r = OpenAiCompatibleChatModelTest.samplesRequest(1);
        String k = RequestKeys.key("openai-compatible", "m", r);
        assertEquals(k, RequestKeys.key("openai-compatible", "m", OpenAiCompatibleChatModelTest.samplesRequest(1)));
        assertTrue(k.matches("[0-9a-f]{64}"));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m2", r));
        assertNotEquals(k, RequestKeys.key("other", "m", r));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m", r.withAttempt(1)));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m",
                new ChatRequest(r.messages(), r.sampling().withSeed(5L), r.responseSchema(), 0)));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m",
                new ChatRequest(r.messages(), new SamplingParams(0.8, 0.95, 512, 1001L), r.responseSchema(), 0)));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m",
                r.withMessages(List.of(ChatMessage.user("other")))));
        assertNotEquals(k, RequestKeys.key("openai-compatible", "m",
                new ChatRequest(r.messages(), r.sampling(), Schemas.ATTRIBUTES, 0)));
    }

    @Test
    void journalHoldsNoHeadersOrKey() throws Exception {
        String key = "sk-journal-" + Long.toHexString(System.nanoTime());
        server = new FakeOpenAiServer(key);
        try (CallJournal j = CallJournal.open(dir)) {
            ChatModel m = OpenAiCompatibleChatModel.builder(server.baseUrl(), "fake-model")
                    .apiKeyEnv("K").environment(Map.of("K", key)::get).sleeper(new RecordingSleeper()).build();
            new JournaledChatModel(m, j).complete(requests(1).get(0));
        }
        String text = Files.readString(dir.resolve(CallJournal.FILE), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"content\""));
        assertEquals(-1, text.indexOf(key));
        assertEquals(-1, text.toLowerCase().indexOf("authorization"));
    }

    /**
     * A refused second open in the same JVM must not release the first one's lock: on Linux,
     * closing any descriptor of a file drops all of the process's POSIX locks on it, so another
     * process could then open the journal too.
     */
    @Test
    void aRefusedOpenInTheSameJvmKeepsOtherProcessesOut() throws Exception {
        try (CallJournal j = CallJournal.open(dir)) {
            assertThrows(IllegalStateException.class, () -> CallJournal.open(dir));
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(javaBin, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                    JournalLockProbeMain.class.getName(), dir.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(out.contains("REFUSED") && out.contains("in use"), out);
            assertEquals(0, j.size());
        }
    }
}
