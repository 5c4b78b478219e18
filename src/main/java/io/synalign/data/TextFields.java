package io.synalign.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.io.InputException;
import io.synalign.io.InputSetting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes the text (and the label) of every record, checking each record as it goes.
 *
 * <p>Text: every record needs the text field with a string value (an empty string is allowed).
 * Label: when no record has the label field, there are no labels (all rows form one group);
 * when any record has it, every record must, with a string, number or boolean value (numbers
 * and booleans become their JSON text, so the label {@code 1} in a JSON file matches the label
 * {@code "1"} in a CSV file). Problems are {@link InputException}s naming the file, line and
 * field. Cost O(records).
 */
public final class TextFields {

    /**
     * The texts and labels of one file, row for row.
     *
     * @param texts one text per record
     * @param labels one label per record, or {@code null} when the file has no label field
     */
    public record LabelledTexts(List<String> texts, List<String> labels) {

        /** Whether the file had a label field. */
        public boolean labelled() {
            return labels != null;
        }
    }

    private TextFields() {
    }

    /**
     * The text of every record.
     *
     * @throws InputException naming the file, line and field when a record has no string text
     */
    public static List<String> texts(Path file, List<Record> records, String textField) {
        List<String> texts = new ArrayList<>(records.size());
        for (Record r : records) {
            JsonNode v = r.get(textField);
            if (v == null) {
                throw new InputException(file, r.line(), "no field '" + textField
                        + "'; this record has " + fieldList(r), InputSetting.TEXT_FIELD,
                        "name the text field with %s");
            }
            if (!v.isTextual()) {
                throw new InputException(file, r.line(), "field '" + textField + "' is "
                        + kind(v) + ", not a string; texts must be strings");
            }
            texts.add(v.textValue());
        }
        return texts;
    }

    /**
     * Rejects a label field equal to the text field: every text would become its own label
     * (one group, and one generation quota, per distinct text).
     *
     * @throws IllegalArgumentException naming the field
     */
    public static void requireDistinctFields(String textField, String labelField) {
        if (textField.equals(labelField)) {
            throw new IllegalArgumentException("the text field and the label field both name '"
                    + labelField + "'");
        }
    }

    /** Texts and, where the file has the label field, labels. */
    public static LabelledTexts labelled(Path file, List<Record> records, String textField,
            String labelField) {
        requireDistinctFields(textField, labelField);
        List<String> texts = texts(file, records, textField);
        Record withLabel = null;
        for (Record r : records) {
            if (r.has(labelField)) {
                withLabel = r;
                break;
            }
        }
        if (withLabel == null) {
            return new LabelledTexts(texts, null);
        }
        List<String> labels = new ArrayList<>(records.size());
        for (Record r : records) {
            JsonNode v = r.get(labelField);
            if (v == null) {
                throw new InputException(file, r.line(), "no field '" + labelField + "', but the"
                        + " record on line " + withLabel.line() + " has one; every record needs"
                        + " a label once any has", InputSetting.LABEL_FIELD,
                        "or name another field with %s");
            }
            if (v.isTextual()) {
                labels.add(v.textValue());
            } else if (v.isNumber() || v.isBoolean()) {
                labels.add(v.asText());
            } else {
                throw new InputException(file, r.line(), "label field '" + labelField + "' is "
                        + kind(v) + "; labels must be strings, numbers or booleans");
            }
        }
        return new LabelledTexts(texts, labels);
    }

    private static String kind(JsonNode v) {
        if (v.isNull()) {
            return "null";
        }
        if (v.isNumber()) {
            return "a number";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        if (v.isArray()) {
            return "an array";
        }
        if (v.isObject()) {
            return "an object";
        }
        return "a " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String fieldList(Record r) {
        List<String> names = r.fieldNames();
        if (names.isEmpty()) {
            return "no fields";
        }
        int shown = Math.min(8, names.size());
        StringBuilder sb = new StringBuilder(names.size() == 1 ? "the field " : "the fields ");
        for (int i = 0; i < shown; i++) {
            sb.append(i == 0 ? "" : ", ").append('\'').append(names.get(i)).append('\'');
        }
        if (shown < names.size()) {
            sb.append(", ... (").append(names.size()).append(" in all)");
        }
        return sb.toString();
    }
}
