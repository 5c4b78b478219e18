package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.synalign.models.llm.CallJournal;
import io.synalign.models.llm.JournalEntry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link JournalStopNote}: while a journaled generation runs, the note counts the calls the
 * journal holds; once it has finished, or without a journal, there is no note.
 */
class JournalStopNoteTest {

    @TempDir
    Path dir;

    @Test
    void countsTheKeptCallsUntilTheGenerationFinishes() {
        Path journalDir = dir.resolve("journal");
        StringWriter text = new StringWriter();
        try (CallJournal journal = CallJournal.open(journalDir);
                JournalStopNote note = JournalStopNote.watch(journal, new PrintWriter(text))) {
            assertEquals("synalign: stopped before the generation finished; 0 completed LLM calls are"
                    + " kept in the journal " + journalDir + ": the same command with --journal resumes"
                    + " from them without sending them again", note.message());
            String key = "ab".repeat(32);
            journal.append(new JournalEntry(key, "openai-compatible", "m", "synalign_samples", 0, 0,
                    key, "{\"samples\":[]}", null, "stop", 1, 0, Instant.EPOCH, Instant.EPOCH));
            assertEquals("synalign: stopped before the generation finished; 1 completed LLM call is"
                    + " kept in the journal " + journalDir + ": the same command with --journal resumes"
                    + " from it without sending it again", note.message());
            note.close();
            assertNull(note.message(), "finished: no note");
        }
        assertEquals("", text.toString(), "nothing printed while the JVM runs");
        try (JournalStopNote none = JournalStopNote.watch(null, new PrintWriter(text))) {
            assertNull(none.message());
        }
    }
}
