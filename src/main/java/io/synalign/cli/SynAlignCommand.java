package io.synalign.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine;

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
        description = "Distribution matching for few-shot LLM synthetic data.",
        footer = {"%nNew here? 'synalign demo' runs the whole pipeline offline (0.5 to 3 minutes).",
            "Run 'synalign COMMAND --help' for a command's options."},
        subcommands = {EmbedCommand.class, AlignCommand.class, SelectCommand.class, GenerateCommand.class, RunCommand.class,
            EvaluateCommand.class, ReportCommand.class, DemoCommand.class, NegativesCommand.class, BeirCommand.class, FilterCommand.class, TestCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
public final class SynAlignCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /**
     * One line per command for the top-level help, in the order a new user meets them; the
     * commands' own descriptions are their long form (each command's --help).
     */
    static final Map<String, String> SUMMARIES = summaries();

    private static Map<String, String> summaries() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("demo", "the whole pipeline offline on WordNet glosses: data, generate, align,"
                + " evaluate, report");
        m.put("generate", "write synthetic labelled rows with an LLM (or the offline EDA baseline)");
        m.put("align", "learn MMD sampling weights that make synthetic rows match real rows");
        m.put("run", "generate, align and write a weighted sample: the aligned set");
        m.put("evaluate", "train a small student on real, real + synthetic and real + aligned rows");
        m.put("report", "write a self-contained HTML report of a run directory");
        m.put("negatives", "mine hard negatives for query rows over a BEIR corpus (training triplets)");
        m.put("beir", "write query rows as a BEIR query set (queries.jsonl, qrels/SPLIT.tsv)");
        m.put("filter", "remove rows that leak a test set or near-duplicate an earlier row");
        m.put("test", "two-sample test of real against synthetic rows (MMD^2, permutation p-value)");
        m.put("embed", "embed the texts of a JSONL/CSV/TSV file with a sentence encoder (.npy)");
        m.put("select", "pick rows that explore the embedding space (GP posterior variance)");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Without a subcommand there is nothing to do: a usage error naming every command. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command; give one of "
                + String.join(", ", SUMMARIES.keySet()) + " (new here? try 'synalign demo')");
    }

    /** The "Commands:" section: each command once, with its one-line summary. */
    private static String commandList(Help help) {
        StringBuilder sb = new StringBuilder();
        int width = SUMMARIES.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, String> e : SUMMARIES.entrySet()) {
            sb.append(String.format(java.util.Locale.ROOT, "  %-" + width + "s  %s%n", e.getKey(),
                    e.getValue()));
        }
        return sb.toString();
    }

    /**
     * A command line with one-line usage errors (exit 2) and one-line reports of anything that
     * escapes a subcommand. Output and error writers can be replaced with {@code setOut}/
     * {@code setErr} before {@code execute}.
     */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new SynAlignCommand());
        cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST,
                SynAlignCommand::commandList);
        cl.setParameterExceptionHandler(SynAlignCommand::usageError);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) ->
                CliErrors.report(ex, cmd.getErr(), false));
        return cl;
    }

    /**
     * Runs the command line in this process: UTF-8 standard streams and plain number formats
     * ({@link ProcessDefaults}), then a refusal of arguments or a working directory the locale
     * could not decode ({@link LocaleCharsetCheck}), then the command; a write to standard
     * output that failed meanwhile turns a successful exit into status 1
     * ({@link StandardOutputFailure}).
     */
    public static void main(String[] args) {
        OffHeapCaps.applyDefaults(); // before any JavaCPP class reads its caps
        StandardOutputFailure stdout = ProcessDefaults.apply();
        configureLogging(args);
        CommandLine cl = newCommandLine();
        cl.setOut(ProcessDefaults.utf8Writer(System.out));
        cl.setErr(ProcessDefaults.utf8Writer(System.err));
        String unreadable = LocaleCharsetCheck.problem(args);
        if (unreadable != null) {
            cl.getErr().println(CliErrors.PREFIX + CliErrors.oneLine(unreadable));
            cl.getErr().flush();
            System.exit(ExitCodes.BAD_INPUT);
        }
        int status = cl.execute(args);
        System.exit(stdout.afterRun(status, cl.getOut(), cl.getErr()));
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
        String message = String.valueOf(ex.getMessage());
        if (ex instanceof UnmatchedArgumentException u && cmd.getParent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")
                && cmd.getParseResult() != null && !cmd.getParseResult().hasSubcommand()) {
            message = "unknown command '" + u.getUnmatched().get(0) + "'; the commands are "
                    + String.join(", ", SUMMARIES.keySet());
        }
        String renamed = ex instanceof UnmatchedArgumentException u ? renamedOption(u) : null;
        if (renamed != null) {
            // Only the retired option: its value (if any) is unmatched too, but not the problem.
            message = "unknown option '" + ((UnmatchedArgumentException) ex).getUnmatched().get(0)
                    .replaceFirst("=.*", "") + "'; " + renamed;
        }
        if (causedBy(ex, java.nio.file.InvalidPathException.class)
                && !LocaleCharsetCheck.isUtf8(System.getProperty("sun.jnu.encoding"))) {
            // A path the locale's character set cannot name (one read from an @-file in another
            // charset): the value is fine, the locale is not.
            message += "; the locale's character set " + System.getProperty("sun.jnu.encoding")
                    + " cannot name this path: " + LocaleCharsetCheck.REMEDY;
        }
        StringBuilder line = new StringBuilder(CliErrors.PREFIX)
                .append(CliErrors.oneLine(message));
        if (renamed == null && ex instanceof UnmatchedArgumentException u) {
            List<String> close = closeSuggestions(u);
            if (!close.isEmpty()) {
                line.append("; did you mean ").append(String.join(" or ", close)).append('?');
            }
        }
        line.append(" (see '").append(cmd.getCommandSpec().qualifiedName()).append(" --help')");
        err.println(line);
        err.flush();
        return ExitCodes.BAD_INPUT;
    }

    /**
     * Options of earlier releases, each with what replaced it: one vocabulary for every command
     * ({@code --encoder} is the sentence encoder, {@code --model} only the LLM; a count names what
     * it counts; the alignment scope is a mode, {@code --scope}).
     */
    static final Map<String, String> RENAMED = Map.of(
            "--model", "the sentence encoder is --encoder in every command (--model names the LLM"
                    + " of generate and run)",
            "--per-label", "the alignment scope is --scope per-label; the number of synthetic rows"
                    + " per label is --synthetic-per-label N",
            "--global", "the alignment scope is --scope global",
            "--total", "the number of synthetic rows in all is --synthetic-rows N");

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /** What replaced the first unmatched option, if it is one of {@link #RENAMED}; else null. */
    static String renamedOption(UnmatchedArgumentException u) {
        if (u.getUnmatched().isEmpty()) {
            return null;
        }
        return RENAMED.get(u.getUnmatched().get(0).replaceFirst("=.*", ""));
    }

    /**
     * picocli's suggestions that are plausibly a typo of the unmatched word: within an edit
     * distance of a third of its length (at least 2), or starting with it ("frobnicate" no
     * longer suggests "evaluate"; "evalute" still does).
     */
    static List<String> closeSuggestions(UnmatchedArgumentException u) {
        List<String> unmatched = u.getUnmatched();
        if (unmatched.isEmpty()) {
            return List.of();
        }
        String word = unmatched.get(0).replaceFirst("^-+", "").replaceFirst("=.*", "");
        List<String> out = new java.util.ArrayList<>();
        for (String s : u.getSuggestions()) {
            String bare = s.replaceFirst("^-+", "");
            if (bare.startsWith(word) && !word.isEmpty()
                    || editDistance(word, bare) <= Math.max(2, word.length() / 3)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Levenshtein distance. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
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
