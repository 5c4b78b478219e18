package io.synalign.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * One input record with every field it had, in the original order, so that output records
 * carry all of them. Values keep their JSON types (CSV and TSV values are strings); JSON numbers
 * keep their exact decimal text. Immutable: {@link #withField} returns a copy.
 */
public final class Record {

    private final ObjectNode fields;
    private final long line;

    /**
     * @param fields the fields in order; owned by the new record (not copied)
     * @param line the 1-based line of the file where the record starts
     */
    Record(ObjectNode fields, long line) {
        this.fields = fields;
        this.line = line;
    }

    /**
     * A record built in memory (e.g. a generated sample) rather than read from a file.
     *
     * @param fields the fields in order; owned by the new record (not copied)
     * @param line a 1-based row number standing in for the line
     */
    public static Record of(ObjectNode fields, long line) {
        return new Record(fields, line);
    }

    /** The 1-based line of the input file where this record starts. */
    public long line() {
        return line;
    }

    /** Field names in file order. */
    public List<String> fieldNames() {
        List<String> names = new ArrayList<>(fields.size());
        for (Iterator<String> it = fields.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** Whether the record has {@code field} (possibly with a JSON null value). */
    public boolean has(String field) {
        return fields.has(field);
    }

    /** The value of {@code field}, or {@code null} when the record has no such field. */
    public JsonNode get(String field) {
        return fields.get(field);
    }

    /**
     * A copy with {@code field} set to {@code value}: an existing field keeps its position, a
     * new one is appended.
     */
    public Record withField(String field, double value) {
        ObjectNode copy = fields.deepCopy();
        copy.put(field, value);
        return new Record(copy, line);
    }

    /** The fields as a JSON object; callers must not modify it. */
    ObjectNode json() {
        return fields;
    }

    @Override
    public String toString() {
        return "line " + line + ": " + fields;
    }
}
