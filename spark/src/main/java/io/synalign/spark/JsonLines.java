package io.synalign.spark;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What Spark's JSON reader does not do for JSON Lines the way the CLI does: name a malformed
 * line (Spark's permissive mode turns it into a row of nulls with a {@code _corrupt_record},
 * which later fails as "a row has no text field"), and keep the fields in the order the records
 * give them (schema inference sorts them by name, so the output's columns would come out
 * alphabetical).
 */
final class JsonLines {

    /** Spark's column for lines it could not parse. */
    static final String CORRUPT = "_corrupt_record";
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {
    }

    /**
     * When Spark found malformed lines, scans the files in name order on the driver for the
     * first and throws naming its file, line and column. Costs nothing when every line parsed.
     *
     * @throws IllegalArgumentException naming {@code option}, the file, line and column
     */
    static void checkWellFormed(SparkSession spark, String option, Dataset<Row> rows, String[] files) {
        if (!Arrays.asList(rows.columns()).contains(CORRUPT)) {
            return;
        }
        for (String file : files) {
            Path path = new Path(file);
            try {
                try (BufferedReader in = open(spark, path)) {
                    long number = 0;
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        number++;
                        if (line.isBlank()) {
                            continue;
                        }
                        try {
                            JsonNode node = JSON.readTree(line);
                            if (node == null || !node.isObject()) {
                                throw new IllegalArgumentException(option + " " + file + " line "
                                        + number + ": not a JSON object");
                            }
                        } catch (JsonProcessingException e) {
                            JsonLocation at = e.getLocation();
                            throw new IllegalArgumentException(option + " " + file + " line "
                                    + number + (at == null ? "" : ", column " + at.getColumnNr())
                                    + ": malformed JSON (" + e.getOriginalMessage() + ")");
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(option + " " + file + ": " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(option + ": Spark could not parse a record"
                + " (column " + CORRUPT + "), though every line is a JSON object on its own");
    }

    /**
     * The columns in the order of the first record's fields (the first non-blank line of the
     * first file), the columns it lacks after them in schema order.
     */
    static Dataset<Row> inFileOrder(SparkSession spark, Dataset<Row> rows, String[] files) {
        if (files.length == 0) {
            return rows;
        }
        List<String> first = firstFields(spark, files[0]);
        Set<String> ordered = new LinkedHashSet<>();
        Set<String> present = new LinkedHashSet<>(Arrays.asList(rows.columns()));
        for (String f : first) {
            if (present.contains(f)) {
                ordered.add(f);
            }
        }
        ordered.addAll(present);
        if (new ArrayList<>(ordered).equals(Arrays.asList(rows.columns()))) {
            return rows;
        }
        return rows.select(ordered.stream().map(c -> new Column("`" + c.replace("`", "``") + "`"))
                .toArray(Column[]::new));
    }

    /** The file's text, decompressed by the codec its name implies (as Spark reads it). */
    private static BufferedReader open(SparkSession spark, Path path) throws IOException {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = path.getFileSystem(conf);
        java.io.InputStream raw = fs.open(path);
        org.apache.hadoop.io.compress.CompressionCodec codec =
                new org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(path);
        return new BufferedReader(new InputStreamReader(codec == null ? raw
                : codec.createInputStream(raw), StandardCharsets.UTF_8));
    }

    private static List<String> firstFields(SparkSession spark, String file) {
        Path path = new Path(file);
        try {
            try (BufferedReader in = open(spark, path)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode node = JSON.readTree(line);
                    List<String> out = new ArrayList<>();
                    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
                        out.add(it.next());
                    }
                    return out;
                }
            }
        } catch (IOException e) {
            return List.of(); // the order is a nicety; Spark reports unreadable files itself
        }
        return List.of();
    }
}
