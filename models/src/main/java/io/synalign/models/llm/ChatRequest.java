package io.synalign.models.llm;

import java.util.List;

/**
 * One chat-completion request.
 *
 * @param messages       the conversation, at least one message
 * @param sampling       sampling parameters ({@link SamplingParams#DEFAULTS} for none)
 * @param responseSchema the schema the reply must satisfy, or {@code null} for free text
 * @param attempt        the caller's attempt index (0 for the first ask). It is part of the
 *                       journal key, so asking the same prompt again on purpose (a fresh
 *                       sample) uses a new index, while a resumed run reuses the old ones
 */
public record ChatRequest(List<ChatMessage> messages, SamplingParams sampling,
                          ResponseSchema responseSchema, int attempt) {

    public ChatRequest {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        for (ChatMessage m : messages) {
            if (m == null) {
                throw new IllegalArgumentException("chat request messages must not contain null");
            }
        }
        messages = List.copyOf(messages);
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null (use SamplingParams.DEFAULTS)");
        }
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt index must be >= 0: " + attempt);
        }
    }

    public static ChatRequest of(List<ChatMessage> messages, SamplingParams sampling,
                                 ResponseSchema schema) {
        return new ChatRequest(messages, sampling, schema, 0);
    }

    public ChatRequest withAttempt(int newAttempt) {
        return new ChatRequest(messages, sampling, responseSchema, newAttempt);
    }

    public ChatRequest withMessages(List<ChatMessage> newMessages) {
        return new ChatRequest(newMessages, sampling, responseSchema, attempt);
    }
}
