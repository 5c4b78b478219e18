package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reply validator: each keyword the pipeline's schemas and bounds use, valid and not. */
class JsonSchemaValidatorTest {

    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }

    private static List<String> errors(String schema, String instance) throws Exception {
        return JsonSchemaValidator.validate(json(schema), json(instance));
    }

    @Test
    void eachKeywordRejectsWhatItForbidsAndNamesThePath() throws Exception {
        String bounded = "{\"type\":\"object\",\"properties\":{\"xs\":{\"type\":\"array\","
                + "\"minItems\":1,\"maxItems\":2,\"items\":{\"type\":\"string\",\"minLength\":2,"
                + "\"maxLength\":3,\"enum\":[\"ab\",\"abc\",\"a\"]}},\"n\":{\"type\":\"integer\"}},"
                + "\"required\":[\"xs\"],\"additionalProperties\":false}";
        assertEquals(List.of(), errors(bounded, "{\"xs\":[\"ab\",\"abc\"],\"n\":3.0}"),
                "3.0 is an integer");
        assertEquals(List.of("$.xs: must have at most 2 items but found 3"),
                errors(bounded, "{\"xs\":[\"ab\",\"ab\",\"ab\"]}"));
        assertTrue(errors(bounded, "{\"xs\":[]}").get(0).startsWith("$.xs: must have at least 1"));
        assertTrue(errors(bounded, "{\"xs\":[\"a\"]}").get(0).startsWith("$.xs[0]: must be at"
                + " least 2 characters long"), errors(bounded, "{\"xs\":[\"a\"]}").toString());
        assertTrue(errors(bounded, "{\"xs\":[\"abd\"]}").get(0).startsWith("$.xs[0]: does not"
                + " have a value in the enumeration"), errors(bounded, "{\"xs\":[\"abd\"]}").toString());
        assertEquals(List.of("$.n: number found, integer expected"),
                errors(bounded, "{\"xs\":[\"ab\"],\"n\":1.5}"));
        assertEquals(List.of("$: required property 'xs' not found"), errors(bounded, "{}"));
        assertTrue(errors(bounded, "{\"xs\":[\"ab\"],\"y\":1}").get(0).startsWith("$: property 'y'"
                + " is not defined in the schema"));
        assertEquals(List.of(), JsonSchemaValidator.validate(Schemas.ATTRIBUTES.schema(),
                json("{\"tone\":\"dry\"}")));
        assertEquals(List.of("$.tone: integer found, string expected"), JsonSchemaValidator
                .validate(Schemas.ATTRIBUTES.schema(), json("{\"tone\":3}")));
    }

    @Test
    void atMostFiveViolationsAreReported() throws Exception {
        String schema = "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}";
        assertEquals(5, errors(schema, "[1,2,3,4,5,6,7]").size());
    }
}
