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
}
