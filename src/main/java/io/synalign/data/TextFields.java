package io.synalign.data;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.io.InputException;
import io.synalign.io.InputSetting;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes the text (and the label) of every record, checking each record as it goes.
 *
 * <p>Text: every record needs the text field with a string value (an empty string is allowed).
 * Label: when no record has the label field, there are no labels (all rows form one group);
 * when any record has it, every record must, with a string, number or boolean value (numbers
 * and booleans become their JSON text, so the label {@code 1} in a JSON file matches the label
 * {@code "1"} in a CSV file) that is not blank (empty or only whitespace: such a label, an
 * empty CSV cell say, became a class of its own, with its own quota and fit). Problems are {@link InputException}s naming the file, line and
 * field. Cost O(records). {@link Checker} applies the same rules to a stream of records.
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
            texts.add(text(file, r, textField));
        }
        return texts;
    }

    /**
     * The text of one record.
     *
     * @throws InputException naming the file, line and field when it has no string text
     */
    public static String text(Path file, Record r, String textField) {
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
        return v.textValue();
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
        Checker checker = new Checker(file, textField, labelField);
        List<String> texts = new ArrayList<>(records.size());
        for (Record r : records) {
            texts.add(checker.accept(r));
        }
        return new LabelledTexts(texts, checker.labels());
    }

    /**
     * Checks records one at a time, in file order, for files too large to hold (the rules of
     * {@link #labelled}): {@link #accept} returns a record's text and keeps its label. A problem
     * is reported at the first record, in file order, that shows it; a record without the label
     * field before the first one with it is reported as soon as that one is read. Labels are
     * kept as one shared string per distinct label, so n labels cost about n references.
     */
    public static final class Checker {
        private final Path file;
        private final String textField;
        private final String labelField;
        private final Map<String, String> distinct = new HashMap<>();
        private final List<String> labels = new ArrayList<>();
        private long firstLabelled = -1;
        private long firstUnlabelled = -1;

        /** @throws IllegalArgumentException when the two fields are the same */
        public Checker(Path file, String textField, String labelField) {
            requireDistinctFields(textField, labelField);
            this.file = file;
            this.textField = textField;
            this.labelField = labelField;
        }

        /**
         * The text of {@code r}, after checking its text and label.
         *
         * @throws InputException naming the file, line and field of a problem
         */
        public String accept(Record r) {
            String text = text(file, r, textField);
            JsonNode v = r.get(labelField);
            if (v == null) {
                if (firstLabelled >= 0) {
                    throw missingLabel(r.line(), firstLabelled);
                }
                if (firstUnlabelled < 0) {
                    firstUnlabelled = r.line();
                }
                return text;
            }
            if (firstLabelled < 0) {
                if (firstUnlabelled >= 0) {
                    throw missingLabel(firstUnlabelled, r.line());
                }
                firstLabelled = r.line();
            }
            String label;
            if (v.isTextual()) {
                label = v.textValue();
            } else if (v.isNumber() || v.isBoolean()) {
                label = v.asText();
            } else {
                throw new InputException(file, r.line(), "label field '" + labelField + "' is "
                        + kind(v) + "; labels must be strings, numbers or booleans");
            }
            if (label.isBlank()) {
                throw new InputException(file, r.line(), "label field '" + labelField + "' is "
                        + (label.isEmpty() ? "empty" : "blank (only whitespace)")
                        + "; every label must name its class");
            }
            labels.add(distinct.computeIfAbsent(label, l -> l));
            return text;
        }

        /** One label per record accepted, or null when no record had the label field. */
        public List<String> labels() {
            return firstLabelled < 0 ? null : labels;
        }

        private InputException missingLabel(long line, long labelledLine) {
            return new InputException(file, line, "no field '" + labelField + "', but the"
                    + " record on line " + labelledLine + " has one; every record needs"
                    + " a label once any has", InputSetting.LABEL_FIELD,
                    "or name another field with %s");
        }
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
