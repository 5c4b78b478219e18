package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two store answers the job read as something else, through its command line
 * ({@link FaultyFileSystem}): S3's {@code RequestTimeTooSkewed} (a 403 for the machine's clock)
 * was a denied input (exit 2); now the clock's, exit 1, naming it, on an input and on
 * {@code --out}. A policy's {@code AccessDenied} on {@code --out} (not the credentials) was the
 * generic "unexpected AccessDeniedException" line naming the hidden staging directory (exit 1);
 * now "--out PATH: ...: access denied: ...", exit 2 as a denied input is, nothing written.
 */
class ClockAndDeniedOutputExitTest {

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

    /** The job on good rows (read through the test's file system) writing to {@code out}. */
    private Object[] job(String realName, String out) throws IOException {
        Path real = dir.resolve(realName);
        SynAlignSparkJobTest.write(real, new Random(1), 12, 0);
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        Object[] result = JobCommandLineTest.execute("--real", FaultyFileSystem.path(real),
                "--synthetic", synthetic.toString(), "--embedding-field", "emb", "--features",
                "8", "--iterations", "3", "--backend", "reference", "--out", out);
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".")),
                    "no staging left in " + dir + ": " + result[1]);
        }
        return result;
    }

    /** On the old code: exit 2, "--real X: cannot be read as JSON Lines: ...". */
    @Test
    void aSkewedClockReadingAnInputIsTheMachinesNotTheInputs() throws IOException {
        for (String when : List.of("open", "read", "list")) {
            String name = "refuse-s3skew-" + when + "-real.jsonl";
            Object[] result = job(name, dir.resolve("w" + System.nanoTime() + ".jsonl")
                    .toString());
            String err = (String) result[1];
            assertEquals(1, result[0], err);
            assertEquals(1, err.lines().count(), "one line: " + err);
            assertTrue(err.contains("--real " + FaultyFileSystem.path(dir.resolve(name))
                    + ": reading it failed, and not for anything in it: the store refused this"
                    + " machine's clock (S3's RequestTimeTooSkewed"), err);
            assertFalse(err.contains("cannot be read as"), err);
        }
    }

    /** On the old code: "unexpected AccessDeniedException: ...synalign-UUID.tmp...". */
    @Test
    void aSkewedClockWritingTheOutputIsTheMachines() throws IOException {
        String out = FaultyFileSystem.path(dir.resolve("refuse-s3skew-write-out.jsonl"));
        String err = (String) job("real.jsonl", out)[1];
        assertTrue(err.startsWith(JobErrors.PREFIX + "unexpected failure: --out " + out
                + ": writing it failed: the store refused this machine's clock"), err);
        assertFalse(Files.exists(dir.resolve("refuse-s3skew-write-out.jsonl")));
    }

    /**
     * A policy's 403 (S3A's AccessDeniedException, HDFS's "Permission denied") writing or
     * looking up --out: exit 2, the option and its path, "access denied". On the old code:
     * exit 1, "unexpected AccessDeniedException: ..." naming the staging directory (write) or
     * "unexpected UncheckedIOException" (list).
     */
    @Test
    void aDeniedOutputIsSaidSoNamingTheOption() throws IOException {
        for (List<String> c : List.of(List.of("s3denied", "write", "writing it failed"),
                List.of("s3denied", "list", "checking it failed"),
                List.of("hdfsdenied", "write", "writing it failed"))) {
            String name = "refuse-" + c.get(0) + "-" + c.get(1) + "-out.jsonl";
            String out = FaultyFileSystem.path(dir.resolve(name));
            Object[] result = job("real.jsonl", out);
            JobCommandLineTest.assertBadInput(result, JobErrors.PREFIX + "--out " + out + ": "
                    + c.get(2) + ": access denied: ");
            assertFalse(Files.exists(dir.resolve(name)), name);
        }
    }
}
