package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Spark ML example runs in local mode (this test is how CI runs it), and the README
 * shows exactly the code between its markers.
 */
class WeighterPipelineExampleTest {

    @TempDir
    Path dir;

    @Test
    void theReadmeExampleFitsSavesLoadsAndWeightsTheSyntheticRows() throws IOException {
        List<Row> out = WeighterPipelineExample.run(TestSpark.session(), dir.resolve("model").toString())
                .collectAsList();
        assertEquals(10, out.size());
        double sum = 0;
        for (Row r : out) {
            boolean synthetic = r.getBoolean(r.fieldIndex("is_synthetic"));
            int w = r.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD);
            if (synthetic) {
                assertTrue(r.getDouble(w) >= 0, r.toString());
                sum += r.getDouble(w);
            } else {
                assertTrue(r.isNullAt(w), "real rows carry no weight: " + r);
            }
        }
        assertEquals(1.0, sum, 1e-9, "the synthetic rows' weights sum to 1");
        assertEquals(List.of("id", "text", "label", "is_synthetic", SynAlignSparkJob.WEIGHT_FIELD),
                List.of(out.get(0).schema().fieldNames()), "the input's columns, then the weight");
    }

    @Test
    void theReadmeShowsTheExampleAsItRuns() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/synalign/spark/WeighterPipelineExample.java"));
        String code = source.substring(source.indexOf("// README:BEGIN\n") + "// README:BEGIN\n".length(),
                source.indexOf("    // README:END"));
        String readme = Files.readString(Path.of("../README.md"));
        StringBuilder unindented = new StringBuilder();
        for (String line : code.split("\n", -1)) {
            unindented.append(line.startsWith("    ") ? line.substring(4) : line).append('\n');
        }
        String block = unindented.toString().stripTrailing();
        assertTrue(readme.contains(block), "README must show WeighterPipelineExample.run as it is:\n" + block);
    }
}
