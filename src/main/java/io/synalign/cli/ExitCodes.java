package io.synalign.cli;

/** Exit statuses of the {@code synalign} command. */
public final class ExitCodes {

    /** The command did what was asked. */
    public static final int OK = 0;
    /** Something went wrong that is not the user's input: an I/O error, a bug, out of memory. */
    public static final int FAILURE = 1;
    /** Bad input: a usage error, an invalid option value, or an unusable input file. */
    public static final int BAD_INPUT = 2;

    private ExitCodes() {
    }
}
