package io.synalign.models.llm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Journal keys: SHA-256 (hex) over a canonical JSON (keys sorted, no whitespace) of everything
 * that determines a reply: backend, model ({@link ChatModel#modelIdentity}), messages, sampling parameters (seed included), the
 * response schema, the caller's attempt index and the re-ask index (written only when non-zero,
 * so original asks keep the keys they had before re-asks were journaled one by one). Nothing
 * secret goes in.
 */
public final class RequestKeys {

    /** Bumped if the canonical form ever changes, so old journals miss instead of mismatching. */
    static final int VERSION = 1;

    private RequestKeys() {
    }

    /** The journal key of {@code request} sent to {@code backend}/{@code model}. */
    public static String key(String backend, String model, ChatRequest request) {
        ObjectNode root = Json.object();
        root.put("v", VERSION);
        root.put("backend", backend);
        root.put("model", model);
        root.set("messages", messagesNode(request.messages()));
        ObjectNode s = root.putObject("sampling");
        SamplingParams p = request.sampling();
        if (p.temperature() != null) {
            s.put("temperature", p.temperature());
        }
        if (p.topP() != null) {
            s.put("top_p", p.topP());
        }
        if (p.maxTokens() != null) {
            s.put("max_tokens", p.maxTokens());
        }
        if (p.seed() != null) {
            s.put("seed", p.seed());
        }
        ResponseSchema schema = request.responseSchema();
        if (schema == null) {
            root.putNull("schema");
        } else {
            ObjectNode sc = root.putObject("schema");
            sc.put("name", schema.name());
            sc.put("strict", schema.strict());
            sc.set("schema", schema.schema());
        }
        root.put("attempt", request.attempt());
        if (request.reask() > 0) {
            root.put("reask", request.reask());
        }
        return sha256Hex(Json.write(Json.canonical(root)));
    }

    /** SHA-256 (hex) of the canonical messages alone: lets a journal reader group entries by prompt. */
    public static String messagesDigest(List<ChatMessage> messages) {
        return sha256Hex(Json.write(messagesNode(messages)));
    }

    private static ArrayNode messagesNode(List<ChatMessage> messages) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (ChatMessage m : messages) {
            a.addObject().put("content", m.content()).put("role", m.role());
        }
        return a;
    }

    static String sha256Hex(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
