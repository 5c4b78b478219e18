package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The cuda properties are read once, into the validated {@link CudaSettings}, and the planners
 * (the device's flat-sum choice, the tile and staging sizes) use the record's values: a bad
 * value is refused by name when the settings are built, the value the record holds is the one
 * a plan uses, and a system property set after the settings were built changes no plan. Before
 * helper cuda35 the settings only checked {@code synalign.cuda.flatSums}, {@code maxTileBytes}
 * and {@code stagingChunkBytes}, and {@code CudaDevice}, {@code DeviceTiles} and
 * {@code PinnedPool} read them again from the system properties. No GPU: the planners are plain
 * Java over injected free-memory figures and driver answers.
 */
class CudaSettingsReadOnceTest {

    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;

    private static CudaSettings from(Map<String, String> values) {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/u");
        values.forEach(p::setProperty);
        return CudaSettings.from(p, Map.of());
    }

    @Test
    void aBadValueIsRefusedByNameWhenTheSettingsAreBuilt() {
        Map<String, String> bad = Map.of(
                CudaSettings.MAX_TILE_BYTES_PROPERTY, "1GiB",
                CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, "100",
                FlatSums.PROPERTY, "fp64");
        bad.forEach((property, value) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> from(Map.of(property, value)), property);
            assertTrue(e.getMessage().startsWith(property + " ")
                    && e.getMessage().contains("'" + value + "'"), e.getMessage());
        });
        // The record's own constructor holds the same bounds: a caller that builds the
        // settings directly cannot plan with a cap the properties would have refused.
        Path c = Path.of("/c");
        long tile = CudaSettings.DEFAULT_MAX_TILE_BYTES;
        long chunk = CudaSettings.DEFAULT_STAGING_CHUNK_BYTES;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CudaSettings(false, false, c, 0, tile + 8, chunk, null));
        assertTrue(e.getMessage().contains(CudaSettings.MAX_TILE_BYTES_PROPERTY)
                && e.getMessage().contains("'" + (tile + 8) + "'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new CudaSettings(false, false, c, 0, tile, 4100, null));
        assertTrue(e.getMessage().contains(CudaSettings.STAGING_CHUNK_BYTES_PROPERTY)
                && e.getMessage().contains("'4100'"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new CudaSettings(false, false, c, 0, 0, chunk, null));
    }

    @Test
    void thePlannersUseTheValuesTheRecordHolds() {
        CudaSettings s = from(Map.of(
                CudaSettings.MAX_TILE_BYTES_PROPERTY, Long.toString(MIB),
                CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, "65536",
                FlatSums.PROPERTY, "double"));
        assertEquals(MIB, s.maxTileBytes());
        assertEquals(65_536, s.stagingChunkBytes());
        assertEquals(FlatSums.DOUBLE, s.flatSums());
        // 70 GiB free would give a 1 GiB tile (13,312 rows of 80,000 B); the record caps it at
        // 1 MiB: 13 rows.
        assertEquals(13, DeviceTiles.tileRows(s, 70 * GIB, 200_000, 80_000));
        // Fused partials of 64 columns, 8 B a row: 131,072 rows in 1 MiB (the grid allows more).
        assertEquals(131_072, DeviceTiles.fusedTileRows(s, 70 * GIB, 10_000_000, 64));
        // A staged stream of 20 floats a row: one 64 KiB chunk is 819 rows, below the tile's.
        assertEquals(819, DeviceTiles.stagedTileRows(s, 70 * GIB, 100_000, 20));
        // The forced form wins over an L4's ratio of 64, and the log line says why.
        FlatSums.Choice flat = FlatSums.choose(s, 0, 64);
        assertEquals(FlatSums.DOUBLE, flat.form());
        assertEquals("flat tiles summed double (synalign.cuda.flatSums=double)", flat.toString());
        assertEquals(FlatSums.COMPENSATED,
                FlatSums.choose(from(Map.of(FlatSums.PROPERTY, "compensated")), 0, 2).form());

        // The defaults, for contrast: the same shapes without the diagnostics.
        CudaSettings d = from(Map.of());
        assertEquals(13_312, DeviceTiles.tileRows(d, 70 * GIB, 200_000, 80_000));
        assertEquals(65_535 * 64, DeviceTiles.fusedTileRows(d, 70 * GIB, 10_000_000, 64));
        // 64 MiB / 80 B = 838,860 rows, so the whole 100,000 rows are one staged tile.
        assertEquals(100_000, DeviceTiles.stagedTileRows(d, 70 * GIB, 100_000, 20));
        assertEquals(FlatSums.COMPENSATED, FlatSums.choose(d, 0, 64).form());
    }

    @Test
    void aPropertySetAfterTheSettingsWereBuiltChangesNoPlan() {
        String[] names = {CudaSettings.MAX_TILE_BYTES_PROPERTY,
            CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, FlatSums.PROPERTY};
        Map<String, String> saved = new HashMap<>();
        for (String n : names) {
            saved.put(n, System.getProperty(n));
        }
        try {
            for (String n : names) {
                System.clearProperty(n);
            }
            CudaSettings unset = CudaSettings.fromSystem();
            System.setProperty(CudaSettings.MAX_TILE_BYTES_PROPERTY, Long.toString(MIB));
            System.setProperty(CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, "65536");
            System.setProperty(FlatSums.PROPERTY, "double");
            CudaSettings set = CudaSettings.fromSystem();
            // Changed after both were built, to values that would each change a plan.
            System.setProperty(CudaSettings.MAX_TILE_BYTES_PROPERTY, "4096");
            System.setProperty(CudaSettings.STAGING_CHUNK_BYTES_PROPERTY, "4096");
            System.setProperty(FlatSums.PROPERTY, "compensated");

            assertEquals(FlatSums.COMPENSATED, FlatSums.choose(unset, 0, 64).form(),
                    "auto settings, ratio 64");
            assertEquals(FlatSums.DOUBLE, FlatSums.choose(unset, 0, 2).form(),
                    "auto settings, ratio 2");
            assertEquals(FlatSums.DOUBLE, FlatSums.choose(set, 0, 64).form(),
                    "settings built with flatSums=double, ratio 64");
            assertEquals(13_312, DeviceTiles.tileRows(unset, 70 * GIB, 200_000, 80_000));
            assertEquals(13, DeviceTiles.tileRows(set, 70 * GIB, 200_000, 80_000));
            assertEquals(100_000, DeviceTiles.stagedTileRows(unset, 70 * GIB, 100_000, 20));
            assertEquals(819, DeviceTiles.stagedTileRows(set, 70 * GIB, 100_000, 20));
            assertEquals(CudaSettings.DEFAULT_STAGING_CHUNK_BYTES, unset.stagingChunkBytes());
        } finally {
            saved.forEach((n, v) -> {
                if (v == null) {
                    System.clearProperty(n);
                } else {
                    System.setProperty(n, v);
                }
            });
        }
    }
}
