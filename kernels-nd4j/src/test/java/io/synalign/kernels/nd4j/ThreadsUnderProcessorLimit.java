package io.synalign.kernels.nd4j;

import io.synalign.kernels.KernelBackend;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run by {@link ProcessorLimitTest} in a child JVM: creates the nd4j backend and prints the
 * thread counts it then runs at, one {@code key=value} per line.
 */
final class ThreadsUnderProcessorLimit {

    private ThreadsUnderProcessorLimit() {
    }

    public static void main(String[] args) {
        try (KernelBackend backend = new Nd4jBackendProvider().create()) {
            System.out.println("processors=" + Runtime.getRuntime().availableProcessors());
            System.out.println("workers=" + PinnedWorkers.count());
            System.out.println("blas=" + BlasThreadCount.get());
            System.out.println("master=" + Nd4j.getEnvironment().maxMasterThreads());
        }
    }
}
