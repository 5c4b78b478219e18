package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sentence encoder inside a host JVM that does other things: started with a long command
 * line, using DJL itself, calling from several threads. The first two are checked in a child
 * JVM, so that the encoder is the first user of ONNX Runtime and DJL there.
 */
class EncoderInAHostJvmTest {

    /** DJL's and SynAlign's DJL settings, reported by the child after the load. */
    private static final String[] DJL_PROPERTIES = {"ai.djl.offline", "ai.djl.default_engine",
        "ai.djl.onnx.disable_alternative", "OPT_OUT_TRACKING", "RUST_FLAVOR"};

    /**
     * Variables that would hide the command-line crash of ONNX Runtime 1.29.0 (each turns its
     * telemetry off: CI runs with CI=true) or that set DJL up for the child.
     */
    private static final String[] CLEARED_ENVIRONMENT = {"CI", "TF_BUILD", "GITHUB_ACTIONS",
        "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID", "BUILDKITE",
        "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER",
        "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED",
        "ORT_RUNNING_UNIT_TESTS", "XDG_CACHE_HOME", "DJL_OFFLINE", "OPT_OUT_TRACKING",
        "RUST_FLAVOR", "DJL_DEFAULT_ENGINE"};

    /** Linux's limit on one argument, MAX_ARG_STRLEN (32 pages), less its terminating NUL. */
    private static final int LONGEST_ARGUMENT = 32 * 4096 - 1;

    /** The child: loads the encoder, embeds one text, prints the DJL settings it then sees. */
    public static final class LoadEncoder {
        public static void main(String[] args) {
            try (OnnxSentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
                System.out.println("embedded " + e.encode(List.of("a text")).cols());
            }
            for (String p : DJL_PROPERTIES) {
                System.out.println(p + "=" + System.getProperty(p));
            }
        }
    }

    /**
     * The child of a host that created ONNX Runtime's environment itself first: tries to load the
     * encoder twice, printing how each attempt ended, then loads it again after nothing changed.
     */
    public static final class LoadEncoderAfterOwnEnvironment {
        public static void main(String[] args) throws Exception {
            ai.onnxruntime.OrtEnvironment.getEnvironment();
            for (int attempt = 1; attempt <= 2; attempt++) {
                try (OnnxSentenceEncoder e = OnnxSentenceEncoder.load(ModelSpec.minilm())) {
                    System.out.println("attempt " + attempt + ": embedded " + e.encode(List.of("a text")).cols());
                } catch (IllegalStateException e) {
                    System.out.println("attempt " + attempt + ": " + e.getMessage());
                }
            }
        }
    }

    @TempDir
    Path dir;

    /**
     * ONNX Runtime 1.29.0 matched {@code /proc/self/cmdline} with a recursive regex when its
     * environment was created (its new Linux telemetry): about 3,980 bytes of command line
     * overflowed the 1 MiB stack of the thread that loaded the encoder and killed the JVM
     * (SIGSEGV, exit 139). 4,000 characters of one argument: just past that.
     */
    @Test
    void theEncoderLoadsInAJvmWhoseCommandLineIsPastOnnxRuntime129sLimit() throws Exception {
        Child child = runChild(List.of(), List.of("x".repeat(4000)));
        assertEquals(0, child.exitStatus, child.describe("a 4,000-character argument"));
        assertTrue(child.output.contains("embedded 384"), child.output);
        assertNoTelemetryCache(child);
    }

