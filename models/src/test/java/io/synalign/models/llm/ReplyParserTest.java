package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
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

    private static final String DRAFT = "{\"samples\": [{\"text\": \"draft\"}]}";

    /**
     * Reasoning in the content before the answer, with a draft of the answer in it: a fenced
     * draft was taken for the reply (the final answer dropped); a bare one beside the answer made
     * two schema-matching objects, "not valid JSON", and the reply was re-asked.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "<think>\nFirst a draft:\n```json\n" + DRAFT + "\n```\nBetter now.\n</think>\n\n" + JSON,
        "<think>Maybe " + DRAFT + " but longer.</think>" + JSON,
        // a DeepSeek-R1 distill: its template opens <think> in the prompt
        "Okay, the user wants samples like " + DRAFT + ".\n</think>\n\n```json\n" + JSON + "\n```",
        // gpt-oss without its Harmony parser
        "<|channel|>analysis<|message|>Draft: " + DRAFT + "<|end|><|start|>assistant<|channel|>final<|message|>"
            + JSON + "<|return|>"})
    void aDraftInTheReasoningIsNotTheReply(String content) {
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES);
        assertTrue(r.valid(), r.problem());
        assertEquals("one {braced} text", r.json().path("samples").get(0).path("text").asText());
    }

    /** Reasoning cut off before the answer: said as such, not "not valid JSON". */
    @ParameterizedTest
    @ValueSource(strings = {"<think>\nThe examples are short and " + DRAFT,
        "<|channel|>analysis<|message|>The examples are short"})
    void reasoningWithoutAnAnswerIsNamed(String content) {
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES);
        assertFalse(r.valid());
        assertEquals("the reply holds only the model's reasoning (" + content.length()
                + " characters), no answer after it", r.problem());
    }

    /** A reply that is JSON as a whole is the reply, whatever its texts say. */
    @Test
    void aSampleThatMentionsAThinkTagStays() {
        String json = "{\"samples\": [{\"text\": \"<think>hmm</think> is how R1 writes\"}]}";
        ReplyParser.Result r = ReplyParser.parse(json, Schemas.SAMPLES);
        assertTrue(r.valid(), r.problem());
        assertEquals("<think>hmm</think> is how R1 writes", r.json().path("samples").get(0).path("text").asText());
    }

    /** The answer after the reasoning is parsed alone, and its problem says where it was. */
    @Test
    void anInvalidAnswerAfterReasoningSaysSo() {
        ReplyParser.Result r = ReplyParser.parse("<think>" + DRAFT + "</think>Sorry, no.", Schemas.SAMPLES);
        assertEquals("the reply was not valid JSON (in the answer after " + ("<think>" + DRAFT + "</think>").length()
                + " characters of the model's reasoning)", r.problem());
    }

    /**
     * gpt-oss given a response format writes a constraint in its final header: only the bare
     * header was matched, so after an analysis channel every such reply was refused as "only the
     * model's reasoning".
     */
    @Test
    void harmonysConstrainedFinalHeaderEndsTheReasoning() {
        String content = "<|channel|>analysis<|message|>The user wants two short samples.<|end|><|start|>assistant"
                + "<|channel|>final <|constrain|>json<|message|>" + JSON + "<|return|>";
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES);
        assertTrue(r.valid(), r.problem());
        assertEquals("one {braced} text", r.json().path("samples").get(0).path("text").asText());
        assertEquals(2, r.json().path("samples").size());
    }

    /**
     * A sample that mentions a closing think tag or Harmony's analysis channel, in a reply that
     * is not JSON as a whole: the latest tag was taken for the end of the reasoning and the rest
     * of the sample for the answer ("not valid JSON"), or the analysis marker made it reasoning
     * only; every such reply was re-asked.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "```json\n{\"samples\": [{\"text\": \"a </think> b\"}]}\n```",
        "Here you go:\n{\"samples\": [{\"text\": \"a </thinking> b\"}]}",
        "<think>x</think>\n{\"samples\": [{\"text\": \"a </think> b\"}]}",
        "<think>x</think>\n```json\n{\"samples\": [{\"text\": \"a </reasoning> b\"}]}\n```",
        "```json\n{\"samples\": [{\"text\": \"a <|channel|>analysis is a token b\"}]}\n```"})
    void aTagInsideTheAnswerIsASamplesText(String content) {
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES);
        assertTrue(r.valid(), content + ": " + r.problem());
        assertEquals(1, r.json().path("samples").size());
        String text = r.json().path("samples").get(0).path("text").asText();
        assertTrue(text.startsWith("a <") && text.endsWith(" b"), text);
    }

    /**
     * A DeepSeek-R1 distill (its {@code <think>} opened in the prompt) cut off inside its
     * reasoning: the draft there was taken for the reply. A cut-off reply that is not one JSON
     * value, not an answer after closed reasoning and not salvageable is refused as cut off.
     */
    @ParameterizedTest
    @ValueSource(strings = {"length", "content_filter"})
    void aDraftInReasoningCutOffIsNotTheReply(String finishReason) {
        String content = "Okay, the user wants three samples. First a draft:\n```json\n"
                + "{\"samples\":[{\"text\":\"draft\"}]}\n```\nHmm, but they should be";
        ReplyParser.Result r = ReplyParser.parse(content, Schemas.SAMPLES, finishReason);
        assertFalse(r.valid(), String.valueOf(r.json()));
        assertTrue(ReplyParser.parse(content, Schemas.SAMPLES, "stop").valid(), "a reply that ended is read as before");
        // a whole answer after closed reasoning, or JSON as a whole, still counts when cut off there
        assertTrue(ReplyParser.parse("draft " + DRAFT + "</think>\n" + JSON, Schemas.SAMPLES, finishReason).valid());
        assertTrue(ReplyParser.parse(JSON, Schemas.SAMPLES, finishReason).valid());
    }
}
