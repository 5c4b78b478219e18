package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The fields read in the pass that checks a line equal those Spark's {@code from_json} reads
 * under the schema Spark's inference gives the same lines (the reference the job used before):
 * every column type inference gives a scalar or an array of them, values written awkwardly,
 * columns that mix types (widened to string: numbers, booleans and objects kept as Jackson
 * writes them), fields missing, null or unread.
 */
class LineFieldsTest {

    private static final List<String> LINES = List.of(
            "{\"id\":1,\"emb\":[1,2.5,-0,1e2],\"label\":\"pos\",\"mixed\":\"a\",\"flag\":true,"
                    + "\"score\":1,\"words\":[\"x\",1]}",
            "{\"emb\":[NaN,1.50,-1.0E-7], \"label\" : \"caf\\u00e9 na\u00efve \\ud83d\\ude00"
                    + " \\\"q\\\" \\/\", \"id\": 2, \"mixed\": 1.50, \"flag\": false,"
                    + " \"score\": 2.5, \"words\": [2.50, \"y\", true, null]}",
            "{\"id\":3,\"mixed\":-0,\"emb\":[3],\"score\":-7,\"skip\":{\"deep\":[1,{\"a\":2}]}}",
            "{\"id\":4,\"mixed\":1e2,\"emb\":null,\"label\":null,\"words\":[]}",
            "{\"id\":5,\"mixed\":12345678901234567890,\"emb\":[]}",
            "{\"id\":6,\"mixed\":{\"b\":[1.50,null],\"a\":\"\\u00e9\"},\"label\":\"neg\"}",
            "{\"id\":7,\"mixed\":[1, \"two\"],\"emb\":[1,null,2]}",
            "{\"id\":8,\"mixed\":true,\"emb\":[-1.7976931348623157E308,4.9E-324]}",
            "{\"id\":9,\"mixed\":null,\"nothing\":null}",
            "{}",
            "  {\"id\":10,\"mixed\":NaN,\"score\":NaN}  ");

    @Test
    void theFieldsReadInTheCheckingPassAreFromJsons() {
        SparkSession spark = TestSpark.session();
        Dataset<String> text = spark.createDataset(LINES, Encoders.STRING());
        StructType schema = spark.read().json(text).schema();
        assertEquals("array<double>", schema.apply("emb").dataType().simpleString());
        assertEquals("string", schema.apply("mixed").dataType().simpleString());
        assertEquals("array<string>", schema.apply("words").dataType().simpleString());
        assertEquals("string", schema.apply("nothing").dataType().simpleString());
        StructType read = new StructType();
        for (var f : schema.fields()) {
            if (!f.name().equals("skip")) { // a struct: left to from_json
                read = read.add(f);
            }
        }
        assertTrue(LineFields.reads(read));
        assertTrue(!LineFields.reads(schema), "structs are from_json's");
        List<Row> expected = text.select(functions.from_json(functions.col("value"), read,
                Map.of("allowSingleQuotes", "false")).as("f")).select("f.*").collectAsList();
        LineFields fields = new LineFields(read);
        List<Row> ours = new ArrayList<>();
        for (String line : LINES) {
            ours.add(fields.read(line));
        }
        // Through a DataFrame of the read schema: a value of another type fails there.
        List<Row> actual = spark.createDataFrame(ours, read).collectAsList();
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < LINES.size(); i++) {
            // Compared as text: Double.toString tells every double apart (-0.0 too), and a
            // NaN inside an array is unequal to itself in Row.equals.
            assertEquals(expected.get(i).toString(), actual.get(i).toString(), LINES.get(i));
        }
    }

    @Test
    void aLineThatBreaksTheRuleIsNotRead() {
        LineFields fields = new LineFields(new StructType().add("a", "bigint"));
        for (String bad : List.of("[{\"a\":1}]", "{\"a\":1} {\"a\":2}", "{\"a\":1,\"a\":2}",
                "{\"a\":1", "{\"b\":{\"c\":1,\"c\":2}}", "\"a\"", "{'a':1}", "{\"a\":1}x")) {
            assertNull(fields.read(bad), bad);
            assertTrue(FirstBadLine.rule(bad) != null, bad);
        }
        assertEquals(7L, fields.read("{\"b\":[NaN],\"a\":7}").getLong(0));
    }
}
