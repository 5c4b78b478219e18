package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Durations, Retry-After, full-jitter backoff, request validation. */
class ReliabilityPartsTest {

    @Test
    void durationsParse() {
        assertEquals(Duration.ofSeconds(2), Durations.parse("2s"));
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofMinutes(1), Durations.parse("1m"));
        assertEquals(Duration.ofHours(3), Durations.parse(" 3h "));
        for (String bad : new String[] {"", "2", "s", "-1s", "1.5s", "2 s", "10x", "2S"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(null));
        assertEquals("90s", Durations.format(Duration.ofSeconds(90)));
        assertEquals("250ms", Durations.format(Duration.ofMillis(250)));
    }

    @Test
    void retryAfterSecondsAndHttpDate() {
        Clock clock = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
        assertEquals(Duration.ofSeconds(7), RetryAfter.parse("7", clock));
        assertEquals(Duration.ofMillis(1500), RetryAfter.parse("1.5", clock));
        assertEquals(Duration.ofSeconds(90), RetryAfter.parse("Wed, 01 Jan 2025 00:01:30 GMT", clock));
        assertEquals(Duration.ZERO, RetryAfter.parse("Tue, 31 Dec 2024 23:00:00 GMT", clock));
        assertNull(RetryAfter.parse("soon", clock));
        // More seconds than a long or a double's 1e9 bound: too long, not "no header".
        assertTrue(RetryAfter.parse("99999999999999999999", clock).compareTo(Duration.ofDays(365)) > 0);
        assertTrue(RetryAfter.parse("1e10", clock).compareTo(Duration.ofDays(365)) > 0);
        assertNull(RetryAfter.parse(null, clock));
    }

    @Test
    void fullJitterStaysInTheCappedExponentialWindowAndSpreadsOverIt() {
        RetryPolicy p = new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMinutes(1));
        Random r = new Random(1);
        for (int retry = 0; retry < 40; retry++) {
            long window = Math.min(2000, retry >= 30 ? Long.MAX_VALUE : 100L << retry);
            assertEquals(window, p.window(retry).toMillis());
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 200; i++) {
                long w = p.backoff(retry, r).toMillis();
                assertTrue(w >= 0 && w <= window, "retry " + retry + ": " + w);
                min = Math.min(min, w);
                max = Math.max(max, w);
            }
            // Full jitter: the draws cover most of [0, window], not just its top.
            assertTrue(min < window / 4 && max > 3 * window / 4, "retry " + retry + ": " + min + ".." + max);
        }
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, Duration.ZERO));
    }

    @Test
    void requestsValidate() {
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("robot", "x"));
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage("user", null));
        assertThrows(IllegalArgumentException.class, () -> ChatRequest.of(List.of(), SamplingParams.DEFAULTS, null));
        assertThrows(IllegalArgumentException.class,
                () -> new ChatRequest(List.of(ChatMessage.user("x")), SamplingParams.DEFAULTS, null, -1));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> new SamplingParams(2.5, null, null, null));
        assertTrue(t.getMessage().contains("2.5"));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(null, 0.0, null, null));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(null, null, 0, null));
        assertThrows(IllegalArgumentException.class,
                () -> new ResponseSchema("bad name", Schemas.SAMPLES.schema(), true));
        assertThrows(IllegalArgumentException.class,
                () -> OpenAiCompatibleChatModel.builder("ftp://x", "m"));
        assertThrows(IllegalArgumentException.class,
                () -> OpenAiCompatibleChatModel.builder("http://user:pw@host/v1", "m"));
        assertEquals("http://127.0.0.1:1/v1/chat/completions",
                OpenAiCompatibleChatModel.builder("http://127.0.0.1:1/v1//", "m").build().endpoint().toString());
    }

    @Test
    void schemasAndReplyParsing() throws Exception {
        var ok = ReplyParser.parse("{\"samples\":[{\"text\":\"a\"},{\"text\":\"b\"}]}", Schemas.SAMPLES);
        assertTrue(ok.valid());
        assertTrue(ReplyParser.parse("```json\n{\"samples\":[]}\n```", Schemas.SAMPLES).valid());
        assertTrue(ReplyParser.parse("Sure! {\"tone\":\"formal\"} Hope this helps.", Schemas.ATTRIBUTES).valid());
        assertTrue(ReplyParser.parse("{\"samples\":[{\"text\":1}]}", Schemas.SAMPLES).problem().contains("$.samples[0].text"));
        assertTrue(ReplyParser.parse("{\"samples\":[{\"text\":\"a\",\"x\":1}]}", Schemas.SAMPLES).problem()
                .contains("$.samples[0]: property 'x' is not defined in the schema"));
        String empty = ReplyParser.parse("{}", Schemas.ATTRIBUTES).problem();
        assertTrue(empty.contains("$: must have at least 1 properties"), empty);
        assertTrue(ReplyParser.parse("{\"tone\": 3}", Schemas.ATTRIBUTES).problem().contains("$.tone"));
        // Two JSON values are not one reply.
        assertTrue(ReplyParser.parse("{\"a\":\"b\"} {\"c\":\"d\"}", Schemas.ATTRIBUTES).problem()
                .contains("not valid JSON"));
        assertTrue(ReplyParser.parse("not json", Schemas.ATTRIBUTES).problem().contains("not valid JSON"));
        assertTrue(ReplyParser.parse("", Schemas.ATTRIBUTES).problem().contains("empty"));
        assertEquals("synalign_attributes", Schemas.ATTRIBUTES.name());
        assertEquals("synalign_samples", Schemas.SAMPLES.name());
    }

    @Test
    void aReaskResendsAtMostABoundedPartOfTheInvalidReply() {
        assertEquals("", ReaskingChatModel.resent(null));
        String small = "x".repeat(ReaskingChatModel.MAX_RESENT_CHARS);
        assertEquals(small, ReaskingChatModel.resent(small));
        String big = "y".repeat(10_000_000);
        String sent = ReaskingChatModel.resent(big);
        assertTrue(sent.length() <= ReaskingChatModel.MAX_RESENT_CHARS, "" + sent.length());
        assertTrue(sent.endsWith(" more characters cut]"), sent.substring(sent.length() - 40));
    }
}
