package io.synalign.generation;

import java.util.Locale;

/** How demonstrations are picked: {@code --demos gp} (SynAlign) or {@code random} (ablation). */
public enum Demonstrations {
    /** GP exploration-aware sampling, module 1 of the paper. */
    GP,
    /** Seeded random groups: the paper's "w/o exploration-aware sampling" ablation. */
    RANDOM;

    /** The command-line spelling. */
    public String spelling() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the value and the choices */
    public static Demonstrations parse(String s) {
        for (Demonstrations d : values()) {
            if (d.spelling().equals(s.strip().toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException("--demos " + s + ": give gp or random");
    }
}
