package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class GbnfGrammarTest {

    private static JsonNode schema(String json) throws Exception {
        return Json.MAPPER.readTree(json);
    }

    @Test
    void samplesGrammarIsBoundedAndShaped() {
        GbnfGrammar.Bounds b = new GbnfGrammar.Bounds(10, 5, 3, 2);
        GbnfGrammar g = GbnfGrammar.of(Schemas.SAMPLES.schema(), b);
        assertTrue(g.text().startsWith("root ::= \"{\" \"\\\"samples\\\":\" "), g.text());
        assertTrue(g.text().contains("char{1,10}"), g.text());
        assertTrue(g.text().contains("{0,2}"), "1 + up to 2 more items: " + g.text());
        // {"samples":[ + 3 * ({"text":" + 10 chars * 4 bytes + "}) + 2 commas + ]}
        long item = "{\"text\":".length() + 2 + 4 * 10 + 1;
        long expected = 2 + "\"samples\":".length() + 2 + 3 * (item + 1);
        assertEquals(expected, g.maxBytes());
    }

    @Test
    void attributesGrammarIsAMapOfIdentifiersToStrings() {
        GbnfGrammar g = GbnfGrammar.of(Schemas.ATTRIBUTES.schema(), new GbnfGrammar.Bounds(10, 5, 3, 2));
        assertTrue(g.text().contains("[a-zA-Z] [a-zA-Z0-9_ ]{0,4}"), g.text());
        assertTrue(g.text().contains("(\",\" r"), g.text());
        assertEquals(2 + 2 * ((2 + 5 + 1 + 2 + 40) + 1), g.maxBytes());
    }

    @Test
    void schemaBoundsWinOverDefaults() throws Exception {
        GbnfGrammar g = GbnfGrammar.of(schema("""
                {"type":"object","properties":{"a":{"type":"array","items":{"type":"string","maxLength":3},
                 "minItems":2,"maxItems":5},"b":{"enum":["x","y"]},"c":{"type":["integer","null"]}}}
                """), GbnfGrammar.Bounds.DEFAULT);
        assertTrue(g.text().contains("char{1,3}"), g.text());
        assertTrue(g.text().contains("{1,4}"), g.text());
        assertTrue(g.text().contains("\"\\\"x\\\"\" | \"\\\"y\\\"\""), g.text());
    }

    @Test
    void unsupportedSchemasAreRejectedNamingThePlace() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GbnfGrammar.of(schema("{\"type\":\"object\",\"properties\":{\"x\":{\"oneOf\":[]}}}"),
                        GbnfGrammar.Bounds.DEFAULT));
        assertTrue(e.getMessage().contains("$.x"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GbnfGrammar.Bounds(0, 1, 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> GbnfGrammar.of(schema("{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"maxItems\":0}"),
                        GbnfGrammar.Bounds.DEFAULT));
    }

    @Test
    void literalsEscapeQuotesBackslashesAndControls() {
        assertEquals("\"a\\\"b\\\\c\\n\\x01\"", GbnfGrammar.literal("a\"b\\c\n\u0001"));
    }

    private static void accepts(java.util.regex.Pattern p, String json) throws Exception {
        assertTrue(p.matcher(json).matches(), "grammar should accept " + json + "\n" + p);
        Json.MAPPER.readTree(json); // and it is JSON
    }

    private static void rejects(java.util.regex.Pattern p, String text) {
        assertTrue(!p.matcher(text).matches(), "grammar should reject " + text);
    }

    /** Rejected because it is not JSON at all (checked with Jackson, the parser the replies go through). */
    private static void rejectsNonJson(java.util.regex.Pattern p, String text) {
        org.junit.jupiter.api.Assertions.assertNull(ReplyParser.extractJson(text), text + " is not JSON");
        rejects(p, text);
    }

    @Test
    void numbersAreJsonNumbersWithoutLeadingZeros() throws Exception {
        java.util.regex.Pattern p = GbnfRegex.of(GbnfGrammar.of(schema("""
                {"type":"object","properties":{"n":{"type":"integer"},"x":{"type":"number"}}}
                """), GbnfGrammar.Bounds.DEFAULT));
        accepts(p, "{\"n\":0,\"x\":0.5}");
        accepts(p, "{\"n\":-12,\"x\":-3}");
        accepts(p, "{\"n\":100,\"x\":10.05}");
        rejectsNonJson(p, "{\"n\":01,\"x\":1}");
        rejectsNonJson(p, "{\"n\":-007,\"x\":1}");
        rejectsNonJson(p, "{\"n\":1,\"x\":00.5}");
        rejects(p, "{\"n\":1.5,\"x\":1}");
    }

    @Test
    void stringsHoldExactlyTheJsonStringsWithinTheirBounds() throws Exception {
        java.util.regex.Pattern p = GbnfRegex.of(GbnfGrammar.of(Schemas.SAMPLES.schema(),
                new GbnfGrammar.Bounds(5, 5, 2, 2)));
        accepts(p, "{\"samples\":[{\"text\":\"a\\\"b\"}]}");        // a\"b
        accepts(p, "{\"samples\":[{\"text\":\"\\\\\"}]}");          // one escaped backslash
        accepts(p, "{\"samples\":[{\"text\":\"x\\ny\\t/\"}]}");     // escapes count as one character
        accepts(p, "{\"samples\":[{\"text\":\"é\uD83D\uDE00ü\"},{\"text\":\"12345\"}]}");
        rejects(p, "{\"samples\":[{\"text\":\"a\"b\"}]}");             // bare quote
        rejects(p, "{\"samples\":[{\"text\":\"ab\\\"}]}");            // escape eats the closing quote
        rejects(p, "{\"samples\":[{\"text\":\"a\\qb\"}]}");           // no such escape
        rejects(p, "{\"samples\":[{\"text\":\"a\nb\"}]}");             // raw newline
        rejects(p, "{\"samples\":[{\"text\":\"a\u0001b\"}]}");         // raw control character
        rejects(p, "{\"samples\":[{\"text\":\"123456\"}]}");            // longer than 5
        rejects(p, "{\"samples\":[{\"text\":\"\"}]}");                  // empty
        rejects(p, "{\"samples\":[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c\"}]}"); // 3 > 2 items
        rejects(p, "{\"samples\":[]}");
    }

    @Test
    void keysAndEnumValuesWithQuotesBackslashesAndControlsAreEscapedOnce() throws Exception {
        GbnfGrammar g = GbnfGrammar.of(schema("""
                {"type":"object","properties":{"a\\"b\\\\c":{"enum":["say \\"hi\\"","x\\ny","t\\u0001",3,true,null]}}}
                """), GbnfGrammar.Bounds.DEFAULT);
        java.util.regex.Pattern p = GbnfRegex.of(g);
        accepts(p, "{\"a\\\"b\\\\c\":\"say \\\"hi\\\"\"}");
        accepts(p, "{\"a\\\"b\\\\c\":\"x\\ny\"}");
        accepts(p, "{\"a\\\"b\\\\c\":\"t\\u0001\"}");
        accepts(p, "{\"a\\\"b\\\\c\":3}");
        accepts(p, "{\"a\\\"b\\\\c\":null}");
        rejects(p, "{\"a\\\"b\\\\c\":\"x\ny\"}");
        for (String json : new String[] {"{\"a\\\"b\\\\c\":\"say \\\"hi\\\"\"}"}) {
            assertEquals("say \"hi\"", Json.MAPPER.readTree(json).path("a\"b\\c").textValue());
        }
    }

    @Test
    void theAttributesMapAcceptsIdentifierKeysOnly() throws Exception {
        java.util.regex.Pattern p = GbnfRegex.of(GbnfGrammar.of(Schemas.ATTRIBUTES.schema(),
                new GbnfGrammar.Bounds(10, 5, 3, 2)));
        accepts(p, "{\"tone\":\"dry\"}");
        accepts(p, "{\"tone\":\"dry\",\"a_1 b\":\"x\"}");
        rejects(p, "{}");
        rejects(p, "{\"1a\":\"x\"}");
        rejects(p, "{\"toolong\":\"x\"}");
        rejects(p, "{\"a\":\"x\",\"b\":\"y\",\"c\":\"z\"}");
    }
}
