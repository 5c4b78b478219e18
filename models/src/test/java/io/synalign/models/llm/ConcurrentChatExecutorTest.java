package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentChatExecutorTest {

    @TempDir
    Path dir;

    /** A model that answers with the last message, after a random short pause. */
    private static final class EchoModel implements ChatModel {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger peak = new AtomicInteger();

        @Override
        public ChatReply complete(ChatRequest r) {
            calls.incrementAndGet();
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ChatModelException("interrupted");
            } finally {
                inFlight.decrementAndGet();
            }
            String last = r.messages().get(r.messages().size() - 1).content();
            if (last.startsWith("fail")) {
                throw new ChatModelException("no luck with " + last);
            }
            if (last.startsWith("auth")) {
                throw new ChatHttpException(401, "bad key", "http://127.0.0.1/v1/chat/completions");
            }
            if (last.startsWith("slow")) {
                throw new ChatTimeoutException("echo", java.time.Duration.ofMinutes(10), 17);
            }
            return new ChatReply(last, null, "stop", 1, 0, false);
        }

        @Override
        public String backend() {
            return "echo";
        }

        @Override
        public String model() {
            return "echo";
        }
    }

    private static List<ChatRequest> requests(List<String> texts) {
        List<ChatRequest> out = new ArrayList<>();
        for (String t : texts) {
            out.add(ChatRequest.of(List.of(ChatMessage.user(t)), SamplingParams.DEFAULTS, null));
        }
        return out;
    }

    @Test
    void repliesComeBackInSubmissionOrderWithBoundedParallelism() {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 97; i++) {
            texts.add("request " + i);
        }
        EchoModel m = new EchoModel();
        List<ChatReply> replies = new ConcurrentChatExecutor(m, 5).completeAll(requests(texts));
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(texts.get(i), replies.get(i).content());
        }
        assertTrue(m.peak.get() <= 5, "peak " + m.peak.get());
        assertTrue(new ConcurrentChatExecutor(m, 5).completeAll(List.of()).isEmpty());
    }

    @Test
    void runAllRecordsPerRequestErrorsButStopsOnHttpErrors() {
        EchoModel m = new EchoModel();
        List<ChatOutcome> out = new ConcurrentChatExecutor(m, 3)
                .runAll(requests(List.of("a", "fail 1", "b", "fail 2", "c")));
        assertEquals(List.of(true, false, true, false, true), out.stream().map(ChatOutcome::ok).toList());
        assertTrue(out.get(3).error().getMessage().contains("fail 2"));
        assertEquals("c", out.get(4).reply().content());

        assertThrows(ChatModelException.class,
                () -> new ConcurrentChatExecutor(m, 3).completeAll(requests(List.of("a", "fail", "b"))));
        ChatHttpException e = assertThrows(ChatHttpException.class,
                () -> new ConcurrentChatExecutor(m, 3).runAll(requests(List.of("a", "auth", "b"))));
        assertEquals(401, e.status());
        // A model too slow for its deadline stops the run at the first timeout: one at a time
        // (as an in-process model runs), the requests after it are never made.
        EchoModel serial = new EchoModel();
        List<String> texts = new ArrayList<>(List.of("a", "slow"));
        for (int i = 0; i < 20; i++) {
            texts.add("after " + i);
        }
        ChatTimeoutException slow = assertThrows(ChatTimeoutException.class,
                () -> new ConcurrentChatExecutor(serial, 1).runAll(requests(texts)));
        assertTrue(slow.getMessage().startsWith("no complete reply from echo within"),
                slow.getMessage());
        assertTrue(serial.calls.get() < texts.size(), serial.calls.get() + " calls made");
    }

    @Test
    void failFastKeepsTheJournalUsable() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            texts.add(i == 20 ? "auth" : "request " + i);
        }
        EchoModel m = new EchoModel();
        try (CallJournal j = CallJournal.open(dir)) {
            JournaledChatModel jm = new JournaledChatModel(m, j);
            ChatModelException e = assertThrows(ChatModelException.class,
                    () -> new ConcurrentChatExecutor(jm, 4).completeAll(requests(texts)));
            assertInstanceOf(ChatHttpException.class, e);
            int journaled = j.size();
            assertTrue(journaled < 40);
            // Interrupting cancelled workers did not break the journal: it still appends.
            jm.complete(requests(List.of("after the failure")).get(0));
            assertEquals(journaled + 1, j.size());
        }
        try (CallJournal j = CallJournal.open(dir)) {
            assertEquals(Files.readAllLines(dir.resolve(CallJournal.FILE)).size(), j.size());
            assertFalse(j.size() == 0);
        }
    }
}