    /** A command line of 1 MiB, in arguments of Linux's longest, 128 KiB each. */
    @Test
    void theEncoderLoadsInAJvmWithACommandLineOfAMebibyte() throws Exception {
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            arguments.add(Character.toString('a' + i).repeat(LONGEST_ARGUMENT));
        }
        Child child = runChild(List.of(), arguments);
        assertEquals(0, child.exitStatus, child.describe("8 arguments of 131,071 characters"));
        assertTrue(child.output.contains("embedded 384"), child.output);
    }

    /**
     * A host that has not configured DJL finds it as it was, but for the two settings that keep
     * DJL off the network (see {@link DjlOffline}): not offline (its model-zoo downloads
     * work), its default engine DJL's own choice, ONNX Runtime's alternative engine allowed.
     */
    @Test
    void loadingAnEncoderSetsOnlyTheSettingsThatKeepDjlOffTheNetwork() throws Exception {
        Child child = runChild(List.of(), List.of());
        assertEquals(0, child.exitStatus, child.describe("no DJL settings"));
        assertTrue(child.output.contains("embedded 384"), child.output);
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("ai.djl.offline", "null");
        expected.put("ai.djl.default_engine", "null");
        expected.put("ai.djl.onnx.disable_alternative", "null");
        expected.put("OPT_OUT_TRACKING", "true");
        expected.put("RUST_FLAVOR", "cpu");
        assertEquals(expected, child.properties());
        assertNoTelemetryCache(child);
    }

    /**
     * A host's own DJL settings survive the load, and the encoder still loads and embeds, with
     * another default engine too (it names its engine). A host that put DJL offline gets no
     * setting from SynAlign at all.
     */
    @Test
    void aHostsDjlSettingsSurviveAnEncoderLoad() throws Exception {
        Map<String, String> host = new LinkedHashMap<>();
        host.put("ai.djl.offline", "false");
        host.put("ai.djl.default_engine", "Rust");
        host.put("ai.djl.onnx.disable_alternative", "false");
        host.put("OPT_OUT_TRACKING", "true");
        host.put("RUST_FLAVOR", "cpu");
        List<String> options = new ArrayList<>();
        host.forEach((k, v) -> options.add("-D" + k + "=" + v));
        Child child = runChild(options, List.of());
        assertEquals(0, child.exitStatus, child.describe("the host's DJL settings"));
        assertTrue(child.output.contains("embedded 384"), child.output);
        assertEquals(host, child.properties());

        Child offline = runChild(List.of("-Dai.djl.offline=true"), List.of());
        assertEquals(0, offline.exitStatus, offline.describe("ai.djl.offline=true"));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("ai.djl.offline", "true");
        expected.put("ai.djl.default_engine", "null");
        expected.put("ai.djl.onnx.disable_alternative", "null");
        expected.put("OPT_OUT_TRACKING", "null");
        expected.put("RUST_FLAVOR", "null");
        assertEquals(expected, offline.properties());
    }

    /**
     * A host that created ONNX Runtime's environment before the first encoder loaded: DJL's engine
     * cannot start (it must create the environment with its thread-pool settings), and every load
     * says why and what to do, the first (ExceptionInInitializerError underneath) and the later
     * ones (NoClassDefFoundError) alike, as an IllegalStateException the host can catch.
     */
    @Test
    void anEncoderLoadAfterTheHostsOwnOrtEnvironmentNamesTheCauseAndTheRemedy() throws Exception {
        Child child = runChild(LoadEncoderAfterOwnEnvironment.class, List.of(), List.of());
        assertEquals(0, child.exitStatus, child.describe("its own OrtEnvironment first"));
        for (int attempt = 1; attempt <= 2; attempt++) {
            String line = child.output.lines().filter(l -> l.startsWith("attempt ")).toList().get(attempt - 1);
            assertTrue(line.startsWith("attempt " + attempt + ": cannot load a sentence encoder: an ONNX Runtime"
                    + " environment was created in this JVM (OrtEnvironment.getEnvironment) before the first"
                    + " encoder loaded"), line);
            assertTrue(line.endsWith("Load an encoder before creating your own OrtEnvironment"
                    + " (OrtEnvironment.getEnvironment() then returns the engine's)"), line);
        }
        // ONNX Runtime copied its libraries into its own directory (the host loaded it before
        // the encoder could name the cache), and its clean-up at exit left that directory:
        // claimed although DJL's engine did not start, so marked, and the next start removes it.
        // The old code claimed only after a start that succeeded: the directory stayed unmarked.
        Path tmp = dir.resolve("tmp");
        List<String> left;
        try (Stream<Path> s = Files.list(tmp)) {
            left = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(2, left.size(), "ONNX Runtime's directory and its marker: " + left);
        assertTrue(left.get(0).matches("onnxruntime-java[0-9]+"), left.toString());
        assertEquals(left.get(0) + OrtTempDirectories.MARKER_SUFFIX, left.get(1));
        Child next = runChild(List.of(), List.of());
        assertEquals(0, next.exitStatus, next.describe("the next start"));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.toList(), "the next start removed them");
        }
    }

    /** Four threads encoding different texts at once get the rows a lone call gets. */
    @Test
    void concurrentEncodesGiveTheRowsOfSequentialOnes() throws Exception {
        OnnxSentenceEncoder encoder = TestSupport.minilm();
        List<List<String>> inputs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 37 + 5 * t; i++) {
                texts.add("thread " + t + " text " + i + " " + "word ".repeat(i % 13));
            }
            inputs.add(texts);
        }
        List<float[]> alone = new ArrayList<>();
        for (List<String> texts : inputs) {
            alone.add(encoder.encode(texts).data());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<FloatMatrix>> together = new ArrayList<>();
                for (List<String> texts : inputs) {
                    together.add(pool.submit(() -> encoder.encode(texts)));
                }
                for (int t = 0; t < 4; t++) {
                    assertArrayEquals(alone.get(t), together.get(t).get().data(),
                            "thread " + t + " round " + round);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private record Child(int exitStatus, String output, Path home) {
        String describe(String what) {
            return "child JVM with " + what + ": exit status " + exitStatus
                    + " (139: SIGSEGV); its output:\n"
                    + output.substring(Math.max(0, output.length() - 2000));
        }

        Map<String, String> properties() {
            Map<String, String> found = new HashMap<>();
            for (String line : output.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    found.put(line.substring(0, eq), line.substring(eq + 1).strip());
                }
            }
            Map<String, String> ordered = new LinkedHashMap<>();
            for (String p : DJL_PROPERTIES) {
                ordered.put(p, found.get(p));
            }
            return ordered;
        }
    }

    /**
     * Runs {@link LoadEncoder} in a child JVM with {@code options} and {@code arguments}; the
     * class path goes in an argument file, which /proc/self/cmdline does not show, so that only
     * the arguments make the command line long. HOME is a folder of its own.
     */
    private Child runChild(List<String> options, List<String> arguments) throws Exception {
        return runChild(LoadEncoder.class, options, arguments);
    }

    /** Runs {@code main} of {@code mainClass} in a child JVM, as {@link #runChild(List, List)} does. */
    private Child runChild(Class<?> mainClass, List<String> options, List<String> arguments) throws Exception {
        Path argfile = dir.resolve("cp.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path")
                .replace("\\", "\\\\") + "\"\n");
        Path home = Files.createTempDirectory(dir, "home");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("@" + argfile);
        // A temporary directory of the test's: ONNX Runtime's own directory, which a child whose
        // encoder fails to start may leave, stays out of the machine's /tmp.
        command.add("-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")));
        command.addAll(options);
        command.add(mainClass.getName());
        command.addAll(arguments);
        Path log = Files.createTempFile(dir, "child", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        for (String variable : CLEARED_ENVIRONMENT) {
            builder.environment().remove(variable);
        }
        builder.environment().put("HOME", home.toString());
        Process p = builder.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM still running after 5 minutes");
        }
        return new Child(p.exitValue(), Files.readString(log), home);
    }

    /** ONNX Runtime 1.29.0 kept a device id and an event queue for upload under ~/.cache. */
    private static void assertNoTelemetryCache(Child child) throws Exception {
        try (Stream<Path> files = Files.walk(child.home())) {
            List<Path> telemetry = files.filter(f -> f.toString().contains("Microsoft")
                    || f.getFileName().toString().startsWith("onnxruntime")).toList();
            assertTrue(telemetry.isEmpty(), "ONNX Runtime's telemetry files: " + telemetry);
        }
    }
}
