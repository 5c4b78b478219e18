package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review 22 (embedded use), reproduction: in a JVM whose command line is a few thousand
 * characters long (a training job's or a Spark executor's class path on the command line; an IDE
 * run), loading the encoder kills the JVM with SIGSEGV and no hs_err file. ONNX Runtime 1.29.0's
 * environment creation reads {@code /proc/self/cmdline} for its telemetry device information and
 * matches it with a recursive {@code std::regex}: the native stack it needs grows with the
 * command line's length (about 3,000 characters overflow a 1 MiB thread stack, 70,000 a 16 MiB
 * one). Passing the class path in an {@code @argfile} or {@code CLASSPATH} avoids it. The build's
 * own tests never see it: surefire starts its JVM with a manifest-only jar.
 */
class Review22LongCommandLineTest {

    /** Loads the encoder and embeds one text; argument 0 is padding for the command line. */
    public static final class LoadEncoder {
        public static void main(String[] args) {
            try (OnnxSentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
                e.encode(List.of("a text"));
            }
            System.out.println("loaded");
        }
    }

    @TempDir
    Path dir;

    // Review 22 reproduction: fails until fixed; run with -Dreview22=true. Drop this line with the fix.
    @EnabledIfSystemProperty(named = "review22", matches = "true")
    @Test
    void theEncoderLoadsInAJvmWithALongCommandLine() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The class path through an argfile, so that only the padding makes the line long.
        Path argfile = dir.resolve("cp.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path")
                .replace("\\", "\\\\") + "\"\n");
        String padding = "x".repeat(Integer.getInteger("review22.padding", 6000));
        Process p = new ProcessBuilder(java, "@" + argfile, LoadEncoder.class.getName(), padding)
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM still running after 5 minutes");
        }
        String log = Files.readString(dir.resolve("child.log"));
        assertEquals(0, p.exitValue(), "child JVM exit status (139: SIGSEGV) with a "
                + (padding.length()) + "-character argument; its output:\n"
                + log.substring(Math.max(0, log.length() - 2000)));
    }
}
