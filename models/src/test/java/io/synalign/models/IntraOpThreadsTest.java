package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's intra-op threads under a container's CPU limit: the rule (the configured
 * count; the JVM's count where it is below the CPUs the process may run on, capped at their
 * physical cores, ONNX Runtime's own default; else ONNX Runtime's default), the kernel's
 * CPU-list format it reads the affinity from, and the cores counted from a fake sysfs tree.
 */
class IntraOpThreadsTest {

    @Test
    void aCpuLimitBelowTheAffinityCapsTheThreads() {
        assertEquals(4, OnnxSentenceEncoder.intraOpThreads(0, 4, 64, 32));
        assertEquals(0, OnnxSentenceEncoder.intraOpThreads(0, 64, 64, 32), "no limit: ORT's default");
        assertEquals(0, OnnxSentenceEncoder.intraOpThreads(0, 4, -1, -1), "affinity unknown");
        assertEquals(8, OnnxSentenceEncoder.intraOpThreads(8, 4, 64, 2), "configured wins");
        assertEquals(1, OnnxSentenceEncoder.intraOpThreads(0, 0, 2, 1));
        assertEquals(4, OnnxSentenceEncoder.intraOpThreads(0, 4, 64, -1), "cores unknown: the JVM's");
    }

    /**
     * A quota above the physical cores (48 CPUs of 64 hardware threads, 32 cores): ONNX
     * Runtime's own default is one thread per core, so the quota's 48 would run more threads
     * than it does with no quota at all. The old rule gave 48.
     */
    @Test
    void aQuotaAboveThePhysicalCoresIsCappedAtThem() {
        assertEquals(32, OnnxSentenceEncoder.intraOpThreads(0, 48, 64, 32));
        assertEquals(32, OnnxSentenceEncoder.intraOpThreads(0, 33, 64, 32));
        assertEquals(31, OnnxSentenceEncoder.intraOpThreads(0, 31, 64, 32));
        assertEquals(1, OnnxSentenceEncoder.intraOpThreads(0, 3, 4, 1), "one core of 4 threads");
    }

    @Test
    void cpuListsAreCounted() {
        assertEquals(1, OnnxSentenceEncoder.cpuListSize("0"));
        assertEquals(4, OnnxSentenceEncoder.cpuListSize("0-3"));
        assertEquals(7, OnnxSentenceEncoder.cpuListSize("0-3,8,10-11"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize("3-1"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize("x"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize(""));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize("-1"));
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11}, OnnxSentenceEncoder.cpuList("8,0-3,10-11,2"));
        assertNull(OnnxSentenceEncoder.cpuList("0-99999999"));
        int here = OnnxSentenceEncoder.affinityCpus();
        assertTrue(here == -1 || here >= Runtime.getRuntime().availableProcessors(),
                "this process's affinity " + here + " below the JVM's count "
                        + Runtime.getRuntime().availableProcessors());
    }

    /** Writes {@code cpuN/topology/NAME} = {@code siblings[N]} under {@code root}. */
    private static Path sysfs(Path root, String name, String... siblings) throws IOException {
        for (int cpu = 0; cpu < siblings.length; cpu++) {
            if (siblings[cpu] != null) {
                Path topology = Files.createDirectories(root.resolve("cpu" + cpu).resolve("topology"));
                Files.writeString(topology.resolve(name), siblings[cpu] + "\n");
            }
        }
        return root;
    }

    /**
     * Eight hardware threads, two a core (Linux numbers a core's second thread n/2 further on):
     * cores counted among the CPUs offered, from either file name; an unreadable CPU, unknown.
     */
    @Test
    void physicalCoresAreTheDistinctSiblingSetsOfTheCpusOffered(@TempDir Path dir) throws IOException {
        Path smt = sysfs(dir.resolve("smt"), "core_cpus_list",
                "0,4", "1,5", "2,6", "3,7", "0,4", "1,5", "2,6", "3,7");
        assertEquals(4, OnnxSentenceEncoder.physicalCores(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, smt));
        assertEquals(1, OnnxSentenceEncoder.physicalCores(new int[] {0, 4}, smt));
        assertEquals(2, OnnxSentenceEncoder.physicalCores(new int[] {0, 1}, smt));
        assertEquals(3, OnnxSentenceEncoder.physicalCores(new int[] {0, 1, 6, 2}, smt));
        assertEquals(-1, OnnxSentenceEncoder.physicalCores(new int[] {0, 8}, smt), "cpu8 unknown");
        assertEquals(-1, OnnxSentenceEncoder.physicalCores(new int[0], smt));

        Path old = sysfs(dir.resolve("old"), "thread_siblings_list", "0-1", "0-1", "2-3", "2-3");
        assertEquals(2, OnnxSentenceEncoder.physicalCores(new int[] {0, 1, 2, 3}, old));
        Path bad = sysfs(dir.resolve("bad"), "core_cpus_list", "0", "garbage");
        assertEquals(-1, OnnxSentenceEncoder.physicalCores(new int[] {0, 1}, bad));

        // The whole chain on the fake tree: a quota of 6 of these 8 threads runs 4 threads.
        int cores = OnnxSentenceEncoder.physicalCores(OnnxSentenceEncoder.cpuList("0-7"), smt);
        assertEquals(4, OnnxSentenceEncoder.intraOpThreads(0, 6, 8, cores));
    }

    @Test
    void thisMachinesCoresAreAtMostItsCpus() {
        int cpus = OnnxSentenceEncoder.affinityCpus();
        int cores = OnnxSentenceEncoder.affinityCores();
        assertTrue(cpus == -1 ? cores == -1 : cores == -1 || (cores >= 1 && cores <= cpus),
                cores + " cores of " + cpus + " CPUs");
    }
}
