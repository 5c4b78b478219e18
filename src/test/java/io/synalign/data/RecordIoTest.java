package io.synalign.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.io.InputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading and writing records: every field and its order survive, in every format. */
class RecordIoTest {

    @TempDir
    Path dir;

    private static final String JSONL = String.join("\n",
            "{\"id\":1,\"text\":\"Hello, \\\"world\\\"\",\"label\":\"greeting\",\"score\":0.10,"
                    + "\"big\":12345678901234567890123,\"tags\":[\"a\",\"b\"],\"meta\":{\"x\":null},"
                    + "\"ok\":true}",
            "",
            "  {\"text\":\"line\\nbreak and tab\\t here\",\"id\":2,\"label\":\"other\","
                    + "\"zeta\":\"caf\u00e9 \u6f22\u5b57 \ud83d\ude00\"}  ",
            "{\"z\":\"\",\"a\":\"first field z\",\"text\":\"\",\"label\":3}") + "\n";

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Path write(String name, String text) throws IOException {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(b)) {
            gz.write(bytes);
        }
        return b.toByteArray();
    }

    private static byte[] gunzip(byte[] bytes) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        }
    }

    private static byte[] written(RecordFormat.Kind kind, List<Record> records) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RecordWriter.write(out, kind, records);
        return out.toByteArray();
    }

    @Test
    void jsonNumbersKeepTheirExactText() throws IOException {
        String line = "{\"a\":1e2,\"b\":-0,\"c\":1.50,\"d\":-0.0,\"e\":12345678901234567890123,"
                + "\"f\":2.5E-3,\"g\":[0.1,{\"h\":-7e+00}],\"text\":\"t\"}";
        List<Record> in = RecordReader.read(write("numbers.jsonl", line + "\n"));
        String out = new String(written(new RecordFormat.Kind(RecordFormat.JSONL, false), in),
                java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(line + "\n", out);
        // They are still numbers to code that reads them.
        assertTrue(in.get(0).get("a").isNumber());
        assertEquals(100.0, in.get(0).get("a").doubleValue());
        assertEquals(0.0, in.get(0).get("b").doubleValue());
        assertEquals("1e2", in.get(0).get("a").asText());
        String csv = new String(written(new RecordFormat.Kind(RecordFormat.CSV, false), in),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(csv.startsWith("a,b,c,d,e,f,g,text\n1e2,-0,1.50,-0.0,12345678901234567890123,2.5E-3,"),
                csv);
    }

    @Test
    void loneSurrogatesSurviveAJsonLinesRoundTrip() throws IOException {
        String line = "{\"text\":\"lone \\ud800 surrogate \\ud83d\\ude00 pair\",\"\\udc01k\":\"x\\udfff\"}\n";
        List<Record> in = RecordReader.read(write("surrogates.jsonl", line));
        assertEquals("lone \ud800 surrogate \ud83d\ude00 pair", in.get(0).get("text").textValue());
        byte[] out = written(new RecordFormat.Kind(RecordFormat.JSONL, false), in);
        String text = new String(out, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("lone \\ud800 surrogate \ud83d\ude00 pair"), text);
        assertTrue(!text.contains("?"), "no surrogate became '?': " + text);
        List<Record> back = RecordReader.read(write("back.jsonl", out));
        assertEquals(in.get(0).json(), back.get(0).json(), "the same strings read back");
        assertEquals("abc", RecordWriter.escapeLoneSurrogates("abc"));
        String csv = new String(written(new RecordFormat.Kind(RecordFormat.CSV, false), in),
                java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(csv.contains("lone \ufffd surrogate \ud83d\ude00 pair"), csv);
        assertEquals("a\ufffdb\ud83d\ude00", RecordWriter.replaceLoneSurrogates("a\udc00b\ud83d\ude00"));
        assertEquals("\\udc00\\ud800", RecordWriter.escapeLoneSurrogates("\udc00\ud800"));
    }

    @Test
    void jsonLinesKeepEveryFieldInOrderWithExactValues() throws IOException {
        List<Record> records = RecordReader.read(write("in.jsonl", JSONL));
        assertEquals(3, records.size());
        assertEquals(List.of("id", "text", "label", "score", "big", "tags", "meta", "ok"),
                records.get(0).fieldNames());
        assertEquals(List.of("text", "id", "label", "zeta"), records.get(1).fieldNames());
        assertEquals(List.of("z", "a", "text", "label"), records.get(2).fieldNames());
        assertEquals(List.of(1L, 3L, 4L), records.stream().map(Record::line).toList());
        assertEquals("Hello, \"world\"", records.get(0).get("text").textValue());
        assertEquals("line\nbreak and tab\t here", records.get(1).get("text").textValue());
        assertEquals("caf\u00e9 \u6f22\u5b57 \ud83d\ude00", records.get(1).get("zeta").textValue());

        // Written back: the same objects, numbers with their exact text (0.10 stays 0.10).
        String out = new String(written(new RecordFormat.Kind(RecordFormat.JSONL, false), records),
                StandardCharsets.UTF_8);
        String[] lines = out.split("\n", -1);
        assertEquals(4, lines.length, out);
        assertEquals("", lines[3]);
        assertEquals("{\"id\":1,\"text\":\"Hello, \\\"world\\\"\",\"label\":\"greeting\",\"score\":0.10,"
                + "\"big\":12345678901234567890123,\"tags\":[\"a\",\"b\"],\"meta\":{\"x\":null},"
                + "\"ok\":true}", lines[0]);
        assertEquals("{\"z\":\"\",\"a\":\"first field z\",\"text\":\"\",\"label\":3}", lines[2]);
        List<Record> again = RecordReader.read(write("again.jsonl", out));
        for (int i = 0; i < records.size(); i++) {
            assertEquals(records.get(i).fieldNames(), again.get(i).fieldNames());
            for (String f : records.get(i).fieldNames()) {
                assertEquals(records.get(i).get(f), again.get(i).get(f), f);
            }
        }
    }

    @Test
    void withFieldAppendsOrReplacesInPlaceAndLeavesTheOriginal() throws IOException {
        Record r = RecordReader.read(write("in.jsonl", JSONL)).get(2);
        Record added = r.withField("synalign_weight", 0.25);
        assertEquals(List.of("z", "a", "text", "label", "synalign_weight"), added.fieldNames());
        assertEquals(0.25, added.get("synalign_weight").doubleValue());
        Record replaced = r.withField("a", 1e-300);
        assertEquals(List.of("z", "a", "text", "label"), replaced.fieldNames());
        assertEquals(1e-300, replaced.get("a").doubleValue());
        assertEquals("first field z", r.get("a").textValue(), "records are immutable");
        assertEquals(r.line(), added.line());
    }

    /** Awkward cells: delimiters, quotes, CR/LF, leading spaces, a lone quote, unicode. */
    private static final String[][] CELLS = {
        {"id", "text", "label", "note"},
        {"1", "plain", "a", ""},
        {"2", "comma, inside", "b", "tab\tinside"},
        {"3", "quote \"inside\" here", "a", "\"starts with a quote"},
        {"4", "multi\nline\r\nwith both breaks", "c", "  leading and trailing spaces  "},
        {"5", "caf\u00e9 \ud83d\ude00", "", "x"},
    };

    @ParameterizedTest
    @ValueSource(strings = {"t.csv", "t.tsv", "t.csv.gz", "t.tsv.gz", "t.tab", "t.jsonl.gz", "t.ndjson"})
    void everyFormatRoundTripsAwkwardStrings(String name) throws IOException {
        List<Record> records = new ArrayList<>();
        // Build the records through a CSV file written by hand (RFC 4180 quoting).
        StringBuilder csv = new StringBuilder();
        for (String[] row : CELLS) {
            for (int c = 0; c < row.length; c++) {
                String s = row[c];
                boolean quote = s.contains(",") || s.contains("\"") || s.contains("\n")
                        || s.contains("\r");
                csv.append(c == 0 ? "" : ",").append(quote ? "\"" + s.replace("\"", "\"\"") + "\"" : s);
            }
            csv.append("\r\n");
        }
        records.addAll(RecordReader.read(write("source.csv", csv.toString())));
        assertEquals(CELLS.length - 1, records.size());
        for (int i = 1; i < CELLS.length; i++) {
            Record r = records.get(i - 1);
            assertEquals(Arrays.asList(CELLS[0]), r.fieldNames());
            for (int c = 0; c < CELLS[0].length; c++) {
                assertEquals(CELLS[i][c], r.get(CELLS[0][c]).textValue(), "row " + i + " col " + c);
            }
        }
        assertEquals(List.of(2L, 3L, 4L, 5L, 8L), records.stream().map(Record::line).toList(),
                "line numbers count the quoted line breaks");

        RecordFormat.Kind kind = RecordFormat.of(Path.of(name));
        byte[] bytes = written(kind, records);
        if (kind.gzip()) {
            assertEquals(0x1f, bytes[0] & 0xff);
            assertEquals(0x8b, bytes[1] & 0xff);
        }
        List<Record> back = RecordReader.read(write(name, bytes));
        assertEquals(records.size(), back.size());
        for (int i = 0; i < records.size(); i++) {
            assertEquals(records.get(i).fieldNames(), back.get(i).fieldNames());
            for (String f : records.get(i).fieldNames()) {
                assertEquals(records.get(i).get(f).textValue(), back.get(i).get(f).textValue(),
                        name + " row " + i + " field " + f);
            }
        }
    }

    @Test
    void csvOutputOfJsonRecordsUsesTheUnionOfFieldsAndJsonTextForNonStrings() throws IOException {
        List<Record> records = RecordReader.read(write("in.jsonl", JSONL));
        String csv = new String(written(new RecordFormat.Kind(RecordFormat.CSV, false), records),
                StandardCharsets.UTF_8);
        String[] lines = csv.split("\n");
        assertEquals("id,text,label,score,big,tags,meta,ok,zeta,z,a", lines[0]);
        assertEquals("1,\"Hello, \"\"world\"\"\",greeting,0.10,12345678901234567890123,"
                + "\"[\"\"a\"\",\"\"b\"\"]\",\"{\"\"x\"\":null}\",true,,,", lines[1]);
        List<Record> back = RecordReader.read(write("out.csv", csv));
        assertEquals("", back.get(0).get("zeta").textValue(), "a missing field is an empty cell");
        assertEquals("line\nbreak and tab\t here", back.get(1).get("text").textValue());
        assertEquals("3", back.get(2).get("label").textValue());
    }

    @Test
    void gzipIsRecognisedByItsMagicBytesWhateverTheName() throws IOException {
        Path p = write("data.jsonl", gzip(JSONL.getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, RecordReader.read(p).size());
        byte[] out = written(new RecordFormat.Kind(RecordFormat.TSV, true),
                RecordReader.read(p));
        assertTrue(new String(gunzip(out), StandardCharsets.UTF_8).startsWith("id\ttext\tlabel\t"));
    }

    @Test
    void crlfAndByteOrderMarkAreAccepted() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body = "text,label\r\nhello,a\r\n\r\nworld,b".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, bytes, 0, 3);
        System.arraycopy(body, 0, bytes, 3, body.length);
        List<Record> records = RecordReader.read(write("bom.csv", bytes));
        assertEquals(List.of("text", "label"), records.get(0).fieldNames());
        assertEquals("world", records.get(1).get("text").textValue());
        assertEquals("b", records.get(1).get("label").textValue(), "no stray \\r");
        assertEquals(4, records.get(1).line());
    }

    @Test
    void aQuoteInsideAnUnquotedFieldIsLiteral() throws IOException {
        List<Record> records = RecordReader.read(write("q.tsv", "text\tlabel\nhe said \"hi\"\ta\n"));
        assertEquals("he said \"hi\"", records.get(0).get("text").textValue());
    }

    @Test
    void oneColumnFilesKeepEmptyValues() throws IOException {
        List<Record> records = RecordReader.read(write("one.csv", "text\nfirst\n\"\"\nlast\n"));
        assertEquals(3, records.size());
        byte[] out = written(new RecordFormat.Kind(RecordFormat.CSV, false), records);
        List<Record> back = RecordReader.read(write("back.csv", out));
        assertEquals(List.of("first", "", "last"),
                back.stream().map(r -> r.get("text").textValue()).toList());
    }

    @Test
    void longLinesUpToTheLimitAreRead() throws IOException {
        String text = "x".repeat(1000);
        String line = "{\"text\":\"" + text + "\"}";
        int bytes = line.length();
        Path p = write("long.jsonl", line + "\r\n" + line);
        assertEquals(2, RecordReader.read(p, bytes).size(), "the limit excludes the CRLF");
        InputException e = expectInputError(() -> RecordReader.read(p, bytes - 1));
        assertEquals("line is longer than the limit of " + (bytes - 1) + " bytes", e.problem());
        assertEquals(io.synalign.io.InputSetting.MAX_LINE_SIZE, e.setting());
        assertEquals(p + ":1: line is longer than the limit of " + (bytes - 1) + " bytes (raise it"
                + " with --max-line-size)", e.message(s -> "--max-line-size"),
                "a front end names the setting its own way");
        assertEquals(1, e.line());
        // Line 2 of a long-line file, found while streaming.
        Random random = new Random(3);
        StringBuilder big = new StringBuilder("{\"text\":\"short\"}\n{\"text\":\"");
        for (int i = 0; i < (1 << 20) + 10; i++) {
            big.append((char) ('a' + random.nextInt(26)));
        }
        big.append("\"}\n");
        Path huge = write("huge.jsonl", big.toString());
        InputException h = expectInputError(() -> RecordReader.read(huge));
        assertEquals(huge + ":2: line is longer than the limit of 1 MiB (raise it with"
                + " the maxLineBytes setting)", h.getMessage(), "the library names no CLI flag");
    }

    /**
     * A JSON string longer than Jackson's default limit (20 million characters) within the line
     * limit is read, as CSV reads it; it was refused as "malformed JSON".
     */
    @Test
    void jsonStringsAsLongAsTheLineLimitAllowsAreRead() throws IOException {
        int length = 20_000_001;
        String line = "{\"text\":\"" + "a".repeat(length) + "\"}\n";
        Path p = write("long-string.jsonl", line);
        List<Record> records = RecordReader.read(p, 32L << 20);
        assertEquals(1, records.size());
        assertEquals(length, records.get(0).get("text").textValue().length());
        assertTrue(RecordReader.jsonBlank(" \t\r"));
        assertFalse(RecordReader.jsonBlank("\u000B"));
    }

    interface Read {
        Object run() throws IOException;
    }

    static InputException expectInputError(Read read) {
        try {
            read.run();
        } catch (InputException e) {
            return e;
        } catch (IOException e) {
            throw new AssertionError("expected an InputException, got " + e, e);
        }
        throw new AssertionError("expected an InputException");
    }

    @Test
    void badInputsNameFileLineAndProblem() throws IOException {
        byte[] latin1 = "{\"text\":\"ok\"}\n{\"text\":\"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1);
        byte[] truncatedGzip = gzip(JSONL.getBytes(StandardCharsets.UTF_8));
        truncatedGzip = Arrays.copyOf(truncatedGzip, truncatedGzip.length - 12);
        Object[][] cases = {
            {"malformed.jsonl", "{\"text\":\"a\"}\n{\"text\": }\n".getBytes(StandardCharsets.UTF_8), 2L, "malformed JSON at column 10: "},
            {"array.jsonl", "[1, 2]\n".getBytes(StandardCharsets.UTF_8), 1L, "expected a JSON object, found an array"},
            {"trailing.jsonl", "{\"text\":\"a\"} {\"text\":\"b\"}\n".getBytes(StandardCharsets.UTF_8), 1L, "unexpected text after the JSON object at column 14"},
            {"dup.jsonl", "\n\n{\"text\":\"a\",\"text\":\"b\"}\n".getBytes(StandardCharsets.UTF_8), 3L, "Duplicate field 'text'"},
            {"nan.jsonl", "{\"text\":\"a\",\"x\":NaN}\n".getBytes(StandardCharsets.UTF_8), 1L, "malformed JSON"},
            {"latin1.jsonl", latin1, 2L, "not valid UTF-8 (byte 0xE9 at byte 13 of the line); convert the file to UTF-8"},
            {"latin1.csv", "text\nna\u00efve\n".getBytes(StandardCharsets.ISO_8859_1), 2L, "not valid UTF-8 (byte 0xEF at byte 3"},
            {"columns.csv", "text,label\na,b\n\"c,d\",e,f\n".getBytes(StandardCharsets.UTF_8), 3L, "the row has 3 fields but the header has 2 (fields containing commas or line breaks must be quoted)"},
            {"columns.tsv", "text\tlabel\na\n".getBytes(StandardCharsets.UTF_8), 2L, "the row has 1 field but the header has 2 (fields containing tabs"},
            {"unclosed.csv", "text,label\n\"open,a\nb,c\n".getBytes(StandardCharsets.UTF_8), 2L, "a quoted field opened on this line is not closed before the end of the file"},
            {"afterquote.csv", "text,label\n\"a\"b,c\n".getBytes(StandardCharsets.UTF_8), 2L, "unexpected 'b' after the closing quote of field 1"},
            {"duphead.csv", "text,label,text\n".getBytes(StandardCharsets.UTF_8), 1L, "column 'text' appears twice in the header row"},
            // Counted as stored, the byte order mark included (it said byte 1).
            {"bom-bad.jsonl", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, (byte) 0xFF, '\n'}, 1L, "not valid UTF-8 (byte 0xFF at byte 4 of the line)"},
            // Lines that String.isBlank calls blank but JSON does not (they were dropped).
            {"formfeed.jsonl", "{\"text\":\"a\"}\n\f\n{\"text\":\"b\"}\n".getBytes(StandardCharsets.UTF_8), 2L, "malformed JSON"},
            {"linesep.jsonl", "{\"text\":\"a\"}\n \u2028\n".getBytes(StandardCharsets.UTF_8), 2L, "malformed JSON"},
            {"deep.jsonl", ("{\"a\":" + "[".repeat(1500) + "]".repeat(1500) + "}\n").getBytes(StandardCharsets.UTF_8), 1L, "a JSON value beyond the reader's limits: Document nesting depth"},
        };
        for (Object[] c : cases) {
            Path p = write((String) c[0], (byte[]) c[1]);
            InputException e = expectInputError(() -> RecordReader.read(p));
            assertEquals(p, e.file(), (String) c[0]);
            assertEquals((long) c[2], e.line(), c[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith(p + ":" + c[2] + ": "), e.getMessage());
            assertTrue(e.problem().contains((String) c[3]), c[0] + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        // A truncated gzip stream: found at whichever line the data runs out.
        Path p = write("truncated.jsonl.gz", truncatedGzip);
        InputException e = expectInputError(() -> RecordReader.read(p));
        assertTrue(e.line() >= 1, e.getMessage());
        assertTrue(e.getMessage().startsWith(p + ":" + e.line() + ": corrupt or truncated gzip"
                + " data ("), e.getMessage());
    }

    @Test
    void badFilesNameTheFile() throws IOException {
        Object[][] cases = {
            {"empty.jsonl", new byte[0], "the file is empty"},
            {"blank.jsonl", "\n  \n\n".getBytes(StandardCharsets.UTF_8), "the file has no records, only blank lines"},
            {"empty.csv", new byte[0], "the file is empty; expected a header row"},
            {"header.tsv", "text\tlabel\n".getBytes(StandardCharsets.UTF_8), "the file has a header row but no records"},
            {"notgz.csv.gz", "text\nhello\n".getBytes(StandardCharsets.UTF_8), "the name ends in .gz but the file is not gzip-compressed"},
            {"data.txt", "text\n".getBytes(StandardCharsets.UTF_8), "cannot tell the format from the file name"},
            {"data.json", "{}".getBytes(StandardCharsets.UTF_8), "cannot tell the format from the file name"},
        };
        for (Object[] c : cases) {
            Path p = write((String) c[0], (byte[]) c[1]);
            InputException e = expectInputError(() -> RecordReader.read(p));
            assertEquals(0, e.line(), e.getMessage());
            assertTrue(e.getMessage().startsWith(p + ": " + c[2]), e.getMessage());
        }
        InputException missing = expectInputError(() -> RecordReader.read(dir.resolve("no.jsonl")));
        assertEquals(dir.resolve("no.jsonl") + ": file not found", missing.getMessage());
        Files.createDirectory(dir.resolve("folder.csv"));
        InputException folder = expectInputError(() -> RecordReader.read(dir.resolve("folder.csv")));
        assertTrue(folder.getMessage().endsWith("folder.csv: is a directory, not a file"));
    }

    @Test
    void textAndLabelFieldsAreChecked() throws IOException {
        List<Record> ok = RecordReader.read(write("ok.jsonl",
                "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":1}\n{\"text\":\"\",\"label\":true}\n"));
        TextFields.LabelledTexts lt = TextFields.labelled(Path.of("ok.jsonl"), ok, "text", "label");
        assertEquals(List.of("a", "b", ""), lt.texts());
        assertEquals(List.of("x", "1", "true"), lt.labels());
        assertNull(TextFields.labelled(Path.of("ok.jsonl"), ok, "text", "topic").labels(),
                "no record has the label field: no labels");

        Object[][] cases = {
            {"{\"text\":\"a\"}\n{\"body\":\"b\",\"id\":7}\n", "text", "label", 2L,
                "no field 'text'; this record has the fields 'body', 'id' (name the text field with the textField setting)"},
            {"{\"text\":5}\n", "text", "label", 1L, "field 'text' is a number, not a string; texts must be strings"},
            {"{\"text\":null}\n", "text", "label", 1L, "field 'text' is null, not a string"},
            {"{\"text\":[\"a\"]}\n", "text", "label", 1L, "field 'text' is an array, not a string"},
            {"{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\"}\n", "text", "label", 2L,
                "no field 'label', but the record on line 1 has one"},
            {"{\"text\":\"a\",\"label\":null}\n", "text", "label", 1L, "label field 'label' is null; labels must be strings, numbers or booleans"},
            {"{\"text\":\"a\",\"label\":{\"k\":1}}\n", "text", "label", 1L, "label field 'label' is an object"},
            {"{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"\"}\n", "text", "label", 2L,
                "label field 'label' is empty; every label must name its class"},
            {"{\"text\":\"a\",\"label\":\" \\t \"}\n", "text", "label", 1L, "label field 'label' is blank (only whitespace)"},
        };
        int k = 0;
        for (Object[] c : cases) {
            Path p = write("case" + k++ + ".jsonl", (String) c[0]);
            List<Record> records = RecordReader.read(p);
            InputException e = expectInputError(() -> TextFields.labelled(p, records,
                    (String) c[1], (String) c[2]));
            assertEquals((long) c[3], e.line(), e.getMessage());
            assertTrue(e.getMessage().startsWith(p + ":" + c[3] + ": " + c[4]), e.getMessage());
        }
    }

    @Test
    void formatsFollowTheName() {
        assertEquals(new RecordFormat.Kind(RecordFormat.JSONL, true), RecordFormat.of(Path.of("a/B.JSONL.GZ")));
        assertEquals(new RecordFormat.Kind(RecordFormat.TSV, false), RecordFormat.of(Path.of("x.tab")));
        assertNull(RecordFormat.of(Path.of(".csv")));
        assertNull(RecordFormat.of(Path.of("x.gz")));
        assertNull(RecordFormat.of(Path.of("x.csv.bz2")));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> RecordFormat.ofOutput("--out", Path.of("w.npy")));
        assertTrue(e.getMessage().startsWith("--out w.npy: the output format follows the file name"),
                e.getMessage());
    }
}
