package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ND4J's threads under the processors the JVM may use ({@link ProcessorLimit}): the rule, and
 * child JVMs told they have one processor ({@code -XX:ActiveProcessorCount=1}, what a
 * container's CPU limit of 1 gives the JVM) on a machine that offers more: one worker, one
 * OpenBLAS thread; the same with {@code OMP_NUM_THREADS} set keeps the user's count.
 */
class ProcessorLimitTest {

    @Test
    void theRuleCapsAtTheJvmsCountUnlessTheUserChose() {
        assertEquals(4, ProcessorLimit.capped(4, 64, 64, null));
        assertEquals(4, ProcessorLimit.capped(4, 64, 8, ""));
        assertEquals(64, ProcessorLimit.capped(4, 64, 64, "64"));
        assertEquals(16, ProcessorLimit.capped(32, 16, 16, null));
        assertEquals(1, ProcessorLimit.capped(0, 2, 2, null));
    }

    @Test
    void oneProcessorForTheJvmMeansOneWorkerAndOneBlasThread(@TempDir Path dir)
            throws IOException, InterruptedException {
        String offered = ChildJvm.run(dir, ThreadsUnderProcessorLimit.class);
        Assumptions.assumeTrue(value(offered, "blas") > 1,
                "ND4J runs one thread on this machine anyway: " + offered);
        String limited = ChildJvm.run(dir, ThreadsUnderProcessorLimit.class,
                "-XX:ActiveProcessorCount=1");
        assertEquals(1, value(limited, "processors"), limited);
        assertEquals(1, value(limited, "workers"), limited);
        assertEquals(1, value(limited, "blas"), limited);
        assertEquals(1, value(limited, "master"), limited);
        assertTrue(limited.contains("nd4j threads: 1 (the processors this JVM may use"), limited);
        String chosen = ChildJvm.run(dir, Map.of("OMP_NUM_THREADS",
                Integer.toString(value(offered, "blas"))), ThreadsUnderProcessorLimit.class,
                "-XX:ActiveProcessorCount=1");
        assertEquals(value(offered, "workers"), value(chosen, "workers"), chosen);
    }

    private static int value(String output, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "=(\\d+)$").matcher(output);
        assertTrue(m.find(), "no " + key + " in: " + output);
        return Integer.parseInt(m.group(1));
    }
}
