package io.synalign.kernels.reference;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import java.util.Optional;

/** Always available; the lowest priority, so {@code auto} falls back to it last. */
public final class ReferenceBackendProvider implements KernelBackendProvider {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public KernelBackend create() {
        return new ReferenceBackend();
    }
}
