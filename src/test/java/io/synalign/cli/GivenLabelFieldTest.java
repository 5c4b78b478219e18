package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mistyped {@code --label-field} (no record has it) is refused by every command that takes
 * one, naming the file and the field, before any work: generate wrote 20 unlabelled rows where
 * 120 were meant, align fitted one group under "mode: per-label", test gave overall figures
 * only. Left out, unlabelled rows stay one group.
 */
class GivenLabelFieldTest {

    @TempDir
    Path dir;

    @Test
    void aGivenLabelFieldThatNoRealRecordHasIsRefused() throws IOException {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            rows.append("{\"text\": \"row number ").append(i).append(" of the set\", \"label\": \"")
                    .append(i % 2 == 0 ? "a" : "b").append("\"}\n");
        }
        Files.writeString(dir.resolve("real.jsonl"), rows.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("synth.jsonl"), rows.toString(), StandardCharsets.UTF_8);
        String real = dir.resolve("real.jsonl").toString();
        String synth = dir.resolve("synth.jsonl").toString();
        String[][] commands = {
            {"generate", "--real", real, "--out", dir.resolve("g.jsonl").toString(), "--llm",
                "offline", "--synthetic-per-label", "2", "--label-field", "lable"},
            {"align", "--real", real, "--synthetic", synth, "--out",
                dir.resolve("w.jsonl").toString(), "--label-field", "lable"},
            {"test", "--real", real, "--synthetic", synth, "--label-field", "lable"},
            {"run", "--real", real, "--out", dir.resolve("r.jsonl").toString(), "--llm", "offline",
                "--synthetic-per-label", "2", "--label-field", "lable"},
        };
        for (String[] args : commands) {
            Cli.Run run = Cli.run(cl -> { }, args);
            Cli.assertBadInputLine(run, dir, "real.jsonl: no record has the label field 'lable'"
                    + " given with --label-field");
        }
        assertFalse(Files.exists(dir.resolve("g.jsonl")));
        assertFalse(Files.exists(dir.resolve("w.jsonl")));

        // Rows without labels and no --label-field: one group, as before.
        Files.writeString(dir.resolve("plain.jsonl"), "{\"text\": \"one\"}\n{\"text\": \"two\"}\n");
        Cli.Run plain = Cli.run(cl -> { }, "generate", "--real", dir.resolve("plain.jsonl").toString(),
                "--out", dir.resolve("p.jsonl").toString(), "--llm", "offline",
                "--synthetic-per-label", "3", "--quiet");
        assertEquals(0, plain.status(), plain.toString());
    }
}
