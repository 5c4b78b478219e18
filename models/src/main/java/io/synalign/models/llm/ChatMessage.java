package io.synalign.models.llm;

import java.util.Set;

/**
 * One message of a chat conversation in the OpenAI chat-completions sense.
 *
 * @param role    {@code system}, {@code user} or {@code assistant}
 * @param content the message text (may be empty, never null)
 */
public record ChatMessage(String role, String content) {

    private static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public ChatMessage {
        if (role == null || !ROLES.contains(role)) {
            throw new IllegalArgumentException(
                    "message role must be one of system, user, assistant: " + role);
        }
        if (content == null) {
            throw new IllegalArgumentException("message content must not be null (role " + role + ")");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage("system", content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage("user", content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage("assistant", content);
    }
}
