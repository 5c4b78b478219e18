package io.synalign.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.io.InputException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipException;

/**
 * Reads a JSON Lines, CSV or TSV file (the format from the file name, see {@link RecordFormat};
 * gzip-compressed when it starts with the gzip magic bytes, whatever its name) into
 * {@link Record}s that keep every field in file order.
 *
 * <p><b>JSON Lines:</b> one JSON object per line; blank lines are skipped. Duplicate keys,
 * anything but an object, and text after the object are errors. Numbers keep their exact
 * decimal text ({@code 0.10} stays {@code 0.10}).
 *
 * <p><b>CSV/TSV:</b> a header row names the columns (names must be distinct); every row must
 * have exactly as many fields; values are strings. Quoting: see {@link DelimitedParser}.
 *
 * <p>Every problem is an {@link InputException} with a one-line message, {@code FILE:LINE:
 * PROBLEM} where a line is to blame: missing file, text that is not UTF-8 (strict decoding),
 * a line over the size limit, malformed JSON, a row with the wrong number of fields, a file
 * without records. {@link #read} holds the whole file in memory as records, cost O(file size);
 * {@link #open} reads one record at a time, in O(longest line) memory.
 */
public final class RecordReader {

    /** The default line size limit, 1 MiB. */
    public static final long DEFAULT_MAX_LINE_BYTES = 1L << 20;
    /** The largest line size limit accepted, 1 GiB. */
    public static final long MAX_LINE_LIMIT = LineSource.MAX_LIMIT;

    /**
     * Parses each line; {@link VerbatimJson} builds the tree, so only parser features matter.
     * Strings and field names may be as long as the line limit allows (Jackson's defaults, 20
     * million and 50,000 characters, refused valid lines that CSV and TSV read); the nesting
     * depth and number length keep Jackson's limits (1,000), reported as limits.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .build())
            .build();

    private RecordReader() {
    }

    /** Reads {@code file} with the default 1 MiB line limit. */
    public static List<Record> read(Path file) throws IOException {
        return read(file, DEFAULT_MAX_LINE_BYTES);
    }

    /**
     * Reads every record of {@code file}.
     *
     * @param maxLineBytes the longest line accepted, in bytes, {@code 1..}{@link #MAX_LINE_LIMIT}
     * @return the records in file order, at least one
     * @throws InputException on any problem with the file's name or content
     * @throws IOException on an I/O failure while reading
     */
    public static List<Record> read(Path file, long maxLineBytes) throws IOException {
        try (Cursor cursor = open(file, maxLineBytes)) {
            List<Record> records = new ArrayList<>();
            Record r;
            while ((r = cursor.next()) != null) {
                records.add(r);
            }
            return records;
        }
    }

