package io.synalign.cli;

import io.synalign.models.llm.CallJournal;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * What the {@code --journal} did for one generation: how many requests it answered and how many
 * went to the model. A journal answers a request only when its key (the prompt and the model's
 * identity) is one it recorded, so a resumed run whose prompts or model changed (other data or
 * options, a server now serving other weights, a SynAlign upgrade that changed the prompts or a
 * round's demonstrations) asks again, and paid for it in silence: the counts make that visible,
 * and a journal that held replies but answered none of the run's requests is warned of.
 *
 * @param heldAtOpen the replies the journal held when the run opened it
 */
record JournalUse(Path directory, int heldAtOpen, long replayed, long sent) {

    /** The counts of {@code journal} now, or null without one (no --journal, or offline). */
    static JournalUse of(CallJournal journal) {
        return journal == null ? null : new JournalUse(journal.directory(), journal.heldAtOpen(),
                journal.replayed(), journal.sent());
    }

    /** {@code journal DIR: 24 replies replayed, 6 requests sent}. */
    String line() {
        return "journal " + directory + ": " + replayed + (replayed == 1 ? " reply" : " replies")
                + " replayed, " + sent + (sent == 1 ? " request" : " requests") + " sent";
    }

    /**
     * The warning for a journal that held replies and answered none of this run's requests, or
     * null: why that happens, since nothing else says it.
     */
    String warning() {
        if (heldAtOpen == 0 || replayed > 0 || sent == 0) {
            return null;
        }
        return "journal " + directory + " held " + heldAtOpen + (heldAtOpen == 1 ? " reply" : " replies")
                + " but answered none of this run's " + sent + (sent == 1 ? " request" : " requests")
                + ": a reply is replayed only for the prompt and model identity it was recorded"
                + " with, so the prompts (other input rows or options, or a SynAlign upgrade that"
                + " changed them) or the model (another --model, or a server serving other weights)"
                + " are not those of the run that wrote it";
    }

    /**
     * The line on {@code stdout}, with the generation's summary it belongs to, and the warning,
     * if any, on {@code err}; nothing without a journal ({@code use} null).
     */
    static void print(JournalUse use, PrintWriter stdout, PrintWriter err) {
        if (use == null) {
            return;
        }
        stdout.println(use.line());
        String warning = use.warning();
        if (warning != null) {
            err.println("synalign: warning: " + warning);
            err.flush();
        }
    }
}
