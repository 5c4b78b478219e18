package io.synalign.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The process-wide settings of the {@code synalign} command line, made once in
 * {@link SynAlignCommand#main} and never by library code (they change the whole JVM).
 *
 * <ul>
 *   <li>Standard output and error are written in UTF-8 whatever the locale: Java 17 writes
 *       them in the locale's character set, which under {@code LANG=C} (or no LANG, the default
 *       of many containers and batch schedulers) is ASCII, and every label, text or file name
 *       outside it printed as {@code ?} (two different CJK labels both as {@code ???}). The
 *       files SynAlign writes, {@code --out /dev/stdout} included, are UTF-8 already; the
 *       messages now match them. Under a UTF-8 locale the bytes are the same as before.</li>
 *   <li>Numbers are formatted in {@link Locale#ROOT}: the libraries the commands use (the
 *       terminal progress bar) format with the default locale, which under an Arabic or Hindi
 *       locale printed native digits ({@code ٠:٠٠:٠١}) beside the ASCII digits of every
 *       other line.</li>
 * </ul>
 */
final class ProcessDefaults {

    private ProcessDefaults() {
    }

    /**
     * Replaces {@code System.out}/{@code System.err} and the default format locale; returns the
     * recorder of failed writes under the new {@code System.out}.
     */
    static StandardOutputFailure apply() {
        // Autoflush, unbuffered below: every write reaches the descriptor at once, as with the
        // JDK's own streams (whose autoflush flushes each write), so nothing waits for exit.
        StandardOutputFailure stdout = new StandardOutputFailure(new FileOutputStream(FileDescriptor.out));
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new FileOutputStream(FileDescriptor.err), true,
                StandardCharsets.UTF_8));
        plainNumberFormats();
        return stdout;
    }

    /** Numbers formatted without a locale's digits or separators, by every library. */
    static void plainNumberFormats() {
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
    }

    /**
     * A picocli writer over {@code stream} that encodes in UTF-8 and flushes on each line.
     * picocli's default wraps {@code System.out} in a writer of the locale's character set (and,
     * on a terminal, of {@code sun.stdout.encoding}), which would undo {@link #apply()}.
     */
    static PrintWriter utf8Writer(PrintStream stream) {
        return new PrintWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), true);
    }
}
