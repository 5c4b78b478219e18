package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's exit status when reading an input fails, through its command line on the test's
 * local session: a failure that is evidently the input's (a file that is not gzip or is cut
 * short, one that may not be read) is bad input, exit 2, naming the option and the file; one
 * that is not (a job cancelled while it inferred the schema, an I/O failure of the storage) is
 * the job's unexpected failure, exit 1, its cause named, never "cannot be read as JSON Lines".
 * The failures come from {@link FaultyFileSystem}, inside Spark's own read tasks.
 */
class ReadFailureKindTest {

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

    /** The job on {@code real} against good synthetic rows: {exit status, stderr}. */
    private Object[] job(String real) throws IOException {
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        return JobCommandLineTest.execute("--real", real, "--synthetic", synthetic.toString(),
                "--embedding-field", "emb", "--features", "8", "--iterations", "3", "--backend",
                "reference", "--out", dir.resolve("w" + System.nanoTime() + ".jsonl").toString());
    }

    /** Good rows at {@code name} in the test's directory. */
    private Path goodRows(String name) throws IOException {
        Path file = dir.resolve(name);
        SynAlignSparkJobTest.write(file, new Random(1), 12, 0);
        return file;
    }

    private static void assertUnexpected(Object[] result, String... parts) {
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith(JobErrors.PREFIX + "unexpected failure: --real "), err);
        assertFalse(err.contains("cannot be read as"), err);
        for (String part : parts) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    @Test
    void aJobCancelledWhileItReadsAnInputIsNoBadInput() throws IOException {
        String real = FaultyFileSystem.path(goodRows("cancel-real.jsonl"));
        assertUnexpected(job(real), "cancel-real.jsonl: reading it failed, and not for anything"
                + " in it", "cancel");
    }

    @Test
    void aStorageFailureWhileReadingAnInputIsNoBadInput() throws IOException {
        String real = FaultyFileSystem.path(goodRows("storage-real.jsonl"));
        assertUnexpected(job(real), "storage-real.jsonl: reading it failed",
                "IOException: test: connection reset by peer");
    }

    @Test
    void filesThatAreNotWhatTheySayOrMayNotBeReadAreBadInput() throws IOException {
        Path good = goodRows("plain.jsonl");
        Path notGzip = Files.copy(good, dir.resolve("plain.jsonl.gz"));
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write(Files.readString(good).repeat(40).getBytes(StandardCharsets.UTF_8));
        }
        byte[] whole = zipped.toByteArray();
        Path cut = Files.write(dir.resolve("cut.jsonl.gz"), Arrays.copyOf(whole,
                whole.length / 2));
        String denied = FaultyFileSystem.path(goodRows("denied-real.jsonl"));
        for (List<String> c : List.of(
                List.of(notGzip.toString(), "cannot be read as JSON Lines"),
                List.of(cut.toString(), "cannot be read as JSON Lines"),
                List.of(denied, "cannot be read as JSON Lines: AccessDeniedException"))) {
            JobCommandLineTest.assertBadInput(job(c.get(0)), "--real " + c.get(0) + ": "
                    + c.get(1));
        }
    }

    /**
     * Hadoop's own classes for a file that is not there or is a directory, and HDFS's refusal
     * left in a {@code RemoteException} naming {@code FileNotFoundException}, are the input's:
     * exit 2 naming the option and the file. Before (review32s) they were judged the storage's,
     * exit 1, "reading it failed, and not for anything in it". A NameNode in safe mode is the
     * storage's, exit 1, its message named.
     */
    @Test
    void hadoopsNotFoundAndDirectoryRefusalsAreBadInput() throws IOException {
        for (String name : List.of("gone-real.jsonl", "isdir-real.jsonl", "remote-real.jsonl")) {
            String real = FaultyFileSystem.path(goodRows(name));
            JobCommandLineTest.assertBadInput(job(real), "--real " + real
                    + ": cannot be read as JSON Lines");
        }
        String real = FaultyFileSystem.path(goodRows("safemode-real.jsonl"));
        assertUnexpected(job(real), "safemode-real.jsonl: reading it failed",
                "Name node is in safe mode");
    }
}
