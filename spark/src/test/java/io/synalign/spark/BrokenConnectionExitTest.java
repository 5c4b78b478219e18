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
 * A connection to the store that broke while the job read an input, through the job's command
 * line ({@link FaultyFileSystem}: no network). S3A hands a broken connection on as an
 * {@link java.io.EOFException} (over the AWS SDK's {@code SdkClientException}, or its own
 * {@code HttpChannelEOFException}), the class of a cut gzip; it is the environment's (exit 1,
 * naming the option and "its connection failed", the cause), while a gzip that is truly cut
 * stays bad input (exit 2, "cannot be read as JSON Lines").
 */
class BrokenConnectionExitTest {

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

    /** Good rows at {@code name}, gzipped: {@code late-} files fail only after inference. */
    private Path gzipped(String name, int seed, double shift) throws IOException {
        Path plain = dir.resolve(name + ".plain");
        SynAlignSparkJobTest.write(plain, new Random(seed), 20, shift);
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

    private static void assertConnection(Object[] result, String real, String cause) {
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertFalse(err.contains("cannot be read as"), err);
        for (String part : List.of(JobErrors.PREFIX + "unexpected failure: --real " + real
                + ": reading it failed, and not for anything in it: its connection failed: ",
                cause)) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    /** Broken while Spark inferred the schema (the first read of the file). */
    @Test
    void aConnectionThatBrokeWhileTheSchemaWasReadIsTheEnvironments() throws IOException {
        for (List<String> c : List.of(
                List.of("s3eof", "SdkClientException: Data read has a different length than the"
                        + " expected"),
                List.of("s3channel", "HttpChannelEOFException: Unexpected end of stream"))) {
            String real = FaultyFileSystem.path(gzipped("refuse-" + c.get(0)
                    + "-read-real.jsonl.gz", 1, 0));
            assertConnection(job(real), real, c.get(1));
        }
    }

    /** Broken in a read after inference (the job's checks or its fit): lateReadFailure. */
    @Test
    void aConnectionThatBrokeInALateReadIsTheEnvironments() throws IOException {
        for (List<String> c : List.of(
                List.of("s3eof", "SdkClientException: Data read has a different length than the"
                        + " expected"),
                List.of("s3channel", "HttpChannelEOFException: Unexpected end of stream"))) {
            String real = FaultyFileSystem.path(gzipped("late-" + c.get(0)
                    + "-real.jsonl.gz", 1, 0));
            assertConnection(job(real), real, c.get(1));
        }
    }

    /** The other side: a gzip cut after its schema was read is the file's (exit 2). */
    @Test
    void aCutGzipIsStillBadInput() throws IOException {
        String real = FaultyFileSystem.path(gzipped("late-cut-real.jsonl.gz", 1, 0));
        JobCommandLineTest.assertBadInput(job(real), "--real " + real
                + ": cannot be read as JSON Lines: EOFException: Unexpected end of input stream");
    }
}
