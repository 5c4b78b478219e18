package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EncoderOptionsTest {

    @Test
    void defaults() {
        EncoderOptions o = EncoderOptions.defaults();
        assertEquals(32, o.batchSize());
        assertEquals(128, o.maxLength());
        assertNull(o.pooling());
        assertEquals(BatchMode.AUTO, o.batchMode());
        assertEquals(ExecutionDevice.CPU, o.device());
        assertEquals(ExecutionDevice.CUDA, o.withDevice(ExecutionDevice.CUDA, 1).device());
        assertEquals(1, o.withDevice(ExecutionDevice.CUDA, 1).deviceId());
    }

    @Test
    void rejectsBadValuesNamingThem() {
        EncoderOptions o = EncoderOptions.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> o.withBatchSize(0));
        assertTrue(e.getMessage().contains("batchSize") && e.getMessage().contains("0"));
        e = assertThrows(IllegalArgumentException.class, () -> o.withMaxLength(1));
        assertTrue(e.getMessage().contains("maxLength"));
        assertThrows(IllegalArgumentException.class, () -> o.withMaxLength(100_000));
        assertThrows(IllegalArgumentException.class, () -> o.withBatchMode(null));
        assertThrows(IllegalArgumentException.class,
                () -> o.withDevice(ExecutionDevice.CUDA, -1));
        assertThrows(IllegalArgumentException.class, () -> o.withIntraOpThreads(-2));
    }
}
