package io.synalign.io;

import java.nio.file.Path;

/**
 * A problem with a user-supplied file: missing, unreadable, not an {@code .npy}, malformed, of an
 * unsupported dtype or shape, or holding values the engine cannot use. The message is one line of
 * the form {@code FILE: PROBLEM}, or {@code FILE:LINE: PROBLEM} for a problem on one line of a
 * text file, ready to show after {@code synalign: error: }.
 *
 * <p>Unchecked, so that it passes through code that only forwards it; genuine I/O failures (a
 * disk error half-way through a read) stay {@link java.io.IOException}s.
 */
public class InputException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String problem;
    private final long line;

    /**
     * @param file the file as the user named it (shown verbatim, so relative paths stay short)
     * @param problem what is wrong, one line, without the file name
     */
    public InputException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
        this.line = 0;
    }

    /**
     * A problem on one line of a text file; the message reads {@code FILE:LINE: PROBLEM}.
     *
     * @param line the 1-based line number
     */
    public InputException(Path file, long line, String problem) {
        super(file + ":" + line + ": " + problem);
        this.file = file;
        this.problem = problem;
        this.line = line;
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
