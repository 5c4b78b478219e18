package io.synalign.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
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
 * without records. The whole file is held in memory as records; cost O(file size).
 */
public final class RecordReader {

    /** The default line size limit, 1 MiB. */
    public static final long DEFAULT_MAX_LINE_BYTES = 1L << 20;
    /** The largest line size limit accepted, 1 GiB. */
    public static final long MAX_LINE_LIMIT = LineSource.MAX_LIMIT;

    /** Parses each line; {@link VerbatimJson} builds the tree, so only parser features matter. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
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
        RecordFormat.Kind kind = RecordFormat.ofInput(file);
        try (InputStream in = open(file, kind)) {
            LineSource lines = new LineSource(in, file, maxLineBytes);
            return kind.format() == RecordFormat.JSONL ? jsonLines(lines)
                    : delimited(lines, kind.format().delimiter(), maxLineBytes);
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

    private static List<Record> jsonLines(LineSource lines) throws IOException {
        List<Record> records = new ArrayList<>();
        String line;
        while ((line = lines.next()) != null) {
            if (line.isBlank()) {
                continue;
            }
            records.add(new Record(jsonObject(lines.file(), lines.lineNumber(), line),
                    lines.lineNumber()));
        }
        if (records.isEmpty()) {
            throw new InputException(lines.file(), lines.lineNumber() == 0
                    ? "the file is empty" : "the file has no records, only blank lines");
        }
        return records;
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

    private static List<Record> delimited(LineSource lines, char delimiter, long maxRecordBytes)
            throws IOException {
        DelimitedParser parser = new DelimitedParser(lines, delimiter, maxRecordBytes);
        List<String> header = parser.next();
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
        List<Record> records = new ArrayList<>();
        List<String> row;
        while ((row = parser.next()) != null) {
            if (row.size() != header.size()) {
                throw new InputException(lines.file(), parser.rowLine(), "the row has "
                        + row.size() + " field" + (row.size() == 1 ? "" : "s") + " but the header"
                        + " has " + header.size() + " (fields containing "
                        + (delimiter == '\t' ? "tabs" : "commas") + " or line breaks must be"
                        + " quoted)");
            }
            ObjectNode fields = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            for (int c = 0; c < header.size(); c++) {
                fields.put(header.get(c), row.get(c));
            }
            records.add(new Record(fields, parser.rowLine()));
        }
        if (records.isEmpty()) {
            throw new InputException(lines.file(), "the file has a header row but no records");
        }
        return records;
    }
}
