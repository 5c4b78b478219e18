package io.synalign.spark;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One kernel backend per executor JVM and backend name, created on first use and shared by all
 * tasks of that JVM (backends are thread-safe for the stateless calls used here; the stateful
 * operators built from them belong to one partition each).
 */
final class ExecutorBackends {

    private static final ConcurrentHashMap<String, KernelBackend> BACKENDS =
            new ConcurrentHashMap<>();

    private ExecutorBackends() {
    }

    /** The backend of this JVM for {@code name} (as {@link KernelBackends#create} takes it). */
    static KernelBackend get(String name) {
        return BACKENDS.computeIfAbsent(name, KernelBackends::create);
    }
}
