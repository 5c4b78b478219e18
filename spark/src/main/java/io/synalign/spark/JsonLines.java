package io.synalign.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
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
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What Spark's JSON reader does not do for JSON Lines the way the CLI does: refuse a malformed
 * line (Spark's permissive mode turns it into a row of nulls with a {@code _corrupt_record},
 * which later fails as "a row has no text field"; {@link FirstBadLine} names it), and keep the
 * fields in the order the records give them (schema inference sorts them by name, so the
 * output's columns would come out alphabetical); carry each record's line as read, so that the output can be that line with the
 * weight appended (Spark's reader gives every value its column's inferred type: a {@code 1}
 * beside a {@code 2.5} came back as {@code 1.0}, a number in a column that also holds text as a
 * string), and refuse a line that is not one JSON object (Spark read a top-level array as one
 * record per element).
 */
final class JsonLines {

    /** The column that carries each record's line as read (JSON Lines inputs only). */
    static final String LINE = "_synalign_line";

    /**
     * Metadata key marking a column that a directory input's {@code k=v} folders give (a
     * partition column): Spark gives it the folder's value, over a line's field of the same
     * name, so a record's message names that value ({@link #describe(String, String,
     * java.util.Map, Set)}).
     */
    static final String FROM_FOLDERS = "synalign.from_folders";
    /** The struct column {@code from_json} fills, before its fields become columns. */
    private static final String FIELDS = "_synalign_fields";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Checks each line as one object. Reads what Spark's reader reads (its defaults: NaN and
     * Infinity, which the embedding check names later; no single quotes, as the job sets), with
     * no limit on string and name lengths (Spark parsed the line already); refuses duplicate
     * keys, as the CLI does: Spark kept one of the values, the line as read carries both.
     */
    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private JsonLines() {
    }

    /**
     * A parser of {@code line} by the job's rule: duplicate keys refused, NaN and Infinity
     * read, no limit on string and name lengths.
     */
    static JsonParser strictParser(String line) throws IOException {
        return STRICT.createParser(line);
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
        return rows.select(ordered.stream().map(c -> new Column(quoted(c)))
                .toArray(Column[]::new));
    }

    /** A column name as Spark's column parser takes it literally (dots, backticks). */
    private static String quoted(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /**
     * The records of {@code files} (JSON Lines, in the order given) as Spark's JSON reader gives
     * them under {@code schema} (the schema it inferred over all of them), each with its line as
     * read in the string column {@link #LINE}, last. Each file is read as text and its non-blank
     * lines parsed as Spark's reader parses them, so that the fields are those the job had
     * before; every line is checked ({@link FirstBadLine#rule}) as the rows are first computed,
     * a bad one failing the task with {@link FirstBadLine.NotOneObject} (see {@link
     * FirstBadLine#located}): no pass of its own. Where only some fields are read and
     * {@link LineFields} converts their types, one parse of each line both checks it and takes
     * the fields (a job on 220,000 records: median 14.5 s against 21.8 s, docs/PERFORMANCE.md);
     * otherwise the check, then {@code from_json} with the reader's options.
     *
     * @param path the input as given (a file, directory or glob), for naming the bad line
     * @param basePath the directory given, for its partition columns ({@code k=v} folders);
     *     null for a glob or a single file
     * @param parsedFields the fields {@code from_json} reads (the others are null columns of
     *     their inferred type: Spark's JSON parser skips what the schema lacks), or null for all
     */
    static Dataset<Row> withLines(SparkSession spark, String option, String path,
            String[] files, StructType schema, String basePath, Set<String> parsedFields) {
        if (Arrays.asList(schema.fieldNames()).contains(LINE)) {
            throw new IllegalArgumentException(option + ": the records have a field '" + LINE
                    + "', the name the job gives each record's line; rename it");
        }
        Dataset<Row> union = null; // Dataset.union keeps the files' partitions in order
        for (String file : files) {
            DataFrameReader reader = spark.read();
            if (basePath != null) {
                reader = reader.option("basePath", basePath);
            }
            Dataset<Row> text = reader.text(file);
            // text gives "value" then the partition columns; from_json reads the others.
            Set<String> partitionColumns = new LinkedHashSet<>(Arrays.asList(text.columns()));
            partitionColumns.remove("value");
            StructType data = new StructType();
            for (StructField f : schema.fields()) {
                if (!partitionColumns.contains(f.name())
                        && (parsedFields == null || parsedFields.contains(f.name()))) {
                    data = data.add(f);
                }
            }
            Column value = functions.col("value");
            // Blank lines (JSON's whitespace only) hold no record: Spark's reader skips them.
            Dataset<Row> records = text.where(functions.trim(value, " \t\r\n").notEqual(""));
            Column parsedFieldsColumn;
            if (parsedFields != null && LineFields.reads(data)) {
                // One pass over each line: the rule's parser checks it and takes the fields
                // (before, the check and then from_json tokenised each line twice). Unlike a
                // filter, a column that no query reads can be pruned; these are the fields the
                // fit reads from every record (WeightFitting.records, or the text embedded), so
                // every line is still checked before anything is written.
                LineFields lineFields = new LineFields(data);
                parsedFieldsColumn = functions.udf(
                        (org.apache.spark.sql.api.java.UDF1<String, Row>) line -> {
                            Row row = lineFields.read(line);
                            if (row == null) {
                                throw notOneObject(option, path, file, line);
                            }
                            return row;
                        }, data).asNondeterministic() // it throws: run once, where it stands
                        .apply(value);
            } else {
                // The check is a filter, which no plan drops, and stays in Spark's generated
                // code (a map over Java Rows cost a conversion each way); from_json then reads
                // the fields of every type.
                org.apache.spark.sql.expressions.UserDefinedFunction oneObject = functions.udf(
                        (org.apache.spark.sql.api.java.UDF1<String, Boolean>) line -> {
                            if (FirstBadLine.rule(line) != null) {
                                throw notOneObject(option, path, file, line);
                            }
                            return true;
                        }, DataTypes.BooleanType).asNondeterministic();
                records = records.where(oneObject.apply(value));
                parsedFieldsColumn = functions.from_json(value, data, java.util.Map.of(
                        "allowSingleQuotes", "false"));
            }
            List<Column> read = new ArrayList<>();
            read.add(parsedFieldsColumn.as(FIELDS));
            read.add(value.as(LINE));
            for (String p : partitionColumns) {
                read.add(functions.col(quoted(p)));
            }
            Dataset<Row> parsed = records.select(read.toArray(Column[]::new));
            List<Column> columns = new ArrayList<>();
            for (StructField f : schema.fields()) {
                columns.add(partitionColumns.contains(f.name())
                        ? functions.col(quoted(f.name())).cast(f.dataType()).as(f.name(),
                                new org.apache.spark.sql.types.MetadataBuilder()
                                        .withMetadata(f.metadata())
                                        .putBoolean(FROM_FOLDERS, true).build())
                        : parsedFields == null || parsedFields.contains(f.name())
                        ? functions.col(FIELDS).getField(f.name()).as(f.name())
                        : functions.lit(null).cast(f.dataType()).as(f.name()));
            }
            columns.add(functions.col(LINE));
            Dataset<Row> fields = parsed.select(columns.toArray(Column[]::new));
            union = union == null ? fields : union.union(fields);
        }
        return union;
    }

    /** A task's refusal of {@code line} of {@code file}, which breaks the rule. */
    private static FirstBadLine.NotOneObject notOneObject(String option, String path,
            String file, String line) {
        String problem = FirstBadLine.rule(line);
        if (problem == null) {
            // LineFields read no fields from a line that keeps the rule: not seen, a bug.
            throw new IllegalStateException("could not read the fields of " + cut(line));
        }
        return new FirstBadLine.NotOneObject(option, path, file, problem, line);
    }

    /**
     * Why {@code line} is not one JSON object, in the CLI's words, or null when it is one: an
     * array or any other value ({@code [{...},{...}]} Spark read as one record per element),
     * text after the object, a duplicate key, or malformed JSON. O(line length).
     */
    static String notOneObject(String line) {
        try (JsonParser p = STRICT.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                return "expected a JSON object, found " + describe(first)
                        + "; JSON Lines needs one object per line";
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                return "unexpected text after the JSON object at column "
                        + p.currentTokenLocation().getColumnNr()
                        + "; JSON Lines needs exactly one object per line";
            }
            return null;
        } catch (StreamConstraintsException e) {
            return "a JSON value beyond the reader's limits: " + e.getOriginalMessage();
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            return "malformed JSON" + (at == null ? "" : " at column " + at.getColumnNr()) + ": "
                    + e.getOriginalMessage();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String source does no I/O
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    /**
     * {@code line} (one JSON object, {@link #notOneObject} null) with the top-level field
     * {@code name} set to the JSON text {@code value}, as the CLI sets its weight field
     * ({@code ObjectNode.put}): a field of that name has its value replaced where it stands,
     * otherwise the field is added last, just before the closing brace. Every other character
     * of the line is kept as it is: numbers as written, strings with their escapes, nested
     * values, key order and spacing. O(line length).
     *
     * @param name a field name needing no JSON escapes
     */
    static String withField(String line, String name, String value) {
        try (JsonParser p = STRICT.createParser(line)) {
            p.nextToken(); // the object's opening brace
            boolean empty = true;
            JsonToken t;
            for (t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                empty = false;
                boolean match = name.equals(p.currentName());
                p.nextToken();
                int start = (int) p.currentTokenLocation().getCharOffset();
                p.skipChildren();
                if (match) {
                    // The value ends where the next token (a name or the closing brace) starts,
                    // less the whitespace and comma between them: no value ends in either.
                    p.nextToken();
                    int end = (int) p.currentTokenLocation().getCharOffset();
                    while (end > start && " \t\r\n,".indexOf(line.charAt(end - 1)) >= 0) {
                        end--;
                    }
                    return line.substring(0, start) + value + line.substring(end);
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IllegalStateException("not one JSON object: " + cut(line));
            }
            int close = (int) p.currentTokenLocation().getCharOffset();
            return line.substring(0, close) + (empty ? "" : ",") + "\"" + name + "\":" + value
                    + line.substring(close);
        } catch (IOException e) {
            // Every line was checked as one object when read.
            throw new IllegalStateException("not one JSON object: " + cut(line), e);
        }
    }

    /** Whether {@code line} holds JSON's whitespace only: no record, skipped. */
    static boolean blank(String line) {
        for (int i = 0; i < line.length(); i++) {
            if (" \t\r\n".indexOf(line.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A record for a message, from its line as read: its top-level fields but {@code skip}, as
     * {@code name=value} (strings as their text, other values as the line writes them), cut to
     * 200 characters; the line itself, cut, when it is not one object (every line was checked).
     */
    static String describe(String line, String skip) {
        return describe(line, skip, java.util.Map.of());
    }

    /**
     * {@link #describe(String, String)}, followed by the entries of {@code columns} whose names
     * the line has no top-level field for. Given the record's non-null column values, these are
     * its partition columns ({@code k=v} folders of a directory input): they are the only
     * columns of a record read from a line whose values are not on the line (every other
     * column is parsed from the line, or null when it is not parsed). Shown last, as Spark's
     * typed rows place them, so a message names the folder's value too.
     *
     * @param columns column name to value, in schema order (neither {@link #LINE} nor
     *     {@code skip})
     */
    static String describe(String line, String skip, java.util.Map<String, ?> columns) {
        return describe(line, skip, columns, Set.of());
    }

    /**
     * {@link #describe(String, String, java.util.Map)}, where a line's field that a column of
     * {@code fromFolders} overrides shows that column's value, in the line's place: Spark's
     * reader gives a partition column the folder's value over the line's (a {@code label}
     * field in a record under {@code label=pos/}), and the fit grouped the record by it.
     *
     * @param fromFolders the names of the partition columns (see {@link #FROM_FOLDERS})
     */
    static String describe(String line, String skip, java.util.Map<String, ?> columns,
            Set<String> fromFolders) {
        StringBuilder sb = new StringBuilder("{");
        Set<String> onTheLine = new java.util.HashSet<>();
        try (JsonParser p = STRICT.createParser(line)) {
            p.nextToken(); // the object's opening brace
            while (p.nextToken() == JsonToken.FIELD_NAME && sb.length() <= 200) {
                String name = p.currentName();
                onTheLine.add(name);
                JsonToken value = p.nextToken();
                int start = (int) p.currentTokenLocation().getCharOffset();
                p.skipChildren();
                if (!name.equals(skip)) {
                    sb.append(sb.length() == 1 ? "" : ", ").append(name).append('=');
                    if (fromFolders.contains(name)) {
                        // The folder's value, which the fit used (null: Hive's default folder).
                        sb.append(columns.containsKey(name) ? columns.get(name) : "null");
                        continue;
                    }
                    sb.append(value == JsonToken.VALUE_STRING ? p.getText()
                            : line.substring(start, (int) p.currentLocation()
                                    .getCharOffset()).strip());
                }
            }
        } catch (IOException | RuntimeException e) {
            return cut(line);
        }
        // Past 200 characters the fields not read yet may be on the line; the cut drops them.
        for (java.util.Map.Entry<String, ?> c : columns.entrySet()) {
            if (sb.length() > 200) {
                break;
            }
            if (!onTheLine.contains(c.getKey())) {
                sb.append(sb.length() == 1 ? "" : ", ").append(c.getKey()).append('=')
                        .append(c.getValue());
            }
        }
        String text = sb.append('}').toString();
        return text.length() <= 200 ? text : text.substring(0, 200) + "...}";
    }

    /** The columns of {@code rows} but {@link #LINE}, for messages that list the fields. */
    static List<String> userColumns(Dataset<Row> rows) {
        List<String> names = new ArrayList<>(Arrays.asList(rows.columns()));
        names.remove(LINE);
        return names;
    }

    /** {@code s} cut to 120 characters, for a message. */
    static String cut(String s) {
        return s.length() <= 120 ? s : s.substring(0, 120) + "...";
    }

    /** The file's bytes, decompressed by the codec its name implies (as Spark reads it). */
    static java.io.InputStream openRaw(SparkSession spark, Path path) throws IOException {
        org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
        FileSystem fs = path.getFileSystem(conf);
        java.io.InputStream raw = fs.open(path);
        org.apache.hadoop.io.compress.CompressionCodec codec =
                new org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(path);
        return codec == null ? raw : codec.createInputStream(raw);
    }

    /** The file's text (see {@link #openRaw}). */
    private static BufferedReader open(SparkSession spark, Path path) throws IOException {
        return new BufferedReader(new InputStreamReader(openRaw(spark, path),
                StandardCharsets.UTF_8));
    }

    private static List<String> firstFields(SparkSession spark, String file) {
        Path path = new Path(file);
        try {
            try (BufferedReader in = open(spark, path)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (blank(line)) {
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
