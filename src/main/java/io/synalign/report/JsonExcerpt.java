package io.synalign.report;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A JSON value as a bad-input message quotes it: its JSON text, cut to 40 characters so that a
 * whole array given where a number belongs keeps the message to one readable line.
 */
final class JsonExcerpt {

    private static final int MAX_CHARS = 40;

    private JsonExcerpt() {
    }

    /** {@code x}'s JSON text, its first 37 characters and "..." where longer than 40. */
    static String of(JsonNode x) {
        String s = x.toString();
        return s.length() <= MAX_CHARS ? s : s.substring(0, MAX_CHARS - 3) + "...";
    }
}
