package io.synalign.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.Serializable;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The fields the job reads from a JSON Lines record (its embedding or text, its label), taken
 * in the same pass over the line that checks it against the job's rule: one tokenisation of
 * each line where there were two (the rule's check, then Spark's {@code from_json}). The line
 * is parsed by the rule's parser ({@link JsonLines#strictParser}: duplicate keys, text after
 * the object and anything but one object are refused as before); each field is converted to
 * its column's type as Spark's JSON reader converts it ({@code JacksonParser}) for the types
 * Spark's inference gives a scalar or an array: string, bigint, double, boolean and arrays of
 * them. A string column takes a string's text, and any other value as Jackson's generator
 * writes it ({@code copyCurrentStructure}, as Spark does: {@code 1.50} becomes {@code 1.5});
 * a double column takes any number (NaN too); a value of another type is null (inference
 * widens a column to every value's type, so that is not seen). Columns of other types
 * (decimals for integers past 64 bits, structs) are left to {@code from_json}
 * ({@link #reads}).
 */
final class LineFields implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Writes a non-string value of a string column as Spark's parser does (its generator). */
    private static final JsonFactory WRITER = new JsonFactory();
    private final DataType[] types;
    private final HashMap<String, Integer> index = new HashMap<>();

    /** @param data the fields to read, in the order of the rows returned */
    LineFields(StructType data) {
        types = new DataType[data.size()];
        for (int i = 0; i < data.size(); i++) {
            types[i] = data.fields()[i].dataType();
            index.put(data.fields()[i].name(), i);
        }
    }

    /** Whether every field of {@code data} has a type this reader converts. */
    static boolean reads(StructType data) {
        for (StructField f : data.fields()) {
            if (!reads(f.dataType())) {
                return false;
            }
        }
        return true;
    }

    private static boolean reads(DataType t) {
        return t.equals(DataTypes.StringType) || t.equals(DataTypes.LongType)
                || t.equals(DataTypes.DoubleType) || t.equals(DataTypes.BooleanType)
                || (t instanceof ArrayType a && reads(a.elementType()));
    }

    /**
     * The fields of {@code line} (a row of the types given, null where the line lacks one), or
     * null when the line is not one JSON object by the job's rule: the caller then names why
     * ({@link FirstBadLine#rule}), on that failing path only. O(line length).
     */
    Row read(String line) {
        Object[] values = new Object[types.length];
        try (JsonParser p = JsonLines.strictParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                Integer at = index.get(p.currentName());
                p.nextToken();
                if (at == null) {
                    p.skipChildren();
                } else {
                    values[at] = value(p, types[at]);
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return null;
            }
        } catch (IOException e) {
            return null; // malformed, a duplicate key, beyond the parser's limits
        }
        return RowFactory.create(values);
    }

    /** The current value of {@code p} as {@code type}, the parser left on its last token. */
    private static Object value(JsonParser p, DataType type) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (type instanceof ArrayType a) {
            if (t != JsonToken.START_ARRAY) {
                p.skipChildren();
                return null;
            }
            List<Object> out = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                out.add(value(p, a.elementType()));
            }
            return out;
        }
        if (type.equals(DataTypes.StringType)) {
            if (t == JsonToken.VALUE_STRING) {
                return p.getText();
            }
            StringWriter text = new StringWriter();
            try (JsonGenerator g = WRITER.createGenerator(text)) {
                g.copyCurrentStructure(p);
            }
            return text.toString();
        }
        if (type.equals(DataTypes.DoubleType)
                && (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT)) {
            return p.getDoubleValue();
        }
        if (type.equals(DataTypes.LongType) && t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (type.equals(DataTypes.BooleanType)
                && (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE)) {
            return t == JsonToken.VALUE_TRUE;
        }
        p.skipChildren();
        return null;
    }
}
