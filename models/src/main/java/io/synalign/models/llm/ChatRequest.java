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
 * @param reask          the re-ask index (0 for the original ask; k for the k-th re-ask after
 *                       replies that did not validate, set by {@link ReaskingChatModel}); part of
 *                       the journal key, so every re-ask is a journaled call of its own
 */
public record ChatRequest(List<ChatMessage> messages, SamplingParams sampling,
                          ResponseSchema responseSchema, int attempt, int reask) {

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
        if (reask < 0) {
            throw new IllegalArgumentException("re-ask index must be >= 0: " + reask);
        }
    }

    /** An original ask (re-ask index 0). */
    public ChatRequest(List<ChatMessage> messages, SamplingParams sampling, ResponseSchema responseSchema,
                       int attempt) {
        this(messages, sampling, responseSchema, attempt, 0);
    }

    public static ChatRequest of(List<ChatMessage> messages, SamplingParams sampling,
                                 ResponseSchema schema) {
        return new ChatRequest(messages, sampling, schema, 0);
    }

    public ChatRequest withAttempt(int newAttempt) {
        return new ChatRequest(messages, sampling, responseSchema, newAttempt, reask);
    }

    public ChatRequest withMessages(List<ChatMessage> newMessages) {
        return new ChatRequest(newMessages, sampling, responseSchema, attempt, reask);
    }

    /** The {@code k}-th re-ask: {@code conversation} (the original messages, each invalid reply and its correction). */
    public ChatRequest reask(int k, List<ChatMessage> conversation) {
        return new ChatRequest(conversation, sampling, responseSchema, attempt, k);
    }
}
