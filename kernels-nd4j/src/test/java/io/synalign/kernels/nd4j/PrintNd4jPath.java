package io.synalign.kernels.nd4j;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;

/** Run by {@link Nd4jPathTest} in a child JVM: prints the path {@code auto} gives the backend. */
final class PrintNd4jPath {

    private PrintNd4jPath() {
    }

    public static void main(String[] args) {
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            System.out.println("path=" + ((Nd4jBackend) backend).path() + " ("
                    + backend.description() + ")");
        }
    }
}
