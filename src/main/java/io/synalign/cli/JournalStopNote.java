package io.synalign.cli;

import io.synalign.models.llm.CallJournal;
import java.io.PrintWriter;

/**
 * Says, when the JVM stops before a journaled generation has finished (Ctrl-C, SIGTERM), how
 * many LLM calls the journal keeps and that the same command resumes from them. Without it an
 * interrupted {@code generate --journal} ended in silence, and the user could not tell whether
 * the paid calls were kept. The journal forces each call to disk as it completes, so nothing
 * else is needed at exit; the note is removed again when the generation ends normally.
 */
final class JournalStopNote implements AutoCloseable {

    private final CallJournal journal;
    private final PrintWriter err;
    private final Thread hook;
    private volatile boolean finished;

    private JournalStopNote(CallJournal journal, PrintWriter err) {
        this.journal = journal;
        this.err = err;
        this.hook = new Thread(this::atExit, "synalign-journal-note");
    }

    /** Watches {@code journal} (nothing is watched when it is null: no --journal, or offline). */
    static JournalStopNote watch(CallJournal journal, PrintWriter err) {
        JournalStopNote note = new JournalStopNote(journal, err);
        if (journal != null) {
            Runtime.getRuntime().addShutdownHook(note.hook);
        }
        return note;
    }

    /** The note, or null once the generation has finished (or without a journal). */
    String message() {
        if (finished || journal == null) {
            return null;
        }
        int calls = journal.size();
        return "synalign: stopped before the generation finished; " + calls + " completed LLM"
                + " call" + (calls == 1 ? " is" : "s are") + " kept in the journal "
                + journal.directory() + ": the same command with --journal resumes from "
                + (calls == 1 ? "it" : "them") + " without sending " + (calls == 1 ? "it" : "them")
                + " again";
    }

    private void atExit() {
        String m = message();
        if (m != null) {
            err.println(m);
            err.flush();
        }
    }

    @Override
    public void close() {
        finished = true;
        if (journal != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already stopping: the hook runs, and finished keeps it silent.
            }
        }
    }
}
