package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StderrProgressTest {

    private long now;
    private final StringWriter text = new StringWriter();

    private StderrProgress progress(boolean terminal, boolean enabled) {
        now = 1_000_000_000L;
        return new StderrProgress(new PrintWriter(text), terminal, enabled, () -> now, () -> 100);
    }

    private void at(double seconds) {
        now = 1_000_000_000L + (long) (seconds * TimeUnit.SECONDS.toNanos(1));
    }

    @Test
    void aPlanIsShownAtOnceUnlessQuiet() {
        StderrProgress p = progress(false, true);
        at(0.1);
        p.onPlan("rff Phi_S 10 x 4: 1 kept, 2 recomputed");
        assertEquals("synalign: plan: rff Phi_S 10 x 4: 1 kept, 2 recomputed" + System.lineSeparator(),
                text.toString());
        StderrProgress quiet = progress(false, false);
        text.getBuffer().setLength(0);
        quiet.onPlan("anything");
        assertEquals("", text.toString());
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
    void terminalDrawsABarPerStageInPlaceAndErasesIt() {
        StderrProgress p = progress(true, true);
        at(1.0);
        p.onProgress("embed real", 1, 10, "");
        assertEquals("", text.toString(), "short runs stay quiet");
        at(2.0);
        p.onProgress("optimise", 100, 1000, "objective 0.25");
        at(2.1);
        p.onProgress("optimise", 400, 1000, "objective 0.125");
        at(2.3);
        // A new stage closes (erases) the previous bar and starts its own.
        p.onProgress("embed synthetic", 3, 7, "");
        p.close();
        String out = text.toString();
        assertFalse(out.contains("\n"), out);
        assertTrue(out.startsWith("\r"), out);
        assertTrue(out.contains("synalign: optimise"), out);
        assertTrue(out.contains("400/1000"), out);
        assertTrue(out.contains("objective 0.125"), out);
        assertTrue(out.contains("synalign: embed synthetic"), out);
        assertTrue(out.contains("3/7"), out);
        assertFalse(out.contains("embed real"), out);
        assertTrue(out.indexOf("embed synthetic") > out.lastIndexOf("synalign: optimise"), out);
        // Every drawn line fits the width; the last thing written erases the last bar.
        for (String line : out.split("\r")) {
            assertTrue(line.length() <= 100, "'" + line + "'");
        }
        assertTrue(out.matches("(?s).*\\r {10,100}\\r$"), out);
    }

    /**
     * The progress bar library formats with the default locale: under ar its counts and times
     * were Arabic-Indic digits ("(٠:٠٠:٠١ / ٠:٠٠:٠٦)"). The command line's process settings
     * make every library format plainly.
     */
    @Test
    void barsUnderTheCommandLinesSettingsUseAsciiDigitsWhateverTheLocale() throws Exception {
        String drawn = ForcedLocale.call(ForcedLocale.ARABIC, () -> {
            ProcessDefaults.plainNumberFormats();
            StderrProgress p = progress(true, true);
            at(2.0);
            p.onProgress("optimise", 400, 1000, "");
            at(3.0);
            p.onProgress("optimise", 500, 1000, "");
            p.close();
            return text.toString();
        });
        assertTrue(drawn.contains("500/1000"), drawn);
        assertFalse(ForcedLocale.hasArabicDigits(drawn), drawn);
    }

    @Test
    void lineConsumerCutsPadsAndClears() {
        StderrProgress.LineConsumer c = new StderrProgress.LineConsumer(new PrintWriter(text), 10);
        c.accept("0123456789abc");
        c.accept("xyz");
        c.clear();
        c.clear();
        assertEquals("\r0123456789\rxyz       \r   \r", text.toString());
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

    @Test
    void terminalDetectionReadsTheDeviceBehindTheDescriptor(@TempDir Path dir) throws IOException {
        Path file = Files.createFile(dir.resolve("log.txt"));
        assertTrue(StderrProgress.isTerminalDevice(
                Files.createSymbolicLink(dir.resolve("pts"), Path.of("/dev/pts/3"))));
        assertTrue(StderrProgress.isTerminalDevice(
                Files.createSymbolicLink(dir.resolve("tty"), Path.of("/dev/tty1"))));
        assertFalse(StderrProgress.isTerminalDevice(
                Files.createSymbolicLink(dir.resolve("file"), file)), "redirected to a file");
        assertFalse(StderrProgress.isTerminalDevice(
                Files.createSymbolicLink(dir.resolve("pipe"), Path.of("pipe:[4242]"))), "a pipe");
        assertFalse(StderrProgress.isTerminalDevice(file), "not a link");
        assertFalse(StderrProgress.isTerminalDevice(dir.resolve("missing")));
    }

    @Test
    void stderrPipedToTheTestRunnerGetsPlainLines() throws IOException, InterruptedException {
        Path fd2 = Path.of("/proc/self/fd/2");
        assumeTrue(Files.isSymbolicLink(fd2), "needs Linux /proc");
        String target = Files.readSymbolicLink(fd2).toString();
        assumeTrue(target.startsWith("pipe:")
                || (target.startsWith("/") && !target.startsWith("/dev/")),
                "stderr of this test JVM is " + target);
        assertFalse(StderrProgress.stderrIsTerminal());
        StderrProgress p = StderrProgress.create(new PrintWriter(text), false);
        p.onProgress("embed real", 0, 10, "");
        // create() uses the real clock: wait out the quiet period.
        Thread.sleep(TimeUnit.SECONDS.toMillis(StderrProgress.QUIET_SECONDS) + 100);
        p.onProgress("embed real", 5, 10, "");
        p.close();
        assertTrue(text.toString().startsWith("synalign: embed real 5/10 (50%)"), text.toString());
        assertFalse(text.toString().contains("\r"), "no bar redraws");
    }
}
