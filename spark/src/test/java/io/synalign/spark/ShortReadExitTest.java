package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream the store ends early, through the job's command line ({@link FaultyFileSystem}: no
 * network). S3A's read answers -1 where its connection met an end of data, so a gzip read so
 * ends as a cut one does ("Unexpected end of input stream"); the file's length tells them apart
 * ({@link ShortReads}): a stream that ends before it is the connection's (exit 1, "the read
 * ended at byte X of Y", or "reads whole now"), a file read to its length that still ends early
 * is cut (exit 2). And S3's 416 (the object shrank under the read): the file changed while the
 * job read it, the input's (exit 2), said so.
 */
class ShortReadExitTest {

    @TempDir
    Path dir;

    private static Configuration conf;

    @BeforeAll
    static void install() {
        conf = TestSpark.session().sparkContext().hadoopConfiguration();
        FaultyFileSystem.install(conf);
    }

    @AfterAll
    static void uninstall() {
        FaultyFileSystem.uninstall(conf);
    }

    /** Good rows at {@code name}, gzipped. */
    private Path gzipped(String name) throws IOException {
        Path plain = dir.resolve(name + ".plain");
        SynAlignSparkJobTest.write(plain, new Random(1), 20, 0);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(Files.readString(plain).getBytes(StandardCharsets.UTF_8));
        }
        Files.delete(plain);
        return Files.write(dir.resolve(name), zipped.toByteArray());
    }

    private Object[] job(String real) throws IOException {
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        Path out = dir.resolve("w" + System.nanoTime() + ".jsonl");
        Object[] result = JobCommandLineTest.execute("--real", real, "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference", "--format", "jsonl", "--out",
                out.toString());
        assertFalse(Files.exists(out), "nothing at --out: " + result[1]);
        return result;
    }

    private static void assertCutShort(Object[] result, String real, String how) {
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("cannot be read as"), err);
        for (String part : List.of(JobErrors.PREFIX + "unexpected failure: --real " + real
                + ": reading it failed, and not for anything in it: its connection failed: ",
                how, "EOFException: Unexpected end of input stream")) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    /**
     * Every stream of the file ends at its half (the store cuts each response), its status
     * giving the whole length: the schema's read fails, and the second read ends at the half.
     * On the old code: exit 2, "cannot be read as JSON Lines: EOFException: Unexpected end of
     * input stream".
     */
    @Test
    void aStreamTheStoreEndsEarlyIsTheConnectionsNotACutGzip() throws IOException {
        Path file = gzipped("short-real.jsonl.gz");
        long length = Files.size(file);
        String real = FaultyFileSystem.path(file);
        assertCutShort(job(real), real, "the read ended at byte " + length / 2 + " of " + length
                + " (");
    }

    /**
     * A stream that ended early in a read after inference (the job's checks or its fit), the
     * file whole on a second read. On the old code: exit 2, as a cut gzip.
     */
    @Test
    void aStreamEndedEarlyInALateReadOfAWholeFileIsTheConnections() throws IOException {
        Path file = gzipped("late-short-real.jsonl.gz");
        String real = FaultyFileSystem.path(file);
        // The file as Hadoop's Path writes it (synalign-faulty:/tmp/...), not as given.
        assertCutShort(job(real), real, "reads whole now (" + Files.size(file) + " bytes): its"
                + " stream was cut short");
    }

    /**
     * A file written again while the job ran (after inference), its late read ending early
     * and its second read whole: the input changed under the job (exit 2), not the connection.
     * Before review35b: exit 1, "its connection failed: ... reads whole now ...: its stream was
     * cut short".
     */
    @Test
    void aFileRewrittenWhileTheJobRanChangedUnderItNotTheConnection() throws IOException {
        String real = FaultyFileSystem.path(gzipped("late-rewrite-real.jsonl.gz"));
        Object[] result = job(real);
        // The file as Hadoop's Path writes it (synalign-faulty:/tmp/...), not as given.
        JobCommandLineTest.assertBadInput(result, "--real " + real
                + ": changed while the job read it (" + new org.apache.hadoop.fs.Path(real)
                + " was modified at ");
        for (String part : List.of(", after the job began reading it at ", "reads whole now",
                "do not replace an input while the job runs): EOFException: Unexpected end of"
                        + " input stream")) {
            assertTrue(((String) result[1]).contains(part), "'" + part + "' in " + result[1]);
        }
    }

    /** The other side: a gzip cut in place after inference reads to its length, still cut. */
    @Test
    void aGzipCutToItsLengthIsStillBadInput() throws IOException {
        String real = FaultyFileSystem.path(gzipped("late-cut-real.jsonl.gz"));
        JobCommandLineTest.assertBadInput(job(real), "--real " + real
                + ": cannot be read as JSON Lines: EOFException: Unexpected end of input stream");
    }

    /**
     * S3A's 416 at the schema's read and at a late read: the object is shorter than where the
     * read was, another object was put at the key: the input changed under the job, exit 2,
     * said so. On the old code: exit 2 as "cannot be read as JSON Lines" (the line differs).
     */
    @Test
    void s3sRangeNotSatisfiableIsAFileThatChangedUnderTheJob() throws IOException {
        for (String name : List.of("refuse-s3range-read-real.jsonl.gz",
                "late-s3range-real.jsonl.gz")) {
            String real = FaultyFileSystem.path(gzipped(name));
            Object[] result = job(real);
            JobCommandLineTest.assertBadInput(result, "--real " + real
                    + ": changed while the job read it (");
            assertTrue(((String) result[1]).contains("RangeNotSatisfiableEOFException: read"
                    + " s3a://bucket"), (String) result[1]);
        }
    }
}
