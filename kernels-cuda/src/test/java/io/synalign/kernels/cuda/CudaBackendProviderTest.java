package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.BackendUnavailableException;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.nd4j.Nd4jBackendProvider;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Discovery and the no-device path: the provider reports why, and selection honours it. */
class CudaBackendProviderTest {

    private final CudaBackendProvider provider = new CudaBackendProvider();

    @Test
    void isDiscoveredAndOutranksTheCpuBackend() {
        assertTrue(KernelBackends.names().contains("cuda"), KernelBackends.names().toString());
        assertEquals("cuda", KernelBackends.providers().get(0).name());
        assertTrue(provider.priority() > new Nd4jBackendProvider().priority());
        assertSame(provider.unavailableReason(), new CudaBackendProvider().unavailableReason(),
                "one probe per JVM");
    }

    @Test
    void withoutADeviceAutoFallsBackAndAnExplicitRequestFailsWithTheReason() {
        Optional<String> reason = provider.unavailableReason();
        Assumptions.assumeTrue(reason.isPresent(), "a CUDA device is present here");
        System.out.println("[CudaBackendProviderTest] cuda unavailable: " + reason.get());
        assertFalse(reason.get().isBlank());
        assertFalse(reason.get().contains("\n"), "one line: " + reason.get());
        try (KernelBackend auto = KernelBackends.create("auto")) {
            assertNotEquals("cuda", auto.name());
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> KernelBackends.create("cuda"));
        assertTrue(e.getMessage().contains(reason.get()), e.getMessage());
        assertThrows(BackendUnavailableException.class, provider::create);
    }

    @Test
    void oneLineKeepsTheInnermostCauseShort() {
        Throwable t = new RuntimeException("outer", new UnsatisfiedLinkError("libcuda.so.1:\n"
                + "cannot open " + "x".repeat(400)));
        String line = CudaBackendProvider.oneLine(t);
        assertTrue(line.startsWith("UnsatisfiedLinkError: libcuda.so.1: cannot open"), line);
        assertEquals(300, line.length());
        assertTrue(line.endsWith("..."));
    }
}
