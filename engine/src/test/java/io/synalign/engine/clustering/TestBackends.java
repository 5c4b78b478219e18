package io.synalign.engine.clustering;

import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelBackends;
import java.util.ArrayList;
import java.util.List;

/**
 * The backends these tests run on: always {@code reference} (the double-precision oracle), plus
 * every other provider on the class path that can run here (the ND4J CPU backend once merged, a
 * device backend later), so the tests cover them without edits.
 */
final class TestBackends {

    /** The backend whose arithmetic is double precision: its results must match exactly. */
    static final String EXACT = "reference";

    private TestBackends() {
    }

    /** Names of the backends to run, {@value #EXACT} first. */
    static List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(EXACT);
        for (KernelBackendProvider p : KernelBackends.providers()) {
            if (!p.name().equals(EXACT) && p.unavailableReason().isEmpty()) {
                names.add(p.name());
            }
        }
        return names;
    }
}
