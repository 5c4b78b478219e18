package io.synalign.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's peak resident memory, as the kernel counts it ({@code VmHWM} in
 * {@code /proc/self/status}: heap, off-heap buffers, native libraries, mapped pages touched), so
 * a run can report what it actually used beside the plan it stated. Linux only; -1 elsewhere.
 */
final class PeakMemory {

    private PeakMemory() {
    }

    /** Peak resident set size in bytes, or -1 when it cannot be read. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or no procfs: unknown
        }
        return -1;
    }
}
