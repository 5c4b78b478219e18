package io.synalign.cli;

import io.synalign.engine.ProgressListener;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows engine progress on stderr without getting in the way.
 *
 * <ul>
 *   <li>Quiet for short runs: nothing appears during the first {@value #QUIET_SECONDS} seconds.</li>
 *   <li>On a terminal ({@code System.console() != null}) one line is redrawn in place with
 *       {@code \r} at most every {@value #TERMINAL_INTERVAL_MS} ms and erased by {@link #close()}.</li>
 *   <li>Otherwise (a log file, CI) a plain line is printed at most every
 *       {@value #PLAIN_INTERVAL_SECONDS} seconds.</li>
 * </ul>
 * Thread-safe: the engine may report from worker threads.
 */
final class StderrProgress implements ProgressListener, AutoCloseable {

    static final int QUIET_SECONDS = 2;
    static final int TERMINAL_INTERVAL_MS = 200;
    static final int PLAIN_INTERVAL_SECONDS = 5;

    private final PrintWriter err;
    private final boolean terminal;
    private final boolean enabled;
    private final LongSupplier nanoClock;
    private final long start;
    private long lastShown;
    private boolean shownAny;
    private int lineWidth;

    StderrProgress(PrintWriter err, boolean terminal, boolean enabled, LongSupplier nanoClock) {
        this.err = err;
        this.terminal = terminal;
        this.enabled = enabled;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    /** Progress on {@code err}, redrawn in place when a console is attached; off when quiet. */
    static StderrProgress create(PrintWriter err, boolean quiet) {
        return new StderrProgress(err, System.console() != null, !quiet, System::nanoTime);
    }

    @Override
    public synchronized void onProgress(String stage, long done, long total, String detail) {
        if (!enabled) {
            return;
        }
        long now = nanoClock.getAsLong();
        long elapsed = now - start;
        if (elapsed < TimeUnit.SECONDS.toNanos(QUIET_SECONDS)) {
            return;
        }
        long interval = terminal ? TimeUnit.MILLISECONDS.toNanos(TERMINAL_INTERVAL_MS)
                : TimeUnit.SECONDS.toNanos(PLAIN_INTERVAL_SECONDS);
        if (shownAny && now - lastShown < interval) {
            return;
        }
        shownAny = true;
        lastShown = now;
        String line = format(stage, done, total, detail, elapsed);
        if (terminal) {
            // Pad with spaces so a shorter line fully covers the previous one.
            err.print("\r" + line + " ".repeat(Math.max(0, lineWidth - line.length())));
            lineWidth = line.length();
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Erases the in-place line, so that what follows starts on a clean line. */
    @Override
    public synchronized void close() {
        if (terminal && lineWidth > 0) {
            err.print("\r" + " ".repeat(lineWidth) + "\r");
            err.flush();
            lineWidth = 0;
        }
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
}
