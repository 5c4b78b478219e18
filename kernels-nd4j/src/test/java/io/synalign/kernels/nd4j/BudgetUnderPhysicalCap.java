package io.synalign.kernels.nd4j;

import io.synalign.kernels.KernelBackend;
import org.bytedeco.javacpp.Pointer;

/**
 * Run by {@link HostMemoryHeadroomTest} in a child JVM whose JavaCPP cap on the resident set
 * ({@code org.bytedeco.javacpp.maxphysicalbytes}) is the first argument's bytes: prints the
 * nd4j backend's resident budget for a 2 GiB host budget, its feature budget, the reason, and
 * the process's resident set and JavaCPP's allocated bytes read just before and after, and
 * JavaCPP's off-heap cap, one {@code key=value} per line.
 */
final class BudgetUnderPhysicalCap {

    private BudgetUnderPhysicalCap() {
    }

    public static void main(String[] args) {
        try (KernelBackend backend = new Nd4jBackendProvider().create()) {
            long usedBefore = Pointer.totalBytes();
            long before = Pointer.physicalBytes();
            long budget = backend.residentBudgetBytes(2L << 30);
            String reason = backend.residentBudgetReason();
            long features = backend.featureBudgetBytes();
            long after = Pointer.physicalBytes();
            long usedAfter = Pointer.totalBytes();
            System.out.println("maxBytes=" + Pointer.maxBytes());
            System.out.println("usedBefore=" + usedBefore);
            System.out.println("usedAfter=" + usedAfter);
            System.out.println("cap=" + Pointer.maxPhysicalBytes());
            System.out.println("before=" + before);
            System.out.println("after=" + after);
            System.out.println("budget=" + budget);
            System.out.println("features=" + features);
            System.out.println("reason=" + reason);
        }
    }
}
