package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.AccessDeniedException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkException;
import org.apache.spark.sql.errors.QueryExecutionErrors;
import org.junit.jupiter.api.Test;

/**
 * The one-line report never carries a secret ({@link JobErrors#redacted}): a URL's password
 * (the path as the user gave it, {@code s3a://KEY:SECRET@bucket}) and a secret-named
 * parameter's value (a presigned S3 URL's signature and session token, an ABFS SAS token's
 * {@code sig}, a {@code fs.s3a.secret.key=...}), as a store's or a login's refusal may quote
 * them; what is no secret (hosts and ports, Hadoop's "via:[TOKEN, KERBEROS]", HDFS's
 * "user=etl, access=READ") is kept.
 */
class JobErrorsRedactionTest {

    private static final String KEY = "AKIAIOSFODNN7EXAMPLE";
    private static final String SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

    @Test
    void secretsAreTakenOutOfTheLine() {
        for (List<String> c : List.of(
                List.of("s3a://" + KEY + ":" + SECRET + "@bucket/real.jsonl",
                        "s3a://<redacted>@bucket/real.jsonl"),
                List.of("GET https://b.s3.amazonaws.com/real.jsonl?X-Amz-Algorithm=AWS4&"
                        + "X-Amz-Credential=" + KEY + "%2F20260101%2Fus-east-1&X-Amz-Signature="
                        + SECRET + "&X-Amz-Security-Token=" + SECRET + " 403",
                        "GET https://b.s3.amazonaws.com/real.jsonl?X-Amz-Algorithm=AWS4&"
                                + "X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&"
                                + "X-Amz-Security-Token=<redacted> 403"),
                List.of("403, GET, https://a.dfs.core.windows.net/c/real.jsonl?sv=2020-02-10&"
                        + "sig=" + SECRET + "%3D&se=2026",
                        "403, GET, https://a.dfs.core.windows.net/c/real.jsonl?sv=2020-02-10&"
                                + "sig=<redacted>&se=2026"),
                List.of("bad fs.s3a.secret.key=" + SECRET + ", password=" + SECRET + ")",
                        "bad fs.s3a.secret.key=<redacted>, password=<redacted>)"))) {
            String line = JobErrors.oneLine(c.get(0));
            assertEquals(c.get(1), line);
            assertFalse(line.contains(SECRET) || line.contains(KEY), line);
        }
    }

    @Test
    void whatIsNoSecretIsKept() {
        for (String kept : List.of("hdfs://nn:8020/data/real.jsonl: cannot be read",
                "AccessControlException: Client cannot authenticate via:[TOKEN, KERBEROS]",
                "Permission denied: user=etl, access=READ, inode=\"/data/x\":hdfs:supergroup",
                "S3Exception: Access Denied (Service: S3, Status Code: 403, Request ID: TEST)",
                "viewfs://m/data/design=3/part-1.jsonl", "hdfs://etl@nn:8020/data",
                "--token-budget 5: must be positive")) {
            assertEquals(kept, JobErrors.oneLine(kept));
        }
    }

    /**
     * A credentials refusal late in a read of an input given with its keys in the URL, the
     * store's message quoting a presigned URL: the report (exit 1, "the job's credentials were
     * refused") names the input without them.
     */
    @Test
    void aCredentialsRefusalDoesNotReportTheCredentials() {
        String input = "s3a://" + KEY + ":" + SECRET + "@bucket/real.jsonl";
        AccessDeniedException refused = new AccessDeniedException(input, null, "GET"
                + " https://bucket.s3.amazonaws.com/real.jsonl?X-Amz-Credential=" + KEY
                + "&X-Amz-Signature=" + SECRET + ": No AWS Credentials");
        refused.initCause(new org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException("GET"
                + " https://bucket.s3.amazonaws.com/real.jsonl?X-Amz-Credential=" + KEY
                + "&X-Amz-Signature=" + SECRET + ": No AWS Credentials"));
        SparkException stage = new SparkException("Job aborted due to stage failure",
                QueryExecutionErrors.cannotReadFilesError(refused, input));
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("--real", input);
        RuntimeException late = DataFrames.lateReadFailure(new Configuration(), stage, inputs,
                "jsonl", Long.MAX_VALUE);
        StringWriter err = new StringWriter();
        int status = JobErrors.report(late, new PrintWriter(err));
        String line = err.toString().strip();
        assertEquals(1, status, line);
        assertTrue(line.contains("the job's credentials were refused"), line);
        assertTrue(line.contains("s3a://<redacted>@bucket/real.jsonl"), line);
        assertFalse(line.contains(SECRET) || line.contains(KEY), line);
    }

    /**
     * A credentials refusal outside an input's read, as the job reports it: an output's
     * ({@link DataFrames#refusedCredentials}, naming the option and the path as the user gave
     * it) and one no step of the job named (a summary's, through {@link JobErrors#report}'s
     * own rule): exit 1, "the job's credentials were refused", the path named, no secret.
     */
    @Test
    void aRefusalOutsideAnInputsReadSaysTheCredentialsAndNoSecret() {
        AccessDeniedException wrongKey = new AccessDeniedException("s3a://bucket/out", null,
                "mkdirs s3a://bucket/out: S3Exception: The AWS Access Key Id you provided does"
                        + " not exist in our records. (Service: S3, Status Code: 403):"
                        + "InvalidAccessKeyId");
        StringWriter err = new StringWriter();
        int status = JobErrors.report(DataFrames.refusedCredentials("--out s3a://" + KEY + ":"
                + SECRET + "@bucket/out", "writing it failed", new SparkException(
                        "Job aborted", wrongKey)), new PrintWriter(err));
        String line = err.toString().strip();
        assertEquals(JobErrors.FAILURE, status, line);
        assertTrue(line.startsWith(JobErrors.PREFIX + "unexpected failure: --out"
                + " s3a://<redacted>@bucket/out: writing it failed: the job's credentials were"
                + " refused: AccessDeniedException: s3a://bucket/out: mkdirs"), line);
        assertFalse(line.contains(SECRET) || line.contains(KEY), line);

        AccessDeniedException noCredentials = new AccessDeniedException("s3a://bucket/s.json",
                null, "No AWS Credentials provided by TemporaryAWSCredentialsProvider");
        noCredentials.initCause(new org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException("No AWS"
                + " Credentials provided by TemporaryAWSCredentialsProvider"));
        err = new StringWriter();
        status = JobErrors.report(new java.io.UncheckedIOException("--summary s3a://" + KEY + ":"
                + SECRET + "@bucket/s.json: " + noCredentials.getMessage(), noCredentials),
                new PrintWriter(err));
        line = err.toString().strip();
        assertEquals(JobErrors.FAILURE, status, line);
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith(JobErrors.PREFIX + "unexpected failure: the job's credentials"
                + " were refused: UncheckedIOException: --summary s3a://<redacted>@bucket/s.json:"
                + " "), line);
        assertTrue(line.endsWith("(NoAuthWithAWSException: No AWS Credentials provided by"
                + " TemporaryAWSCredentialsProvider)"), line);
        assertFalse(line.contains(SECRET) || line.contains(KEY), line);
        // Not a refusal: no such line.
        assertEquals(null, DataFrames.refusedCredentials("--out o", null,
                new java.io.IOException("disk full")));
    }
}
