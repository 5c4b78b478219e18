package io.synalign.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Names the first bad line of a JSON Lines input, the one place that does, whichever check
 * found that the input has one: Spark's schema inference marking a line corrupt, Spark refusing
 * the inferred schema (a duplicate key makes two columns of one name), or a task's check of a
 * line ({@link NotOneObject}). A task knows its file but not the line's number, and tasks fail
 * in no fixed order; Spark's messages name neither; so the driver scans the inputs in the
 * order of the command line ({@code --real} first), each input's files in name order, lines in
 * file order, and names the first line that breaks {@link #rule}. Before,
 * the inference path had a rule of its own (Java's {@code isBlank}, duplicate keys, text after
 * the object and NaN judged otherwise) and named a line the task check accepted, or none.
 *
 * <p>Runs on the driver and only on a failing path; it stops at the first bad line, so it reads
 * the input up to that line (all of it when Spark refused something that is no line's fault).
 */
final class FirstBadLine {

    /** Spark's column for lines it could not parse. */
    static final String CORRUPT = "_corrupt_record";

    private FirstBadLine() {
    }

    /**
     * Why a line read as text is not a record, or null when it holds one or none: the rule of
     * the job's JSON Lines, applied by the tasks to every line and by the scan below. A line of
     * JSON's whitespace only (space, tab, CR, LF) holds no record, as in Spark's reader and the
     * CLI's (not {@link String#isBlank}: a form feed or U+3000 is no JSON, and Spark marks such
     * a line corrupt); every other line must be one JSON object ({@link JsonLines#notOneObject}).
     */
    static String rule(String line) {
        return JsonLines.blank(line) ? null : JsonLines.notOneObject(line);
    }

    /**
     * The refusal naming the first line of {@code files} (in the order given) that breaks the
     * rule, or whose bytes are not UTF-8, or null when every line keeps it. Lines are those of
     * Spark's text reader (Hadoop's: they end at {@code \n}, {@code \r} or {@code \r\n}, and a
     * UTF-8 byte order mark that starts a file is dropped), so the numbers are those of the
     * records Spark reads; each line is decoded strictly (a task sees Spark's
     * decoding, which replaces bytes that are not UTF-8, but Spark's inference marks such a line
     * corrupt, and this scan then names it). O(bytes up to that line).
     */
    static BadLine in(SparkSession spark, String option, String[] files) throws IOException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (String file : files) {
            try (Lines lines = new Lines(JsonLines.openRaw(spark, new Path(file)))) {
                for (byte[] line = lines.next(); line != null; line = lines.next()) {
                    String problem = problem(decoder, line, lines.length);
                    if (problem != null) {
                        return BadLine.of(option, file + " line " + lines.number, problem);
                    }
                }
            }
        }
        return null;
    }

    /** The files of the input given as {@code path} (a file, directory or glob), in name order. */
    static String[] files(SparkSession spark, String path) {
        String[] files = spark.read().text(path).inputFiles();
        Arrays.sort(files);
        return files;
    }

    /**
     * When Spark's inference marked lines it could not parse (the column {@code
     * _corrupt_record}), throws the refusal naming the first bad line. Costs nothing when every
     * line parsed.
     *
     * @throws IllegalArgumentException naming {@code option}, the file, the line and why
     */
    static void ifSparkFoundOne(SparkSession spark, String option, Dataset<Row> rows,
            String[] files) {
        if (!Arrays.asList(rows.columns()).contains(CORRUPT)) {
            return;
        }
        IllegalArgumentException first;
        try {
            first = in(spark, option, files);
        } catch (IOException e) {
            throw new UncheckedIOException(option + ": " + e.getMessage(), e);
        }
        if (first != null) {
            throw first;
        }
        // Not seen: every line Spark's parser refuses breaks the rule or is not UTF-8.
        throw new IllegalArgumentException(option + ": Spark could not parse a record (column "
                + CORRUPT + "), though every line is one JSON object in UTF-8");
    }

    /**
     * When {@code failure}'s causes hold a bad line (a task's {@link NotOneObject}, or the
     * driver's {@link BadLine} from schema inference), the refusal naming the first bad line of
     * the first of {@code inputs} that has one; null otherwise. The inputs are scanned in the
     * order given (the job gives {@code --real}, then {@code --synthetic}: the order of its
     * command line), each input's files in name order, so the line named depends on the data
     * alone: before, it was the input of whichever check failed first (a task of either input,
     * or the synthetic input's schema inference while the real input's bad line waited for its
     * task). The scan stops at the named line; an input after it is not read, so the message
     * says the other input also has a bad line only when the failure itself showed it (free).
     * When a scan cannot say (the files changed or cannot be read), the failure's own refusal,
     * which names the file.
     *
     * @param inputs the JSON Lines inputs, option to path (a file, directory or glob), in the
     *     order to name them
     */
    static IllegalArgumentException located(SparkSession spark, Throwable failure,
            Map<String, String> inputs) {
        IllegalArgumentException found = null;
        for (Throwable c = failure; c != null && found == null;
                c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof NotOneObject || c instanceof BadLine) {
                found = (IllegalArgumentException) c;
            }
        }
        if (found == null) {
            return null;
        }
        String foundIn = found instanceof BadLine b ? b.option : ((NotOneObject) found).option;
        try {
            for (Map.Entry<String, String> input : inputs.entrySet()) {
                if (found instanceof BadLine b && b.option.equals(input.getKey())) {
                    return b; // already the first bad line of that input
                }
                BadLine first = in(spark, input.getKey(), files(spark, input.getValue()));
                if (first != null) {
                    if (!input.getKey().equals(foundIn)) {
                        // The failure came from a later input: it has a bad line too.
                        first = first.alsoIn(foundIn, found instanceof BadLine b
                                ? "at " + b.where : "in " + ((NotOneObject) found).file);
                    }
                    first.initCause(failure);
                    return first;
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        return found instanceof BadLine b ? b
                : new IllegalArgumentException(found.getMessage(), failure);
    }

    /**
     * {@link #rule} for a line's first {@code length} bytes, decoded strictly; bytes that are
     * not UTF-8 are refused in the CLI's words.
     */
    private static String problem(CharsetDecoder decoder, byte[] line, int length) {
        decoder.reset();
        ByteBuffer bytes = ByteBuffer.wrap(line, 0, length);
        CharBuffer chars = CharBuffer.allocate(length);
        CoderResult r = decoder.decode(bytes, chars, true);
        if (!r.isError()) {
            r = decoder.flush(chars);
        }
        if (r.isError()) {
            int at = bytes.position();
            return String.format(Locale.ROOT, "not valid UTF-8 (byte 0x%02X at byte %d of the"
                    + " line); convert the file to UTF-8", line[at] & 0xff, at + 1);
        }
        chars.flip();
        return rule(chars.toString());
    }

    /**
     * The refusal of a JSON Lines input's first bad line, found by the driver's scan ({@link
     * #in}): the option, where ({@code FILE line N}) and why.
     */
    static final class BadLine extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String option;
        final String where;

        private BadLine(String option, String where, String message) {
            super(message);
            this.option = option;
            this.where = where;
        }

        static BadLine of(String option, String where, String problem) {
            return new BadLine(option, where, option + " " + where + ": " + problem);
        }

        /**
         * This refusal, noting that the input {@code other} has a bad line too, {@code place}
         * ("at FILE line N" or "in FILE").
         */
        BadLine alsoIn(String other, String place) {
            return new BadLine(option, where, getMessage() + " (" + other
                    + " has a bad line too, " + place + ")");
        }
    }

    /**
     * A line that is not one JSON object, found by a task, which knows its file but not its
     * line's number; {@link #located} names the line.
     */
    static final class NotOneObject extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final String option;
        final String path;
        final String file;

        /**
         * @param path the input as given (a file, directory or glob), whose files are scanned
         * @param file the file the task read
         */
        NotOneObject(String option, String path, String file, String problem, String line) {
            super(option + " " + file + ": " + problem + " (the line: " + JsonLines.cut(line)
                    + ")");
            this.option = option;
            this.path = path;
            this.file = file;
        }
    }

    /**
     * A file's lines as bytes, as Hadoop's line reader gives them: split at {@code \n},
     * {@code \r} and {@code \r\n}, a byte order mark at the start dropped (Jackson, reading a
     * string, refuses one: a file written with one had its first line named).
     */
    private static final class Lines implements AutoCloseable {
        private final InputStream in;
        private final byte[] chunk = new byte[1 << 16];
        private int pos;
        private int end;
        private byte[] line = new byte[256];
        /** The bytes of the line last returned. */
        int length;
        /** Its number, from 1. */
        long number;

        Lines(InputStream in) throws IOException {
            this.in = in;
            if (fill() && end >= 3 && (chunk[0] & 0xff) == 0xEF && (chunk[1] & 0xff) == 0xBB
                    && (chunk[2] & 0xff) == 0xBF) {
                pos = 3;
            }
        }

        /** The next line (its first {@link #length} bytes), or null at the end. */
        byte[] next() throws IOException {
            length = 0;
            boolean any = false;
            while (true) {
                if (pos == end && !fill()) {
                    if (!any) {
                        return null;
                    }
                    break;
                }
                any = true;
                byte b = chunk[pos++];
                if (b == '\n') {
                    break;
                }
                if (b == '\r') {
                    if (pos < end || fill()) {
                        if (chunk[pos] == '\n') {
                            pos++;
                        }
                    }
                    break;
                }
                if (length == line.length) {
                    line = Arrays.copyOf(line, Math.max(16, length * 2));
                }
                line[length++] = b;
            }
            number++;
            return line;
        }

        private boolean fill() throws IOException {
            int n = in.read(chunk);
            if (n <= 0) {
                return false;
            }
            pos = 0;
            end = n;
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
