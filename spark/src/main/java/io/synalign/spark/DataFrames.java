package io.synalign.spark;

import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Reads and writes the job's DataFrames: Parquet or JSON Lines, chosen by {@code --format} or,
 * for {@code auto}, by the path's name ({@code .parquet} is Parquet; {@code .jsonl},
 * {@code .json}, {@code .jsonl.gz}, {@code .json.gz} are JSON Lines). Spark writes a directory
 * of part files at the output path.
 */
final class DataFrames {

    private DataFrames() {
    }

    /** {@code parquet} or {@code json} (Spark's JSON Lines source) for a path and a format. */
    static String format(String path, String format) {
        String f = format.toLowerCase(Locale.ROOT);
        switch (f) {
            case "parquet":
                return "parquet";
            case "jsonl":
            case "json":
                return "json";
            case "auto":
                break;
            default:
                throw new IllegalArgumentException("unknown format '" + format
                        + "' (expected auto, parquet or jsonl)");
        }
        String name = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
        if (name.endsWith(".parquet")) {
            return "parquet";
        }
        for (String ending : List.of(".jsonl", ".json", ".jsonl.gz", ".json.gz")) {
            if (name.endsWith(ending)) {
                return "json";
            }
        }
        throw new IllegalArgumentException("cannot tell the format of '" + path
                + "' from its name (expected .parquet, .jsonl or .json); give --format");
    }

    static Dataset<Row> read(SparkSession spark, String path, String format) {
        return spark.read().format(format(path, format)).load(path);
    }

    static void write(Dataset<Row> rows, String path, String format) {
        rows.write().mode(SaveMode.ErrorIfExists).format(format(path, format)).save(path);
    }
}
