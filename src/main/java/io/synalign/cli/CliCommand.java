package io.synalign.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A {@code synalign} subcommand: its path options are checked against one another first
 * ({@link OutputTargets#declared}), it does its work in {@link #execute}, and every failure that
 * escapes leaves through the one error policy of the command line ({@link CliErrors}): one line
 * on stderr, exit status 2 for bad input, 1 for anything else, the stack trace only when
 * {@link #verbose()} says so. Errors (out of memory) are reported the same way, which is why
 * this catches {@code Throwable} here, once, and no command does.
 */
abstract class CliCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /**
     * The registry of this command's inputs and outputs, built from its {@link PathRole}
     * declarations and checked before {@link #execute} runs.
     */
    OutputTargets paths;

    @Override
    public final Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        try {
            paths = OutputTargets.declared(spec);
            // --out /dev/stdout: the data owns standard output, the summary lines go to stderr
            // (select's picks into a pipe were followed by "picked 3 of 12 rows ...").
            return execute(paths.writesStandardOutput() ? err : spec.commandLine().getOut(), err);
        } catch (Throwable t) {
            return CliErrors.report(t, err, verbose(), spec.findOption("--bandwidth") != null,
                    llmSource());
        }
    }

    /** Where the LLM's address came from, named when the server cannot be reached. */
    String llmSource() {
        return "--llm";
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