    /**
     * Opens {@code file} to be read one record at a time, holding only the current line (and,
     * for CSV/TSV, the header): how files of millions of records are read.
     *
     * @param maxLineBytes the longest line accepted, in bytes, {@code 1..}{@link #MAX_LINE_LIMIT}
     * @throws InputException on a problem with the file's name, kind or (CSV/TSV) header
     * @throws IOException on an I/O failure
     */
    public static Cursor open(Path file, long maxLineBytes) throws IOException {
        RecordFormat.Kind kind = RecordFormat.ofInput(file);
        InputStream in = open(file, kind);
        try {
            LineSource lines = new LineSource(in, file, maxLineBytes);
            return kind.format() == RecordFormat.JSONL ? new JsonLinesCursor(in, lines)
                    : new DelimitedCursor(in, lines, kind.format().delimiter(), maxLineBytes);
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /**
     * The records of one file in file order, read as they are asked for. The problems
     * {@link #read} reports are reported by {@link #next} when it reaches them (the file without
     * records by the first call that finds the end).
     */
    public abstract static class Cursor implements AutoCloseable {

        private final InputStream in;
        private long count;

        Cursor(InputStream in) {
            this.in = in;
        }

        /**
         * The next record, or null after the last one.
         *
         * @throws InputException on a problem in the file, naming its line
         * @throws IOException on an I/O failure
         */
        public final Record next() throws IOException {
            Record r = read();
            if (r != null) {
                count++;
            } else if (count == 0) {
                throw empty();
            }
            return r;
        }

        /** The records returned so far. */
        public final long count() {
            return count;
        }

        abstract Record read() throws IOException;

        abstract InputException empty();

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static InputStream open(Path file, RecordFormat.Kind kind) throws IOException {
        if (Files.isDirectory(file)) {
            throw new InputException(file, "is a directory, not a file");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // A FIFO would block on open until a writer comes, then fail on the first seek.
            throw new InputException(file, "is not a regular file (a pipe, socket or device);"
                    + " write the data to a file and give that");
        }
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new InputException(file, "file not found");
        } catch (AccessDeniedException e) {
            throw new InputException(file, "permission denied");
        }
        try {
            BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
            in.mark(2);
            boolean gzipped = in.read() == 0x1f && in.read() == 0x8b;
            in.reset();
            if (!gzipped) {
                if (kind.gzip()) {
                    throw new InputException(file, "the name ends in .gz but the file is not"
                            + " gzip-compressed");
                }
                return in;
            }
            try {
                return new StrictGzipInputStream(in);
            } catch (ZipException | EOFException e) {
                throw new InputException(file, "corrupt or truncated gzip data ("
                        + e.getMessage() + ")");
            }
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static final class JsonLinesCursor extends Cursor {
        private final LineSource lines;

        JsonLinesCursor(InputStream in, LineSource lines) {
            super(in);
            this.lines = lines;
        }

        @Override
        Record read() throws IOException {
            String line;
            while ((line = lines.next()) != null) {
                if (!jsonBlank(line)) {
                    return new Record(jsonObject(lines.file(), lines.lineNumber(), line),
                            lines.lineNumber());
                }
            }
            return null;
        }

        @Override
        InputException empty() {
            return new InputException(lines.file(), lines.lineNumber() == 0
                    ? "the file is empty" : "the file has no records, only blank lines");
        }
    }

    /**
     * Whether a line holds only JSON's whitespace (space, tab, CR, LF) and is skipped. Not
     * {@link String#isBlank}: a line of form feeds or U+2028 is not JSON and must be reported,
     * not dropped without a word.
     */
    static boolean jsonBlank(String line) {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                return false;
            }
        }
        return true;
    }

    private static ObjectNode jsonObject(Path file, long lineNumber, String line)
            throws IOException {
        try (JsonParser p = JSON.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new InputException(file, lineNumber, "expected a JSON object, found "
                        + describe(first) + "; JSON Lines needs one object per line");
            }
            JsonNode node = VerbatimJson.value(p);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new InputException(file, lineNumber, "unexpected text after the JSON object"
                        + " at column " + p.currentTokenLocation().getColumnNr()
                        + "; JSON Lines needs exactly one object per line");
            }
            return (ObjectNode) node;
        } catch (StreamConstraintsException e) {
            throw new InputException(file, lineNumber, "a JSON value beyond the reader's limits: "
                    + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new InputException(file, lineNumber, "malformed JSON"
                    + (at == null ? "" : " at column " + at.getColumnNr()) + ": "
                    + e.getOriginalMessage());
        } catch (NumberFormatException e) {
            // A number JSON allows but no Java number holds (an exponent of a thousand digits).
            throw new InputException(file, lineNumber, "a number that cannot be read: "
                    + LineSource.cut(e.getMessage(), 120));
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "nothing";
        }
        switch (t) {
            case START_ARRAY:
                return "an array";
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return "a number";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "null";
            default:
                return t.asString() == null ? t.name() : "'" + t.asString() + "'";
        }
    }

    private static final class DelimitedCursor extends Cursor {
        private final LineSource lines;
        private final DelimitedParser parser;
        private final char delimiter;
        private final List<String> header;

        DelimitedCursor(InputStream in, LineSource lines, char delimiter, long maxRecordBytes)
                throws IOException {
            super(in);
            this.lines = lines;
            this.delimiter = delimiter;
            this.parser = new DelimitedParser(lines, delimiter, maxRecordBytes);
            this.header = parser.next();
            if (header == null) {
                throw new InputException(lines.file(), "the file is empty; expected a header row");
            }
            long headerLine = parser.rowLine();
            Set<String> seen = new HashSet<>();
            for (String name : header) {
                if (!seen.add(name)) {
                    throw new InputException(lines.file(), headerLine, "column '" + name
                            + "' appears twice in the header row");
                }
            }
        }

        @Override
        Record read() throws IOException {
            List<String> row = parser.next();
            if (row == null) {
                return null;
            }
            if (row.size() != header.size()) {
                throw new InputException(lines.file(), parser.rowLine(), "the row has "
                        + row.size() + " field" + (row.size() == 1 ? "" : "s") + " but the header"
                        + " has " + header.size() + " (fields containing "
                        + (delimiter == '\t' ? "tabs" : "commas") + " or line breaks must be"
                        + " quoted)");
            }
            ObjectNode fields = JsonNodeFactory.instance.objectNode();
            for (int c = 0; c < header.size(); c++) {
                fields.put(header.get(c), row.get(c));
            }
            return new Record(fields, parser.rowLine());
        }

        @Override
        InputException empty() {
            return new InputException(lines.file(), "the file has a header row but no records");
        }
    }
}
