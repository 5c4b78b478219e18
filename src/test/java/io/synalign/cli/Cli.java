package io.synalign.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs {@code synalign} in-process with captured stdout and stderr. */
final class Cli {

    /** What one run produced. */
    record Run(int status, String out, String err) {

        /** The non-empty lines of stderr. */
        List<String> errLines() {
            return Arrays.stream(err.split("\\R")).filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "status " + status + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    /** Runs the fully configured command line (as {@code main} does). */
    static Run run(Consumer<CommandLine> setup, String... args) {
        return run(SynAlignCommand.newCommandLine(), setup, args);
    }

    /** Runs a bare {@code new CommandLine(new SynAlignCommand())}. */
    static Run runBare(Consumer<CommandLine> setup, String... args) {
        return run(new CommandLine(new SynAlignCommand()), setup, args);
    }

    private static Run run(CommandLine cl, Consumer<CommandLine> setup, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        setup.accept(cl);
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /**
     * Asserts a bad-input run: exit 2, one stderr line starting {@code synalign: error: } that
     * holds every fragment ({@code @} standing for {@code dir}) and no exception name, nothing
     * on stdout. Returns the line.
     */
    static String assertBadInputLine(Run run, java.nio.file.Path dir, String... fragments) {
        org.junit.jupiter.api.Assertions.assertEquals(ExitCodes.BAD_INPUT, run.status(), run.toString());
        List<String> lines = run.errLines();
        org.junit.jupiter.api.Assertions.assertEquals(1, lines.size(), run.toString());
        String line = lines.get(0);
        org.junit.jupiter.api.Assertions.assertTrue(line.startsWith("synalign: error: "), line);
        for (String f : fragments) {
            org.junit.jupiter.api.Assertions.assertTrue(line.contains(f.replace("@", dir.toString())),
                    "'" + f + "' missing from: " + line);
        }
        org.junit.jupiter.api.Assertions.assertFalse(line.contains("Exception"), line);
        org.junit.jupiter.api.Assertions.assertEquals("", run.out());
        return line;
    }

    static AlignCommand align(CommandLine cl) {
        return (AlignCommand) cl.getSubcommands().get("align").getCommand();
    }

    static SelectCommand select(CommandLine cl) {
        return (SelectCommand) cl.getSubcommands().get("select").getCommand();
    }
}
