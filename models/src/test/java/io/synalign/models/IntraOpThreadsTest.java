package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's intra-op threads under a container's CPU limit or a narrowed CPU affinity: the
 * rule (the configured count; where the process may use the whole machine and the JVM all of
 * it, ONNX Runtime's default; else the JVM's count capped at the physical cores of the CPUs the
 * process may run on), on machines described by fake sysfs trees, the kernel's CPU-list format
 * it reads the affinity from, and the cores counted.
 */
class IntraOpThreadsTest {

    /** A machine of {@code cpus} hardware threads, two a core (CPU n and n + cpus/2 share one). */
    private static Path smt(Path root, int cpus) throws IOException {
        String[] siblings = new String[cpus];
        for (int cpu = 0; cpu < cpus; cpu++) {
            int first = cpu % (cpus / 2);
            siblings[cpu] = first + "," + (first + cpus / 2);
        }
        return sysfs(root, "core_cpus_list", siblings);
    }

    /** The rule on a described machine: the JVM's count, the affinity and CPUs online as lists. */
    private static int threads(int configured, int jvm, String allowed, String online, Path sys) {
        return OnnxSentenceEncoder.intraOpThreads(configured, new OnnxSentenceEncoder.CpuTopology(jvm,
                allowed == null ? null : OnnxSentenceEncoder.cpuList(allowed),
                online == null ? null : OnnxSentenceEncoder.cpuList(online), sys));
    }

    @Test
    void aCpuLimitBelowTheAffinityCapsTheThreads(@TempDir Path dir) throws IOException {
        Path host = smt(dir.resolve("host"), 64);
        assertEquals(4, threads(0, 4, "0-63", "0-63", host));
        assertEquals(0, threads(0, 64, "0-63", "0-63", host), "no limit: ORT's default");
        assertEquals(0, threads(0, 4, null, "0-63", host), "affinity unknown");
        assertEquals(8, threads(8, 4, "0-63", "0-63", host), "configured wins");
        assertEquals(8, threads(8, 1, "0", "0-63", host), "configured wins over the affinity");
        assertEquals(1, threads(0, 0, "0,32", "0-63", host));
        assertEquals(4, threads(0, 4, "0-63", "0-63", dir.resolve("none")), "cores unknown: the JVM's");
    }

    /**
     * A quota above the physical cores (48 CPUs of 64 hardware threads, 32 cores): ONNX
     * Runtime's own default is one thread per core, so the quota's 48 would run more threads
     * than it does with no quota at all.
     */
    @Test
    void aQuotaAboveThePhysicalCoresIsCappedAtThem(@TempDir Path dir) throws IOException {
        Path host = smt(dir.resolve("host"), 64);
        assertEquals(32, threads(0, 48, "0-63", "0-63", host));
        assertEquals(32, threads(0, 33, "0-63", "0-63", host));
        assertEquals(31, threads(0, 31, "0-63", "0-63", host));
        Path one = smt(dir.resolve("one"), 4);
        assertEquals(2, threads(0, 3, "0-3", "0-3", one), "two cores of 2 threads");
    }

    /**
     * A CPU affinity narrower than the machine ({@code taskset}), where the JVM's count equals
     * the affinity: ONNX Runtime's default counts the machine's cores and pins a worker to each,
     * so under {@code taskset -c 0} on 2 cores it ran a worker on CPU 1. The old rule, which
     * compared the JVM's count with the affinity only, left that default (0) in every case
     * here but the whole machine's.
     */
    @Test
    void aNarrowedAffinityIsFollowed(@TempDir Path dir) throws IOException {
        Path two = sysfs(dir.resolve("two"), "core_cpus_list", "0", "1");
        assertEquals(1, threads(0, 1, "0", "0-1", two), "taskset -c 0 on 2 cores of 1 thread");
        assertEquals(1, threads(0, 1, "1", "0-1", two), "taskset -c 1");
        assertEquals(0, threads(0, 2, "0-1", "0-1", two), "the whole machine: ORT's default");

        Path host = smt(dir.resolve("host"), 64);
        assertEquals(32, threads(0, 32, "0-31", "0-63", host), "one thread of each of the 32 cores");
        assertEquals(1, threads(0, 2, "0,32", "0-63", host), "both threads of one core");
        assertEquals(3, threads(0, 6, "0-2,32-34", "0-63", host), "both threads of 3 cores");
        assertEquals(2, threads(0, 2, "0-1", "0-63", dir.resolve("none")), "cores unknown: the JVM's");
        assertEquals(0, threads(0, 32, "0-31", null, host),
                "CPUs online unknown: as before, the default unless a quota is below the affinity");
        assertEquals(2, threads(0, 2, "0-31", null, host), "a quota below the affinity, online unknown");
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
        int here = OnnxSentenceEncoder.CpuTopology.current().affinityCpus();
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
        assertEquals(4, threads(0, 6, "0-7", "0-7", smt));
    }

