package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device script's filter of skipped and aborted GPU tests ({@code other_skips} in
 * benchmarks/gpu/run-on-device.sh, read from the script itself and run by bash under the
 * script's {@code pipefail}): any skipped or aborted test fails the run, whatever its reason (a
 * GPU test whose assumption failed tested nothing), also when the reasons run past a pipe's 64
 * KiB, where a first version that piped them into {@code grep -q} passed the run (grep -q left at
 * the first line, the grep feeding it died of SIGPIPE, 141, and under pipefail the pipeline read
 * as false). Session 27's one excused reason, cuda's flat kernels, is no longer excused: the cuda
 * kernels keep flat kernels as k - 1 since session 28.
 */
class DeviceScriptSkipFilterTest {

    private static final String FLAT =
            "Assumption failed: cuda does not keep flat kernels as k - 1 yet";
    private static final String OTHER =
            "Assumption failed: cuda backend unavailable: libcuda.so.1 could not be loaded";

    private static String filter() throws IOException {
        Path script = Path.of(System.getProperty("user.dir"))
                .resolveSibling("benchmarks/gpu/run-on-device.sh");
        Matcher m = Pattern.compile("(?ms)^other_skips\\(\\) \\{.*?^\\}$")
                .matcher(Files.readString(script, StandardCharsets.UTF_8));
        assertTrue(m.find(), "no other_skips function in " + script);
        return m.group();
    }

    /** "fails" or "passes", as the filter reads a report of these lines. */
    private static String verdict(Path dir, String report) throws IOException,
            InterruptedException {
        Path file = dir.resolve("report.txt");
        Files.writeString(file, report, StandardCharsets.UTF_8);
        Path harness = dir.resolve("harness.sh");
        Files.writeString(harness, "set -uo pipefail\n" + filter() + "\n"
                + "if other_skips \"$1\"; then echo fails; else echo passes; fi\n",
                StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("bash", harness.toString(), file.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bash did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static String aborted(int tests, String... reasons) {
        StringBuilder s = new StringBuilder();
        int i = 0;
        for (String reason : reasons) {
            s.append("  ✘ test").append(i++).append("() ").append(reason).append(" ]\n");
        }
        return s.append("[      ").append(tests).append(" tests aborted          ]\n").toString();
    }

    @Test
    void everySkippedOrAbortedTestFailsTheRunWhateverTheReportsSize(@TempDir Path dir)
            throws IOException, InterruptedException {
        String clean = "[        85 tests successful      ]\n[         0 tests failed          ]\n"
                + "[         0 tests aborted         ]\n[         0 tests skipped         ]\n";
        assertEquals("passes", verdict(dir, clean));
        assertEquals("fails", verdict(dir, aborted(2, FLAT, FLAT)));
        assertEquals("fails", verdict(dir, aborted(2, FLAT, OTHER)));
        assertEquals("fails", verdict(dir, "[         1 tests skipped          ]\n"));
        // 2,001 reasons (about 180 KiB, past a pipe's 64 KiB).
        String[] many = new String[2_001];
        java.util.Arrays.fill(many, OTHER);
        many[2_000] = FLAT;
        String big = aborted(many.length, many);
        assertTrue(big.length() > (128 << 10), "report of " + big.length() + " characters");
        assertEquals("fails", verdict(dir, big));
    }
}
