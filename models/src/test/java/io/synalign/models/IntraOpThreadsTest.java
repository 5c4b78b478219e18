package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime's intra-op threads under a container's CPU limit: the rule (the configured
 * count; the JVM's count where it is below the CPUs the process may run on; else ONNX Runtime's
 * default) and the kernel's CPU-list format it reads the affinity from.
 */
class IntraOpThreadsTest {

    @Test
    void aCpuLimitBelowTheAffinityCapsTheThreads() {
        assertEquals(4, OnnxSentenceEncoder.intraOpThreads(0, 4, 64));
        assertEquals(0, OnnxSentenceEncoder.intraOpThreads(0, 64, 64), "no limit: ORT's default");
        assertEquals(0, OnnxSentenceEncoder.intraOpThreads(0, 4, -1), "affinity unknown");
        assertEquals(8, OnnxSentenceEncoder.intraOpThreads(8, 4, 64), "configured wins");
        assertEquals(1, OnnxSentenceEncoder.intraOpThreads(0, 0, 2));
    }

    @Test
    void cpuListsAreCounted() {
        assertEquals(1, OnnxSentenceEncoder.cpuListSize("0"));
        assertEquals(4, OnnxSentenceEncoder.cpuListSize("0-3"));
        assertEquals(7, OnnxSentenceEncoder.cpuListSize("0-3,8,10-11"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize("3-1"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize("x"));
        assertEquals(-1, OnnxSentenceEncoder.cpuListSize(""));
        int here = OnnxSentenceEncoder.affinityCpus();
        assertTrue(here == -1 || here >= Runtime.getRuntime().availableProcessors(),
                "this process's affinity " + here + " below the JVM's count "
                        + Runtime.getRuntime().availableProcessors());
    }
}
