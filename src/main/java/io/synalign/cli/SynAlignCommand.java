package io.synalign.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code synalign} command: distribution matching for few-shot LLM synthetic data.
 * Subcommands {@link EmbedCommand embed} (texts to embeddings), {@link AlignCommand align} (MMD
 * sampling weights for synthetic rows or records) and {@link SelectCommand select} (GP
 * exploration-aware selection), {@link GenerateCommand generate}, {@link RunCommand run} and
 * {@link EvaluateCommand evaluate} (downstream students on real, synthetic and aligned rows).
 *
 * <p>Exit status 0 on success, 2 on bad input (usage errors, invalid option values, unusable
 * input files; one line on stderr), 1 on any other failure. Use {@link #newCommandLine()} to run
 * it in-process with the same error reporting as {@link #main}.
 */
@Command(name = "synalign", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Distribution matching for few-shot LLM synthetic data.",
            "  embed   embed the texts of a JSONL/CSV/TSV file with a sentence encoder (.npy)",
            "  align   learn MMD sampling weights that make synthetic rows match real rows",
            "  select  pick rows that explore the embedding space (GP posterior variance)",
            "  generate  write synthetic labelled rows with an LLM (or the offline EDA baseline)",
            "  run     generate, align and write a weighted sample: the aligned set",
            "  evaluate  train a small student on real, real + synthetic and real + aligned rows",
            "  report  write a self-contained HTML report of a run directory",
            "  demo    the whole pipeline offline on WordNet glosses: data, generate, align, evaluate, report",
            "Run 'synalign COMMAND --help' for a command's options."},
        subcommands = {EmbedCommand.class, AlignCommand.class, SelectCommand.class, GenerateCommand.class, RunCommand.class,
            EvaluateCommand.class, ReportCommand.class, DemoCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
public final class SynAlignCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Without a subcommand there is nothing to do: a usage error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: embed, align, select or generate");
    }

    /**
     * A command line with one-line usage errors (exit 2) and one-line reports of anything that
     * escapes a subcommand. Output and error writers can be replaced with {@code setOut}/
     * {@code setErr} before {@code execute}.
     */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new SynAlignCommand());
        cl.setParameterExceptionHandler(SynAlignCommand::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) ->
                CliErrors.report(ex, cmd.getErr(), false));
        return cl;
    }

    public static void main(String[] args) {
        configureLogging(args);
        System.exit(newCommandLine().execute(args));
    }

    /** Prints a picocli usage error as one line, with a hint where to look, and returns 2. */
    static int usageError(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        if (ex instanceof MissingParameterException && !cmd.getUnmatchedArguments().isEmpty()) {
            // picocli checks required options before unknown ones, but a misspelt option is the
            // likelier cause of both.
            ex = new UnmatchedArgumentException(cmd, cmd.getUnmatchedArguments());
        }
        PrintWriter err = cmd.getErr();
        StringBuilder line = new StringBuilder(CliErrors.PREFIX)
                .append(CliErrors.oneLine(String.valueOf(ex.getMessage())));
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            line.append("; did you mean ").append(String.join(" or ", u.getSuggestions())).append('?');
        }
        line.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
        err.println(line);
        err.flush();
        return ExitCodes.BAD_INPUT;
    }

    /**
     * slf4j-simple reads its level once, at the first log call, so {@code --verbose} must be
     * seen before anything logs.
     */
    private static void configureLogging(String[] args) {
        // JavaCPP's own messages (which libraries it loads, from where) go to slf4j and show
        // only with --verbose. Its presets are of one release (the parent pom pins JavaCPP,
        // OpenBLAS and CUDA 13 together), so there is no version warning to hide.
        if (System.getProperty("org.bytedeco.javacpp.logger") == null) {
            System.setProperty("org.bytedeco.javacpp.logger", "slf4j");
            System.setProperty("org.slf4j.simpleLogger.log.org.bytedeco.javacpp", "error");
        }
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (a.equals("-v") || a.equals("--verbose")) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
                System.setProperty("org.slf4j.simpleLogger.log.org.bytedeco.javacpp", "info");
            }
        }
    }
}
