package io.synalign.models.llm;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Parses an HTTP {@code Retry-After} header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. */
final class RetryAfter {

    private RetryAfter() {
    }

    /** A wait beyond any retry limit: what a number of seconds too large to hold stands for. */
    static final Duration TOO_LONG = Duration.ofSeconds(1_000_000_000L);

    /**
     * The wait the header asks for, or {@code null} when it is absent or unparseable (a broken
     * header must not break the retry loop; the backoff still applies). Dates in the past give
     * zero; a number of seconds too large to hold gives {@link #TOO_LONG}.
     */
    static Duration parse(String header, Clock clock) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (h.isEmpty()) {
            return null;
        }
        if (h.chars().allMatch(Character::isDigit)) {
            try {
                return Duration.ofSeconds(Long.parseLong(h));
            } catch (NumberFormatException e) {
                // More seconds than a long holds: a wait longer than any limit (it was read as
                // no header, and the request was retried within a second).
                return TOO_LONG;
            }
        }
        // Some servers send fractional seconds ("1.5"): round up.
        try {
            double seconds = Double.parseDouble(h);
            if (seconds >= 0 && seconds < 1e9) {
                return Duration.ofMillis((long) Math.ceil(seconds * 1000));
            }
            if (seconds >= 1e9) {
                return TOO_LONG;
            }
        } catch (NumberFormatException ignored) {
            // not a number: try an HTTP-date
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration d = Duration.between(clock.instant(), at.toInstant());
            return d.isNegative() ? Duration.ZERO : d;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
