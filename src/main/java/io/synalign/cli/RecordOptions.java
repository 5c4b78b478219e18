package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.io.InputSetting;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options of commands that read text records: the text field and the line size limit. */
final class RecordOptions {

    @Option(names = "--text-field", paramLabel = "FIELD",
            description = "The field (JSON key or CSV/TSV column) holding each record's text."
                    + " Default: ${DEFAULT-VALUE}.")
    String textField = "text";

    @Option(names = "--max-line-size", paramLabel = "SIZE",
            converter = Converters.ByteSizeConverter.class,
            description = "Longest input line accepted (a longer one is an error naming it), e.g."
                    + " 4MiB; at most 1GiB. Default: 1MiB.")
    ByteSize maxLineSize = new ByteSize(RecordReader.DEFAULT_MAX_LINE_BYTES);

    /**
     * Rejects a label field equal to the text field (every text would become its own label),
     * naming both options.
     */
    static void requireDistinctFields(String textField, String labelField) {
        if (textField.equals(labelField)) {
            throw new IllegalArgumentException("--text-field and --label-field both name '"
                    + labelField + "'");
        }
    }

    /** The option that sets a reader setting, for messages about input problems. */
    static String flag(InputSetting setting) {
        return switch (setting) {
            case TEXT_FIELD -> "--text-field";
            case LABEL_FIELD -> "--label-field";
            case MAX_LINE_SIZE -> "--max-line-size";
        };
    }

    /**
     * Reads every record of {@code file}.
     *
     * @throws IllegalArgumentException when --max-line-size is out of range
     */
    List<Record> read(Path file) throws IOException {
        return RecordReader.read(file, maxLineBytes());
    }

    /**
     * The line size limit in bytes.
     *
     * @throws IllegalArgumentException when --max-line-size is out of range
     */
    long maxLineBytes() {
        long limit = maxLineSize.bytes();
        if (limit < 1 || limit > RecordReader.MAX_LINE_LIMIT) {
            throw new IllegalArgumentException("--max-line-size " + maxLineSize.bytes()
                    + " bytes is out of range; give 1 byte to 1GiB");
        }
        return limit;
    }
}
