package io.synalign.generation;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Accepts or rejects candidate synthetic texts: a candidate must be non-blank, between
 * {@link #minChars} and {@link #maxChars} characters after stripping surrounding whitespace, and
 * not an exact (stripped) duplicate of a real row or of an already accepted sample. Accepted
 * texts are remembered. Counts of each rejection reason are kept for the run summary.
 * Not thread-safe (the pipeline validates in a fixed order, which keeps runs deterministic).
 */
public final class SampleValidator {

    /** Default bounds: at least 3 and at most 4000 characters. */
    public static final int DEFAULT_MIN_CHARS = 3;
    public static final int DEFAULT_MAX_CHARS = 4000;

    private final int minChars;
    private final int maxChars;
    private final Set<String> real = new HashSet<>();
    private final Set<String> accepted = new HashSet<>();
    private int empty;
    private int outOfBounds;
    private int duplicates;

    public SampleValidator(Collection<String> realTexts, int minChars, int maxChars) {
        if (minChars < 1) {
            throw new IllegalArgumentException("minimum sample length must be >= 1 character: " + minChars);
        }
        if (maxChars < minChars) {
            throw new IllegalArgumentException("maximum sample length " + maxChars
                    + " is below the minimum " + minChars);
        }
        this.minChars = minChars;
        this.maxChars = maxChars;
        for (String t : realTexts) {
            real.add(t.strip());
        }
    }

    public SampleValidator(Collection<String> realTexts) {
        this(realTexts, DEFAULT_MIN_CHARS, DEFAULT_MAX_CHARS);
    }

    /**
     * The stripped text when it is acceptable (and now remembered), else {@code null}.
     */
    public String accept(String candidate) {
        String t = candidate == null ? "" : candidate.strip();
        if (t.isEmpty()) {
            empty++;
            return null;
        }
        int length = t.codePointCount(0, t.length());
        if (length < minChars || length > maxChars) {
            outOfBounds++;
            return null;
        }
        if (real.contains(t) || !accepted.add(t)) {
            duplicates++;
            return null;
        }
        return t;
    }

    public int minChars() {
        return minChars;
    }

    public int maxChars() {
        return maxChars;
    }

    public int rejectedEmpty() {
        return empty;
    }

    public int rejectedLength() {
        return outOfBounds;
    }

    public int rejectedDuplicates() {
        return duplicates;
    }
}
