package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StderrProgressTest {

    private long now;
    private final StringWriter text = new StringWriter();

    private StderrProgress progress(boolean terminal, boolean enabled) {
        now = 1_000_000_000L;
        return new StderrProgress(new PrintWriter(text), terminal, enabled, () -> now);
    }

    private void at(double seconds) {
        now = 1_000_000_000L + (long) (seconds * TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void plainLinesAfterTheQuietPeriodAtMostEveryFewSeconds() {
        StderrProgress p = progress(false, true);
        at(0.5);
        p.onProgress("optimise", 1, 500, "objective 0.5");
        at(1.9);
        p.onProgress("optimise", 2, 500, "");
        assertEquals("", text.toString(), "short runs stay quiet");
        at(2.1);
        p.onProgress("optimise", 120, 500, "objective 1.2e-3");
        at(3);
        p.onProgress("optimise", 130, 500, "");
        at(7.0);
        p.onProgress("optimise", 140, 500, "");
        at(7.2);
        p.onProgress("optimise", 150, 500, "");
        at(65);
        p.onProgress("kernel", 7, -1, " ");
        p.close();
        String[] lines = text.toString().split("\n", -1);
        assertEquals(4, lines.length, text.toString()); // three lines and the final newline
        assertEquals("synalign: optimise 120/500 (24%), objective 1.2e-3 [0:02]", lines[0]);
        assertEquals("synalign: optimise 150/500 (30%) [0:07]", lines[1]);
        assertEquals("synalign: kernel 7 [1:05]", lines[2]);
        assertEquals("", lines[3]);
        assertFalse(text.toString().contains("\r"));
    }

    @Test
    void terminalRedrawsOneLineInPlaceAndErasesIt() {
        StderrProgress p = progress(true, true);
        at(2.0);
        p.onProgress("optimise", 100, 1000, "long detail text");
        at(2.1);
        p.onProgress("optimise", 150, 1000, "");
        at(2.3);
        p.onProgress("optimise", 200, 1000, "");
        String first = "synalign: optimise 100/1000 (10%), long detail text [0:02]";
        String second = "synalign: optimise 200/1000 (20%) [0:02]";
        assertEquals("\r" + first + "\r" + second + " ".repeat(first.length() - second.length()),
                text.toString());
        p.close();
        assertTrue(text.toString().endsWith("\r" + " ".repeat(second.length()) + "\r"));
        assertFalse(text.toString().contains("\n"));
    }

    @Test
    void quietShowsNothing() {
        StderrProgress p = progress(true, false);
        for (int s = 0; s < 100; s++) {
            at(s);
            p.onProgress("optimise", s, 100, "x");
        }
        p.close();
        assertEquals("", text.toString());
    }

    @Test
    void closeWithoutAnyLineWritesNothing() {
        StderrProgress p = progress(true, true);
        p.onProgress("optimise", 1, 2, "");
        p.close();
        assertEquals("", text.toString());
    }
}
