package io.synalign.engine.clustering;

import io.synalign.engine.AvailableBackends;
import java.util.List;

/** The backends these tests run on; see {@link AvailableBackends}. */
final class TestBackends {

    /** The backend whose arithmetic is double precision: its results must match exactly. */
    static final String EXACT = AvailableBackends.REFERENCE;

    private TestBackends() {
    }

    static List<String> names() {
        return AvailableBackends.names();
    }
}
