package io.synalign.spark;

import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.SerializedBackend;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One kernel backend per executor JVM and backend name, created on first use and shared by all
 * tasks of that JVM. The host backends are thread-safe for the calls used here (the stateful
 * operators built from them belong to one partition each); a backend that is not (cuda: one
 * device state for every call) is shared through {@link SerializedBackend}, one call at a time.
 */
final class ExecutorBackends {

    private static final ConcurrentHashMap<String, KernelBackend> BACKENDS =
            new ConcurrentHashMap<>();

    private ExecutorBackends() {
    }

    /** The backend of this JVM for {@code name} (as {@link KernelBackends#create} takes it). */
    static KernelBackend get(String name) {
        return BACKENDS.computeIfAbsent(name,
                n -> SerializedBackend.wrap(KernelBackends.create(n)));
    }

    /**
     * Tests: makes {@code backend} this JVM's backend for {@code name} (a name no provider has,
     * so that no fit meant for another backend picks it up); local mode's executors share it.
     */
    static void putForTests(String name, KernelBackend backend) {
        BACKENDS.put(name, backend);
    }
}
