package io.synalign.cli;

import io.synalign.engine.ProgressListener;
import io.synalign.models.EncodeProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows engine and embedding progress on stderr without getting in the way.
 *
 * <ul>
 *   <li>Quiet for short runs: nothing appears during the first {@value #QUIET_SECONDS} seconds.</li>
 *   <li>When stderr is a terminal ({@link #stderrIsTerminal()}) a progress bar (me.tongfei
 *       progressbar, ASCII style) per stage, redrawn in place at most every
 *       {@value #TERMINAL_INTERVAL_MS} ms and erased when its stage ends or on
 *       {@link #close()}.</li>
 *   <li>Otherwise (a log file, CI) a plain line is printed at most every
 *       {@value #PLAIN_INTERVAL_SECONDS} seconds.</li>
 * </ul>
 * Thread-safe: the engine may report from worker threads.
 */
final class StderrProgress implements ProgressListener, AutoCloseable {

    static final int QUIET_SECONDS = 2;
    static final int TERMINAL_INTERVAL_MS = 200;
    static final int PLAIN_INTERVAL_SECONDS = 5;
    /** Width of a bar when the terminal's width cannot be found. */
    static final int FALLBACK_WIDTH = 80;

    private final PrintWriter err;
    private final boolean terminal;
    private final boolean enabled;
    private final LongSupplier nanoClock;
    private final IntSupplier terminalWidth;
    private final long start;
    private long lastShown;
    private boolean shownAny;
    private String stage;
    private long stageStart;
    private ProgressBar bar;
    private LineConsumer barLine;

    StderrProgress(PrintWriter err, boolean terminal, boolean enabled, LongSupplier nanoClock,
            IntSupplier terminalWidth) {
        this.err = err;
        this.terminal = terminal;
        this.enabled = enabled;
        this.nanoClock = nanoClock;
        this.terminalWidth = terminalWidth;
        this.start = nanoClock.getAsLong();
    }

    /** Progress on {@code err}, as bars when stderr is a terminal; off when quiet. */
    static StderrProgress create(PrintWriter err, boolean quiet) {
        return new StderrProgress(err, stderrIsTerminal(), !quiet, System::nanoTime,
                StderrProgress::consoleWidth);
    }

    /**
     * Whether the process's stderr is a terminal. {@code System.console()} cannot say: it
     * looks at stdin and stdout, so {@code synalign ... 2>log} would get bars in its log and
     * {@code synalign ... >out} none on the screen. On Linux the {@code /proc/self/fd/2} link
     * names the device behind stderr; elsewhere the console test is the best the JDK offers.
     */
    static boolean stderrIsTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd2)) {
            return isTerminalDevice(fd2);
        }
        return System.console() != null;
    }

    /** Whether the file-descriptor link {@code fdLink} points at a terminal device. */
    static boolean isTerminalDevice(Path fdLink) {
        try {
            String target = Files.readSymbolicLink(fdLink).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty")
                    || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** Embedding progress (texts encoded of the texts to encode) reported as the stage {@code stage}. */
    EncodeProgress encoding(String stage) {
        return (done, total) -> onProgress(stage, done, total, "");
    }

    @Override
    public synchronized void onProgress(String stage, long done, long total, String detail) {
        if (!enabled) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (!stage.equals(this.stage)) {
            this.stage = stage;
            stageStart = now;
            closeBar();
        }
        long elapsed = now - start;
        if (elapsed < TimeUnit.SECONDS.toNanos(QUIET_SECONDS)) {
            return;
        }
        if (terminal) {
            showBar(stage, done, total, detail, now);
            return;
        }
        if (shownAny && now - lastShown < TimeUnit.SECONDS.toNanos(PLAIN_INTERVAL_SECONDS)) {
            return;
        }
        shownAny = true;
        lastShown = now;
        err.println(format(stage, done, total, detail, elapsed));
        err.flush();
    }

    /**
     * A plan for long work is shown at once, whatever the time (it says what the run will cost
     * before it starts), as one line; an open progress bar is closed first.
     */
    @Override
    public synchronized void onPlan(String plan) {
        if (!enabled) {
            return;
        }
        closeBar();
        err.println("synalign: plan: " + plan);
        err.flush();
    }

    private void showBar(String stage, long done, long total, String detail, long now) {
        if (bar == null) {
            barLine = new LineConsumer(err, terminalWidth.getAsInt());
            bar = new ProgressBarBuilder().setTaskName("synalign: " + stage)
                    .setInitialMax(total > 0 ? total : -1)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(TERMINAL_INTERVAL_MS)
                    .setConsumer(barLine)
                    .clearDisplayOnFinish()
                    .startsFrom(done, Duration.ofNanos(now - stageStart))
                    .build();
        }
        bar.maxHint(total > 0 ? total : -1);
        bar.stepTo(done);
        bar.setExtraMessage(detail == null ? "" : detail.strip());
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            // progressbar skips its clear when closed before its first scheduled draw; and a
            // draw racing the close must not bring the line back.
            barLine.finish();
            bar = null;
            barLine = null;
        }
    }

    /** Erases the bar, so that what follows starts on a clean line. */
    @Override
    public synchronized void close() {
        closeBar();
    }

    static String format(String stage, long done, long total, String detail, long elapsedNanos) {
        StringBuilder sb = new StringBuilder("synalign: ").append(stage).append(' ').append(done);
        if (total > 0) {
            sb.append('/').append(total).append(String.format(Locale.ROOT, " (%d%%)",
                    Math.min(100, Math.round(100.0 * done / total))));
        }
        if (detail != null && !detail.isBlank()) {
            sb.append(", ").append(detail.strip());
        }
        long s = TimeUnit.NANOSECONDS.toSeconds(elapsedNanos);
        sb.append(String.format(Locale.ROOT, " [%d:%02d]", s / 60, s % 60));
        return sb.toString();
    }

    /** The console's width as progressbar measures it (through JLine), or a fallback. */
    private static int consoleWidth() {
        try {
            int width = new ConsoleProgressBarConsumer(System.err).getMaxRenderedLength();
            return width > 10 ? width : FALLBACK_WIDTH;
        } catch (RuntimeException | LinkageError e) {
            return FALLBACK_WIDTH;
        }
    }

    /**
     * Draws a bar's line in place on {@code err}: a carriage return, the line cut to the width,
     * spaces over the rest of a longer previous line; {@link #clear()} blanks it.
     */
    static final class LineConsumer implements ProgressBarConsumer {

        private final PrintWriter err;
        private final int width;
        private int shown;
        private boolean finished;

        LineConsumer(PrintWriter err, int width) {
            this.err = err;
            this.width = width;
        }

        @Override
        public int getMaxRenderedLength() {
            return width;
        }

        @Override
        public synchronized void accept(String rendered) {
            if (finished) {
                return;
            }
            String line = rendered.length() > width ? rendered.substring(0, width) : rendered;
            err.print("\r" + line + " ".repeat(Math.max(0, shown - line.length())));
            err.flush();
            shown = line.length();
        }

        @Override
        public synchronized void clear() {
            if (shown > 0) {
                err.print("\r" + " ".repeat(shown) + "\r");
                err.flush();
                shown = 0;
            }
        }

        /** Erases the line for good: later draws are ignored. */
        synchronized void finish() {
            clear();
            finished = true;
        }

        @Override
        public void close() {
            err.flush();
        }
    }
}
