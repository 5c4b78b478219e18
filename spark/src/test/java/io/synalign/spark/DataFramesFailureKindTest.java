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
}
