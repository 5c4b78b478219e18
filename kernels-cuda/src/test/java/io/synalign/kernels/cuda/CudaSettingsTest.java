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
                () -> new CudaSettings(false, false, Path.of("/c"), -1,
                        CudaSettings.DEFAULT_MAX_TILE_BYTES,
                        CudaSettings.DEFAULT_STAGING_CHUNK_BYTES, null));
    }

    @Test
    void theTileDiagnosticsOnlyLowerTheDefaults() {
        Properties p = new Properties();
        String tile = CudaSettings.MAX_TILE_BYTES_PROPERTY;
        assertEquals(1L << 30, CudaSettings.diagnosticBytes(p, tile, 1L << 30));
        p.setProperty(tile, " 1048576 ");
        assertEquals(1L << 20, CudaSettings.diagnosticBytes(p, tile, 1L << 30));
        p.setProperty(tile, "4096");
        assertEquals(4096, CudaSettings.diagnosticBytes(p, tile, 1L << 30));
        for (String bad : new String[] {"4088", "4100", "2147483648", "-8", "1MiB", "1e6"}) {
            p.setProperty(tile, bad);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CudaSettings.diagnosticBytes(p, tile, 1L << 30), bad);
            assertTrue(e.getMessage().contains(tile) && e.getMessage().contains("'" + bad + "'"),
                    e.getMessage());
        }
        // from() reads and checks both, so that a bad value fails as a setting, by name.
        Properties q = new Properties();
        q.setProperty(CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, "100");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CudaSettings.from(q, Map.of()));
        assertTrue(e.getMessage().contains(CudaSettings.STAGING_CHUNK_BYTES_PROPERTY),
                e.getMessage());
        // Neither set: the settings carry the defaults.
        CudaSettings s = CudaSettings.from(new Properties(), Map.of());
        assertEquals(CudaSettings.DEFAULT_MAX_TILE_BYTES, s.maxTileBytes());
        assertEquals(CudaSettings.DEFAULT_STAGING_CHUNK_BYTES, s.stagingChunkBytes());
    }
}
