package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Whether a kept triangle gives a working set its submatrix must not depend on when the
 * collector last ran: the optimiser takes another path without one, so the weights would too.
 * JavaCPP's cap is fixed per JVM, so the cases run in a child JVM with a 96 MiB cap
 * ({@link SubmatrixUnderOffHeapCap}).
 */
class Nd4jOffHeapCapTest {

    @Test
    void garbageDoesNotRefuseASubmatrixButLiveMemoryDoes() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx512m",
                "-Dorg.bytedeco.javacpp.maxbytes=96m",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g", "-cp",
                System.getProperty("java.class.path"), SubmatrixUnderOffHeapCap.class.getName()))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("case 1 holds") && output.contains("case 2 holds"), output);
    }
}
