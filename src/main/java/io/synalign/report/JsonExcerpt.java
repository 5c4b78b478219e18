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

    /** {@code x}'s JSON text, cut as {@link Html#cut} cuts (by code points, an ellipsis last). */
    static String of(JsonNode x) {
        return Html.cut(x.toString(), MAX_CHARS);
    }
}
