package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA C sources without a GPU: they are packaged, every kernel Java launches is declared
 * with the parameter kinds Java packs, and (when nvcc is on the PATH) every source compiles to
 * PTX for Hopper and for an older architecture, so a syntax error cannot land.
 */
class KernelSourcesTest {

    @Test
    void everyLaunchedKernelIsDeclaredWithTheParametersJavaPacks() {
        Map<String, List<ArgKind>> declared = new HashMap<>();
        for (String file : KernelSources.files()) {
            Map<String, List<ArgKind>> entries = KernelSources.entryPoints(KernelSources.read(file));
            assertTrue(!entries.isEmpty(), file + " declares no extern \"C\" kernels");
            for (Map.Entry<String, List<ArgKind>> e : entries.entrySet()) {
                declared.put(file + ":" + e.getKey(), e.getValue());
            }
        }
        for (CudaKernel k : CudaKernel.values()) {
            List<ArgKind> params = declared.remove(k.file() + ":" + k.entry());
            assertEquals(k.params(), params, k.entry() + " in " + k.file());
        }
        assertTrue(declared.isEmpty(), "kernels no Java code launches: " + declared.keySet());
    }

    @Test
    void parserReadsPointersScalarsAndLaunchBounds() {
        String src = "// extern \"C\" __global__ void commented(int a)\n"
                + "extern \"C\" __global__ void __launch_bounds__(256)\n"
                + "k(const float* __restrict__ x, int n, float g,\n double s, double* out) {}\n"
                + "static __device__ int helper(int a) { return a; }\n";
        Map<String, List<ArgKind>> entries = KernelSources.entryPoints(src);
        assertEquals(Map.of("k", List.of(ArgKind.POINTER, ArgKind.I32, ArgKind.F32, ArgKind.F64,
                ArgKind.POINTER)), entries);
    }

    @Test
    void sourcesArePackagedUnderTheCudaResourceFolder() {
        assertEquals(List.of("argmax.cu", "gp.cu", "rbf.cu", "rff.cu", "simplex.cu", "symk.cu",
                "vector.cu"), KernelSources.files());
        for (String file : KernelSources.files()) {
            assertTrue(KernelSources.read(file).contains("__global__"), file);
        }
    }

    /** sm_90 is the H100; sm_80 (A100) is the oldest architecture the kernels target below it. */
    @ParameterizedTest(name = "nvcc -ptx -arch={0}")
    @ValueSource(strings = {"sm_90", "sm_80"})
    void everySourceCompilesWithNvcc(String arch, @TempDir Path dir)
            throws IOException, InterruptedException {
        String nvcc = findOnPath("nvcc");
        if (nvcc == null) {
            System.out.println("[KernelSourcesTest] skipped: nvcc is not on the PATH");
        }
        Assumptions.assumeTrue(nvcc != null, "nvcc is not on the PATH");
        List<String> failures = new ArrayList<>();
        for (String file : KernelSources.files()) {
            Path src = dir.resolve(file);
            Files.writeString(src, KernelSources.read(file));
            Path ptx = dir.resolve(file + "." + arch + ".ptx");
            Process p = new ProcessBuilder(nvcc, "-ptx", "-arch=" + arch, "-Werror",
                    "all-warnings", src.toString(), "-o", ptx.toString())
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "nvcc timed out on " + file);
            if (p.exitValue() != 0) {
                failures.add(file + ": " + log.strip());
                continue;
            }
            String text = Files.readString(ptx);
            for (CudaKernel k : CudaKernel.values()) {
                if (k.file().equals(file)) {
                    assertTrue(text.contains(".entry " + k.entry()), k.entry() + " missing from "
                            + file + " PTX");
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
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
