package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether a kept triangle gives a working set its submatrix must not depend on when the
 * collector last ran, nor on JavaCPP's cap: the optimiser takes another path without one, so
 * the weights would too. Live memory filling the cap is an error, not a silent refusal.
 * JavaCPP's cap is fixed per JVM, so the cases run in a child JVM with a 96 MiB cap
 * ({@link SubmatrixUnderOffHeapCap}).
 */
class Nd4jOffHeapCapTest {

    @Test
    void garbageDoesNotRefuseASubmatrixAndLiveMemoryIsAnError(@TempDir Path dir)
            throws IOException, InterruptedException {
        String output = ChildJvm.run(dir, SubmatrixUnderOffHeapCap.class,
                "-Dorg.bytedeco.javacpp.maxbytes=96m",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g");
        assertTrue(output.contains("case 1 holds") && output.contains("case 2 holds"), output);
    }
}
