package io.synalign.models.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One completed call in a {@link CallJournal}: the key, what identifies the request (never the
 * API key or any header), the reply, and when it ran.
 *
 * @param key            {@link RequestKeys#key}
 * @param backend        the model's backend
 * @param model          the model name
 * @param schema         the response schema name, or {@code null}
 * @param attempt        the caller's attempt index
 * @param reask          the re-ask index (0 for an original ask)
 * @param messagesSha256 {@link RequestKeys#messagesDigest} of the request's messages
 * @param content        the reply text (validated unless {@code problem} is set)
 * @param problem        why the reply did not validate, or {@code null} for a valid reply; an
 *                       invalid reply is a completed call too, replayed on resume so that the
 *                       re-ask that followed it is asked (or replayed) identically
 * @param finishReason   the server's finish reason, or {@code null}
 * @param httpAttempts   HTTP requests the reply cost
 * @param reasks         re-asks it needed
 * @param started        when the call started
 * @param completed      when it completed
 * @param cutOffAt       for a reply cut off at its token budget ({@code finish_reason length}),
 *                       that budget in tokens when the model knew it ({@link ChatModel#replyBudget}:
 *                       an in-process GGUF model), else {@code null} (a server's limit; entries
 *                       journaled before budgets were); written only when set, so entries without
 *                       it read and write as they always did
 */
public record JournalEntry(String key, String backend, String model, String schema, int attempt,
                           int reask, String messagesSha256, String content, String problem,
                           String finishReason,
                           int httpAttempts, int reasks, Instant started, Instant completed, Integer cutOffAt) {

    /** The finish reason of a reply cut off at its token budget. */
    static final String LENGTH = "length";

    /**
     * How a GGUF reply cut off at its budget inside the grammar ended its problem before GGUF
     * replies reported finish reason {@code length} (SynAlign up to commit 7590cda's parent):
     * journaled as an invalid reply with no finish reason.
     */
    static final String GGUF_CUT_OFF_BEFORE_LENGTH = " (the GGUF reply ended before the grammar did:"
            + " the token budget or the context ran out)";

    /** An entry with no budget recorded: a complete reply, or one cut off at a limit not known here. */
    public JournalEntry(String key, String backend, String model, String schema, int attempt,
                        int reask, String messagesSha256, String content, String problem, String finishReason,
                        int httpAttempts, int reasks, Instant started, Instant completed) {
        this(key, backend, model, schema, attempt, reask, messagesSha256, content, problem, finishReason,
                httpAttempts, reasks, started, completed, null);
    }

    public JournalEntry {
        if (key == null || !key.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("journal key must be 64 hex digits: " + key);
        }
        if (content == null) {
            throw new IllegalArgumentException("journal entry " + key + " has no content");
        }
        if (started == null || completed == null) {
            throw new IllegalArgumentException("journal entry " + key + " needs start and end times");
        }
        if (cutOffAt != null && (cutOffAt < 1 || !LENGTH.equals(finishReason))) {
            throw new IllegalArgumentException("journal entry " + key + ": a budget (" + cutOffAt
                    + " tokens) belongs to a reply cut off at it (finish_reason length), not " + finishReason);
        }
    }

    /** Whether the reply was cut off at a budget this entry records. */
    public boolean cutOffAtKnownBudget() {
        return cutOffAt != null;
    }

    /**
     * Whether the reply was cut off at its budget, recorded or not: finish reason
     * {@code length}, or a GGUF reply journaled as invalid for ending inside its grammar before
     * GGUF replies reported {@code length} ({@link #GGUF_CUT_OFF_BEFORE_LENGTH}).
     */
    boolean cutOff() {
        return LENGTH.equals(finishReason) || GgufChatModel.BACKEND.equals(backend) && problem != null
                && problem.endsWith(GGUF_CUT_OFF_BEFORE_LENGTH);
    }

    /**
     * Whether this is a GGUF reply cut off at its budget that records none: journaled by a
     * SynAlign from before budgets were (commit 00846b9), every one of which ran the model at
     * its default context, or, rarely, one whose budget could not be counted after the call. A
     * {@link JournaledChatModel} takes its budget as that of the default context
     * ({@link ChatModel#defaultReplyBudget}). A server's cut-off replies record no budget either
     * and are not among these: a server's limit is not known here.
     */
    public boolean cutOffWithoutBudget() {
        return cutOffAt == null && GgufChatModel.BACKEND.equals(backend) && cutOff();
    }

    /**
     * Whether this entry, journaled later under the same key, takes the place of {@code older}:
     * only when {@code older} was cut off at a recorded budget and this one had more room (it is
     * not cut off, or was cut off at a larger recorded budget), or {@code older} was cut off
     * without one ({@link #cutOffWithoutBudget}) and this one is not cut off or records its
     * budget. A {@link JournaledChatModel} writes a second entry for a key only then (the
     * request asked again with a larger budget than the one recorded, or than the default
     * context's, taken for the one not recorded); whatever else repeats a key, the first entry
     * stays, as it always has.
     */
    boolean supersedes(JournalEntry older) {
        if (older.cutOffWithoutBudget()) {
            return cutOffAtKnownBudget() || !cutOff();
        }
        if (!older.cutOffAtKnownBudget()) {
            return false;
        }
        return cutOffAtKnownBudget() ? cutOffAt > older.cutOffAt : !cutOff();
    }

    ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("key", key);
        o.put("backend", backend);
        o.put("model", model);
        o.put("schema", schema);
        o.put("attempt", attempt);
        o.put("reask", reask);
        o.put("messages_sha256", messagesSha256);
        o.put("content", content);
        if (problem != null) {
            o.put("problem", problem);
        }
        o.put("finish_reason", finishReason);
        if (cutOffAt != null) {
            o.put("cut_off_at_tokens", cutOffAt);
        }
        o.put("http_attempts", httpAttempts);
        o.put("reasks", reasks);
        o.put("started", started.toString());
        o.put("completed", completed.toString());
        return o;
    }

    static JournalEntry fromJson(JsonNode o) {
        return new JournalEntry(text(o, "key"), text(o, "backend"), text(o, "model"), text(o, "schema"),
                o.path("attempt").asInt(), o.path("reask").asInt(0), text(o, "messages_sha256"),
                text(o, "content"), text(o, "problem"), text(o, "finish_reason"), o.path("http_attempts").asInt(), o.path("reasks").asInt(),
                Instant.parse(text(o, "started")), Instant.parse(text(o, "completed")),
                o.path("cut_off_at_tokens").isInt() ? o.path("cut_off_at_tokens").intValue() : null);
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
