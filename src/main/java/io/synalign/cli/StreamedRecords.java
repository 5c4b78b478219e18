package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.io.InputException;
import io.synalign.io.NpyWriter;
import io.synalign.engine.ProgressListener;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.SyntheticRowsFingerprint;
import io.synalign.pipeline.TextEmbedding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A file of text records read as a stream, in passes, never held (the synthetic records of the
 * text form of {@code align}, the input of {@code embed}): a file of 10^7 records costs the
 * memory of its labels (one shared string per distinct label, a reference per record), not of
 * its texts. The file is read once to check every record and collect the labels
 * ({@link #scan}), once to embed the texts block by block into an {@code .npy}
 * ({@link #embed}), and (for {@code align}) once to write the records with their weights
 * ({@link #forEach}); each later pass checks that it read as many records as the first.
 */
final class StreamedRecords {

    /** Texts embedded per encoder call when streaming (the encoder batches within it). */
    static final int EMBED_BLOCK = 8192;

    /** Progress is reported every 4,096 records (the listener throttles what it shows). */
    private static final int PROGRESS_MASK = 4095;

    /**
     * What the first pass found.
     *
     * @param textHash a hash of the texts in order, which the embedding pass must reproduce
     * @param rows the rows' fingerprint in file order, for the record of what was weighted
     *     ({@link SyntheticRowsFingerprint}, its weights still to be given)
     */
    record Scan(int count, List<String> labels, List<String> fields, boolean hasWeightField,
            long textHash, SyntheticRowsFingerprint rows) {
    }

    /** Receives one record and its 0-based position. */
    @FunctionalInterface
    interface RecordConsumer {
        void accept(int index, Record record) throws IOException;
    }

    private final Path file;
    private final long maxLineBytes;
    private final String textField;
    private final String labelField;
    private final int embedBlock;
    /** The file as the first pass found it. */
    private FileStamp stamp;

    /**
     * @param labelField the label field, or null when labels are not read (only texts checked)
     * @param embedBlock texts per encoder call in {@link #embed} (best a multiple of the
     *     encoder's batch size, so that blocks do not change its batches)
     */
    StreamedRecords(Path file, long maxLineBytes, String textField, String labelField,
            int embedBlock) {
        if (embedBlock < 1) {
            throw new IllegalArgumentException("embed block " + embedBlock + " < 1");
        }
        this.embedBlock = embedBlock;
        this.file = file;
        this.maxLineBytes = maxLineBytes;
        this.textField = textField;
        this.labelField = labelField;
    }

    /**
     * Reads every record once: checks its text and label ({@link TextFields.Checker}), keeps the
     * labels and the field names (the CSV/TSV header of the output).
     *
     * @throws InputException naming the file and line of the first bad record, or when the file
     *     has more records than one weight vector holds
     */
    Scan scan(String weightField, ProgressListener progress) throws IOException {
        TextFields.Checker checker = labelField == null ? null
                : new TextFields.Checker(file, textField, labelField);
        Set<String> fields = new LinkedHashSet<>();
        boolean hasWeight = false;
        long hash = 1;
        SyntheticRowsFingerprint.Builder rows = SyntheticRowsFingerprint.builder();
        // Opened first: a missing or unreadable file is the reader's bad input (exit 2), where
        // the stamp's Files.size threw a bare NoSuchFileException (exit 1).
        try (RecordReader.Cursor cursor = RecordReader.open(file, maxLineBytes)) {
            stamp = FileStamp.of(file);
            Record r;
            while ((r = cursor.next()) != null) {
                if (cursor.count() > Integer.MAX_VALUE - 8) {
                    throw new InputException(file, r.line(), "more than "
                            + (Integer.MAX_VALUE - 8) + " records; a run takes at most that"
                            + " many (split the file)");
                }
                if ((cursor.count() & PROGRESS_MASK) == 0) {
                    progress.onProgress("read " + file.getFileName(), cursor.count(), -1,
                            "records checked");
                }
                String text = checker != null ? checker.accept(r)
                        : TextFields.text(file, r, textField);
                hash = 31 * hash + text.hashCode();
                // The label the checker kept for this record (none without the field).
                List<String> labels = checker == null ? null : checker.labels();
                rows.add(labels == null ? null : labels.get(labels.size() - 1), text);
                // The header of the weighted output: each record's fields, then the weight
                // (appended where the record lacks it), in first-seen order.
                RecordWriter.addFields(fields, r);
                fields.add(weightField);
                hasWeight |= r.has(weightField);
            }
            checkUnchanged();
            return new Scan((int) cursor.count(), checker == null ? null : checker.labels(),
                    new ArrayList<>(fields), hasWeight, hash, rows.build());
        }
    }

    /**
     * Embeds the texts in file order, a block of texts at a time, appending each block's
     * rows to {@code rows} as it comes: memory is one block, whatever the file's length.
     *
     * @param scan what {@link #scan} found: the count and the texts must be the same again
     * @throws InputException when the file changed since {@link #scan}
     */
    void embed(SentenceEncoder encoder, Scan scan, NpyWriter.Rows rows, String stage,
            ProgressListener progress) throws IOException {
        int count = scan.count();
        List<String> block = new ArrayList<>(embedBlock);
        int done = 0;
        long hash = 1;
        checkUnchanged();
        try (RecordReader.Cursor cursor = RecordReader.open(file, maxLineBytes)) {
            Record r;
            while ((r = cursor.next()) != null) {
                if (cursor.count() > count) {
                    throw changed(cursor.count() + " records or more now, " + count
                            + " when first read");
                }
                String text = TextFields.text(file, r, textField);
                hash = 31 * hash + text.hashCode();
                block.add(text);
                if (block.size() == embedBlock) {
                    done = embedBlock(encoder, block, done, count, rows, stage, progress);
                }
            }
            if (!block.isEmpty()) {
                done = embedBlock(encoder, block, done, count, rows, stage, progress);
            }
            checkCount(cursor.count(), count);
        }
        if (hash != scan.textHash()) {
            throw changed("its texts differ from those first read");
        }
        checkUnchanged();
    }

    private static int embedBlock(SentenceEncoder encoder, List<String> block, int done,
            int count, NpyWriter.Rows rows, String stage, ProgressListener progress)
            throws IOException {
        int before = done;
        int size = block.size();
        rows.append(TextEmbedding.encode(encoder, block, (d, t) -> progress.onProgress(
                stage, before + (long) size * d / t, count, "texts")));
        block.clear();
        return done + size;
    }

    /**
     * Passes every record and its position to {@code consumer}, in file order, reporting
     * progress as {@code stage}.
     */
    void forEach(Scan scan, RecordConsumer consumer, String stage, ProgressListener progress)
            throws IOException {
        int count = scan.count();
        // Labels decide each record's weight: a record whose label changed since the first
        // pass would get a weight fitted for another label.
        TextFields.Checker labels = labelField == null || scan.labels() == null ? null
                : new TextFields.Checker(file, textField, labelField);
        checkUnchanged();
        try (RecordReader.Cursor cursor = RecordReader.open(file, maxLineBytes)) {
            Record r;
            int i = 0;
            while ((r = cursor.next()) != null) {
                if (i >= count) {
                    throw changed(cursor.count() + " records or more now, " + count
                            + " when first read");
                }
                if (labels != null) {
                    labels.accept(r);
                    List<String> seen = labels.labels();
                    String now = seen == null || seen.size() <= i ? null : seen.get(i);
                    if (now == null) {
                        throw new InputException(file, r.line(), "changed while being read:"
                                + " no label now, it was '" + scan.labels().get(i) + "'");
                    }
                    if (!now.equals(scan.labels().get(i))) {
                        throw new InputException(file, r.line(), "changed while being read:"
                                + " the label is now '" + now + "', it was '"
                                + scan.labels().get(i) + "'");
                    }
                }
                consumer.accept(i, r);
                if ((i & PROGRESS_MASK) == 0) {
                    progress.onProgress(stage, i, count, "records");
                }
                i++;
            }
            checkCount(cursor.count(), count);
        }
        checkUnchanged();
    }

    private void checkCount(long read, int expected) {
        if (read != expected) {
            throw changed(read + " records now, " + expected + " when first read");
        }
    }

    /** The file's size and modification time still those of the first pass. */
    private void checkUnchanged() throws IOException {
        FileStamp now;
        try {
            now = FileStamp.of(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw changed("it was removed");
        }
        if (stamp != null && !now.equals(stamp)) {
            throw changed("its size or modification time differ from the first pass");
        }
    }

    private InputException changed(String how) {
        return new InputException(file, "changed while being read (" + how + "); nothing was"
                + " written");
    }

    /** Size and modification time of a file, to notice a file rewritten between passes. */
    private record FileStamp(long size, java.nio.file.attribute.FileTime modified) {
        static FileStamp of(Path file) throws IOException {
            return new FileStamp(java.nio.file.Files.size(file),
                    java.nio.file.Files.getLastModifiedTime(file));
        }
    }
}
