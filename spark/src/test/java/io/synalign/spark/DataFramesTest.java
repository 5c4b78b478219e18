package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading a directory of part files gives its rows in name-then-file order, however split. */
class DataFramesTest {

    @TempDir
    Path dir;

    static List<Long> ids(String path, String format) {
        List<Long> ids = new ArrayList<>();
        for (Row r : DataFrames.read(TestSpark.session(), path, format).javaRDD().collect()) {
            ids.add(r.getLong(r.fieldIndex("id")));
        }
        return ids;
    }

    @Test
    void severalFilesComeInNameOrderWhateverTheirSizesAndSplits() throws IOException {
        // part-0 is small, part-1 large: Spark's scan alone puts the larger file first.
        Path input = Files.createDirectory(dir.resolve("in.jsonl"));
        List<String> small = new ArrayList<>();
        List<String> large = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 7; i++) {
            small.add("{\"id\":" + i + ",\"text\":\"a\"}");
            expected.add(i);
        }
        for (long i = 100; i < 357; i++) {
            large.add("{\"id\":" + i + ",\"text\":\"" + "b".repeat((int) (i % 13)) + "\"}");
            expected.add(i);
        }
        Files.write(input.resolve("part-0.jsonl"), small);
        Files.write(input.resolve("part-1.jsonl"), large);
        Files.write(input.resolve("_SUCCESS"), List.of());
        assertEquals(expected, ids(input.toString(), "auto"));
        SparkSession spark = TestSpark.session();
        spark.conf().set("spark.sql.files.maxPartitionBytes", "300");
        spark.conf().set("spark.sql.files.openCostInBytes", "0");
        try {
            assertEquals(expected, ids(input.toString(), "auto"), "small splits");
            assertEquals(expected, ids(input + "/part-*.jsonl", "jsonl"), "a glob");
        } finally {
            spark.conf().unset("spark.sql.files.maxPartitionBytes");
            spark.conf().unset("spark.sql.files.openCostInBytes");
        }
    }

    @Test
    void partitionColumnsOfKeyValueDirectoriesAreKept() throws IOException {
        Path input = Files.createDirectory(dir.resolve("parts.jsonl"));
        List<String> expected = new ArrayList<>();
        for (int k = 1; k <= 2; k++) {
            Path part = Files.createDirectory(input.resolve("k=" + k));
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 3 + 10 * k; i++) {
                lines.add("{\"id\":" + (100 * k + i) + "}");
                expected.add((100 * k + i) + "/" + k);
            }
            Files.write(part.resolve("part-0.jsonl"), lines);
        }
        List<String> actual = new ArrayList<>();
        for (Row r : DataFrames.read(TestSpark.session(), input.toString(), "auto").collectAsList()) {
            actual.add(r.getLong(r.fieldIndex("id")) + "/" + r.get(r.fieldIndex("k")));
        }
        assertEquals(expected, actual);
    }

    @Test
    void spreadKeepsTheRowOrderOverMorePartitions() {
        org.apache.spark.sql.SparkSession spark = TestSpark.session();
        List<org.apache.spark.sql.Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 101; i++) {
            rows.add(org.apache.spark.sql.RowFactory.create((long) i));
        }
        org.apache.spark.sql.types.StructType schema = new org.apache.spark.sql.types.StructType()
                .add("id", org.apache.spark.sql.types.DataTypes.LongType);
        org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> one = spark.createDataFrame(
                org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, 1), schema);
        org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> spread = DataFrames.spread(spark, one, 4);
        org.junit.jupiter.api.Assertions.assertEquals(4, spread.javaRDD().getNumPartitions());
        org.junit.jupiter.api.Assertions.assertEquals(one.collectAsList(), spread.collectAsList());
        org.junit.jupiter.api.Assertions.assertEquals(one.collectAsList(), spread.javaRDD().zipWithIndex()
                .map(t -> t._1()).collect(), "zipWithIndex numbers the rows as before");
        org.junit.jupiter.api.Assertions.assertSame(spread, DataFrames.spread(spark, spread, 3),
                "already spread over enough partitions");
    }
}
