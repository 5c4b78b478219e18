package io.synalign.kernels.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nd4j backend's budgets under the memory the process runs in ({@link HostMemoryHeadroom}):
 * the arithmetic on given figures, and a child JVM whose JavaCPP cap on the resident set is
 * 600 MiB (a stand-in for a container's limit, which the JDK reads the same way into the same
 * minimum; fixed when JavaCPP loads, hence the child), where a 2 GiB budget must come down to
 * half of what is left and say why, while an uncapped JVM on this machine keeps 2 GiB.
 */
class HostMemoryHeadroomTest {

    private static final long MIB = 1L << 20;

    @Test
    void halfOfWhatIsLeftAndNeverNegative() {
        assertEquals(300 * MIB, HostMemoryHeadroom.keepable(768 * MIB, 168 * MIB));
        assertEquals(0, HostMemoryHeadroom.keepable(768 * MIB, 900 * MIB));
        assertEquals((Long.MAX_VALUE - 1) / 2, HostMemoryHeadroom.keepable(Long.MAX_VALUE, 1));
        assertEquals("half of the 600.0 MiB this process may still take: it runs in 768.0 MiB"
                + " and holds 168.0 MiB", HostMemoryHeadroom.describe(768 * MIB, 168 * MIB));
        assertEquals("half of the 22.5 GiB this process may still take: it runs in 24.0 GiB and"
                + " holds 1.5 GiB", HostMemoryHeadroom.describe(24L << 30, 1536 * MIB));
    }

    @Test
    void threeQuartersOfJavaCppsRemainingAllowance() {
        assertEquals(300 * MIB, HostMemoryHeadroom.offHeapKeepable(500 * MIB, 100 * MIB));
        assertEquals(0, HostMemoryHeadroom.offHeapKeepable(500 * MIB, 600 * MIB));
        assertEquals(Long.MAX_VALUE, HostMemoryHeadroom.offHeapKeepable(0, 100 * MIB),
                "no cap: unbounded");
        assertEquals("three quarters of the 400.0 MiB JavaCPP may still allocate off-heap:"
                + " org.bytedeco.javacpp.maxbytes is 500.0 MiB, 100.0 MiB allocated",
                HostMemoryHeadroom.describeOffHeap(500 * MIB, 100 * MIB));
    }

    /**
     * JavaCPP refuses its allocations past {@code maxbytes} whatever the memory left: in a
     * 1,400 MiB container (the launcher's maxbytes then 446 MiB) the plan kept a 489 MiB K_SS
     * within half the headroom, 533 MiB, and JavaCPP refused it (exit 1). A child JVM with
     * plenty of resident room (8 GiB) and maxbytes 600 MiB: the 2 GiB budget comes down to three
     * quarters of what JavaCPP may still allocate, with that reason (2 GiB on the old code).
     */
    @Test
    void aCapOnJavaCppsAllocationsLowersTheResidentBudgetAndSaysWhy(@TempDir Path dir)
            throws IOException, InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(HostMemoryHeadroom.limitBytes() > (6L << 30),
                "this machine has less than 6 GiB");
        long max = 600 * MIB;
        Map<String, String> out = parse(ChildJvm.run(dir, BudgetUnderPhysicalCap.class,
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=8g",
                "-Dorg.bytedeco.javacpp.maxbytes=" + max));
        assertEquals(max, Long.parseLong(out.get("maxBytes")));
        long budget = Long.parseLong(out.get("budget"));
        long usedBefore = Long.parseLong(out.get("usedBefore"));
        long usedAfter = Long.parseLong(out.get("usedAfter"));
        assertTrue(budget >= (max - usedAfter) / 4 * 3 && budget <= (max - usedBefore) / 4 * 3,
                "budget " + budget + " outside [" + (max - usedAfter) / 4 * 3 + ", "
                        + (max - usedBefore) / 4 * 3 + "]");
        String reason = out.get("reason");
        assertTrue(reason.startsWith("three quarters of the ") && reason.contains(
                "JavaCPP may still allocate off-heap: org.bytedeco.javacpp.maxbytes is 600.0 MiB"),
                reason);
    }

    /**
     * This JVM's own figures (the child JVMs below are not what a mutation run changes): a limit
     * that is positive and above what the process holds, at most the machine's memory and
     * JavaCPP's resident cap; a resident set that is positive.
     */
    @Test
    void theLimitAndTheResidentSetAreThisProcesssOwn() {
        long limit = HostMemoryHeadroom.limitBytes();
        long held = HostMemoryHeadroom.heldBytes();
        assertTrue(held > 0, "resident set " + held);
        assertTrue(limit > held, "limit " + limit + " at or below the resident set " + held);
        long cap = org.bytedeco.javacpp.Pointer.maxPhysicalBytes();
        assertTrue(cap <= 0 || limit <= cap, "limit " + limit + " above JavaCPP's cap " + cap);
        long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management
                .ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        assertTrue(limit <= total, "limit " + limit + " above the machine's " + total);
        assertEquals(Math.min(total, cap > 0 ? cap : Long.MAX_VALUE), limit);
    }

    @Test
    void aCapOnTheResidentSetLowersTheBudgetsAndSaysWhy(@TempDir Path dir)
            throws IOException, InterruptedException {
        long cap = 600 * MIB;
        Map<String, String> out = parse(ChildJvm.run(dir, BudgetUnderPhysicalCap.class,
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=" + cap,
                "-Dorg.bytedeco.javacpp.maxbytes=4g"));
        assertEquals(cap, Long.parseLong(out.get("cap")));
        long budget = Long.parseLong(out.get("budget"));
        long before = Long.parseLong(out.get("before"));
        long after = Long.parseLong(out.get("after"));
        // Half of the cap less the resident set, read between the two reads around it.
        assertTrue(budget >= (cap - after) / 2 && budget <= (cap - before) / 2,
                "budget " + budget + " outside [" + (cap - after) / 2 + ", " + (cap - before) / 2
                        + "]");
        assertTrue(budget < (2L << 30) && budget > 0, "budget " + budget);
        String reason = out.get("reason");
        assertTrue(reason.startsWith("half of the ") && reason.contains(
                "this process may still take: it runs in 600.0 MiB and holds "), reason);
        long features = Long.parseLong(out.get("features"));
        assertTrue(features <= (cap - before) / 2, "feature budget " + features
                + " beyond half of what is left");
    }

    @Test
    void withRoomToSpareTheBudgetIsTheCallersAndNoReasonIsGiven(@TempDir Path dir)
            throws IOException, InterruptedException {
        long limit = HostMemoryHeadroom.limitBytes();
        long held = HostMemoryHeadroom.heldBytes();
        org.junit.jupiter.api.Assumptions.assumeTrue(HostMemoryHeadroom.keepable(limit, held)
                > (1L << 30), "this machine has less than 2 GiB to spare");
        try (Nd4jBackend backend = (Nd4jBackend) new Nd4jBackendProvider().create()) {
            assertEquals(1L << 30, backend.residentBudgetBytes(1L << 30));
            assertNull(backend.residentBudgetReason());
        }
    }

    private static Map<String, String> parse(String output) {
        Map<String, String> values = new HashMap<>();
        for (String line : output.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.indexOf(' ') < 0 || line.startsWith("reason=")) {
                values.put(line.substring(0, eq), line.substring(eq + 1).trim());
            }
        }
        for (String key : new String[] {"cap", "before", "after", "budget", "features",
                "reason"}) {
            assertTrue(values.containsKey(key), "no " + key + " in the child's output: " + output);
        }
        return values;
    }
}
