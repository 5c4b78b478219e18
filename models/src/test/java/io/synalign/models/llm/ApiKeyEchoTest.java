package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that echoes the Authorization header inside a reply that validates (a misconfigured
 * proxy, a debugging endpoint, a prompt-injected model): the key must still reach neither the
 * reply the pipeline writes out nor the journal.
 */
class ApiKeyEchoTest {

    /** A chat-completions server whose one sample echoes the bearer token it was sent. */
    private static HttpServer echoServer() throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            String echoed = auth == null ? "none" : auth.substring("Bearer ".length());
            ObjectNode root = Json.object();
            ObjectNode sample = Json.object();
            sample.putArray("samples").addObject().put("text", "six xylophones, the key is " + echoed);
            root.putArray("choices").addObject().put("finish_reason", "stop").putObject("message")
                    .put("role", "assistant").put("content", Json.write(sample));
            byte[] body = Json.write(root).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        return server;
    }

    @Test
    void aKeyEchoedInsideAValidReplyIsMasked(@TempDir Path journalDir) throws Exception {
        String key = "sk-echo-" + Long.toHexString(System.nanoTime()) + "x9";
        HttpServer server = echoServer();
        try {
            OpenAiCompatibleChatModel http = OpenAiCompatibleChatModel
                    .builder("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "m")
                    .apiKeyEnv("K").environment(Map.of("K", key)::get).maxReasks(0).build();
            ChatRequest req = ChatRequest.of(List.of(ChatMessage.user("hi")), SamplingParams.DEFAULTS, Schemas.SAMPLES);
            ChatReply reply;
            try (CallJournal j = CallJournal.open(journalDir)) {
                reply = new ReaskingChatModel(new JournaledChatModel(http, j), 2).complete(req);
            }
            assertFalse(reply.content().contains(key), reply.content());
            assertEquals("six xylophones, the key is " + ApiKey.MASK, reply.json().path("samples").path(0).path("text").textValue());
            String free = http.complete(ChatRequest.of(List.of(ChatMessage.user("hi")), SamplingParams.DEFAULTS, null))
                    .content();
            assertTrue(free.contains(ApiKey.MASK) && !free.contains(key), free);
            String journal = Files.readString(journalDir.resolve(CallJournal.FILE));
            assertTrue(journal.contains(ApiKey.MASK) && !journal.contains(key), journal);
        } finally {
            server.stop(0);
        }
    }

    /**
     * A placeholder key of a local server ({@code x}, {@code EMPTY}) is not masked inside
     * replies: masking it would replace every {@code x} of the generated text.
     */
    @Test
    void aShortPlaceholderKeyDoesNotCorruptReplies() throws Exception {
        HttpServer server = echoServer();
        try {
            OpenAiCompatibleChatModel http = OpenAiCompatibleChatModel
                    .builder("http://127.0.0.1:" + server.getAddress().getPort() + "/v1", "m")
                    .apiKeyEnv("K").environment(Map.of("K", "x")::get).maxReasks(0).build();
            ChatReply r = http.complete(ChatRequest.of(List.of(ChatMessage.user("hi")), SamplingParams.DEFAULTS,
                    Schemas.SAMPLES));
            assertEquals("six xylophones, the key is x", r.json().path("samples").path(0).path("text").textValue());
        } finally {
            server.stop(0);
        }
    }
}
