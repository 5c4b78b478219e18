package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.KryoException;
import com.fasterxml.jackson.core.JsonParseException;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.util.List;
import java.util.zip.ZipException;
import org.apache.hadoop.security.AccessControlException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/**
 * Which failures of an input's schema inference are the input's (exit 2, "cannot be read as
 * JSON Lines") and which are not ({@link DataFrames#inputsFault}, a positive rule): only a
 * failure that shows the file at fault is the input's; a job that cannot ship its tasks or
 * records, a cancelled job, a lost executor or a storage failure must not send the user to a
 * good input file. The shapes are Spark's: the cause under a stage failure. Real failures of
 * Spark's read tasks: {@link ReadFailureKindTest}.
 */
class DataFramesFailureKindTest {

    /** As Spark reports a failed task to the driver: the cause under a stage failure. */
    private static SparkException stageFailure(Throwable cause) {
        return new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 failed"
                + " 1 times, most recent failure: " + cause, cause);
    }

    @Test
    void theJobsOwnSerializationAndJvmFailuresAreNotTheInputs() {
        assertFalse(DataFrames.inputsFault(stageFailure(new KryoException(
                "Class is not registered: io.synalign.spark.EmbeddedRecord"))));
        // Kryo 4 refuses an unregistered class with an IllegalArgumentException.
        assertFalse(DataFrames.inputsFault(stageFailure(new IllegalArgumentException(
                "Class is not registered: io.synalign.spark.EmbeddedRecord"))));
        assertFalse(DataFrames.inputsFault(stageFailure(new IllegalStateException("wrapped",
                new KryoException("can't get field offset on a record class")))));
        assertFalse(DataFrames.inputsFault(stageFailure(
                new NotSerializableException("io.synalign.spark.FeatureChunks"))));
        assertFalse(DataFrames.inputsFault(new SparkException("Task not serializable")));
        assertFalse(DataFrames.inputsFault(stageFailure(new OutOfMemoryError("Java heap space"))));
    }

    /** What the old rule took for the input's: anything not a serialization or JVM failure. */
    @Test
    void aLostExecutorACancelledJobAndAStorageFailureAreNotTheInputs() {
        assertFalse(DataFrames.inputsFault(new SparkException("Job aborted due to stage failure:"
                + " Task 0 in stage 2.0 failed 4 times, most recent failure: Lost task 0.3 in"
                + " stage 2.0 (TID 9) (10.0.0.7 executor 3): ExecutorLostFailure (executor 3"
                + " exited caused by one of the running tasks) Reason: Container killed")));
        assertFalse(DataFrames.inputsFault(new SparkException("Job 4 cancelled part of"
                + " cancelled job group 7")));
        assertFalse(DataFrames.inputsFault(stageFailure(new IOException(
                "Connection reset by peer"))));
        assertFalse(DataFrames.inputsFault(stageFailure(new IllegalStateException(
                "a bug of the job's"))));
        assertFalse(DataFrames.inputsFault(new IllegalStateException("a cause cycle")));
    }

    @Test
    void whatShowsTheFileAtFaultIsTheInputs() {
        assertTrue(DataFrames.inputsFault(stageFailure(new JsonParseException(null,
                "Unexpected character ('}' (code 125))"))));
        assertTrue(DataFrames.inputsFault(stageFailure(new ZipException("Not in GZIP format"))));
        assertTrue(DataFrames.inputsFault(stageFailure(new EOFException(
                "Unexpected end of input stream"))));
        assertTrue(DataFrames.inputsFault(stageFailure(new MalformedInputException(1))));
        assertTrue(DataFrames.inputsFault(stageFailure(new FileNotFoundException(
                "/data/real.jsonl (Permission denied)"))));
        assertTrue(DataFrames.inputsFault(stageFailure(new AccessDeniedException(
                "/data/real.jsonl"))));
        assertTrue(DataFrames.inputsFault(stageFailure(new AccessControlException(
                "Permission denied: user=etl, access=READ"))));
    }

    /**
     * A failure judged not the input's exits 1 even when a cause below it is an
     * {@link IllegalArgumentException} (Kryo's unregistered class), which alone reads as bad input.
     */
    @Test
    void aFailureThatIsNotTheInputsExitsOneWhateverItsCausesHold() {
        StringWriter err = new StringWriter();
        int status = JobErrors.report(new JobErrors.NotTheInput("--real r.jsonl: reading it"
                + " failed, and not for anything in it: IllegalArgumentException: Class is not"
                + " registered", stageFailure(new IllegalArgumentException(
                        "Class is not registered: io.synalign.spark.EmbeddedRecord"))),
                new PrintWriter(err));
        assertEquals(JobErrors.FAILURE, status, err.toString());
        assertEquals(JobErrors.PREFIX + "unexpected failure: --real r.jsonl: reading it failed,"
                + " and not for anything in it: IllegalArgumentException: Class is not registered",
                err.toString().strip());
    }

    /**
     * Parquet's reader refuses a file that is not Parquet with a plain RuntimeException (a task
     * of the job reading a part file whose footer inference never read: late32); a plain
     * RuntimeException from anywhere else is no sign of the file.
     */
    @Test
    void parquetsReaderRefusingAFileIsTheInputs() {
        RuntimeException notParquet = new RuntimeException("file:/d/part-1.parquet is not a"
                + " Parquet file. Expected magic number at tail, but found [115, 34, 125, 10]");
        notParquet.setStackTrace(new StackTraceElement[] {new StackTraceElement(
                "org.apache.parquet.hadoop.ParquetFileReader", "readFooter",
                "ParquetFileReader.java", 568)});
        assertTrue(DataFrames.inputsFault(stageFailure(notParquet)));
        RuntimeException elsewhere = new RuntimeException("a bug of the job's");
        elsewhere.setStackTrace(new StackTraceElement[] {new StackTraceElement(
                "io.synalign.spark.RowBlocks", "next", "RowBlocks.java", 1)});
        assertFalse(DataFrames.inputsFault(stageFailure(elsewhere)));
    }

    /**
     * A refusal of the job's own login or credentials is the environment's (exit 1), even where
     * it comes in a refusal class the list takes for the file's (S3A's AccessDeniedException
     * over its missing credentials, Hadoop's AccessControlException from an RPC connection that
     * could not authenticate, an AuthorizationException, which is one); a file's refused
     * permission stays the input's. A store's 403 as a plain IOException is not the input's.
     */
    @Test
    void refusedCredentialsAreTheEnvironmentsAndARefusedFileIsTheInputs() {
        AccessDeniedException noCredentials = new AccessDeniedException("s3a://b/real.jsonl",
                null, "No AWS Credentials provided by TemporaryAWSCredentialsProvider");
        noCredentials.initCause(new org.apache.hadoop.fs.s3a.auth.NoAuthWithAWSException(
                "No AWS Credentials provided by TemporaryAWSCredentialsProvider"));
        for (Throwable environment : List.of(noCredentials,
                new AccessControlException("Client cannot authenticate via:[TOKEN, KERBEROS]"),
                new org.apache.hadoop.security.authorize.AuthorizationException("User: etl is"
                        + " not allowed to impersonate alice"),
                new org.apache.hadoop.ipc.RemoteException(
                        "org.apache.hadoop.security.AccessControlException", "SIMPLE"
                                + " authentication is not enabled.  Available:[TOKEN, KERBEROS]"),
                new org.apache.hadoop.ipc.RemoteException(
                        "org.apache.hadoop.security.authorize.AuthorizationException",
                        "Unauthorized connection for super-user: etl"),
                new IOException("Failed on local exception", new javax.security.sasl
                        .SaslException("GSS initiate failed", new org.ietf.jgss.GSSException(
                                org.ietf.jgss.GSSException.NO_CRED))),
                new org.apache.hadoop.security.KerberosAuthException("Login failure",
                        new javax.security.auth.login.LoginException("no keytab")),
                new IOException(new org.apache.hadoop.security.authentication.client
                        .AuthenticationException("GSSException: No valid credentials")))) {
            assertTrue(DataFrames.credentialsRefused(stageFailure(environment)),
                    environment.toString());
            assertFalse(DataFrames.inputsFault(stageFailure(environment)),
                    environment.toString());
        }
        for (Throwable file : List.of(new AccessDeniedException("s3a://b/real.jsonl", null,
                "open s3a://b/real.jsonl: S3Exception: Access Denied (Status Code: 403)"),
                new AccessControlException("Permission denied: user=etl, access=READ,"
                        + " inode=\"/data/real.jsonl\":hdfs:supergroup:-rw-------"),
                // A path that mentions authentication is no authentication refusal.
                new AccessControlException("Permission denied: user=etl, access=READ,"
                        + " inode=\"/data/cannot authenticate/real.jsonl\""),
                new org.apache.hadoop.ipc.RemoteException(
                        "org.apache.hadoop.security.AccessControlException",
                        "Permission denied: user=etl, access=READ"))) {
            assertFalse(DataFrames.credentialsRefused(stageFailure(file)), file.toString());
            assertTrue(DataFrames.inputsFault(stageFailure(file)), file.toString());
        }
        assertFalse(DataFrames.inputsFault(stageFailure(new IOException("Error reading"
                + " 'gs://b/real.jsonl'", new IOException("403 Forbidden")))));
    }

    /**
     * A connection that failed under a read is the environment's, whatever end of data it left
     * (S3A's EOFException over the SDK's client failure, its HttpChannelEOFException, an
     * EOFException over the HTTP client's ConnectionClosedException or a SocketException) or
     * condition Spark put over it (a footer's read); a cut gzip, or a short file, is the file's,
     * also where Spark's message (which names the file) holds the HTTP layer's words.
     */
    @Test
    void aConnectionThatBrokeIsNoCutFile() {
        EOFException s3a = new EOFException("read on s3a://b/real.jsonl.gz:"
                + " software.amazon.awssdk.core.exception.SdkClientException: Data read has a"
                + " different length than the expected: dataLength=1024; expectedLength=4096");
        s3a.initCause(new software.amazon.awssdk.core.exception.SdkClientException("Data read"
                + " has a different length than the expected: dataLength=1024"));
        for (Throwable environment : List.of(s3a,
                new org.apache.hadoop.fs.s3a.HttpChannelEOFException("s3a://b/real.jsonl.gz",
                        "Unexpected end of stream: buffer[65536], readSize = 65536", null),
                new EOFException("read").initCause(new org.apache.hadoop.shaded.org.apache.http
                        .ConnectionClosedException("Premature end of Content-Length delimited"
                                + " message body (expected: 4096; received: 1024)")),
                new EOFException("read").initCause(new java.net.SocketException(
                        "Connection reset")),
                new EOFException("read on s3a://b/r.gz").initCause(new IOException(
                        "Attempted read from closed stream.")),
                new EOFException("Premature EOF"),
                org.apache.spark.sql.errors.QueryExecutionErrors.cannotReadFooterForFileError(
                        new org.apache.hadoop.fs.Path("s3a://b/real.parquet"),
                        new java.net.SocketException("Connection reset")),
                org.apache.spark.sql.errors.QueryExecutionErrors.cannotReadFilesError(
                        new java.net.SocketTimeoutException("Read timed out"),
                        "s3a://b/real.jsonl"))) {
            assertTrue(DataFrames.connectionBroken(stageFailure(environment)),
                    environment.toString());
            assertFalse(DataFrames.inputsFault(stageFailure(environment)),
                    environment.toString());
        }
        for (Throwable file : List.of(new EOFException("Unexpected end of ZLIB input stream"),
                new EOFException("Unexpected end of input stream"),
                // S3A's readFully of a file shorter than asked; its 416 when the object shrank.
                new EOFException("Attempted to read past the end of the file"),
                new EOFException("reopen s3a://b/r.gz: S3Exception: The requested range is not"
                        + " satisfiable (Status Code: 416):InvalidRange").initCause(
                                new IllegalStateException("a service's answer")),
                // The file's name holds the HTTP layer's words: only the innermost link counts.
                org.apache.spark.sql.errors.QueryExecutionErrors.cannotReadFilesError(
                        new EOFException("Unexpected end of ZLIB input stream"),
                        "s3a://b/Premature EOF/Attempted read from closed stream.gz"))) {
            assertFalse(DataFrames.connectionBroken(stageFailure(file)), file.toString());
            assertTrue(DataFrames.inputsFault(stageFailure(file)), file.toString());
        }
        // Below no EOFException, the SDK's client failure is no sign by itself (S3A's
        // AWSClientIOException of a misconfigured client is no broken connection).
        assertFalse(DataFrames.connectionBroken(stageFailure(new IOException("list",
                new software.amazon.awssdk.core.exception.SdkClientException("Unable to load"
                        + " region")))));
    }

    /**
     * The v1 SDK's service answer extends its {@code SdkClientException}: below S3A's
     * {@link EOFException} (Hadoop 3.3's 416, the object shrank under the read) it is the
     * file's change (exit 2), not a broken connection; the v1 client failure below an
     * {@code EOFException} still is one. Failed before helper review34a (the 416 read as a
     * broken connection, by the superclass).
     */
    @Test
    void theV1SdksServiceAnswerIsNoClientFailure() {
        Throwable shrank = new EOFException("Reopen at position 4096 on s3a://b/real.jsonl:"
                + " com.amazonaws.services.s3.model.AmazonS3Exception: The requested range is not"
                + " satisfiable (Service: Amazon S3; Status Code: 416; Error Code: InvalidRange)")
                .initCause(new com.amazonaws.AmazonServiceException("The requested range is not"
                        + " satisfiable (Service: Amazon S3; Status Code: 416; Error Code:"
                        + " InvalidRange)"));
        assertFalse(DataFrames.connectionBroken(stageFailure(shrank)));
        assertTrue(DataFrames.inputsFault(stageFailure(shrank)));
        Throwable broke = new EOFException("read on s3a://b/real.jsonl.gz:"
                + " com.amazonaws.SdkClientException: Failed to sanitize XML document destined"
                + " for handler class ListBucketHandler").initCause(
                        new com.amazonaws.SdkClientException("Failed to sanitize XML document"
                                + " destined for handler class ListBucketHandler"));
        assertTrue(DataFrames.connectionBroken(stageFailure(broke)));
        assertFalse(DataFrames.inputsFault(stageFailure(broke)));
    }

    /**
     * S3's error codes for the request's credentials (a key it does not know, a signature made
     * with the wrong secret, an expired or malformed session token), as S3A ends its
     * AccessDeniedException's message (":CODE") or the v1 SDK says them ("Error Code: CODE;"),
     * are the job's credentials; S3's AccessDenied on the object stays the file's, also where
     * the file's path holds a code's name; a plain IOException naming a code is neither.
     */
    @Test
    void aWrongKeyIsTheCredentialsAndADeniedObjectTheFiles() {
        for (String message : List.of(
                "open s3a://b/real.jsonl: software.amazon.awssdk.services.s3.model.S3Exception:"
                        + " The AWS Access Key Id you provided does not exist in our records."
                        + " (Service: S3, Status Code: 403, Request ID: X):InvalidAccessKeyId",
                "open s3a://b/real.jsonl: S3Exception: The request signature we calculated does"
                        + " not match the signature you provided. (Service: S3, Status Code:"
                        + " 403, Request ID: X):SignatureDoesNotMatch",
                "open s3a://b/real.jsonl: com.amazonaws.services.s3.model.AmazonS3Exception: The"
                        + " provided token has expired. (Service: Amazon S3; Status Code: 403;"
                        + " Error Code: ExpiredToken; Request ID: X)",
                "open s3a://b/real.jsonl: S3Exception: The provided token is malformed or"
                        + " otherwise invalid. (Service: S3, Status Code: 403):InvalidToken")) {
            AccessDeniedException wrongKey = new AccessDeniedException("s3a://b/real.jsonl", null,
                    message);
            assertTrue(DataFrames.credentialsRefused(stageFailure(wrongKey)), message);
            assertFalse(DataFrames.inputsFault(stageFailure(wrongKey)), message);
        }
        for (AccessDeniedException file : List.of(new AccessDeniedException("s3a://b/real.jsonl",
                null, "open s3a://b/real.jsonl: S3Exception: Access Denied (Service: S3, Status"
                        + " Code: 403, Request ID: X):AccessDenied"),
                new AccessDeniedException("s3a://b/InvalidAccessKeyId/x:ExpiredToken.jsonl", null,
                        "open s3a://b/InvalidAccessKeyId/x:ExpiredToken.jsonl: S3Exception: Access"
                                + " Denied (Service: S3, Status Code: 403):AccessDenied"))) {
            assertFalse(DataFrames.credentialsRefused(stageFailure(file)), file.toString());
            assertTrue(DataFrames.inputsFault(stageFailure(file)), file.toString());
        }
        assertFalse(DataFrames.credentialsRefused(stageFailure(new IOException(
                "gs://b/real.jsonl: 403:InvalidAccessKeyId"))));
    }

    private static final java.util.Map<String, String> INPUTS = new java.util.LinkedHashMap<>();

    static {
        INPUTS.put("--real", "/data/in/*.jsonl");
        INPUTS.put("--synthetic", "/data/synthetic");
    }

    private static RuntimeException late(Throwable failure) {
        return DataFrames.lateReadFailure(new org.apache.hadoop.conf.Configuration(), failure,
                INPUTS, "jsonl", Long.MAX_VALUE);
    }

    /**
     * A read failure in a task after inference ({@code FAILED_READ_FILE.*}, its path as Spark
     * gives it, URL-encoded) is named with the option whose input holds the file (a glob, a
     * directory), or as Spark gives it when none does; judged as inference's failures are.
     */
    @Test
    void aLateReadFailureNamesTheOptionHoldingTheFile() {
        RuntimeException glob = late(stageFailure(
                org.apache.spark.sql.errors.QueryExecutionErrors.fileNotExistError(
                        "file:///data/in/a%20b.jsonl", new FileNotFoundException("gone"))));
        assertTrue(glob instanceof IllegalArgumentException, String.valueOf(glob));
        assertEquals("--real /data/in/*.jsonl: file file:/data/in/a b.jsonl: cannot be read as"
                + " JSON Lines: FileNotFoundException: gone", glob.getMessage());
        RuntimeException directory = late(stageFailure(
                org.apache.spark.sql.errors.QueryExecutionErrors.cannotReadFilesError(
                        new IOException("Connection reset by peer"),
                        "file:///data/synthetic/k=1/part-0.jsonl")));
        assertTrue(directory instanceof JobErrors.NotTheInput, String.valueOf(directory));
        assertEquals("--synthetic /data/synthetic: file file:/data/synthetic/k=1/part-0.jsonl:"
                + " reading it failed, and not for anything in it: IOException: Connection reset"
                + " by peer", directory.getMessage());
        RuntimeException elsewhere = late(stageFailure(
                org.apache.spark.sql.errors.QueryExecutionErrors.cannotReadFilesError(
                        new EOFException("Unexpected end of input stream"),
                        "file:///data/other.jsonl.gz")));
        assertTrue(elsewhere instanceof IllegalArgumentException, String.valueOf(elsewhere));
        assertEquals("file:/data/other.jsonl.gz: cannot be read: EOFException: Unexpected end of"
                + " input stream", elsewhere.getMessage());
        // No read failure, or one judged already: left as it is.
        assertEquals(null, late(stageFailure(new IOException("Connection reset by peer"))));
        assertEquals(null, late(stageFailure(new KryoException("Class is not registered",
                org.apache.spark.sql.errors.QueryExecutionErrors.fileNotExistError(
                        "file:///data/in/a.jsonl", new FileNotFoundException("gone"))))));
    }

    /**
     * S3's {@code RequestTimeTooSkewed} (a 403 for the machine's clock) is the environment's,
     * as S3A (":CODE" at the end) and the v1 SDK ("Error Code: CODE;") say it; a path that
     * holds the word is not. On the old code the AccessDeniedException was the input's
     * ({@code inputsFault} true; {@code clockSkewed} is new).
     */
    @Test
    void aSkewedClockIsTheMachinesNotTheFiles() {
        AccessDeniedException s3a = new AccessDeniedException("/data/x.jsonl", null, "open"
                + " s3a://b/data/x.jsonl: S3Exception: The difference between the request time"
                + " and the current time is too large. (Service: S3, Status Code: 403, Request"
                + " ID: T):RequestTimeTooSkewed");
        Exception v1 = new IOException("open", new com.amazonaws.AmazonServiceException("The"
                + " difference between the request time and the current time is too large."
                + " (Service: Amazon S3; Status Code: 403; Error Code: RequestTimeTooSkewed;"
                + " Request ID: T)"));
        for (Exception e : List.of(s3a, v1)) {
            assertTrue(DataFrames.clockSkewed(stageFailure(e)), e.toString());
            assertFalse(DataFrames.inputsFault(stageFailure(e)), e.toString());
            assertFalse(DataFrames.credentialsRefused(e), e.toString());
        }
        // Where no step named a path (a summary's write): the report says the clock all the same.
        StringWriter err = new StringWriter();
        assertEquals(JobErrors.FAILURE, JobErrors.report(new java.io.UncheckedIOException(
                "--summary s: x", s3a), new PrintWriter(err)));
        assertTrue(err.toString().startsWith(JobErrors.PREFIX + "unexpected failure: "
                + DataFrames.CLOCK_REFUSED + "UncheckedIOException: --summary s"), err.toString());
        AccessDeniedException denied = new AccessDeniedException(
                "/data/RequestTimeTooSkewed.jsonl", null, "open s3a://b/data/"
                        + "RequestTimeTooSkewed.jsonl: Access Denied:AccessDenied");
        assertFalse(DataFrames.clockSkewed(denied));
        assertTrue(DataFrames.inputsFault(stageFailure(denied)));
    }

    /**
     * S3's 416 (the object shorter than where the read was): the file changed under the job,
     * still the input's (exit 2), in S3A 3.4's class and 3.3's form (an EOF over the v1 SDK's
     * service answer); a cut gzip's EOF and an EOF over a client failure are not.
     */
    @Test
    void s3s416IsAFileThatChanged() {
        Exception v34 = new org.apache.hadoop.fs.s3a.RangeNotSatisfiableEOFException("read", null);
        Exception v33 = (Exception) new EOFException("read s3a://b/x.gz").initCause(
                new com.amazonaws.AmazonServiceException("The requested range is not"
                        + " satisfiable (Service: Amazon S3; Status Code: 416; Error Code:"
                        + " InvalidRange; Request ID: T)"));
        // S3A's change detection: an IOException to the rest of the list.
        Exception etag = new org.apache.hadoop.fs.s3a.RemoteFileChangedException("s3a://b/x.gz",
                "read", "ETag change detected on re-open s3a://b/x.gz at 4096");
        for (Exception e : List.of(v34, v33, etag)) {
            assertTrue(DataFrames.fileChanged(stageFailure(e)), e.toString());
            assertTrue(DataFrames.inputsFault(stageFailure(e)), e.toString());
        }
        for (Exception e : List.of(new EOFException("Unexpected end of input stream"),
                (Exception) new EOFException("read").initCause(new com.amazonaws
                        .SdkClientException("Failed to sanitize XML document destined for"
                                + " handler class")),
                new IOException("Status Code: 416", new com.amazonaws.AmazonServiceException(
                        "Status Code: 416; Error Code: InvalidRange;")))) {
            assertFalse(DataFrames.fileChanged(stageFailure(e)), e.toString());
        }
    }

    /**
     * An output's refusal: the credentials' and the clock's exit 1, the path's own ("access
     * denied": S3A's 403, HDFS's permission) exit 2, a storage failure none of them (null).
     * {@code outputRefused} is new: on the old code only the credentials were told apart.
     */
    @Test
    void anOutputsRefusalIsJudgedByWhoWasRefused() {
        String what = "--out s3a://b/out";
        assertTrue(DataFrames.outputRefused(what, "writing it failed", new AccessDeniedException(
                "/out", null, "x:InvalidAccessKeyId")) instanceof JobErrors.NotTheInput);
        RuntimeException clock = DataFrames.outputRefused(what, "writing it failed",
                new AccessDeniedException("/out", null, "x:RequestTimeTooSkewed"));
        assertTrue(clock instanceof JobErrors.NotTheInput, String.valueOf(clock));
        assertTrue(clock.getMessage().startsWith(what + ": writing it failed: the store refused"
                + " this machine's clock"), clock.getMessage());
        for (Exception e : List.of(new AccessDeniedException("/out", null, "x:AccessDenied"),
                new AccessControlException("Permission denied: user=etl, access=WRITE"),
                new org.apache.hadoop.ipc.RemoteException(
                        "org.apache.hadoop.security.AccessControlException",
                        "Permission denied: user=etl"))) {
            RuntimeException denied = DataFrames.outputRefused(what, "writing it failed",
                    stageFailure(e));
            assertTrue(denied instanceof IllegalArgumentException, e + ": " + denied);
            assertTrue(denied.getMessage().startsWith(what + ": writing it failed: access"
                    + " denied: "), denied.getMessage());
        }
        assertEquals(null, DataFrames.outputRefused(what, "writing it failed",
                new IOException("No space left on device")));
    }
}
