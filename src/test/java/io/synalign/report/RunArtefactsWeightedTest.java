package io.synalign.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.InputException;
import io.synalign.pipeline.RunFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weighted.jsonl} is read record by record: every weight, text and label in order (more
 * records than the first buffer holds), equal labels sharing one string, and a bad weight named
 * by its line.
 */
class RunArtefactsWeightedTest {

    @TempDir
    Path dir;

    private void write(int n, int badLine) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            double w = i + 1 == badLine ? -1 : (i % 7) / 3.0;
            sb.append("{\"text\": \"row ").append(i).append("\", \"label\": \"")
                    .append(i % 3 == 0 ? "alpha" : "beta").append("\", \"synalign_weight\": ")
                    .append(w).append("}\n");
        }
        Files.writeString(dir.resolve(RunFiles.WEIGHTED), sb.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void everyRecordIsReadInOrderWithSharedLabels() throws IOException {
        int n = 2_503;
        write(n, -1);
        RunArtefacts.Weighted w = RunArtefacts.load(dir).weighted();
        assertEquals(n, w.weights().length);
        assertEquals(n, w.texts().size());
        assertEquals(n, w.labels().size());
        for (int i = 0; i < n; i++) {
            assertEquals((i % 7) / 3.0, w.weights()[i], 0.0, "weight " + i);
            assertEquals("row " + i, w.texts().get(i));
            assertEquals(i % 3 == 0 ? "alpha" : "beta", w.labels().get(i));
        }
        assertSame(w.labels().get(0), w.labels().get(3), "equal labels share one string");
        assertSame(w.labels().get(1), w.labels().get(2_500));
        assertNull(w.corpusIds(), "no corpus ids: not query rows");
    }

    @Test
    void aBadWeightNamesItsLine() throws IOException {
        write(1_500, 1_234);
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains(RunFiles.WEIGHTED) && e.getMessage().contains("1234")
                && e.getMessage().contains("synalign_weight"), e.getMessage());
    }

    /**
     * A run aligned with --max-line-size 4MiB wrote a 1.2 MB line: report refused it ("longer
     * than the limit of 1 MiB (raise it with --max-line-size)", an option report does not have).
     * It reads under the run's own limit now, and no more than that.
     */
    @Test
    void aRunMadeWithLongerLinesIsReadUnderItsOwnLimit() throws IOException {
        String text = "x".repeat(1_200_000);
        Files.writeString(dir.resolve(RunFiles.WEIGHTED), "{\"text\": \"" + text
                + "\", \"synalign_weight\": 1.0}\n", StandardCharsets.UTF_8);
        InputException e = assertThrows(InputException.class, () -> RunArtefacts.load(dir));
        assertTrue(e.getMessage().contains("longer than the limit of 1 MiB"), e.getMessage());
        Files.writeString(dir.resolve(RunFiles.ALIGNMENT), "{\"settings\": {\"--max-line-size\": \"4MiB\"}}");
        assertEquals(text, RunArtefacts.load(dir).weighted().texts().get(0));
        assertEquals(4L << 20, RunArtefacts.maxLineBytes(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"settings\": {\"--max-line-size\": \"4MiB\"}}")));
        assertEquals(1L << 20, RunArtefacts.maxLineBytes(null));
        assertEquals(1L << 20, RunArtefacts.maxLineBytes(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree("{\"settings\": {\"--max-line-size\": \"1000\"}}")), "never below the default");
    }
}
