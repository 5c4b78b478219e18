package io.synalign.io;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * A problem with a user-supplied file: missing, unreadable, not an {@code .npy}, malformed, of an
 * unsupported dtype or shape, or holding values the engine cannot use. The message is one line of
 * the form {@code FILE: PROBLEM}, or {@code FILE:LINE: PROBLEM} for a problem on one line of a
 * text file, ready to show after {@code synalign: error: }.
 *
 * <p>A problem the user can get past by changing a reader setting carries a remedy naming it
 * ({@link #remedy()}, {@link InputSetting}): the message names the setting by its Java name, and
 * {@link #message(Function)} lets a front end name it its own way (the CLI by its flag).
 *
 * <p>Unchecked, so that it passes through code that only forwards it; genuine I/O failures (a
 * disk error half-way through a read) stay {@link java.io.IOException}s.
 */
public class InputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;
    private final long line;
    private final InputSetting setting;
    private final String remedy;

    /**
     * @param file the file as the user named it (shown verbatim, so relative paths stay short)
     * @param problem what is wrong, one line, without the file name
     */
    public InputException(Path file, String problem) {
        this(file, 0, problem, null, null);
    }

    /**
     * A problem on one line of a text file; the message reads {@code FILE:LINE: PROBLEM}.
     *
     * @param line the 1-based line number
     */
    public InputException(Path file, long line, String problem) {
        this(file, line, problem, null, null);
    }

    /**
     * A problem with a remedy: changing {@code setting}.
     *
     * @param line the 1-based line number, or 0 for the whole file
     * @param remedy what to do, with {@code %s} where the setting's name goes, e.g.
     *     {@code "raise it with %s"}
     */
    public InputException(Path file, long line, String problem, InputSetting setting,
            String remedy) {
        super(format(file, line, problem, setting, remedy,
                s -> "the " + s.javaName() + " setting"));
        if ((setting == null) != (remedy == null) || remedy != null && !remedy.contains("%s")) {
            throw new IllegalArgumentException("a remedy needs a setting and a %s for its name: "
                    + setting + ", " + remedy);
        }
        this.file = file;
        this.problem = problem;
        this.line = line;
        this.setting = setting;
        this.remedy = remedy;
    }

    /** The setting whose change gets past the problem, or null. */
    public InputSetting setting() {
        return setting;
    }

    /** What to do about the problem, with {@code %s} for the setting's name, or null. */
    public String remedy() {
        return remedy;
    }

    /**
     * The one-line message with the setting named by {@code names} (the CLI passes its flags).
     */
    public String message(Function<InputSetting, String> names) {
        return format(file, line, problem, setting, remedy, names);
    }

    private static String format(Path file, long line, String problem, InputSetting setting,
            String remedy, Function<InputSetting, String> names) {
        return file + (line > 0 ? ":" + line : "") + ": " + problem
                + (setting == null ? "" : " (" + remedy.formatted(names.apply(setting)) + ")");
    }

    /** The offending file, as the user named it. */
    public Path file() {
        return file;
    }

    /** The 1-based line the problem is on, or 0 when it concerns the whole file. */
    public long line() {
        return line;
    }

    /** What is wrong, without the file name. */
    public String problem() {
        return problem;
    }
}
