package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ShortReads#check} on files of the driver's own file systems (no Spark job): a stream
 * that ends before the file's length, a whole file, a cut file, a plain file.
 */
class ShortReadsTest {

    @TempDir
    Path dir;

    private static Configuration conf() {
        Configuration conf = new Configuration();
        FaultyFileSystem.install(conf);
        return conf;
    }

    private static byte[] gzip(int lines) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            text.append("{\"id\":").append(i).append(",\"note\":\"row ").append(i * 7919L)
                    .append("\"}\n");
        }
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(text.toString().getBytes(StandardCharsets.UTF_8));
        }
        return zipped.toByteArray();
    }

    private static org.apache.hadoop.fs.Path faulty(Path file) {
        return new org.apache.hadoop.fs.Path(FaultyFileSystem.path(file));
    }

    /** The check's line for a job that began now (after every file here was written). */
    private static String check(org.apache.hadoop.fs.Path file) {
        ShortReads.Finding found = ShortReads.check(conf(), file, System.currentTimeMillis());
        if (found == null) {
            return null;
        }
        assertFalse(found.changed(), found.line());
        return found.line();
    }

    /** Every stream of a {@code short-} file ends at its half; its status says the whole. */
    @Test
    void aStreamThatEndsBeforeTheLengthSaysWhere() throws IOException {
        byte[] gz = gzip(500);
        Path file = Files.write(dir.resolve("short-a.jsonl.gz"), gz);
        String why = check(faulty(file));
        assertTrue(why != null && why.startsWith("the read ended at byte " + gz.length / 2
                + " of " + gz.length + " ("), why);
        Path plain = Files.write(dir.resolve("short-b.jsonl"), new byte[1000]);
        why = check(faulty(plain));
        assertTrue(why != null && why.startsWith("the read ended at byte 500 of 1000 ("), why);
    }

    @Test
    void aWholeGzipReadsWholeNow() throws IOException {
        byte[] gz = gzip(500);
        Path file = Files.write(dir.resolve("a.jsonl.gz"), gz);
        String why = check(faulty(file));
        assertTrue(why != null && why.endsWith("reads whole now (" + gz.length
                + " bytes): its stream was cut short"), why);
    }

    /** The verdict stands: a gzip cut to its length, a plain file read whole, no file. */
    @Test
    void aCutFileAndAPlainWholeFileAreLeftToTheirVerdict() throws IOException {
        byte[] gz = gzip(500);
        Path cut = Files.write(dir.resolve("cut.jsonl.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertNull(check(faulty(cut)));
        Path plain = Files.write(dir.resolve("b.parquet"), new byte[1000]);
        assertNull(check(faulty(plain)));
        assertNull(check(faulty(dir.resolve("gone.jsonl.gz"))));
        assertEquals(null, check(faulty(dir)));
    }

    /**
     * A second read that differs from the first of a file modified after the job began reading
     * it: the file changed (rewritten in place, or S3's new object after a 416 that S3A turned
     * into -1), not the connection. Review35b: the check said "reads whole now: its stream was
     * cut short" (exit 1) for such a file; the same files read by a job that began after their
     * last write are still the connection's.
     */
    @Test
    void aFileModifiedAfterTheJobBeganIsAChangeNotAShortStream() throws IOException {
        byte[] gz = gzip(500);
        Path whole = Files.write(dir.resolve("rewritten.jsonl.gz"), gz);
        Path shortened = Files.write(dir.resolve("short-rewritten.jsonl.gz"), gz);
        for (Path file : List.of(whole, shortened)) {
            long modified = Files.getLastModifiedTime(file).toMillis();
            ShortReads.Finding found = ShortReads.check(conf(), faulty(file), modified - 1);
            assertNotNull(found, file.toString());
            assertTrue(found.changed(), found.line());
            assertTrue(found.line().startsWith(faulty(file) + " was modified at "
                    + Instant.ofEpochMilli(modified) + ", after the job began reading it at "
                    + Instant.ofEpochMilli(modified - 1) + " (a second read: "), found.line());
            found = ShortReads.check(conf(), faulty(file), modified);
            assertFalse(found.changed(), found.line());
        }
        // A cut file stays the cut file's, whenever it was written.
        Path cut = Files.write(dir.resolve("cut-late.jsonl.gz"), Arrays.copyOf(gz, gz.length / 2));
        assertNull(ShortReads.check(conf(), faulty(cut), 0));
    }
}
