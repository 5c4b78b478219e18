package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.models.llm.FakeOpenAiServer.Fault;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real kill -9: a child JVM runs a journaled batch against the fake server and is killed
 * with {@link Process#destroyForcibly()} after some entries are durable; a second child
 * resumes. No call journaled before the kill is answered twice, and the outputs equal an
 * uninterrupted run's.
 */
class KillResumeTest {

    private static final int N = 60;

    @TempDir
    Path tmp;

    @Test
    void killedRunResumesWithoutRepeatingCompletedCalls() throws Exception {
        String key = "sk-kill-" + Long.toHexString(System.nanoTime());
        Path journalDir = tmp.resolve("journal");
        Path out = tmp.resolve("out.txt");
        List<String> uninterrupted;
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)) {
            server.delayMillis(40).plan(FakeOpenAiServer.random(5, 0.1, List.of(Fault.SERVER_ERROR, Fault.DROP)));
            Process first = start(server, journalDir, out, key, "first");
            Path file = journalDir.resolve(CallJournal.FILE);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lines(file) < 12 && first.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            first.destroyForcibly();
            first.waitFor(30, TimeUnit.SECONDS);
            assertTrue(Files.notExists(out), "the first run must have been killed before finishing");

            // What was durable at the kill, and what the server had answered by then.
            Map<String, Integer> journaledAtKill = new HashMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                try {
                    journaledAtKill.put(FakeOpenAiServer.MAPPER.readTree(line).path("messages_sha256").asText(), 1);
                } catch (IOException torn) {
                    // a torn last line: not a completed call
                }
            }
            int killedAt = journaledAtKill.size();
            assertTrue(killedAt >= 12 && killedAt < N, "journaled at kill: " + killedAt);

            Process second = start(server, journalDir, out, key, "second");
            assertTrue(second.waitFor(120, TimeUnit.SECONDS), "resumed run did not finish");
            assertEquals(0, second.exitValue(), Files.readString(tmp.resolve("second.log")));

            for (String digest : journaledAtKill.keySet()) {
                assertEquals(1, server.successes(digest), "a call completed before the kill was answered again");
            }
            for (ChatRequest r : JournalRunMain.requests(N)) {
                int n = server.successes(RequestKeys.messagesDigest(r.messages()));
                // At most one extra: a reply in flight when the process died was never journaled.
                assertTrue(n >= 1 && n <= 2, "answers for one request: " + n);
            }
            try (CallJournal j = CallJournal.open(journalDir)) {
                assertEquals(N, j.size());
            }
        }
        // The same batch, uninterrupted, in this JVM against a fresh server and journal.
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)) {
            uninterrupted = JournalRunMain.run(server.baseUrl(), tmp.resolve("fresh"), N,
                    Map.of(JournalRunMain.KEY_ENV, key)::get);
        }
        assertEquals(uninterrupted, Files.readAllLines(out, StandardCharsets.UTF_8));
    }

    private Process start(FakeOpenAiServer server, Path journalDir, Path out, String key, String name)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                JournalRunMain.class.getName(), server.baseUrl(), journalDir.toString(), Integer.toString(N),
                out.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().put(JournalRunMain.KEY_ENV, key);
        return pb.start();
    }

    private static long lines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        try (var s = Files.lines(file, StandardCharsets.ISO_8859_1)) {
            return s.count();
        }
    }
}
