package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CudaSettingsTest {

    @Test
    void defaultsAreFp32UnfusedDeviceZeroAndTheUserCache() {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/u");
        CudaSettings s = CudaSettings.from(p, Map.of());
        assertFalse(s.tf32());
        assertFalse(s.fusedKernel());
        assertEquals(0, s.device());
        assertEquals(Path.of("/home/u/.cache/synalign/cuda"), s.cacheDir());
        assertEquals(Path.of("/x/synalign/cuda"),
                CudaSettings.from(p, Map.of("XDG_CACHE_HOME", "/x")).cacheDir());
    }

    @Test
    void propertiesWinOverTheEnvironment() {
        Properties p = new Properties();
        p.setProperty("synalign.cuda.tf32", "true");
        p.setProperty("synalign.cuda.cacheDir", "/c");
        CudaSettings s = CudaSettings.from(p, Map.of("SYNALIGN_CUDA_TF32", "0",
                "SYNALIGN_CUDA_FUSED", "yes", "SYNALIGN_CUDA_DEVICE", "2"));
        assertTrue(s.tf32());
        assertTrue(s.fusedKernel());
        assertEquals(2, s.device());
        assertEquals(Path.of("/c"), s.cacheDir());
    }

    @Test
    void badValuesNameThemselves() {
        Properties p = new Properties();
        p.setProperty("synalign.cuda.tf32", "maybe");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaSettings.from(p, Map.of()));
        assertTrue(e.getMessage().contains("maybe"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> CudaSettings.from(new Properties(), Map.of("SYNALIGN_CUDA_DEVICE", "x")));
        assertThrows(IllegalArgumentException.class,
                () -> new CudaSettings(false, false, Path.of("/c"), -1));
    }
}
