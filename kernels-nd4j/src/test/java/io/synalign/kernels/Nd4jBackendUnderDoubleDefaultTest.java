package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every test of {@link Nd4jBackendTest} (the {@link BackendContractTest} against the
 * double-precision reference, CPU path) in a JVM whose host set ND4J's default data type to
 * DOUBLE before the backend was created, as a host training in double would: every array the
 * backend makes names its type, so the results are those of a FLOAT default, and the backend
 * leaves the host's default alone (it used to set FLOAT process-wide in its constructor).
 * {@link Nd4jPortableBackendUnderDoubleDefaultTest} does the same on the portable path, the one
 * that creates INDArrays from Java arrays.
 */
class Nd4jBackendUnderDoubleDefaultTest extends Nd4jBackendTest {

    private DataType hostsDefault;
    private DataType hostsFloatDefault;

    @BeforeAll
    @Override
    void open() {
        hostsDefault = Nd4j.dataType();
        hostsFloatDefault = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        super.open();
    }

    @AfterAll
    @Override
    void close() {
        super.close();
        Nd4j.setDefaultDataTypes(hostsDefault, hostsFloatDefault);
    }

    @Test
    void theHostsDefaultDataTypeIsLeftAlone() {
        assertEquals(DataType.DOUBLE, Nd4j.defaultFloatingPointType(),
                "the host's Nd4j.create(...) after the backend was created");
        assertEquals(DataType.DOUBLE, Nd4j.dataType());
    }
}
