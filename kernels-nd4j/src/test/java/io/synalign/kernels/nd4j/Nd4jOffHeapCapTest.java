package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whether a kept triangle gives a working set its submatrix must not depend on when the
 * collector last ran: the optimiser takes another path without one, so the weights would too.
 * JavaCPP's cap is fixed per JVM, so the cases run in a child JVM with a 96 MiB cap
 * ({@link SubmatrixUnderOffHeapCap}).
 */
class Nd4jOffHeapCapTest {

    @Test
    void garbageDoesNotRefuseASubmatrixButLiveMemoryDoes(@TempDir Path dir) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = dir.resolve("child.log");
        Process process = new ProcessBuilder(List.of(java, "-Xmx512m",
                "-Dorg.bytedeco.javacpp.maxbytes=96m",
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=4g", "-cp",
                System.getProperty("java.class.path"), SubmatrixUnderOffHeapCap.class.getName()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // To a file, so that the timeout holds even if the child hangs with its output open.
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, "child JVM did not finish in 120 s: " + output);
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("case 1 holds") && output.contains("case 2 holds"), output);
    }
}
