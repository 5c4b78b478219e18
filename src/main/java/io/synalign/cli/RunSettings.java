package io.synalign.cli;

import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.kernels.KernelStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code settings} of a run document ({@code alignment.json}, {@code generation.json},
 * {@code evaluation.json}): each setting once, keyed by its option's long name, with the value
 * that took effect (a default the command resolved, such as the sample size or the cache
 * directory, is stated as resolved), and every path relative to the run directory, so that a
 * run directory can be moved or shared without leaking the machine's layout. {@code given}
 * lists the options the user typed, so that a reader can tell a choice from a default.
 *
 * <p>Left out: help, version and verbosity options (they change no result), {@code --run-dir}
 * itself (the document is in it), and any option whose name suggests a secret (none holds one
 * today: {@code --api-key-env} names a variable, never its value).
 */
final class RunSettings {

    private static final Set<String> NOT_SETTINGS = Set.of("--run-dir", "--quiet", "--verbose");
    private static final List<String> SECRET_WORDS = List.of("token", "secret", "password");

    private RunSettings() {
    }

    /**
     * What a run document states: {@code settings} and {@code given}.
     *
     * @param settings each setting's value as it took effect, keyed by option name
     * @param given the options given on the command line, in declaration order
     */
    /**
     * @param command the subcommand whose options these are ({@code align}, {@code run}, ...):
     *     what wrote the document, for a reader that must tell (the report's advice)
     */
    record Stated(String command, Map<String, Object> settings, List<String> given) {
    }

    /**
     * The settings of {@code spec}'s options that {@code include} accepts, and which of them
     * were given.
     *
     * @param runDir the run directory the document is written to
     * @param effective values that replace the parsed ones, keyed by option name (a resolved
     *     default; {@code null} values are kept as null)
     */
    static Stated state(CommandSpec spec, Path runDir, Predicate<String> include,
            Map<String, Object> effective) {
        return new Stated(spec.name(), of(spec, runDir, include, effective), given(spec, include));
    }

    private static Map<String, Object> of(CommandSpec spec, Path runDir, Predicate<String> include,
            Map<String, Object> effective) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (OptionSpec o : settings(spec, include)) {
            String name = o.longestName();
            Object v = effective.containsKey(name) ? effective.get(name) : o.getValue();
            out.put(name, value(v, runDir));
        }
        return out;
    }

    private static List<String> given(CommandSpec spec, Predicate<String> include) {
        List<String> out = new ArrayList<>();
        for (OptionSpec o : settings(spec, include)) {
            if (spec.commandLine() != null && spec.commandLine().getParseResult() != null
                    && spec.commandLine().getParseResult().hasMatchedOption(o)) {
                out.add(o.longestName());
            }
        }
        return out;
    }

    private static List<OptionSpec> settings(CommandSpec spec, Predicate<String> include) {
        List<OptionSpec> out = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            if (o.usageHelp() || o.versionHelp() || NOT_SETTINGS.contains(name)
                    || SECRET_WORDS.stream().anyMatch(name::contains) || !include.test(name)) {
                continue;
            }
            out.add(o);
        }
        return out;
    }

    /** A JSON-friendly value: numbers and booleans as such, paths relative, the rest as text. */
    static Object value(Object v, Path runDir) {
        if (v == null || v instanceof Number || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Path p) {
            return relative(p, runDir);
        }
        if (v instanceof LabelMode m) {
            return m.cliName();
        }
        if (v instanceof AlignmentMethod m) {
            return m.cliName();
        }
        if (v instanceof KernelStorage k) {
            return k.cliName();
        }
        if (v instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object e : list) {
                out.add(value(e, runDir));
            }
            return out;
        }
        return v.toString();
    }

    /**
     * {@code p} relative to {@code runDir} ({@code /}-separated; {@code ..} where it lies
     * outside), or absolute where no relative path exists (another root or drive).
     */
    static String relative(Path p, Path runDir) {
        return relative(p, runDir, Path.of(System.getProperty("user.home")));
    }

    /**
     * {@link #relative(Path, Path)} with the home directory given: a path in the home directory
     * seen from a run directory outside it (the default cache, seen from /tmp/run) is written
     * {@code ~/...}, which says more than a climb of {@code ../../..} and names no user.
     */
    static String relative(Path p, Path runDir, Path home) {
        Path abs = p.toAbsolutePath().normalize();
        Path run = runDir.toAbsolutePath().normalize();
        Path h = home.toAbsolutePath().normalize();
        if (abs.startsWith(h) && !run.startsWith(h) && !abs.equals(h)) {
            Path rel = h.relativize(abs);
            return "~/" + rel.toString().replace(rel.getFileSystem().getSeparator(), "/");
        }
        try {
            Path rel = run.relativize(abs);
            String s = rel.toString().replace(rel.getFileSystem().getSeparator(), "/");
            return s.isEmpty() ? "." : s;
        } catch (IllegalArgumentException e) {
            return abs.toString();
        }
    }
}
