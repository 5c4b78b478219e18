package io.synalign.cli;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * JavaCPP's two caps, set from the memory the process runs in before any JavaCPP class reads
 * them: {@code org.bytedeco.javacpp.maxbytes} (its off-heap allocations) {@value #MAX_PERCENT} %
 * of that memory and {@code org.bytedeco.javacpp.maxphysicalbytes} (the resident set, past which
 * JavaCPP refuses an allocation with an error instead of the kernel killing the process)
 * {@value #PHYSICAL_PERCENT} %. A cap given on the command line is kept.
 *
 * <p>Why not JavaCPP's own "%" (of the heap), as the launcher gave them until session 28: the
 * launcher's heap is a third of the memory, but capped at HotSpot's compressed-pointer limit
 * (about 30 GiB, {@code -XX:+UseCompressedOops}), so on a 256 GiB server the heap-relative caps
 * came to 30 and 81 GiB, leaving two thirds of the machine to nothing; from memory they are 84
 * and 230 GiB there, and on a machine of 90 GiB or less the same as before (the heap is a third
 * of the memory there, so "100 %" and "270 %" of it were 33 and 90 % of the memory).
 *
 * <p>The memory is the JVM's own figure for its heap ergonomics: {@code -XX:MaxRAM} where it is
 * given, else the machine's memory or the container's limit ({@code getTotalMemorySize}, which
 * reads cgroup v1 and v2 limits). Cost: two JMX reads, once, at start.
 */
final class OffHeapCaps {

    static final String MAX_BYTES = "org.bytedeco.javacpp.maxbytes";
    static final String MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxphysicalbytes";
    /** JavaCPP's off-heap cap, percent of the memory: the heap's share, as before. */
    static final int MAX_PERCENT = 33;
    /** JavaCPP's resident-set cap, percent of the memory: the rest for the JVM and libraries. */
    static final int PHYSICAL_PERCENT = 90;

    private OffHeapCaps() {
    }

    /**
     * Sets each cap not given as a system property. Must run before JavaCPP's {@code Pointer}
     * class is initialised (it reads the properties once); {@link SynAlignCommand#main} calls it
     * first. Does nothing where the memory cannot be read.
     */
    static void applyDefaults() {
        long memory = memoryBytes();
        if (memory <= 0) {
            return;
        }
        if (System.getProperty(MAX_BYTES) == null) {
            System.setProperty(MAX_BYTES, Long.toString(memory / 100 * MAX_PERCENT));
        }
        if (System.getProperty(MAX_PHYSICAL_BYTES) == null) {
            System.setProperty(MAX_PHYSICAL_BYTES,
                    Long.toString(memory / 100 * PHYSICAL_PERCENT));
        }
    }

    /**
     * The memory the JVM sizes its heap from, bytes; 0 where it cannot be read. Never throws: it
     * runs before the locale check, and under an ASCII locale in a working directory the locale
     * cannot name the management classes fail to initialise (their file permission resolves
     * {@code user.dir}); the caps are then left to JavaCPP and the check refuses the directory
     * with its one line (exit 2), as {@code LocaleCharsetTest} holds.
     */
    static long memoryBytes() {
        try {
            return readMemoryBytes();
        } catch (RuntimeException | LinkageError e) {
            return 0;
        }
    }

    private static long readMemoryBytes() {
        try {
            VMOption maxRam = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxRAM");
            if (maxRam.getOrigin() != VMOption.Origin.DEFAULT) {
                // HotSpot sizes the heap from an explicit MaxRAM alone, not the smaller of it
                // and the machine's memory.
                return Long.parseLong(maxRam.getValue());
            }
        } catch (RuntimeException e) {
            // Not HotSpot, or no such option: the machine's figure below.
        }
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean memory) {
            return Math.max(0, memory.getTotalMemorySize());
        }
        return 0;
    }
}
