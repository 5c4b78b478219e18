package io.synalign.models.llm;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses human durations for command-line options: {@code 500ms}, {@code 2s}, {@code 1m}, {@code 1h}. */
public final class Durations {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses a non-negative integer followed by a unit ({@code ms}, {@code s}, {@code m},
     * {@code h}), e.g. {@code "2s"}.
     *
     * @throws IllegalArgumentException naming the bad text when it is not of that form
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("duration must not be null (expected e.g. 500ms, 2s, 1m)");
        }
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "bad duration '" + text + "': expected an integer and a unit ms, s, m or h, e.g. 500ms, 2s, 1m");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> throw new AssertionError(m.group(2));
        };
    }

    /** The inverse for logs: the largest unit that represents {@code d} exactly. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0 && ms > 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
