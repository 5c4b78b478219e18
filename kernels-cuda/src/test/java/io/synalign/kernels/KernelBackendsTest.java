package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.cuda.CudaBackendProvider;
import io.synalign.kernels.nd4j.Nd4jBackendProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Backend discovery and selection by name. */
class KernelBackendsTest {

    @Test
    void autoPicksCudaWhereADeviceIsPresentElseNd4j() {
        assertTrue(new Nd4jBackendProvider().unavailableReason().isEmpty(),
                () -> "ND4J should load on the build machine: "
                        + new Nd4jBackendProvider().unavailableReason().orElse(""));
        String expected = new CudaBackendProvider().unavailableReason().isEmpty() ? "cuda"
                : "nd4j";
        try (KernelBackend backend = KernelBackends.create("auto")) {
            assertEquals(expected, backend.name());
        }
        try (KernelBackend backend = KernelBackends.create(null)) {
            assertEquals(expected, backend.name());
        }
    }

    @Test
    void autoSkipsAProviderThatFailsToStart() {
        KernelBackendProvider broken = new KernelBackendProvider() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public int priority() {
                return 1000;
            }

            @Override
            public java.util.Optional<String> unavailableReason() {
                return java.util.Optional.empty();
            }

            @Override
            public KernelBackend create() {
                throw new IllegalStateException("NVRTC failed: no builtins");
            }
        };
        KernelBackendProvider reference = KernelBackends.providers().stream()
                .filter(p -> p.name().equals("reference")).findFirst().orElseThrow();
        try (KernelBackend backend = KernelBackends.create("auto", List.of(broken, reference))) {
            assertEquals("reference", backend.name());
        }
        // asked for by name, the failure is the caller's to see, as an unavailable backend
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("broken", List.of(broken, reference)));
        assertTrue(e.getMessage().startsWith("backend 'broken' failed to start: ")
                && e.getMessage().contains("NVRTC"), e.getMessage());
    }

    @Test
    void providersAreOrderedByPriority() {
        List<String> names = KernelBackends.names();
        assertEquals(List.of("cuda", "nd4j", "reference"), names);
        Nd4jBackendProvider nd4j = new Nd4jBackendProvider();
        assertEquals("nd4j", nd4j.name());
        assertEquals(100, nd4j.priority());
    }

    @Test
    void namesAreMatchedCaseInsensitively() {
        try (KernelBackend backend = KernelBackends.create(" ND4J ")) {
            assertEquals("nd4j", backend.name());
        }
        try (KernelBackend backend = KernelBackends.create("reference")) {
            assertEquals("reference", backend.name());
        }
    }

    @Test
    void unknownNameFailsNamingItAndTheKnownBackends() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("nope"));
        String message = e.getMessage();
        assertTrue(message.contains("'nope'"), message);
        assertTrue(message.contains("nd4j") && message.contains("reference")
                && message.contains("auto"), message);
    }

    @Test
    void probeVerdictIsCached() {
        Nd4jBackendProvider a = new Nd4jBackendProvider();
        Nd4jBackendProvider b = new Nd4jBackendProvider();
        assertTrue(a.unavailableReason() == b.unavailableReason(), "one probe per JVM");
    }
}
