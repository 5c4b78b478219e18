package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the call journal's reader: a valid journal damaged at random (bytes
 * flipped, lines cut, duplicated, spliced with quotes, braces and invalid UTF-8). Opening it
 * must load it (a torn last line is dropped) or fail with a {@link JournalException} naming the
 * damaged line, never another throwable and never a hang.
 */
class JournalFuzzTest {

    @TempDir
    Path dir;

    @Test
    void damagedJournalsLoadOrNameTheDamage() throws Exception {
        Path source = dir.resolve("source");
        try (CallJournal j = CallJournal.open(source)) {
            Random r = new Random(1);
            for (int i = 0; i < 6; i++) {
                String key = String.format("%064x", new java.math.BigInteger(250, r));
                j.append(new JournalEntry(key, "openai-compatible", "m", "synalign_samples", 0, 0,
                        key, "{\"samples\":[{\"text\":\"row " + i + " \\u00e9\"}]}", i % 2 == 0 ? null
                                : "bad", "stop", 1, 0, Instant.EPOCH, Instant.EPOCH.plusSeconds(i)));
            }
        }
        byte[] valid = Files.readAllBytes(source.resolve(CallJournal.FILE));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Random r = new Random(16);
            int rejected = 0;
            for (int k = 0; k < 600; k++) {
                Path d = Files.createDirectory(dir.resolve("j" + k));
                Files.write(d.resolve(CallJournal.FILE),
                        io.synalign.fuzz.Damage.damage(valid, r));
                try (CallJournal j = CallJournal.open(d)) {
                    assertTrue(j.size() <= 6, "at most the entries written");
                } catch (JournalException e) {
                    rejected++;
                    assertTrue(e.getMessage().contains(CallJournal.FILE), e.getMessage());
                } catch (Throwable t) {
                    fail("case " + k + ": " + t, t);
                }
            }
            assertTrue(rejected > 0, "some damage is found");
        });
    }
}
