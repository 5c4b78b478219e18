package io.synalign.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Writes {@link Record}s as JSON Lines, CSV or TSV, optionally gzip-compressed; UTF-8, {@code \n}
 * line ends.
 *
 * <p>JSON Lines: each record as one compact object, fields in record order, values as read.
 * CSV/TSV: the header is the union of all records' field names in first-seen order (so records
 * from one CSV file keep their columns; JSON records missing a field get an empty cell); strings
 * are written as they are, JSON null as an empty cell, numbers and booleans as their JSON text,
 * objects and arrays as compact JSON. A field is quoted (RFC 4180, {@code "} doubled) when it
 * contains the delimiter, a quote, {@code \r} or {@code \n}, so {@link RecordReader} reads back
 * exactly the strings written. Cost O(output size).
 */
public final class RecordWriter {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecordWriter.class);

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private RecordWriter() {
    }

    /**
     * Writes {@code records} to {@code out} in {@code kind}'s format; does not close {@code out}
     * (a gzip stream is finished).
     */
    public static void write(OutputStream out, RecordFormat.Kind kind, List<Record> records)
            throws IOException {
        Sink sink = open(out, kind, kind.format() == RecordFormat.JSONL ? List.of()
                : columns(records));
        for (Record r : records) {
            sink.write(r);
        }
        sink.finish();
    }

    /**
     * Opens {@code out} for records written one at a time (files of millions of records).
     *
     * @param columns the CSV/TSV header: every field any record written will have, in order
     *     (ignored for JSON Lines); a record's field that is not a column is an error
     */
    public static Sink open(OutputStream out, RecordFormat.Kind kind, List<String> columns)
            throws IOException {
        return new Sink(out, kind, columns);
    }

    /** Records written one at a time; {@link #finish} ends the output (does not close it). */
    public static final class Sink {
        private final GZIPOutputStream gz;
        private final Writer w;
        private final RecordFormat format;
        private final List<String> columns;
        private final Set<String> columnSet;
        private final List<String> cells;
        private long replaced;

        private Sink(OutputStream out, RecordFormat.Kind kind, List<String> columns)
                throws IOException {
            this.gz = kind.gzip() ? new GZIPOutputStream(new NonClosing(out), 1 << 16) : null;
            this.w = new java.io.BufferedWriter(new OutputStreamWriter(
                    new NonClosing(gz != null ? gz : out), StandardCharsets.UTF_8), 1 << 16);
            this.format = kind.format();
            this.columns = List.copyOf(columns);
            this.columnSet = new java.util.HashSet<>(columns);
            this.cells = new ArrayList<>(columns.size());
            if (format != RecordFormat.JSONL) {
                writeRow(w, this.columns, format.delimiter());
            }
        }

        /**
         * Writes one record.
         *
         * @throws IllegalArgumentException (CSV/TSV) when it has a field that is not a column
         */
        public void write(Record r) throws IOException {
            if (format == RecordFormat.JSONL) {
                w.write(escapeLoneSurrogates(JSON.writeValueAsString(r.json())));
                w.write('\n');
                return;
            }
            for (Iterator<String> it = r.json().fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!columnSet.contains(name)) {
                    throw new IllegalArgumentException("the record has a field '" + name
                            + "' that is not a column of the header written");
                }
            }
            cells.clear();
            for (String c : columns) {
                String cell = cell(r.get(c));
                String clean = replaceLoneSurrogates(cell);
                if (clean != cell) {
                    replaced++;
                }
                cells.add(clean);
            }
            writeRow(w, cells, format.delimiter());
        }

        /** Flushes the text and finishes a gzip stream. */
        public void finish() throws IOException {
            if (replaced > 0) {
                // CSV is plain UTF-8 text, which has no form for them (JSONL escapes them).
                LOG.warn("{} {} cell(s) held unpaired UTF-16 surrogates, written as U+FFFD;"
                        + " write JSON Lines to keep them", replaced, format);
            }
            w.flush();
            if (gz != null) {
                gz.finish();
                gz.flush();
            }
        }
    }

    /**
     * {@code json} with every unpaired UTF-16 surrogate written as its {@code \\uXXXX} escape.
     * JSON may carry such a code unit ({@code "\\ud800"} is valid JSON and reads back as one),
     * but UTF-8 cannot: the encoder would turn it into {@code ?} and change the text. In JSON
     * text a surrogate can only occur inside a string, where the escape means the same code
     * unit.
     */
    static String escapeLoneSurrogates(String json) {
        return mapLoneSurrogates(json, c -> String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
    }

    /** {@code s} with every unpaired surrogate replaced by U+FFFD (CSV and TSV text). */
    static String replaceLoneSurrogates(String s) {
        return mapLoneSurrogates(s, c -> "\ufffd");
    }

    /**
     * {@code s} with every unpaired surrogate replaced by {@code replacement} of it; {@code s}
     * itself (the same instance) when it has none. O(length).
     */
    private static String mapLoneSurrogates(String s,
            java.util.function.Function<Character, String> replacement) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (out != null) {
                    out.append(c).append(s.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                out.append(replacement.apply(c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }

    /** Field names of all records, in first-seen order. */
    static List<String> columns(List<Record> records) {
        Set<String> names = new LinkedHashSet<>();
        for (Record r : records) {
            addFields(names, r);
        }
        return new ArrayList<>(names);
    }

    /** Adds {@code r}'s field names not yet in {@code names} (first-seen order, for a header). */
    public static void addFields(Set<String> names, Record r) {
        for (Iterator<String> it = r.json().fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
    }

    private static String cell(JsonNode v) throws IOException {
        if (v == null || v.isNull()) {
            return "";
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        return JSON.writeValueAsString(v);
    }

    private static void writeRow(Writer w, List<String> cells, char delimiter)
            throws IOException {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                w.write(delimiter);
            }
            String s = cells.get(i);
            // A lone empty field would make an empty line, which readers skip: quote it.
            if (needsQuotes(s, delimiter) || (cells.size() == 1 && s.isEmpty())) {
                w.write('"');
                w.write(s.replace("\"", "\"\""));
                w.write('"');
            } else {
                w.write(s);
            }
        }
        w.write('\n');
    }

    private static boolean needsQuotes(String s, char delimiter) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == delimiter || c == '"' || c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }

    /** Keeps a wrapper's close() from closing the caller's stream. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
