package io.synalign.generation;

import java.text.Normalizer;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Accepts or rejects candidate synthetic texts: a candidate must be non-blank, between
 * {@link #minChars} and {@link #maxChars} characters after stripping surrounding whitespace, and
 * not a copy of a real row or of an already accepted sample. Accepted texts are remembered.
 * Counts of each rejection reason are kept for the run summary.
 *
 * <p>Copies are found by {@link #duplicateKey}: Unicode NFKC, case folded, whitespace runs
 * collapsed, and stripped of what an LLM wraps around a copied example (the prompts' own
 * "Example 3:" label, a list marker or number, surrounding quotes, a closing period). The
 * accepted text itself is kept as written (stripped of surrounding whitespace only).
 * Not thread-safe (the pipeline validates in a fixed order, which keeps runs deterministic).
 */
public final class SampleValidator {

    /** Default bounds: at least 3 and at most 4000 characters. */
    public static final int DEFAULT_MIN_CHARS = 3;
    public static final int DEFAULT_MAX_CHARS = 4000;

    /**
     * What an LLM puts before a copied example: the demonstrations' "Example 3:" label (the
     * prompts number them so), a list marker, a list number of one or two digits followed by
     * "." or ")"; repeated ("1. Example 2: ..."). Not a year or a longer number, nor "2020:",
     * which are content ("2020: a year to remember" is not a copy of "2021: ...").
     */
    private static final Pattern LEADING_MARKERS = Pattern.compile(
            "^(?:example\\s*#?\\s*\\d{1,3}\\s*[:.)-]\\s*|\\(?\\d{1,2}[.)]\\s+"
                    + "|[-*\u2022\u00b7\u2013\u2014>]\\s+)+");
    /** Quotes an LLM wraps around a copied example. */
    private static final String QUOTES = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u201e";
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Pattern TRAILING_PUNCTUATION = Pattern.compile("[\\s.\u2026]+$");

    private final int minChars;
    private final int maxChars;
    private final Set<String> real = new HashSet<>();
    private final Set<String> accepted = new HashSet<>();
    private int empty;
    private int outOfBounds;
    private int duplicates;
    private int copiesOfReal;
    private int cutOffReplies;
    private boolean cutOffTold;

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
            real.add(duplicateKey(t));
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
        String key = duplicateKey(t);
        if (real.contains(key)) {
            // Counted apart too: SynAlign's goal is new examples, and a model that hands the
            // demonstrations back is a finding of its own, not just a repeat.
            duplicates++;
            copiesOfReal++;
            return null;
        }
        if (!accepted.add(key)) {
            duplicates++;
            return null;
        }
        return t;
    }

    /**
     * The form two texts share when one is a copy of the other as an LLM writes copies: NFKC,
     * case folded, leading example labels, list markers and numbers removed, surrounding quotes
     * and a closing period (or ellipsis) removed, whitespace runs as one space ("Is it good?"
     * stays apart from "Is it good."; case does not: "US" and "us" are one key). A text that is nothing but
     * such wrapping keys as itself (stripped), so it is never equal to every other.
     */
    static String duplicateKey(String text) {
        String t = Normalizer.normalize(text, Normalizer.Form.NFKC);
        t = WHITESPACE.matcher(t).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
        String previous;
        do {
            previous = t;
            t = LEADING_MARKERS.matcher(t).replaceFirst("");
            int a = 0;
            int b = t.length();
            while (a < b && QUOTES.indexOf(t.charAt(a)) >= 0) {
                a++;
            }
            while (b > a && QUOTES.indexOf(t.charAt(b - 1)) >= 0) {
                b--;
            }
            t = TRAILING_PUNCTUATION.matcher(t.substring(a, b)).replaceFirst("").strip();
        } while (!t.equals(previous));
        return t.isEmpty() ? text.strip() : t;
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

    /** Copies of real rows and of accepted samples, together. */
    public int rejectedDuplicates() {
        return duplicates;
    }

    /** Of {@link #rejectedDuplicates}, the copies of a real row (a demonstration handed back). */
    public int rejectedCopiesOfReal() {
        return copiesOfReal;
    }

    /** Counts a reply cut off at the token limit whose complete samples were kept ({@link CutOffReplies}). */
    public void countCutOffReply() {
        cutOffReplies++;
    }

    /**
     * Whether this is the first reply of the run cut off at the token limit, kept or not: its
     * fix is told once a run ({@link CutOffReplies}), not once a round.
     */
    public boolean firstCutOff() {
        if (cutOffTold) {
            return false;
        }
        cutOffTold = true;
        return true;
    }

    /**
     * Replies cut off at the token limit (a server's, or a GGUF model's budget) whose complete
     * samples were kept.
     */
    public int cutOffReplies() {
        return cutOffReplies;
    }
}
