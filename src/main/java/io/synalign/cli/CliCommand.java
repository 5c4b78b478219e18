package io.synalign.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A {@code synalign} subcommand: it does its work in {@link #execute}, and every failure that
 * escapes leaves through the one error policy of the command line ({@link CliErrors}): one line
 * on stderr, exit status 2 for bad input, 1 for anything else, the stack trace only when
 * {@link #verbose()} says so. Errors (out of memory) are reported the same way, which is why
 * this catches {@code Throwable} here, once, and no command does.
 */
abstract class CliCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            return execute(spec.commandLine().getOut(), err);
        } catch (Throwable t) {
            return CliErrors.report(t, err, verbose());
        }
    }

    /**
     * Parses nothing (picocli did), checks the options, calls the library, prints the result.
     *
     * @return the exit status, {@link ExitCodes#OK} on success
     */
    abstract int execute(PrintWriter stdout, PrintWriter err) throws Exception;

    /** Whether an error report carries the stack trace ({@code --verbose}). */
    abstract boolean verbose();
}
