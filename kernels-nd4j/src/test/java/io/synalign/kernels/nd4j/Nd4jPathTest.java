package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the nd4j backend chooses its execution path, and that the choice reaches the backend. */
class Nd4jPathTest {

    private static final String CUDA = "org.nd4j.linalg.jcublas.JCublasBackend";
    private static final String CPU = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    @Test
    void autoTakesTheCpuPathOnNd4jNativeAndThePortableOneOnAnyOtherBackend() {
        Nd4jPath.Selection cpu = Nd4jPath.select("auto", true, CPU);
        assertEquals(Nd4jPath.CPU_BLAS, cpu.path());
        assertTrue(cpu.unavailable().isEmpty());
        Nd4jPath.Selection cuda = Nd4jPath.select("auto", false, CUDA);
        assertEquals(Nd4jPath.PORTABLE, cuda.path());
        assertTrue(cuda.unavailable().isEmpty());
        assertTrue(cuda.reason().contains(CUDA) && cuda.reason().contains("not the CPU"),
                cuda.reason());
    }

    @Test
    void portableCanBeForcedOnEitherBackend() {
        assertEquals(Nd4jPath.PORTABLE, Nd4jPath.select("portable", true, CPU).path());
        assertEquals(Nd4jPath.PORTABLE, Nd4jPath.select("portable", false, CUDA).path());
        assertTrue(Nd4jPath.select("portable", true, CPU).reason()
                .contains("synalign.nd4j.path=portable"));
    }

    @Test
    void cpuIsRefusedOffTheCpuAndBadValuesAreNamed() {
        assertEquals(Nd4jPath.CPU_BLAS, Nd4jPath.select("cpu", true, CPU).path());
        Nd4jPath.Selection refused = Nd4jPath.select("cpu", false, CUDA);
        assertNull(refused.path());
        assertTrue(refused.unavailable().orElseThrow().contains(CUDA), refused.reason());
        Nd4jPath.Selection bad = Nd4jPath.select("fast", true, CPU);
        assertNull(bad.path());
        assertTrue(bad.unavailable().orElseThrow().contains("'fast'"), bad.reason());
    }

    @Test
    void thePropertyWinsOverTheEnvironmentAndUnsetMeansAuto() {
        Properties props = new Properties();
        Map<String, String> env = Map.of(Nd4jPath.ENVIRONMENT, "Portable ");
        assertEquals("portable", Nd4jPath.setting(props, env));
        props.setProperty(Nd4jPath.PROPERTY, " CPU");
        assertEquals("cpu", Nd4jPath.setting(props, env));
        props.setProperty(Nd4jPath.PROPERTY, " ");
        assertEquals("portable", Nd4jPath.setting(props, env));
        assertEquals("auto", Nd4jPath.setting(new Properties(), Map.of()));
    }

    @Test
    void thisJvmRunsTheCpuPathByDefault() {
        // The test JVM sets no synalign.nd4j.path, and ND4J here is nd4j-native.
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            assertEquals(Nd4jPath.CPU_BLAS, ((Nd4jBackend) backend).path());
            assertTrue(backend.description().contains("OpenBLAS"), backend.description());
        }
    }

    @Test
    void thePropertySelectsThePortablePathThroughTheProvider(@TempDir Path dir)
            throws IOException, InterruptedException {
        // The provider decides once per JVM, so the property is tried in a fresh one.
        String output = ChildJvm.run(dir, PrintNd4jPath.class,
                "-D" + Nd4jPath.PROPERTY + "=portable");
        assertTrue(output.contains("path=PORTABLE"), output);
        assertTrue(output.contains("nd4j backend: PORTABLE path (synalign.nd4j.path=portable"),
                "the provider logs its choice and why: " + output);
    }
}
