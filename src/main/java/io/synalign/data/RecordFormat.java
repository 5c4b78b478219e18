package io.synalign.data;

import io.synalign.io.InputException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The text-record formats {@code synalign} reads and writes, told apart by the file name:
 * JSON Lines ({@code .jsonl}, {@code .ndjson}), CSV ({@code .csv}) and TSV ({@code .tsv},
 * {@code .tab}), each optionally gzip-compressed ({@code .gz} appended).
 */
public enum RecordFormat {
    /** One JSON object per line (JSON Lines). */
    JSONL(".jsonl", ".ndjson"),
    /** Comma-separated values with a header row, RFC 4180 quoting. */
    CSV(".csv"),
    /** Tab-separated values with a header row, RFC 4180 quoting (with a tab delimiter). */
    TSV(".tsv", ".tab");

    /** What a file name says: its format and whether it is gzip-compressed. */
    public record Kind(RecordFormat format, boolean gzip) {
    }

    private static final String GZ = ".gz";
    private static final String NAMES = ".jsonl, .ndjson, .csv, .tsv or .tab, optionally + .gz";

    private final String[] suffixes;

    RecordFormat(String... suffixes) {
        this.suffixes = suffixes;
    }

    /** The field delimiter of CSV and TSV. */
    char delimiter() {
        return this == TSV ? '\t' : ',';
    }

    /** The format named by {@code file}'s suffix, or {@code null} when it names none. */
    public static Kind of(Path file) {
        Path name = file.getFileName();
        if (name == null) {
            return null;
        }
        String lower = name.toString().toLowerCase(Locale.ROOT);
        boolean gzip = lower.endsWith(GZ);
        if (gzip) {
            lower = lower.substring(0, lower.length() - GZ.length());
        }
        for (RecordFormat f : values()) {
            for (String s : f.suffixes) {
                if (lower.endsWith(s) && lower.length() > s.length()) {
                    return new Kind(f, gzip);
                }
            }
        }
        return null;
    }

    /**
     * The format of an input file.
     *
     * @throws InputException naming the file when its suffix names no supported format
     */
    public static Kind ofInput(Path file) {
        Kind kind = of(file);
        if (kind == null) {
            throw new InputException(file, "cannot tell the format from the file name; name it "
                    + NAMES);
        }
        return kind;
    }

    /**
     * The format of an output file named by {@code option}.
     *
     * @throws IllegalArgumentException naming the option and file when the suffix names no
     *     supported format
     */
    public static Kind ofOutput(String option, Path file) {
        Kind kind = of(file);
        if (kind == null) {
            throw new IllegalArgumentException(option + " " + file + ": the output format follows"
                    + " the file name; name it " + NAMES);
        }
        return kind;
    }
}
