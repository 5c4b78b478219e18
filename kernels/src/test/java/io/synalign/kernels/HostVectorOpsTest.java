package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.host.HostVectorOps;
import org.junit.jupiter.api.Test;

/** The {@link VectorOpsContractTest} on the host vectors of {@code reference} and {@code nd4j}. */
class HostVectorOpsTest extends VectorOpsContractTest {

    @Override
    protected VectorOps ops() {
        return HostVectorOps.INSTANCE;
    }

    @Test
    void theHostBackendsShareTheHostOperations() {
        assertTrue(new io.synalign.kernels.reference.ReferenceBackend().vectors()
                == HostVectorOps.INSTANCE);
    }

    @Test
    void mismatchedLengthsAndForeignVectorsAreRefused() {
        VectorOps ops = ops();
        try (DeviceVector a = ops.zeros(3); DeviceVector b = ops.zeros(4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ops.copy(a, b));
            assertTrue(e.getMessage().contains("3") && e.getMessage().contains("4"));
        }
        DeviceVector foreign = new DeviceVector() {
            @Override
            public long length() {
                return 3;
            }

            @Override
            public void close() {
            }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ops.sum(foreign));
        assertTrue(e.getMessage().contains("host vector"), e.getMessage());
    }
}
