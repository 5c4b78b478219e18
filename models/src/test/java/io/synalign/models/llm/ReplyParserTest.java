package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Replies with prose around the JSON. */
class ReplyParserTest {

    private static final String JSON =
            "{\"samples\": [{\"text\": \"one {braced} text\"}, {\"text\": \"two\"}]}";

    /**
     * Prose with braces of its own before or after the JSON: the outermost braces were taken as
     * the value, which is then no JSON at all, and every such reply was re-asked ("not valid
     * JSON"); a run whose server always writes a note after the JSON stopped with exit 1.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        JSON + "\n\nNote: each sample follows the {style} you described.",
        "<think>the {tone} is casual; keep it {short}</think>\n" + JSON,
        "Here you go {as asked}: " + JSON + " -- {end}",
        JSON})
    void theJsonAmongBracedProseIsTheReply(String content) {
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES);
        assertTrue(r.valid(), r.problem());
        assertEquals("one {braced} text", r.json().path("samples").get(0).path("text").asText());
        assertEquals(2, r.json().path("samples").size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"no json {here} at all", "{\"other\": 1} and {more}", "{broken",
        "two replies: {\"samples\": [{\"text\": \"a\"}]} {\"samples\": [{\"text\": \"b\"}]}"})
    void proseWithoutAReplyIsStillRefused(String content) {
        assertFalse(ReplyParser.parse(content, Schemas.SAMPLES).valid(), content);
    }
}
