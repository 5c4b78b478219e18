package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA kernels executed without a GPU: when g++ is on the PATH (on Linux), the packaged
 * {@code .cu} sources are compiled unmodified as C++ against a CPU emulation of the CUDA subset
 * they use ({@code src/test/emulation/cuda_shim.h}: blocks one at a time, a block's threads as
 * fibers or std::threads, shared memory, barriers that exited threads drop out of, warp
 * shuffles, the binary16 conversions of symk.cu), and driven the way the host classes launch them
 * ({@code src/test/emulation/test_*.cpp}) against double-precision references. The harness prints
 * one line per check; a failing check fails this test with the harness's output.
 */
class KernelEmulationTest {

    /** The harness sources, relative to the module folder (surefire's working directory). */
    private static final String EMULATION_DIR = "src/test/emulation";

    private static final List<String> FLAGS = List.of("-std=c++20", "-O1", "-pthread",
            "-fno-strict-aliasing", "-ffp-contract=off");

    @Test
    void kernelsPassTheirChecksOnTheCpuEmulation(@TempDir Path dir)
            throws IOException, InterruptedException {
        String gxx = findOnPath("g++");
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT)
                .contains("linux");
        if (gxx == null || !linux) {
            String why = gxx == null ? "g++ is not on the PATH" : "the emulation needs Linux";
            System.out.println("[KernelEmulationTest] skipped: " + why);
            Assumptions.assumeTrue(false, why);
        }
        Path emulation = emulationSources();
        // The kernels as the backend loads them: from the class path.
        List<List<String>> compiles = new ArrayList<>();
        List<Path> objects = new ArrayList<>();
        for (String file : KernelSources.files()) {
            Path src = dir.resolve(file);
            Files.writeString(src, KernelSources.read(file));
            Path object = dir.resolve("cu_" + file.replace(".cu", ".o"));
            List<String> cmd = new ArrayList<>(List.of(gxx));
            cmd.addAll(FLAGS);
            cmd.addAll(List.of("-I" + emulation, "-include", "cuda_shim.h", "-include",
                    "emu_kernels.h", "-x", "c++", "-c", src.toString(), "-o", object.toString()));
            compiles.add(cmd);
            objects.add(object);
        }
        List<Path> drivers;
        try (Stream<Path> files = Files.list(emulation)) {
            drivers = files.filter(p -> p.toString().endsWith(".cpp")).sorted().toList();
        }
        assertTrue(drivers.size() >= 2, "no harness sources in " + emulation);
        for (Path driver : drivers) {
            Path object = dir.resolve(driver.getFileName().toString().replace(".cpp", ".o"));
            List<String> cmd = new ArrayList<>(List.of(gxx));
            cmd.addAll(FLAGS);
            cmd.addAll(List.of("-I" + emulation, "-c", driver.toString(), "-o",
                    object.toString()));
            compiles.add(cmd);
            objects.add(object);
        }
        long start = System.nanoTime();
        int jobs = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (List<String> cmd : compiles) {
                results.add(pool.submit(() -> run(cmd, dir, 300)));
            }
            List<String> failures = new ArrayList<>();
            for (Future<String> r : results) {
                try {
                    String error = r.get();
                    if (error != null) {
                        failures.add(error);
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(String.valueOf(e.getCause()));
                }
            }
            assertTrue(failures.isEmpty(), "the emulation does not compile:\n"
                    + String.join("\n", failures));
        } finally {
            pool.shutdownNow();
        }
        Path binary = dir.resolve("emulation");
        List<String> link = new ArrayList<>(List.of(gxx, "-pthread", "-o", binary.toString()));
        objects.forEach(o -> link.add(o.toString()));
        String linkError = run(link, dir, 120);
        assertEquals(null, linkError, "the emulation does not link");
        System.out.printf(Locale.ROOT, "[KernelEmulationTest] built in %.1f s%n",
                (System.nanoTime() - start) / 1e9);

        Path log = dir.resolve("emulation.log");
        Process p = new ProcessBuilder(binary.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean finished = p.waitFor(600, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        System.out.println(output);
        if (!finished) {
            fail("the emulation harness did not finish in 600 s:\n" + output);
        }
        assertEquals(0, p.exitValue(), "the emulation harness failed (exit " + p.exitValue()
                + "):\n" + failuresOf(output));
    }

    /** The FAIL and FATAL lines, then the summary (the full output is printed above). */
    private static String failuresOf(String output) {
        StringBuilder out = new StringBuilder();
        for (String line : output.split("\n")) {
            if (line.startsWith("FAIL") || line.startsWith("FATAL") || line.startsWith("== ")
                    && line.contains("checks")) {
                out.append(line).append('\n');
            }
        }
        return out.length() == 0 ? output : out.toString();
    }

    /** Runs cmd in dir; null when it exits 0, else the command and its output. */
    private static String run(List<String> cmd, Path dir, int timeoutSeconds)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return String.join(" ", cmd) + ": timed out";
        }
        return p.exitValue() == 0 ? null : String.join(" ", cmd) + "\n" + log.strip();
    }

    /** src/test/emulation of this module: from the working directory, else from basedir. */
    private static Path emulationSources() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of(EMULATION_DIR));
        String basedir = System.getProperty("basedir");
        if (basedir != null) {
            candidates.add(Path.of(basedir, EMULATION_DIR));
        }
        candidates.add(Path.of("kernels-cuda", EMULATION_DIR));
        for (Path c : candidates) {
            if (Files.isRegularFile(c.resolve("cuda_shim.h"))) {
                return c.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("the emulation sources are not in any of " + candidates
                + " (working directory " + Path.of("").toAbsolutePath() + ")");
    }

    private static String findOnPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            File f = new File(dir, tool);
            if (f.isFile() && f.canExecute()) {
                return f.getAbsolutePath();
            }
        }
        return null;
    }
}
