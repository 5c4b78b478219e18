package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test main class in a fresh JVM (for what is fixed once per JVM: ND4J's backend
 * choice, JavaCPP's caps) on this JVM's class path, with 512 MiB of heap and the given options.
 */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * The child's output (stdout and stderr), asserted to have finished within 120 s with
     * status 0. The output goes to a file in {@code dir}, so that the timeout holds even if
     * the child hangs with its output open.
     */
    static String run(Path dir, Class<?> main, String... jvmOptions)
            throws IOException, InterruptedException {
        return run(dir, Map.of(), main, jvmOptions);
    }

    /** {@link #run(Path, Class, String...)} with {@code environment} added to the child's. */
    static String run(Path dir, Map<String, String> environment, Class<?> main,
            String... jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Path log = Files.createTempFile(dir, main.getSimpleName(), ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertTrue(finished, "child JVM did not finish in 120 s: " + output);
        assertEquals(0, process.exitValue(), output);
        return output;
    }
}
