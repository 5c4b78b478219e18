package io.synalign.models.llm;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;

/**
 * A stand-in for {@code System.out} while one thread does something that prints to it: that
 * thread's bytes go to stderr, every other thread's to stdout as before, so a host's own output
 * printed meanwhile stays where it belongs ({@link LlamaNatives}).
 *
 * <p>Routing is by the thread that writes, at the byte level under the print stream's own lock
 * (a {@code println} encodes and writes its bytes in one locked call), so a line is never split
 * between the two. Text is encoded as the JVM encodes its standard output
 * ({@code stdout.encoding}, Java 19 on; {@code sun.stdout.encoding} before; else the default
 * charset), so another thread's text reads the same as through {@code System.out}.
 */
final class StdoutOfOtherThreads extends OutputStream {

    private final PrintStream stdout;
    private final PrintStream stderr;
    private final Thread diverted;

    private StdoutOfOtherThreads(PrintStream stdout, PrintStream stderr, Thread diverted) {
        this.stdout = stdout;
        this.stderr = stderr;
        this.diverted = diverted;
    }

    /** A print stream writing {@code diverted}'s output to {@code stderr}, all else to {@code stdout}. */
    static PrintStream create(PrintStream stdout, PrintStream stderr, Thread diverted) {
        return new PrintStream(new StdoutOfOtherThreads(stdout, stderr, diverted), true, stdoutCharset());
    }

    private PrintStream target() {
        return Thread.currentThread() == diverted ? stderr : stdout;
    }

    @Override
    public void write(int b) {
        target().write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        target().write(b, off, len);
    }

    @Override
    public void flush() {
        stdout.flush();
        stderr.flush();
    }

    /** Not closed: the streams are the JVM's, borrowed. */
    @Override
    public void close() {
        flush();
    }

    private static Charset stdoutCharset() {
        for (String property : new String[] {"stdout.encoding", "sun.stdout.encoding"}) {
            String name = System.getProperty(property);
            if (name != null && Charset.isSupported(name)) {
                return Charset.forName(name);
            }
        }
        return Charset.defaultCharset();
    }
}
