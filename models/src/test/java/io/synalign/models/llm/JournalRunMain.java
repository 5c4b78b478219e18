package io.synalign.models.llm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A child-JVM run for {@link KillResumeTest}: {@code <baseUrl> <journalDir> <n> <outFile>}.
 * Sends {@link #requests(int)} through a journaled, retrying client (API key from the
 * environment variable {@value #KEY_ENV}) and, when all are done, writes one reply per line.
 */
public final class JournalRunMain {

    static final String KEY_ENV = "SYNALIGN_KILLTEST_KEY";

    private JournalRunMain() {
    }

    static List<ChatRequest> requests(int n) {
        List<ChatRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i % 4 == 0 ? OpenAiCompatibleChatModelTest.attributesRequest(i)
                    : OpenAiCompatibleChatModelTest.samplesRequest(i));
        }
        return out;
    }

    static List<String> run(String baseUrl, Path journalDir, int n, java.util.function.Function<String, String> env) {
        AdaptiveConcurrencyLimiter limiter = new AdaptiveConcurrencyLimiter(3);
        OpenAiCompatibleChatModel client = OpenAiCompatibleChatModel.builder(baseUrl, "fake-model")
                .apiKeyEnv(KEY_ENV).environment(env)
                .requestTimeout(Duration.ofSeconds(5))
                .retryPolicy(new RetryPolicy(8, Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMinutes(1)))
                .limiter(limiter).build();
        try (CallJournal journal = CallJournal.open(journalDir)) {
            List<ChatReply> replies = new ConcurrentChatExecutor(new JournaledChatModel(client, journal), limiter)
                    .completeAll(requests(n));
            List<String> lines = new ArrayList<>();
            for (ChatReply r : replies) {
                lines.add(r.json().toString());
            }
            return lines;
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = run(args[0], Path.of(args[1]), Integer.parseInt(args[2]), System::getenv);
        Files.write(Path.of(args[3]), lines, StandardCharsets.UTF_8);
    }
}
