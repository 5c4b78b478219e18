package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import org.junit.jupiter.api.Test;

/** The job's configuration refuses what no executor could run, with the options. */
class SparkAlignmentConfigTest {

    /**
     * A misspelt backend: it was taken on the driver as auto (with a warning), and every task
     * then failed after the reading and the bandwidths, exit 1 with Spark's stage-failure line.
     */
    @Test
    void anUnknownBackendIsRefusedWithTheKnownNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SparkAlignmentConfig(AlignmentConfig.defaults(), LabelMode.PER_LABEL,
                        "foo", 0));
        assertEquals("unknown backend 'foo' (known: auto, " + String.join(", ",
                io.synalign.kernels.KernelBackends.names()) + ")", e.getMessage());
        assertEquals("Reference", new SparkAlignmentConfig(AlignmentConfig.defaults(),
                LabelMode.PER_LABEL, "Reference", 0).backend());
        new SparkAlignmentConfig(AlignmentConfig.defaults(), LabelMode.GLOBAL, "auto", 2);
    }
}
