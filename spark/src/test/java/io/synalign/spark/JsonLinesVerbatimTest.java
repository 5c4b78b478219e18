package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JSON Lines through the job as the CLI passes them: each output record is its input line with
 * {@code synalign_weight} set, every other byte as read; a line that is not one JSON object is
 * refused naming its file and line, exit 2.
 */
class JsonLinesVerbatimTest {

    @TempDir
    Path dir;

    private static final Pattern WEIGHT = Pattern.compile("\"synalign_weight\":([^,}]+)");

    /**
     * Synthetic records Spark's inferred types changed: integer ids, {@code 1} beside
     * {@code 2.5}, a number in a field that also holds text, strings of digits, nested objects,
     * unicode escapes and raw UTF-8, key orders that differ, spacing, an old weight field.
     */
    private static List<String> awkwardLines(int n, Random random) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String emb = String.format(Locale.ROOT, "[%.6f,%.6f,%.6f]", random.nextGaussian(),
                    random.nextGaussian() + (i % 2), random.nextGaussian());
            String label = i % 3 == 0 ? "\"neg\"" : "\"pos\"";
            String line = switch (i % 5) {
                case 0 -> "{\"id\":" + i + ",\"score\":1,\"code\":5,\"zip\":\"007\",\"label\":"
                        + label + ",\"emb\":" + emb + "}";
                case 1 -> "{\"emb\":" + emb + ", \"label\": " + label + ", \"id\": " + i
                        + ", \"score\": 2.5, \"code\": \"x5\", \"text\": \"caf\\u00e9 na\u00efve"
                        + " \\ud83d\\ude00 \ud83d\ude00 \\\"q\\\" \\/\"}";
                case 2 -> "{\"id\":" + i + ",\"synalign_weight\":0.25,\"meta\":{\"b\":1,\"a\":"
                        + "[1.50,-0,1e2,{\"x\":null}]},\"label\":" + label + ",\"emb\":" + emb
                        + ",\"big\":12345678901234567890}";
                case 3 -> "{ \"label\" : " + label + " , \"emb\" : " + emb + " , \"id\" : " + i
                        + " , \"flag\" : true , \"none\" : null }  ";
                default -> "{\"id\":" + i + ",\"label\":" + label + ",\"emb\":" + emb
                        + ",\"synalign_weight\":7}";
            };
            lines.add(line);
        }
        return lines;
    }

    /** The output's lines, part files in order. */
    private static List<String> outputLines(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        try (var parts = Files.list(out)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-"))
                    .sorted().toList()) {
                lines.addAll(Files.readAllLines(part));
            }
        }
        return lines;
    }

    @Test
    void outputRecordsAreTheInputLinesWithTheWeightSet() throws IOException {
        Random random = new Random(5);
        List<String> realLines = awkwardLines(30, random);
        List<String> synthLines = awkwardLines(45, random);
        Path real = Files.write(dir.resolve("real.jsonl"), realLines);
        List<String> withBlank = new ArrayList<>(synthLines);
        withBlank.add(7, "   ");
        Path synthetic = Files.write(dir.resolve("synthetic.jsonl"), withBlank);
        String[] common = {"--real", real.toString(), "--synthetic", synthetic.toString(),
            "--embedding-field", "emb", "--features", "16", "--iterations", "20", "--seed", "3",
            "--backend", "reference", "--partitions", "3"};
        Path out = dir.resolve("w.jsonl");
        Path sampled = dir.resolve("s.jsonl");
        List<String> args = new ArrayList<>(List.of(common));
        args.addAll(List.of("--out", out.toString(), "--sample", "9", "--sampled-out",
                sampled.toString()));
        SynAlignSparkJob.Outcome outcome = SynAlignSparkJobTest.job(args.toArray(String[]::new))
                .run(TestSpark.session());

        // The weights by id, from a Parquet run of the same inputs (the job's typed columns).
        List<String> parquetArgs = new ArrayList<>(List.of(common));
        parquetArgs.addAll(List.of("--out", dir.resolve("w.parquet").toString()));
        SynAlignSparkJobTest.job(parquetArgs.toArray(String[]::new)).run(TestSpark.session());
        Map<Long, Double> byId = new HashMap<>();
        List<Row> rows = TestSpark.session().read().parquet(dir.resolve("w.parquet").toString())
                .collectAsList();
        for (Row row : rows) {
            byId.put(row.getLong(row.fieldIndex("id")),
                    row.getDouble(row.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD)));
        }
        assertFalse(List.of(rows.get(0).schema().fieldNames()).contains(JsonLines.LINE),
                "Parquet output has the fields only");

        List<String> written = outputLines(out);
        assertEquals(synthLines.size(), written.size());
        for (int i = 0; i < synthLines.size(); i++) {
            String input = synthLines.get(i);
            String output = written.get(i);
            double w = byId.get((long) i);
            String text = Double.toString(w); // Jackson's text for a double, as before
            String expected;
            Matcher old = WEIGHT.matcher(input);
            if (old.find()) {
                expected = input.substring(0, old.start(1)) + text + input.substring(old.end(1));
            } else {
                int close = input.lastIndexOf('}');
                expected = input.substring(0, close) + ",\"synalign_weight\":" + text
                        + input.substring(close);
            }
            assertEquals(expected, output, "record " + i);
        }
        Set<String> drawn = new HashSet<>(outputLines(sampled));
        Set<String> expectedDrawn = new HashSet<>();
        for (long row : outcome.sampled()) {
            expectedDrawn.add(synthLines.get((int) row));
        }
        assertEquals(9, drawn.size());
        assertEquals(expectedDrawn, drawn, "the drawn records as read");
    }

    @Test
    void aLineThatIsNotOneObjectIsRefusedByFileAndLine() throws IOException {
        Random random = new Random(6);
        List<String> lines = awkwardLines(20, random);
        Path good = Files.write(dir.resolve("good.jsonl"), lines);
        List<String> array = new ArrayList<>(lines);
        // Spark read this line as two records.
        array.set(4, "[" + lines.get(0) + "," + lines.get(5) + "]");
        Path bad = Files.write(dir.resolve("array.jsonl"), array);
        String[] common = {"--embedding-field", "emb", "--features", "8", "--iterations", "3",
            "--backend", "reference"};
        Object[] synth = JobCommandLineTest.execute(plus(common, "--real", good.toString(),
                "--synthetic", bad.toString(), "--out", dir.resolve("o1.jsonl").toString()));
        JobCommandLineTest.assertBadInput(synth, "--synthetic ");
        JobCommandLineTest.assertBadInput(synth, "array.jsonl line 5: expected a JSON object,"
                + " found an array; JSON Lines needs one object per line");
        assertFalse(Files.exists(dir.resolve("o1.jsonl")));

        Object[] realSide = JobCommandLineTest.execute(plus(common, "--real", bad.toString(),
                "--synthetic", good.toString(), "--out", dir.resolve("o2.parquet").toString()));
        JobCommandLineTest.assertBadInput(realSide, "--real ");
        JobCommandLineTest.assertBadInput(realSide, "array.jsonl line 5: expected a JSON object");
        assertFalse(Files.exists(dir.resolve("o2.parquet")));

        List<String> twice = new ArrayList<>(lines);
        twice.set(11, lines.get(11) + " " + lines.get(12));
        Path after = Files.write(dir.resolve("twice.jsonl"), twice);
        Object[] trailing = JobCommandLineTest.execute(plus(common, "--real", good.toString(),
                "--synthetic", after.toString(), "--out", dir.resolve("o3.jsonl").toString()));
        JobCommandLineTest.assertBadInput(trailing, "twice.jsonl line 12: unexpected text after"
                + " the JSON object at column ");
        assertFalse(Files.exists(dir.resolve("o3.jsonl")));
    }

    @Test
    void aFieldIsSetInPlaceOrAddedBeforeTheClosingBrace() {
        assertEquals("{\"a\":1,\"w\":0.5}", JsonLines.withField("{\"a\":1}", "w", "0.5"));
        assertEquals("{\"w\":0.5}", JsonLines.withField("{}", "w", "0.5"));
        assertEquals("{ \"w\":0.5}", JsonLines.withField("{ }", "w", "0.5"));
        assertEquals("{\"a\" : 1.50 ,\"w\":0.5}  ",
                JsonLines.withField("{\"a\" : 1.50 }  ", "w", "0.5"));
        assertEquals("{\"w\" : 0.5 , \"a\":[1,{\"w\":2}]}",
                JsonLines.withField("{\"w\" : {\"x\":[1,\",\"]} , \"a\":[1,{\"w\":2}]}", "w",
                        "0.5"));
        assertEquals("{\"a\":{\"w\":1},\"w\":0.5}",
                JsonLines.withField("{\"a\":{\"w\":1},\"w\":\"old, text\"}", "w", "0.5"));
        assertEquals("{\"a\":\"\\u00e9\",\"w\":0.5\t}",
                JsonLines.withField("{\"a\":\"\\u00e9\",\"w\":null\t}", "w", "0.5"));
        assertNull(JsonLines.notOneObject(" {\"a\":NaN} "));
        assertEquals("expected a JSON object, found an array; JSON Lines needs one object per"
                + " line", JsonLines.notOneObject("[{\"a\":1}]"));
        assertTrue(JsonLines.notOneObject("{\"a\":1,\"a\":2}").contains("Duplicate field 'a'"));
    }

    /**
     * A record in a message is read back from its line (its fields other than the fit's may not
     * have been parsed): every field but the one skipped, strings as text, other values as the
     * line writes them, NaN too.
     */
    @Test
    void aRecordIsDescribedFromItsLine() {
        assertEquals("{id=7, text=caf\u00e9 \"q\", score=1, meta={\"b\":[1.50,null]}, x=NaN}",
                JsonLines.describe("{\"id\":7,\"text\":\"caf\\u00e9 \\\"q\\\"\",\"emb\":[1,2],"
                        + "\"score\":1,\"meta\":{\"b\":[1.50,null]},\"x\":NaN}", "emb"));
        String longText = "y".repeat(300);
        assertEquals("{a=" + longText.substring(0, 197) + "...}",
                JsonLines.describe("{\"a\":\"" + longText + "\"}", "emb"));
    }

    /**
     * A record of a partitioned directory ({@code label=pos/} folders) is named with its
     * partition column: the message is built from the record's line, which does not hold the
     * folder's value, so before it read "{id=14, text=row 4}" with no label. Other columns
     * (null, or parsed from the line) are not repeated.
     */
    @Test
    void aRecordMessageFromItsLineNamesItsPartitionColumns() throws IOException {
        Path out = dir.resolve("out.jsonl");
        Object[] r = runOnPartitioned(out, line -> line);
        JobCommandLineTest.assertBadInput(r, "a record's embedding 'emb' has 2 values, the first"
                + " synthetic record's has 3: {id=14, text=row 4, label=pos}");
        assertFalse(Files.exists(out));
        Map<String, Object> columns = new java.util.LinkedHashMap<>();
        columns.put("id", 7L);
        columns.put("label", "pos");
        columns.put("k", 1);
        assertEquals("{id=7, text=x, label=pos, k=1}", JsonLines.describe(
                "{\"id\":7,\"text\":\"x\",\"emb\":[1],\"label\":\"pos\"}", "emb", columns));
    }

    @Test
    void aLineFieldAPartitionColumnOverridesIsNamedWithTheFoldersValue() throws IOException {
        // Spark's reader gives a partition column the folder's value, over a line's field of
        // the same name; the fit groups by it, so the message must name that value.
        Path out = dir.resolve("out.jsonl");
        Object[] r = runOnPartitioned(out,
                line -> line.replace("\"id\":14,", "\"id\":14,\"label\":\"neg\","));
        JobCommandLineTest.assertBadInput(r, "a record's embedding 'emb' has 2 values, the first"
                + " synthetic record's has 3: {id=14, label=pos, text=row 4}");
        assertFalse(Files.exists(out));
        // Hive's default folder gives the column null, over the line's value too.
        assertEquals("{id=7, label=null, text=x}", JsonLines.describe(
                "{\"id\":7,\"label\":\"neg\",\"text\":\"x\",\"emb\":[1]}", "emb",
                Map.of("id", 7L, "text", "x"), java.util.Set.of("label")));
    }

    /**
     * Runs the job on 12 real rows and a synthetic directory of {@code label=neg/} and
     * {@code label=pos/} folders holding the same rows without their label field (pos's ids
     * from 10), pos's fifth line with 2 embedding values instead of 3 and then given to
     * {@code fifth}; the job's outcome.
     */
    private Object[] runOnPartitioned(Path out, java.util.function.UnaryOperator<String> fifth)
            throws IOException {
        Path real = dir.resolve("real.jsonl");
        SynAlignSparkJobTest.write(real, new Random(1), 12, 0);
        Path synthetic = Files.createDirectory(dir.resolve("synthetic"));
        List<String> lines = Files.readAllLines(real);
        for (String label : List.of("neg", "pos")) {
            List<String> part = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                int id = label.equals("pos") ? 10 + i : i;
                part.add(lines.get(i).replaceFirst(",\"label\":\"[a-z]+\"", "")
                        .replace("\"id\":" + i + ",", "\"id\":" + id + ","));
            }
            if (label.equals("pos")) {
                part.set(4, fifth.apply(part.get(4).replaceFirst(",[^,\\]]+\\]}$", "]}")));
            }
            Path folder = Files.createDirectory(synthetic.resolve("label=" + label));
            Files.write(folder.resolve("part-0.jsonl"), part);
        }
        return JobCommandLineTest.execute("--real", real.toString(), "--synthetic",
                synthetic.toString(), "--format", "jsonl", "--embedding-field", "emb",
                "--features", "8", "--iterations", "3", "--backend", "reference", "--out",
                out.toString());
    }

    private static String[] plus(String[] base, String... more) {
        String[] all = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }
}
