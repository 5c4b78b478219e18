package io.synalign.cli;

import io.synalign.engine.alignment.MemoryBudgetException;
import io.synalign.engine.MedianHeuristic;
import io.synalign.io.InputException;
import io.synalign.kernels.BackendUnavailableException;
import io.synalign.kernels.NativeMemoryException;
import io.synalign.models.EncoderUnavailableException;
import io.synalign.models.llm.ChatConnectException;
import io.synalign.models.llm.ChatHttpException;
import io.synalign.models.llm.ChatModelException;
import io.synalign.models.llm.JournalException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;

/**
 * Turns a failure into one line on stderr and an exit status. Bad input (an
 * {@link InputException}, an {@link IllegalArgumentException} from option checks or the engine,
 * an unavailable {@code --backend}, a request the LLM server refused) exits with
 * {@link ExitCodes#BAD_INPUT}; anything else with {@link ExitCodes#FAILURE}. Every subcommand
 * reports through here ({@link CliCommand}), and so do failures picocli catches itself. The stack trace follows only with {@code --verbose}.
 */
final class CliErrors {

    /**
     * The launcher's default JVM options ({@code default_java_opts} in {@code ./synalign}),
     * which {@code SYNALIGN_JAVA_OPTS} replaces; {@code LauncherMemoryDefaultsTest} holds the two
     * equal.
     */
    static final String LAUNCHER_DEFAULTS = "-XX:MaxRAMPercentage=33 -XX:+UseCompressedOops";

    static final String PREFIX = "synalign: error: ";

    private CliErrors() {
    }

    /** Prints the error line (and, if {@code verbose}, the stack trace); returns the exit status. */
    static int report(Throwable failure, PrintWriter err, boolean verbose) {
        return report(failure, err, verbose, true);
    }

    /**
     * {@link #report(Throwable, PrintWriter, boolean)} for a command that has, or has not, a
     * {@code --bandwidth} option (only then is the user told to give one).
     */
    static int report(Throwable failure, PrintWriter err, boolean verbose, boolean bandwidthOption) {
        return report(failure, err, verbose, bandwidthOption, "--llm");
    }

