package io.synalign.engine.alignment;

import java.util.Locale;

/** How the MMD weight learner evaluates kernel products. */
public enum AlignmentMethod {
    /** Pick by size and memory budget; the result names the method actually used. */
    AUTO,
    /** Materialise K_SS once (it must fit the memory budget); O(n^2) memory, O(n^2) per step. */
    EXACT,
    /** Recompute K_SS w tile by tile each step; O(n * tile) memory, O(n^2 d) per step. */
    TILED,
    /** Random Fourier features; O(n D) memory and per step, for 10^5 to 10^7 rows. */
    RFF,
    /** Nystrom low-rank approximation with landmark rows; O(n r) memory and per step. */
    NYSTROM;

    /** Lower-case name as used on the command line. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a command-line name, naming the bad value on failure. */
    public static AlignmentMethod parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown method '" + text
                    + "' (expected auto, exact, tiled, rff or nystrom)");
        }
    }
}
