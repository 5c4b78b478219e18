package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.models.llm.FakeOpenAiServer.Fault;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key appears nowhere: journal directory, logs, exception messages, toString. */
class ApiKeyLeakTest {

    @TempDir
    Path dir;

    private static String randomKey(String prefix) {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    @Test
    void keyNeverLeaks() throws Exception {
        String key = randomKey("sk-leakcheck-");
        String wrongKey = randomKey("sk-wrongkey-");
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        StringBuilder exceptionText = new StringBuilder();
        // slf4j-simple writes to the current System.err on each call, so this captures its logs.
        PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        System.setOut(tee);
        try (FakeOpenAiServer server = new FakeOpenAiServer(key)) {
            server.plan(FakeOpenAiServer.random(11, 0.5, List.of(Fault.RATE_LIMIT, Fault.SERVER_ERROR,
                    Fault.DROP, Fault.SCHEMA_VIOLATION))).retryAfterSeconds(0);
            OpenAiCompatibleChatModel good = build(server, key);
            assertFalse(good.toString().contains(key), good.toString());
            try (CallJournal journal = CallJournal.open(dir)) {
                ChatModel m = new JournaledChatModel(good, journal);
                for (int i = 0; i < 10; i++) {
                    try {
                        m.complete(OpenAiCompatibleChatModelTest.samplesRequest(i));
                    } catch (ChatModelException e) {
                        exceptionText.append(describe(e));
                    }
                }
                assertTrue(journal.size() > 0);
            }
            // Wrong key: the server echoes it in its 401 message; the exception must mask it.
            ChatHttpException e = assertThrows(ChatHttpException.class,
                    () -> build(server, wrongKey).complete(OpenAiCompatibleChatModelTest.samplesRequest(0)));
            exceptionText.append(describe(e));
            assertTrue(e.getMessage().contains("Incorrect API key provided: " + ApiKey.MASK), e.getMessage());
            // A model with a missing variable names the variable only.
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                    () -> OpenAiCompatibleChatModel.builder(server.baseUrl(), "m").apiKeyEnv("NOPE")
                            .environment(Map.<String, String>of()::get).build());
            assertTrue(missing.getMessage().contains("NOPE"));
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        originalErr.print(logs);
        assertTrue(logs.contains("Retrying") || logs.contains("re-asking"), "logs were captured: " + logs.length());
        assertEquals(-1, logs.indexOf(key), "key in logs");
        assertEquals(-1, logs.indexOf(wrongKey), "wrong key in logs");
        assertEquals(-1, exceptionText.indexOf(key), "key in exceptions");
        assertEquals(-1, exceptionText.indexOf(wrongKey), "wrong key in exceptions");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertEquals(-1, content.indexOf(key), "key in " + f);
                assertEquals(-1, content.indexOf(wrongKey), "key in " + f);
            }
        }
    }

    private static OpenAiCompatibleChatModel build(FakeOpenAiServer server, String key) {
        return OpenAiCompatibleChatModel.builder(server.baseUrl(), "fake-model")
                .apiKeyEnv("SYNALIGN_KEY").environment(Map.of("SYNALIGN_KEY", key)::get)
                .requestTimeout(Duration.ofSeconds(5))
                .retryPolicy(new RetryPolicy(3, Duration.ZERO, Duration.ZERO, Duration.ofMinutes(1)))
                .maxReasks(1).sleeper(new RecordingSleeper()).build();
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            sb.append(c).append('\n');
            for (StackTraceElement el : c.getStackTrace()) {
                sb.append(el).append('\n');
            }
        }
        return sb.toString();
    }

    @Test
    void apiKeyToStringAndMask() {
        ApiKey k = ApiKey.fromEnvironment("V", Map.of("V", " secret-value \n")::get);
        assertEquals("ApiKey[$V=****]", k.toString());
        assertEquals("x **** y", k.mask("x secret-value y"));
        // A local server's short key (x, EMPTY) is no secret: masking it corrupted every text
        // ("ma****_tokens e****ceeds the conte****t window").
        ApiKey local = ApiKey.fromEnvironment("V", Map.of("V", "x")::get);
        assertEquals("max_tokens exceeds the context window", local.mask(
                "max_tokens exceeds the context window"));
        assertEquals("max_tokens", local.maskReply("max_tokens"));
        assertEquals("Bearer secret-value", k.bearer());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApiKey.fromEnvironment("EMPTY", Map.of("EMPTY", "  ")::get));
        assertTrue(e.getMessage().contains("EMPTY"));
    }

    /**
     * A key the HTTP header cannot carry (a curly quote, a zero-width space, two lines) is refused
     * when it is read, by position and code point: the JDK's header check would otherwise throw
     * with the whole {@code Bearer <key>} in its message.
     */
    @Test
    void aKeyWithACharacterNoHeaderCarriesIsRefusedWithoutTheKey() {
        String secret = randomKey("sk-secret-");
        for (String bad : List.of(secret + "\u201dx", secret + "\u200b", secret + "\nsk-second",
                secret + "\u0000")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ApiKey.fromEnvironment("K", Map.of("K", bad)::get));
            assertTrue(e.getMessage().startsWith("environment variable K (the API key) holds U+"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("at character " + (secret.length() + 1) + " of "),
                    e.getMessage());
            assertFalse(e.getMessage().contains(secret.substring(10)), "key in: " + e.getMessage());
            IllegalArgumentException model = assertThrows(IllegalArgumentException.class,
                    () -> OpenAiCompatibleChatModel.builder("http://127.0.0.1:9/v1", "m")
                            .apiKeyEnv("K")
                            .environment(Map.of("K", bad)::get).build());
            assertFalse(model.getMessage().contains(secret.substring(10)), model.getMessage());
        }
        // Printable ASCII, spaces inside included, is a key the header carries.
        assertEquals("Bearer a b~!", ApiKey.fromEnvironment("K", Map.of("K", "a b~!")::get).bearer());
    }
}
