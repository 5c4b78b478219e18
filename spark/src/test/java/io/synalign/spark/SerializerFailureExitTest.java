package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Output;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.Test;

/**
 * A task of the fit that fails in the serializer is the job's failure, exit 1, not bad input:
 * Kryo 4 refuses an unregistered class ({@code spark.kryo.registrationRequired}) with an
 * {@link IllegalArgumentException}, and {@link JobErrors#badInput} took any
 * {@code IllegalArgumentException} in the cause chain for the input's (exit 2, the user sent to
 * good files; review32s). The exceptions here are Kryo's own, thrown by a real Kryo, under a
 * stage failure as Spark reports a task's failure to the driver. The job's own record checks,
 * {@code IllegalArgumentException}s thrown by its code, stay bad input.
 */
class SerializerFailureExitTest {

    /** As Spark reports a failed task to the driver: the cause under a stage failure. */
    private static SparkException stageFailure(Throwable cause) {
        return new SparkException("Job aborted due to stage failure: Task 0 in stage 3.0 failed"
                + " 1 times, most recent failure: " + cause, cause);
    }

    /** What Kryo 4 throws for a class it was not told of under registrationRequired. */
    private static IllegalArgumentException unregistered() {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(true);
        return assertThrows(IllegalArgumentException.class,
                () -> kryo.writeClassAndObject(new Output(64), new java.util.BitSet()));
    }

    private static Object[] report(Throwable t) {
        StringWriter err = new StringWriter();
        int status = JobErrors.report(t, new PrintWriter(err));
        return new Object[] {status, err.toString()};
    }

    @Test
    void anUnregisteredClassDuringTheFitIsTheJobsFailure() {
        IllegalArgumentException refused = unregistered();
        assertTrue(refused.getMessage().startsWith("Class is not registered"),
                refused.getMessage());
        // Thrown by Kryo itself, and wrapped by a field serializer as Kryo 4 does.
        for (Throwable cause : new Throwable[] {refused, new KryoException(refused)}) {
            Object[] r = report(stageFailure(cause));
            String err = (String) r[1];
            assertEquals(JobErrors.FAILURE, r[0], err);
            assertEquals(1, err.lines().count(), err);
            assertTrue(err.startsWith(JobErrors.PREFIX + "unexpected SparkException"), err);
            assertTrue(err.contains("Class is not registered: java.util.BitSet"), err);
            assertFalse(JobErrors.badInput(stageFailure(cause)) != null, err);
        }
    }

    @Test
    void theJobsOwnRecordChecksInATaskStayBadInput() {
        IllegalArgumentException check = new IllegalArgumentException(
                "a record's embedding 'emb' has NaN at position 0");
        Object[] r = report(stageFailure(check));
        assertEquals(JobErrors.BAD_INPUT, r[0], (String) r[1]);
        assertEquals(JobErrors.PREFIX + "a record's embedding 'emb' has NaN at position 0",
                ((String) r[1]).strip());
    }
}
