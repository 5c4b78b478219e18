package io.synalign.kernels.nd4j;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;

/**
 * How much more memory this process may take before the system stops it: the smaller of the
 * memory it runs in (the machine's, or its container's limit where one is set: the JDK's
 * {@code getTotalMemorySize} reads cgroup v1 and v2 limits) and JavaCPP's cap on the resident
 * set ({@code org.bytedeco.javacpp.maxphysicalbytes}, past which JavaCPP refuses allocations),
 * less what the process holds now (its resident set, {@link Pointer#physicalBytes}).
 *
 * <p>Why: the planner's budgets (2 GiB for a kept K_SS by default, JavaCPP's {@code maxbytes}
 * for kept random features) assumed a machine with room to spare. In a container limited to
 * 768 MiB, the 16,000-row benchmark's `align` kept its 489 MiB K_SS beside the JVM's 250 MiB
 * and the kernel killed it (exit 137, no message); told that it may keep only half of what is
 * left, the planner takes random features instead and the run ends (peak 278 MiB).
 *
 * <p>Cost: a JMX read and one read of {@code /proc/self/statm}, microseconds; asked at plan
 * time, not per product.
 */
final class HostMemoryHeadroom {

    private HostMemoryHeadroom() {
    }

    /** The memory this process runs in, bytes: see the class comment. */
    static long limitBytes() {
        long limit = Long.MAX_VALUE;
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean memory) {
            long total = memory.getTotalMemorySize();
            if (total > 0) {
                limit = total;
            }
        }
        long cap = Pointer.maxPhysicalBytes();
        return cap > 0 ? Math.min(limit, cap) : limit;
    }

    /** What the process holds now (its resident set), bytes. */
    static long heldBytes() {
        return Pointer.physicalBytes();
    }

    /** The share of the headroom a kept matrix (a kernel, random features) may take. */
    static long keepable(long limit, long held) {
        return Math.max(0, limit - held) / 2;
    }

    /**
     * The share of JavaCPP's remaining off-heap allowance ({@code org.bytedeco.javacpp.maxbytes}
     * {@code max} less the {@code used} bytes allocated now) a kept matrix may take: three
     * quarters, as for kept random features, the rest for the fit's vectors and product buffers.
     * A kept K_SS and the optimiser's working sets are JavaCPP allocations, which JavaCPP refuses
     * past {@code maxbytes} (the launcher's default: the heap's size, a third of the memory)
     * whatever the memory left: in a 1,400 MiB container the plan kept a 489 MiB K_SS within
     * half the headroom (533 MiB), and JavaCPP, capped at 446 MiB, refused it (exit 1). {@code
     * max <= 0} (no cap): unbounded.
     */
    static long offHeapKeepable(long max, long used) {
        return max <= 0 ? Long.MAX_VALUE : Math.max(0, max - used) / 4 * 3;
    }

    /** Why the off-heap allowance bounds a budget, for the plan's log line. */
    static String describeOffHeap(long max, long used) {
        return String.format(Locale.ROOT, "three quarters of the %s JavaCPP may still allocate"
                + " off-heap: org.bytedeco.javacpp.maxbytes is %s, %s allocated",
                human(Math.max(0, max - used)), human(max), human(used));
    }

    /**
     * Where {@code budget} is below {@code asked}: why, for the plan's log line ("half of the
     * 600.0 MiB this process may still take: it runs in 768.0 MiB and holds 168.0 MiB").
     */
    static String describe(long limit, long held) {
        return String.format(Locale.ROOT, "half of the %s this process may still take: it runs"
                + " in %s and holds %s", human(Math.max(0, limit - held)), human(limit),
                human(held));
    }

    static String human(long bytes) {
        double mib = bytes / (1024.0 * 1024.0);
        return mib >= 1024 ? String.format(Locale.ROOT, "%.1f GiB", mib / 1024)
                : String.format(Locale.ROOT, "%.1f MiB", mib);
    }
}
