package io.synalign.data;

import io.synalign.io.InputException;
import io.synalign.io.InputSetting;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits CSV or TSV text into rows of fields, RFC 4180 style: fields are separated by the
 * delimiter; a field that starts with {@code "} is quoted and may hold delimiters, line breaks
 * and doubled quotes ({@code ""} for one {@code "}); rows end at a line break outside quotes.
 *
 * <p>Leniencies, as in Python's {@code csv} module: a {@code "} inside an unquoted field is kept
 * as a literal character, and empty lines outside quotes are skipped. Strictness: text after a
 * closing quote (other than a delimiter) and a quote left open at the end of the file are
 * errors naming the line; so is a row (quoted line breaks included) longer than the line limit,
 * which stops an unclosed quote from swallowing a whole file. Line breaks inside quoted fields
 * are kept as they were ({@code \n} or {@code \r\n}). Cost O(characters).
 *
 * <p>Why not commons-csv: it has no limit on a row's size. Measured on a 290 MiB CSV whose
 * line 2 opens a quote that never closes: commons-csv 1.14.1 read the rest of the file into one
 * field and failed after 3.8 s holding 633 MiB of heap (925 MiB peak RSS; a file larger than the
 * heap ends in OutOfMemoryError), where this parser, reading through {@link LineSource}, stops
 * at the 1 MiB row limit after 0.77 s with 18 MiB of heap (81 MiB RSS) and names line 2. The
 * line source also gives what a Reader-based parser cannot: the byte offset of invalid UTF-8
 * and a per-line limit.
 */
final class DelimitedParser {

    private final LineSource lines;
    private final char delimiter;
    private final long maxRecordBytes;
    private long rowLine;

    DelimitedParser(LineSource lines, char delimiter, long maxRecordBytes) {
        this.lines = lines;
        this.delimiter = delimiter;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The 1-based line where the row {@link #next()} returned last starts. */
    long rowLine() {
        return rowLine;
    }

    /** The next row's fields, or {@code null} at the end of the input. */
    List<String> next() throws IOException {
        String line;
        do {
            line = lines.next();
            if (line == null) {
                return null;
            }
        } while (line.isEmpty());
        rowLine = lines.lineNumber();
        long rowBytes = lines.lineBytes();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean afterQuote = false;
        boolean fieldStart = true;
        while (true) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quoted) {
                    if (c == '"') {
                        quoted = false;
                        afterQuote = true;
                    } else {
                        field.append(c);
                    }
                } else if (afterQuote) {
                    if (c == '"') {
                        field.append('"');
                        quoted = true;
                        afterQuote = false;
                    } else if (c == delimiter) {
                        fields.add(field.toString());
                        field.setLength(0);
                        afterQuote = false;
                        fieldStart = true;
                    } else {
                        throw new InputException(lines.file(), lines.lineNumber(),
                                "unexpected " + describe(c) + " after the closing quote of field "
                                        + (fields.size() + 1) + "; a quoted field must end at "
                                        + describe(delimiter) + " or the end of the row");
                    }
                } else if (c == delimiter) {
                    fields.add(field.toString());
                    field.setLength(0);
                    fieldStart = true;
                } else if (c == '"' && fieldStart) {
                    quoted = true;
                    fieldStart = false;
                } else {
                    field.append(c);
                    fieldStart = false;
                }
            }
            if (!quoted) {
                break;
            }
            // A line break inside a quoted field belongs to the field.
            field.append(lines.terminator());
            line = lines.next();
            if (line == null) {
                throw new InputException(lines.file(), rowLine, "a quoted field opened on this"
                        + " line is not closed before the end of the file");
            }
            rowBytes += lines.lineBytes() + 1;
            if (rowBytes > maxRecordBytes) {
                throw new InputException(lines.file(), rowLine, "the row starting on this line is"
                        + " longer than the limit of " + LineSource.describeBytes(maxRecordBytes),
                        InputSetting.MAX_LINE_SIZE, "an unclosed quote?; raise the limit with %s");
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static String describe(char c) {
        return c == '\t' ? "a tab" : c == ',' ? "','" : "'" + c + "'";
    }
}