    /**
     * {@link #report(Throwable, PrintWriter, boolean, boolean)} naming {@code llmSource} as where
     * the LLM's address came from when it cannot be reached: {@code demo} has no {@code --llm},
     * its address is the environment variable SYNALIGN_LLM_URL.
     */
    static int report(Throwable failure, PrintWriter err, boolean verbose, boolean bandwidthOption,
            String llmSource) {
        Throwable t = failure instanceof ChatHttpException e ? refused(e)
                : failure instanceof ChatConnectException c
                        ? new IllegalArgumentException(c.getMessage() + " (check " + llmSource + ")", c)
                        : failure;
        int status = exitCode(t);
        err.println(PREFIX + message(t, verbose, bandwidthOption));
        if (verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return status;
    }

    /** An LLM server's refusal (an HTTP 4xx) is the request's fault: bad input. */
    static IllegalArgumentException refused(ChatHttpException e) {
        return new IllegalArgumentException("the LLM server refused the request: "
                + e.getMessage(), e);
    }

    static int exitCode(Throwable t) {
        if (t instanceof InputException || t instanceof IllegalArgumentException
                || t instanceof BackendUnavailableException || t instanceof JournalException) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.FAILURE;
    }

    /** The one-line message for {@code t}. */
    static String message(Throwable t, boolean verbose) {
        return message(t, verbose, true);
    }

    /** The one-line message for {@code t}, from a command with or without {@code --bandwidth}. */
    static String message(Throwable t, boolean verbose, boolean bandwidthOption) {
        String text;
        if (t instanceof HeldOutCheckFailure f) {
            // The outputs were written first: said before why the check failed.
            text = f.line(message(f.getCause(), verbose, bandwidthOption));
        } else if (t instanceof MemoryBudgetException m) {
            // The engine names the setting; the command line names its options.
            text = m.problem() + "; raise --memory-budget or use --method tiled or rff";
        } else if (t instanceof InputException e) {
            text = e.message(RecordOptions::flag);
        } else if (t instanceof IllegalArgumentException && t.getMessage() != null
                && !t.getMessage().startsWith("--")
                && causedBy(t, MedianHeuristic.Unusable.class)) {
            // The engine asks for the value; the command line names the option that gives it,
            // where it has one (test and evaluate pick theirs: told to give --bandwidth, a user
            // got "Unknown options").
            text = bandwidthOption ? t.getMessage() + " (give --bandwidth SIGMA)"
                    : t.getMessage().replace(" or give the value explicitly", "")
                            .replace("; give the value explicitly", "")
                            + " (this command takes no bandwidth: the rows are too alike to compare)";
        } else if (t instanceof InputException || t instanceof IllegalArgumentException
                || t instanceof BackendUnavailableException || t instanceof JournalException) {
            text = t.getMessage();
        } else if (t instanceof EncoderUnavailableException) {
            // The environment (exit 1): the message names what to change; nothing went wrong in
            // the program, so no "unexpected".
            text = t.getMessage();
        } else if (t instanceof ChatModelException) {
            // The LLM or its server failed (exit 1): its own message says how, with the last
            // failure; no "unexpected": nothing in the program went wrong.
            text = t.getMessage();
        } else if (t instanceof NativeMemoryException) {
            // Where the JVM options go for the launcher; exit 1: the input is fine.
            // SYNALIGN_JAVA_OPTS replaces the launcher's defaults: a user who gave only the cap
            // would lose the heap and the physical-memory cap, so the message lists them.
            text = t.getMessage() + "; with ./synalign give it in SYNALIGN_JAVA_OPTS, which"
                    + " replaces the launcher's defaults, so repeat them: " + LAUNCHER_DEFAULTS;
        } else if (t instanceof OutOfMemoryError) {
            text = "out of memory (" + t.getMessage() + "); give the JVM more with"
                    + " SYNALIGN_JAVA_OPTS=-Xmx...; align can also hold less with --method rff,"
                    + " nystrom or tiled, or fewer --features";
        } else if (t instanceof UncheckedIOException u) {
            text = uncheckedIoMessage(u);
        } else if (t instanceof IOException io) {
            text = ioMessage(io);
        } else {
            text = "unexpected " + t.getClass().getSimpleName()
                    + (t.getMessage() == null ? "" : ": " + t.getMessage())
                    + (verbose ? "" : " (run with --verbose for the stack trace)");
        }
        return oneLine(text == null ? t.getClass().getSimpleName() : text);
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * An {@link UncheckedIOException}'s line: its own message where it has one (what was being
     * done: "cannot write journal runs/j/journal.jsonl; the journal is closed, ..."), with the
     * cause's words after it unless the message holds them already; the cause's line alone
     * for a bare wrapper, whose message is only the cause's {@code toString}. Before, the
     * cause's line alone always: "I/O error: No space left on device", with no word of the
     * journal or the cache the write was for.
     */
    static String uncheckedIoMessage(UncheckedIOException u) {
        IOException cause = u.getCause();
        String own = u.getMessage();
        if (own == null || own.equals(String.valueOf(cause))) {
            return ioMessage(cause);
        }
        String reason = ioMessage(cause);
        if (reason.startsWith("I/O error: ")) {
            reason = reason.substring("I/O error: ".length());
        }
        return own.contains(reason) ? own : own + " (" + reason + ")";
    }

    private static String ioMessage(IOException e) {
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + (f.getReason() == null ? f.getClass().getSimpleName() : f.getReason());
        }
        return "I/O error: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    /** Collapses line breaks so that every error is exactly one line. */
    static String oneLine(String s) {
        // Messages quote data (a label or path from a run document, a record's value): a control
        // character left in one could recolour the terminal or forge a line.
        return io.synalign.io.SafeText.forTerminal(s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip());
    }
}
