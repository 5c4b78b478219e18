package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refusals of object stores and secured clusters while the job reads an input, at the driver's
 * listing, a task's open and a task's read ({@link FaultyFileSystem#refusal}: no network),
 * through the job's command line. The rule: the user named a file they may not read (S3A's 403
 * as {@code AccessDeniedException}, HDFS's "Permission denied") is bad input, exit 2, one line
 * naming the option and the file; the job's own login or credentials refused (S3A with no
 * credentials, a Kerberos login, a connection that cannot authenticate, the NameNode refusing
 * simple authentication) is the environment's, exit 1, "the job's credentials were refused",
 * the cause named. A store's 403 left as a plain {@code IOException} (no class saying what was
 * refused: a quota or a billing refusal reads the same) stays exit 1, the 403 named.
 */
class StorageRefusalExitTest {

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

    /** The job on good rows at {@code name} (read through the test's file system). */
    private Object[] job(String name) throws IOException {
        Path real = dir.resolve(name);
        SynAlignSparkJobTest.write(real, new Random(1), 12, 0);
        Path synthetic = dir.resolve("synthetic.jsonl");
        SynAlignSparkJobTest.write(synthetic, new Random(2), 20, 1);
        return JobCommandLineTest.execute("--real", FaultyFileSystem.path(real), "--synthetic",
                synthetic.toString(), "--embedding-field", "emb", "--features", "8",
                "--iterations", "3", "--backend", "reference", "--out",
                dir.resolve("w" + System.nanoTime() + ".jsonl").toString());
    }

    private static void assertEnvironment(Object[] result, String name, String cause) {
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith(JobErrors.PREFIX + "unexpected failure: --real "), err);
        assertFalse(err.contains("cannot be read as"), err);
        for (String part : List.of(name + ": reading it failed, and not for anything in it: the"
                + " job's credentials were refused: ", cause)) {
            assertTrue(err.contains(part), "'" + part + "' in " + err);
        }
    }

    @Test
    void aFileTheUserMayNotReadIsBadInput() throws IOException {
        for (String when : List.of("open", "read", "list")) {
            for (List<String> c : List.of(
                    List.of("s3denied", "AccessDeniedException: "),
                    List.of("hdfsdenied", "AccessControlException: Permission denied"))) {
                String name = "refuse-" + c.get(0) + "-" + when + "-real.jsonl";
                Object[] result = job(name);
                JobCommandLineTest.assertBadInput(result, "--real ");
                String err = (String) result[1];
                assertTrue(err.contains(name + ": cannot be read as JSON Lines: " + c.get(1)),
                        err);
            }
        }
    }

    @Test
    void missingS3CredentialsAreTheEnvironmentsNotTheInputs() throws IOException {
        for (String when : List.of("open", "read", "list")) {
            String name = "refuse-s3nocreds-" + when + "-real.jsonl";
            assertEnvironment(job(name), name, "NoAuthWithAWSException: No AWS Credentials"
                    + " provided by TemporaryAWSCredentialsProvider");
        }
    }

    /**
     * An RPC connection that cannot authenticate: Hadoop reports it as an
     * {@code AccessControlException}, the class of HDFS's "Permission denied", which the list
     * took for the file's (exit 2, "cannot be read as JSON Lines").
     */
    @Test
    void aConnectionThatCannotAuthenticateIsTheEnvironmentsNotTheInputs() throws IOException {
        for (String when : List.of("open", "read", "list")) {
            String name = "refuse-sasl-" + when + "-real.jsonl";
            assertEnvironment(job(name), name, "AccessControlException: Client cannot"
                    + " authenticate via");
        }
        for (String when : List.of("open", "list")) {
            String name = "refuse-simple-" + when + "-real.jsonl";
            assertEnvironment(job(name), name, "SIMPLE authentication is not enabled");
        }
    }

    /** A Kerberos login or ticket that failed: exit 1, said to be the credentials. */
    @Test
    void aKerberosLoginFailureIsTheEnvironmentsNotTheInputs() throws IOException {
        for (String when : List.of("open", "list")) {
            for (List<String> c : List.of(
                    List.of("kinit", "LoginException: Unable to obtain password from user"),
                    List.of("gss", "GSSException: No valid credentials provided"))) {
                String name = "refuse-" + c.get(0) + "-" + when + "-real.jsonl";
                assertEnvironment(job(name), name, c.get(1));
            }
        }
    }

    @Test
    void aStoresPlain403IsNoBadInput() throws IOException {
        String name = "refuse-gcs403-open-real.jsonl";
        Object[] result = job(name);
        String err = (String) result[1];
        assertEquals(1, result[0], err);
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith(JobErrors.PREFIX + "unexpected failure: --real "), err);
        assertTrue(err.contains(name + ": reading it failed, and not for anything in it:"
                + " IOException: 403 Forbidden"), err);
        assertFalse(err.contains("credentials"), err);
    }
}
