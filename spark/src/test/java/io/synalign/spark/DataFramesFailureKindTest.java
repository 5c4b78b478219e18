package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.KryoException;
import com.fasterxml.jackson.core.JsonParseException;
import java.io.IOException;
import java.io.NotSerializableException;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/**
 * Which failures of an input's schema inference are the input's (exit 2, "cannot be read as
 * JSON Lines") and which the job's own ({@link DataFrames#notTheInput}): a job that cannot ship
 * its tasks or records must not send the user to a good input file.
 */
class DataFramesFailureKindTest {

    /** As Spark reports a failed task to the driver: the cause under a stage failure. */
    private static SparkException stageFailure(Throwable cause) {
        return new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 failed"
                + " 1 times, most recent failure: " + cause, cause);
    }

    @Test
    void theJobsOwnSerializationAndJvmFailuresAreNotTheInputs() {
        assertTrue(DataFrames.notTheInput(stageFailure(new KryoException(
                "Class is not registered: io.synalign.spark.EmbeddedRecord"))));
        assertTrue(DataFrames.notTheInput(stageFailure(new IllegalStateException("wrapped",
                new KryoException("can't get field offset on a record class")))));
        assertTrue(DataFrames.notTheInput(stageFailure(
                new NotSerializableException("io.synalign.spark.FeatureChunks"))));
        assertTrue(DataFrames.notTheInput(new SparkException("Task not serializable")));
        assertTrue(DataFrames.notTheInput(stageFailure(new OutOfMemoryError("Java heap space"))));
    }

    @Test
    void whatReadingTheFilesRaisesIsTheInputs() {
        assertFalse(DataFrames.notTheInput(stageFailure(new JsonParseException(null,
                "Unexpected character ('}' (code 125))"))));
        assertFalse(DataFrames.notTheInput(stageFailure(new IOException(
                "Not in GZIP format"))));
        assertFalse(DataFrames.notTheInput(stageFailure(new RuntimeException(
                "Malformed records are detected in schema inference"))));
        assertFalse(DataFrames.notTheInput(new IllegalStateException("a cause cycle")));
    }
}
