package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first bad line of a JSON Lines input is named by one rule, whichever check found it:
 * Spark's schema inference (a line it marks corrupt, a duplicate key that makes two columns of
 * one name) or a task's check of each line. Before, the inference path had its own rule: a form
 * feed line or bytes that are not UTF-8 were "every line is a JSON object on its own", a NaN in
 * a field the job passes through was named as the malformed line ahead of the real one, text
 * after an object was passed over, a duplicate key was Spark's message without file or line.
 */
class FirstBadLineTest {

    @TempDir
    Path dir;

    private Path good;
    private List<String> lines;
    private int runs;

    @BeforeEach
    void goodInput() throws IOException {
        good = dir.resolve("good.jsonl");
        SynAlignSparkJobTest.write(good, new Random(1), 12, 0);
        lines = Files.readAllLines(good);
    }

    private Path input(String name, List<String> text) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n", text) + "\n");
    }

    /**
     * The job's one-line refusal of {@code synthetic} (exit 2, checked); asserts nothing was
     * written.
     */
    private String refusal(Path synthetic, String... more) {
        return refusal(good, synthetic, more);
    }

    /** {@link #refusal(Path, String...)} with {@code real} as the real input. */
    private String refusal(Path real, Path synthetic, String... more) {
        Path out = dir.resolve("out" + runs++ + ".jsonl");
        List<String> args = new ArrayList<>(List.of("--real", real.toString(), "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference", "--format", "jsonl", "--out",
                out.toString()));
        args.addAll(List.of(more));
        Object[] r = JobCommandLineTest.execute(args.toArray(String[]::new));
        JobCommandLineTest.assertBadInput(r, ""); // exit 2, one line; the words are the caller's
        assertFalse(Files.exists(out), "nothing written");
        return ((String) r[1]).strip();
    }

    private List<String> with(int index, String line) {
        List<String> l = new ArrayList<>(lines);
        l.set(index, line);
        return l;
    }

    private static final String BROKEN = "{\"id\": 6, \"text\": \"broken";

    @Test
    void everyPathNamesTheFirstLineThatBreaksTheOneRule() throws IOException {
        Map<String, Path> cases = new LinkedHashMap<>();
        List<String> l = new ArrayList<>(lines);
        l.add(2, "\f");
        cases.put("ff.jsonl line 3: malformed JSON at column 2: Illegal character ((CTRL-CHAR,"
                + " code 12))", input("ff.jsonl", l));
        l = new ArrayList<>(lines);
        l.add(2, "\u3000 ");
        cases.put("ideographic.jsonl line 3: malformed JSON at column 1: Unexpected character",
                input("ideographic.jsonl", l));
        // NaN is a number to Spark's reader and to the job (refused only in an embedding).
        l = with(1, lines.get(1).replace("\"id\":1,", "\"id\":1,\"score\":NaN,"));
        l.set(4, BROKEN);
        cases.put("nan.jsonl line 5: malformed JSON at column 26: Unexpected end-of-input",
                input("nan.jsonl", l));
        l = with(1, lines.get(1) + " {\"x\":1}");
        l.set(5, BROKEN);
        cases.put("trailing.jsonl line 2: unexpected text after the JSON object at column ",
                input("trailing.jsonl", l));
        l = with(1, "[" + lines.get(1) + "]");
        l.set(5, BROKEN);
        cases.put("array.jsonl line 2: expected a JSON object, found an array; JSON Lines needs"
                + " one object per line", input("array.jsonl", l));
        cases.put("duplicate.jsonl line 3: malformed JSON at column 13: Duplicate field 'id'",
                input("duplicate.jsonl", with(2, lines.get(2).replace("\"id\":2,",
                        "\"id\":2,\"id\":2,"))));
        cases.put("nested.jsonl line 3: malformed JSON at column 23: Duplicate field 'a'",
                input("nested.jsonl", with(2, lines.get(2).replace("\"id\":2,",
                        "\"id\":2,\"m\":{\"a\":1,\"a\":2},"))));
        cases.put("broken.jsonl line 7: malformed JSON at column 26: Unexpected end-of-input",
                input("broken.jsonl", with(6, BROKEN)));
        // A byte order mark (Spark's line reader drops it): the bad line is the 5th.
        l = with(4, BROKEN);
        l.set(0, "\uFEFF" + l.get(0));
        cases.put("bom.jsonl line 5: malformed JSON at column 26: Unexpected end-of-input",
                input("bom.jsonl", l));
        // Bytes that are not UTF-8 inside a string on line 4 ("row 3" is "row \xC3(3").
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            String line = i == 3 ? lines.get(i).replace("row 3", "row \u0001(3") : lines.get(i);
            byte[] b = line.getBytes(StandardCharsets.UTF_8);
            for (int j = 0; j < b.length; j++) {
                b[j] = b[j] == 1 ? (byte) 0xC3 : b[j];
            }
            bytes.write(b);
            bytes.write('\n');
        }
        cases.put("utf8.jsonl line 4: not valid UTF-8 (byte 0xC3 at byte 21 of the line);"
                + " convert the file to UTF-8", Files.write(dir.resolve("utf8.jsonl"),
                        bytes.toByteArray()));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Path> c : cases.entrySet()) {
            String err = refusal(c.getValue());
            if (!err.contains(c.getKey())) {
                wrong.add("expected " + c.getKey() + "\n  got " + err);
            }
        }
        assertEquals(List.of(), wrong, wrong.size() + " of " + cases.size() + " named otherwise");
    }

    /**
     * A bad line reads the same whether a task found it (an array Spark reads as records) or
     * Spark's inference did (the same file with a malformed line after it).
     */
    @Test
    void aLineIsRefusedInTheSameWordsOnEitherPath() throws IOException {
        String byTask = refusal(input("one.jsonl", with(1, "[" + lines.get(1) + "]")));
        List<String> l = with(1, "[" + lines.get(1) + "]");
        l.set(8, BROKEN);
        String byInference = refusal(input("two.jsonl", l));
        assertEquals(byTask.replace("one.jsonl", "two.jsonl"), byInference);
    }

    /**
     * A directory's files are scanned in name order whichever task failed first. Spreading the
     * rows over more partitions than files counts every file but the last in one Spark job
     * ({@code zipWithIndex}), so the tasks of a.jsonl and b.jsonl run side by side: b's fails
     * at its first line, a's only at its 30,001st, and the task's failure named b.jsonl.
     */
    @Test
    void theFirstBadLineIsTheFirstInFileNameOrder() throws IOException {
        Path parts = Files.createDirectories(dir.resolve("parts"));
        List<String> big = new ArrayList<>();
        for (int i = 0; i < 2_501; i++) {
            big.addAll(lines);
        }
        big.set(30_000, "[" + lines.get(0) + "]");
        Files.writeString(parts.resolve("a.jsonl"), String.join("\n", big) + "\n");
        Files.writeString(parts.resolve("b.jsonl"), String.join("\n",
                with(0, "[" + lines.get(0) + "]")) + "\n");
        Files.writeString(parts.resolve("c.jsonl"), String.join("\n", lines) + "\n");
        String err = refusal(parts, "--partitions", "8");
        assertTrue(err.contains("parts/a.jsonl line 30001: expected a JSON object, found an"
                + " array"), err);
    }

    /**
     * With bad lines in both inputs the real input's first is named, as the command line gives
     * them (--real, then --synthetic), whichever check found a bad line first. Before, a real
     * line only a task's check refuses (an array, which Spark's inference reads as records)
     * waited for its task while the synthetic input's inference named its malformed line; and
     * with two such lines the input of the task that failed first was named. The message adds
     * that the other input is bad too only when the failure showed it: the synthetic input's
     * inference names its line; a real input refused by its inference stops the job before the
     * synthetic input is read. One partition per input, so that no count of the real rows
     * (which spreading them over more partitions runs at once) reaches the real bad line before
     * the synthetic input is read.
     */
    @Test
    void withBadLinesInBothInputsTheRealInputsFirstIsNamed() throws IOException {
        Path realArray = input("real-array.jsonl", with(3, "[" + lines.get(3) + "]"));
        Path realBroken = input("real-broken.jsonl", with(4, BROKEN));
        Path synthBroken = input("synth-broken.jsonl", with(2, BROKEN));
        Path synthArray = input("synth-array.jsonl", with(1, "[" + lines.get(1) + "]"));
        String array = "expected a JSON object, found an array; JSON Lines needs one object per"
                + " line";

        String err = refusal(realArray, synthBroken, "--partitions", "1");
        assertTrue(err.endsWith("--real " + realArray.toUri() + " line 4: " + array
                + " (--synthetic has a bad line too, at " + synthBroken.toUri() + " line 3)"),
                err);

        err = refusal(realArray, synthArray, "--partitions", "1");
        assertTrue(err.contains("--real " + realArray.toUri() + " line 4: " + array), err);

        err = refusal(realBroken, synthBroken, "--partitions", "1");
        assertTrue(err.endsWith("--real " + realBroken.toUri() + " line 5: malformed JSON at"
                + " column 26: Unexpected end-of-input: was expecting closing quote for a string"
                + " value"), err);
    }

    /** Names that differ in case only are two columns of one name to Spark; no line is bad. */
    @Test
    void namesThatDifferInCaseOnlyAreSparksRefusalNamingTheInput() throws IOException {
        Path input = input("case.jsonl", with(2, lines.get(2).replace("\"id\":2,",
                "\"ID\":2,")));
        String err = refusal(input);
        assertTrue(err.contains("--synthetic " + input + ": [COLUMN_ALREADY_EXISTS]"), err);
    }

    /**
     * Lines are numbered as Spark's text reader splits them ({@code \n}, {@code \r},
     * {@code \r\n}); JSON's whitespace alone is no record, a form feed is a bad line.
     */
    @Test
    void linesAreNumberedAsSparksTextReaderSplitsThem() throws IOException {
        String text = "\uFEFF{\"a\":1}\r\n \t\r{\"a\":2}\r\r\n{\"a\":3}\n\f\n{\"a\":4}";
        Path file = Files.writeString(dir.resolve("ends.jsonl"), text);
        String[] files = {file.toUri().toString()};
        IllegalArgumentException bad = FirstBadLine.in(TestSpark.session(), "--x", files);
        List<Row> spark = TestSpark.session().read().text(file.toString()).collectAsList();
        int formFeed = -1;
        for (int i = 0; i < spark.size(); i++) {
            if (spark.get(i).getString(0).equals("\f")) {
                formFeed = i + 1;
            }
        }
        assertEquals(6, formFeed, "Spark's line of the form feed");
        assertEquals("--x " + files[0] + " line 6: malformed JSON at column 2: Illegal character"
                + " ((CTRL-CHAR, code 12)): only regular white space (\\r, \\n, \\t) is allowed"
                + " between tokens", bad.getMessage());
        Files.writeString(file, text.replace("\f", "  "));
        assertNull(FirstBadLine.in(TestSpark.session(), "--x", files));
        assertNull(FirstBadLine.rule(" \t\r\n"));
        assertNull(FirstBadLine.rule("{\"a\":NaN}"));
    }
}
