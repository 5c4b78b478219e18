package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A completed, validated reply.
 *
 * @param content      the assistant message text as the server sent it
 * @param json         the parsed JSON (code fences removed) when the request had a schema,
 *                     already validated against it; {@code null} for free-text requests
 * @param finishReason the server's {@code finish_reason} ({@code stop}, {@code length}, ...),
 *                     or {@code null} when unknown (e.g. replayed from the journal)
 * @param httpAttempts HTTP requests this reply cost, retries and re-asks included
 *                     (0 when it was replayed from the journal)
 * @param reasks       how many re-asks the reply needed because an earlier one did not validate
 * @param fromJournal  whether the reply was replayed from a {@link CallJournal}
 */
public record ChatReply(String content, JsonNode json, String finishReason, int httpAttempts,
                        int reasks, boolean fromJournal) {

    public ChatReply {
        if (content == null) {
            throw new IllegalArgumentException("reply content must not be null");
        }
        if (httpAttempts < 0 || reasks < 0) {
            throw new IllegalArgumentException(
                    "attempt counts must be >= 0: httpAttempts=" + httpAttempts + ", reasks=" + reasks);
        }
    }
}
