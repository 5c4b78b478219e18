package io.synalign.engine;

import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.List;

/**
 * The backends the engine's tests run on: always {@code reference} (the double-precision oracle),
 * first, plus every other provider on the class path that can run here (the ND4J backend on its
 * CPU path, {@code nd4j-portable} = the same backend on its portable path
 * ({@link PortableNd4jTestProvider}), a device backend where one is present), so every algorithm
 * test covers them without edits.
 */
public final class AvailableBackends {

    /** The backend whose arithmetic is double precision. */
    public static final String REFERENCE = "reference";

    private AvailableBackends() {
    }

    /** Names of the backends to run, {@value #REFERENCE} first. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(REFERENCE);
        for (KernelBackendProvider p : KernelBackends.providers()) {
            if (!p.name().equals(REFERENCE) && p.unavailableReason().isEmpty()) {
                names.add(p.name());
            }
        }
        return names;
    }
}
