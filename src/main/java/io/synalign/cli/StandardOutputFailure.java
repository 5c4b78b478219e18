package io.synalign.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Keeps the first failure of writing to standard output, which {@link java.io.PrintStream} and
 * {@link java.io.PrintWriter} swallow (they only set {@code checkError}): {@code synalign test
 * ... > /dev/full}, or a disk that fills under {@code > report.txt}, lost the command's report
 * and still exited 0, so a script went on with an empty file. The command line asks
 * {@link #afterRun} once the command is done, and a failed write becomes one error line and
 * exit status 1, as {@code --out /dev/stdout} already did (the way GNU tools end on "write
 * error").
 *
 * <p>It sits under {@code System.out}'s print stream, above the descriptor: one check per
 * write, nothing buffered here, so the stream's flushing is as before.
 */
final class StandardOutputFailure extends FilterOutputStream {

    private volatile IOException first;

    StandardOutputFailure(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        try {
            out.write(b);
        } catch (IOException e) {
            throw remembered(e);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw remembered(e);
        }
    }

    @Override
    public void flush() throws IOException {
        try {
            out.flush();
        } catch (IOException e) {
            throw remembered(e);
        }
    }

    private IOException remembered(IOException e) {
        if (first == null) {
            first = e;
        }
        return e;
    }

    /** The first write that failed, or null. */
    IOException failure() {
        return first;
    }

    /**
     * The exit status once a command returned {@code status}, everything it printed flushed: 1
     * with a line on {@code err} when a write to standard output failed and the command had
     * otherwise succeeded; {@code status} otherwise (a failed command's own error comes first and
     * its status stands).
     */
    int afterRun(int status, java.io.PrintWriter out, java.io.PrintWriter err) {
        out.flush();
        IOException failed = first;
        if (failed == null || status != ExitCodes.OK) {
            return status;
        }
        String why = failed.getMessage() == null ? failed.getClass().getSimpleName() : failed.getMessage();
        err.println(CliErrors.PREFIX + CliErrors.oneLine("standard output: "
                + (why.contains("Broken pipe") ? "its reader went away before all was written (broken pipe)"
                        : "writing failed (" + why + ")")
                + "; what the command printed there is incomplete"));
        err.flush();
        return ExitCodes.FAILURE;
    }
}