    @Test
    void thisMachinesCoresAreAtMostItsCpus() {
        int cpus = OnnxSentenceEncoder.CpuTopology.current().affinityCpus();
        int cores = OnnxSentenceEncoder.CpuTopology.current().affinityCores();
        assertTrue(cpus == -1 ? cores == -1 : cores == -1 || (cores >= 1 && cores <= cpus),
                cores + " cores of " + cpus + " CPUs");
    }

    /**
     * Never more threads than the CPUs they may run on, even where the JVM's count is larger
     * ({@code -XX:ActiveProcessorCount=8} under {@code taskset -c 0-1}) and the cores are
     * unknown. The old rule gave the JVM's 8.
     */
    @Test
    void neverMoreThreadsThanTheAllowedCpus(@TempDir Path dir) throws IOException {
        assertEquals(2, threads(0, 8, "0-1", "0-3", dir.resolve("none")));
        Path host = smt(dir.resolve("host"), 8);
        assertEquals(2, threads(0, 8, "0-1", "0-7", host), "two cores of one thread each here");
        for (int jvm = 0; jvm <= 16; jvm++) {
            int t = threads(0, jvm, "3", "0-7", host);
            assertEquals(1, t, "taskset -c 3, JVM count " + jvm);
        }
    }

    /**
     * An affinity mask that lists CPUs which are not online (a VM whose kernel may hot-add CPUs:
     * {@code Cpus_allowed_list} 0-127 with 0-3 online) is the whole machine: ONNX Runtime's
     * default, one pinned thread per core (here 2 cores of 2 threads). The old rule, comparing
     * counts, saw the JVM's 4 below the mask's 128 as a quota, ran 4 unpinned threads (the cores
     * of the offline CPUs unknown, so no cap): expected 0, was 4.
     */
    @Test
    void allowedCpusThatAreNotOnlineDoNotNarrowTheMachine(@TempDir Path dir) throws IOException {
        Path four = smt(dir.resolve("four"), 4);
        assertEquals(0, threads(0, 4, "0-127", "0-3", four));
        assertEquals(2, threads(0, 3, "0-127", "0-3", four), "a quota of 3: capped at the 2 cores");
        assertEquals(1, threads(0, 2, "0,2,4-127", "0-3", four), "both threads of core 0, and offline CPUs");
    }

    /**
     * The encoder run by a child JVM under {@code taskset -c CPU} (one CPU this process may use)
     * on a machine with more CPUs online: every thread of that JVM, ONNX Runtime's included,
     * stays on that CPU, and the encoder chose 1 intra-op thread. On the old code ONNX Runtime's
     * default ran a worker pinned to another CPU (this VM: "thread ... java 1" under
     * {@code taskset -c 0}).
     */
    @Test
    void anEncoderUnderTasksetKeepsEveryThreadOnItsCpu(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux"),
                "CPU affinity as Linux reports it");
        Path taskset = Stream.of("/usr/bin/taskset", "/bin/taskset", "/usr/local/bin/taskset")
                .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(taskset != null, "no taskset on this machine");
        OnnxSentenceEncoder.CpuTopology here = OnnxSentenceEncoder.CpuTopology.current();
        Assumptions.assumeTrue(here.allowedCpus() != null && here.onlineCpus() != null
                && here.onlineCpus().length >= 2, "a machine of 2 CPUs or more");
        int cpu = here.allowedCpus()[0];
        Path argfile = dir.resolve("cp.args");
        Files.writeString(argfile, "-cp \"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Process p = new ProcessBuilder(taskset.toString(), "-c", Integer.toString(cpu),
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:-UsePerfData", "@" + argfile, "-Djava.io.tmpdir=" + tmp,
                "-D" + OrtNativeLibraries.CACHE_PROPERTY + "=" + dir.resolve("cache"),
                EncodeThreadsMain.class.getName()).redirectErrorStream(true).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), printed);
        assertEquals(0, p.exitValue(), printed);
        List<String> threads = printed.lines().filter(l -> l.startsWith("thread ")).toList();
        assertTrue(threads.size() > 1, printed);
        List<String> outside = threads.stream()
                .filter(l -> !l.substring(l.lastIndexOf(' ') + 1).equals(Integer.toString(cpu))).toList();
        assertEquals(List.of(), outside, "threads allowed beyond CPU " + cpu + " under taskset -c " + cpu
                + ":\n" + printed);
        assertTrue(printed.lines().anyMatch(l -> l.equals("intraOpThreads 1")), printed);
    }
}
