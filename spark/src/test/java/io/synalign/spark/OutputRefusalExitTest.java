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
 * The job's credentials refused by the store of an output (not an input's read), through the
 * job's command line ({@link FaultyFileSystem}: {@code refuse-KIND-list-} refuses the driver's
 * look-up of {@code --out}, {@code refuse-KIND-write-} every directory and file made under it,
 * as Spark's committer and tasks write): exit 1 with the same line as an input's refusal,
 * naming the option and its path, "the job's credentials were refused", the cause; before, the
 * generic "unexpected SparkException"/"UncheckedIOException" line. And an S3 403 for a wrong
 * key on an input: the credentials' (exit 1), where a 403 on the object stays the input's.
 */
class OutputRefusalExitTest {

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

    private static void assertRefused(Object[] result, String what, String cause) {
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        for (String part : List.of(JobErrors.PREFIX + "unexpected failure: " + what
                + "the job's credentials were refused: ", cause)) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    @Test
    void credentialsRefusedWritingTheOutputAreSaidSo() throws IOException {
        for (String name : List.of("refuse-s3nocreds-write-out.jsonl",
                "refuse-s3nocreds-write-out.parquet", "refuse-kinit-write-out.jsonl")) {
            String out = FaultyFileSystem.path(dir.resolve(name));
            assertRefused(job("real.jsonl", out), "--out " + out + ": writing it failed: ",
                    name.contains("kinit") ? "LoginException: Unable to obtain password"
                            : "NoAuthWithAWSException: No AWS Credentials provided");
            assertFalse(Files.exists(dir.resolve(name)), name);
        }
    }

    @Test
    void aWrongKeyWritingOrLookingUpTheOutputIsSaidSo() throws IOException {
        for (String when : List.of("write", "list")) {
            String out = FaultyFileSystem.path(dir.resolve("refuse-s3badkey-" + when
                    + "-out.jsonl"));
            Object[] result = job("real.jsonl", out);
            assertRefused(result, "--out " + out + ": " + (when.equals("write")
                    ? "writing it failed: " : "checking it failed: "),
                    "AccessDeniedException: ");
            assertTrue(((String) result[1]).contains(":InvalidAccessKeyId"), (String) result[1]);
        }
    }

    /** S3's 403 for a key it does not know, on an input: the job's credentials, not the file. */
    @Test
    void aWrongKeyReadingAnInputIsTheEnvironmentsNotTheInputs() throws IOException {
        for (String when : List.of("open", "read", "list")) {
            String name = "refuse-s3badkey-" + when + "-real.jsonl";
            Object[] result = job(name, dir.resolve("w" + System.nanoTime() + ".jsonl")
                    .toString());
            assertRefused(result, "--real " + FaultyFileSystem.path(dir.resolve(name))
                    + ": reading it failed, and not for anything in it: ",
                    "The AWS Access Key Id you provided does not exist in our records.");
            assertFalse(((String) result[1]).contains("cannot be read as"), (String) result[1]);
        }
    }
}
