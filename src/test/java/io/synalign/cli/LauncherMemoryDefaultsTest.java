package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher's default JVM options (read from the script itself) give the caps they are meant
 * to on a machine of a given size: a child JVM started with them and {@code -XX:MaxRAM} standing
 * in for the memory it runs in (the JVM takes a container's limit the same way) prints its heap
 * and JavaCPP's two caps ({@link MemoryCaps}). A heap of a third, JavaCPP's off-heap cap equal to
 * it, and the resident-set cap 2.7 heaps: if JavaCPP read its percentages another way (its
 * "%" is relative to the heap), or the heap stopped following the memory, this fails.
 */
class LauncherMemoryDefaultsTest {

    /** Prints the heap's limit and JavaCPP's caps, bytes, one per line. */
    public static final class MemoryCaps {
        public static void main(String[] args) {
            System.out.println("heap=" + Runtime.getRuntime().maxMemory());
            System.out.println("maxBytes=" + org.bytedeco.javacpp.Pointer.maxBytes());
            System.out.println("maxPhysicalBytes="
                    + org.bytedeco.javacpp.Pointer.maxPhysicalBytes());
        }
    }

    private static List<String> launcherDefaults() throws IOException {
        Path script = Path.of(System.getProperty("user.dir")).resolveSibling("synalign");
        Matcher m = Pattern.compile("(?m)^default_java_opts=\"([^\"]*)\"")
                .matcher(Files.readString(script, StandardCharsets.UTF_8));
        assertTrue(m.find(), "no default_java_opts line in " + script);
        return List.of(m.group(1).split(" "));
    }

    /** The message that tells users to repeat the defaults names the script's own. */
    @Test
    void theErrorMessagesCopyOfTheDefaultsIsTheScripts() throws IOException {
        assertEquals(String.join(" ", launcherDefaults()), CliErrors.LAUNCHER_DEFAULTS);
    }

    @Test
    void theDefaultsFollowTheMemoryTheProcessRunsIn(@TempDir Path dir)
            throws IOException, InterruptedException {
        for (long gib : new long[] {3, 24}) {
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(launcherDefaults());
            command.add("-XX:MaxRAM=" + gib + "g");
            command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    MemoryCaps.class.getName()));
            Path log = dir.resolve("caps-" + gib + ".log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            long heap = value(out, "heap");
            long memory = gib << 30;
            // A third of the memory, to the JVM's rounding (heap regions, alignment: 2 %).
            assertEquals(memory * 0.33, heap, memory * 0.33 * 0.02, gib + " GiB: " + out);
            assertEquals(heap, value(out, "maxBytes"), gib + " GiB: " + out);
            assertEquals(2.7 * heap, value(out, "maxPhysicalBytes"), heap * 0.001,
                    gib + " GiB: " + out);
            assertTrue(value(out, "maxPhysicalBytes") < memory, gib + " GiB: " + out);
        }
    }

    private static long value(String out, String key) {
        Matcher m = Pattern.compile("(?m)^" + key + "=(\\d+)$").matcher(out);
        assertTrue(m.find(), "no " + key + " in: " + out);
        return Long.parseLong(m.group(1));
    }
}
