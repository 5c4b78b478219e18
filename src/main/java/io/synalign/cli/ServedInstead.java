package io.synalign.cli;

import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.OpenAiCompatibleChatModel;
import io.synalign.models.llm.ServedModel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model that answered in place of {@code --model} and that the journal's keys named (a
 * llama.cpp server, which serves its one model whatever name is asked for), with where that was
 * learnt, for a run's provenance ({@code generation.json}'s {@code servedModel},
 * {@code run --summary}'s {@code served_model}).
 *
 * <p>Two sources: the server's own listing on this run ({@link #SERVER}), or, when the server
 * could not be reached (stopped: a finished run replayed offline), the journal's record of what
 * it served before ({@link #JOURNAL}, {@code served-models.json}), which then keyed every
 * reply. Recording the second too keeps the provenance from saying less than the keys did: a
 * replayed run's {@code generation.json} names the model its replies came from, as the first
 * run's did. Both are read from the journal ({@link CallJournal#servedIdentityInUse},
 * {@link CallJournal#recordedIdentityInUse}): what keyed the entries, which the client's own
 * answer, asked again once an unreached server is up, need not be.
 *
 * @param model  what was served: its id and weight fields
 * @param source {@link #SERVER} or {@link #JOURNAL}
 */
record ServedInstead(ServedModel model, String source) {

    /** The server said so on this run ({@code GET /models}). */
    static final String SERVER = "server";
    /** The journal's record said so; the server could not be reached on this run. */
    static final String JOURNAL = "journal";

    /**
     * What keyed {@code chat}'s journal entries in place of its model name, or null: when it
     * serves the requested model or nobody could say (the keys then name {@code --model}), and
     * for runs without a journal, the only ones that ask
     * ({@link io.synalign.models.llm.JournaledChatModel}).
     */
    static ServedInstead of(ChatModel chat, CallJournal journal) {
        if (journal == null || !(chat instanceof OpenAiCompatibleChatModel http)) {
            return null;
        }
        // Read from the journal, which kept the identity its keys were given, not asked of the
        // client again: a client whose server was unreached when the journal asked asks again
        // later, and a fresher answer would name a model that keyed none of the entries.
        String server = http.server();
        String stated = journal.servedIdentityInUse(http.backend(), http.model(), server);
        ServedModel fromServer = stated == null ? null : ServedModel.fromIdentity(http.model(), stated);
        if (fromServer != null) {
            return new ServedInstead(fromServer, SERVER);
        }
        String recorded = journal.recordedIdentityInUse(http.backend(), http.model(), server);
        ServedModel fromRecord = recorded == null ? null : ServedModel.fromIdentity(http.model(), recorded);
        return fromRecord == null ? null : new ServedInstead(fromRecord, JOURNAL);
    }

    /** As run documents record it: {@code id}, {@code weights}, {@code source}. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", model.servedId());
        m.put("weights", model.weights());
        m.put("source", source);
        return m;
    }
}
