package io.synalign.kernels.cuda;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Settings of the cuda backend, read from system properties (or the environment) once, when the
 * settings are built ({@link #fromSystem}), validated there, and then read from this record only:
 * the device, the tile and staging planners and the flat-sum rule take their values from the
 * instance they were given, never from {@code System.getProperty} (which a later
 * {@code System.setProperty} could change between the check and the use).
 * <ul>
 *   <li>{@code synalign.cuda.tf32} / {@code SYNALIGN_CUDA_TF32}: let cuBLAS use TF32 tensor cores
 *       ({@code CUBLAS_COMPUTE_32F_FAST_TF32}); off by default, because TF32 keeps 10 mantissa
 *       bits and the kernel values then miss the 1e-5 float32 accuracy every backend is held to.
 *   <li>{@code synalign.cuda.fused} / {@code SYNALIGN_CUDA_FUSED}: compute tiled K w with the
 *       single fused kernel ({@code rbf_fused_kw}) instead of cuBLAS GEMM plus the fused
 *       exp-and-row-sum epilogue; off by default.
 *   <li>{@code synalign.cuda.cacheDir} / {@code SYNALIGN_CUDA_CACHE}: where compiled modules are
 *       cached; default {@code $XDG_CACHE_HOME/synalign/cuda}, else {@code ~/.cache/synalign/cuda}.
 *   <li>{@code synalign.cuda.device} / {@code SYNALIGN_CUDA_DEVICE}: device ordinal, default 0.
 * </ul>
 * Three diagnostics, system properties only: {@code synalign.cuda.maxTileBytes} (largest device
 * tile, default 1 GiB: {@link #DEFAULT_MAX_TILE_BYTES}) and
 * {@code synalign.cuda.stagingChunkBytes} (largest pinned staging chunk, default 64 MiB:
 * {@link #DEFAULT_STAGING_CHUNK_BYTES}). Lowered, they make the multi-tile, multi-band and
 * multi-chunk paths run at test sizes on a GPU whose memory would give every test shape one tile
 * ({@code benchmarks/gpu/run-on-device.sh} runs the GPU tests a second time so); they never raise
 * the defaults. The third, {@code synalign.cuda.flatSums} ({@code auto}, {@code double} or
 * {@code compensated}), overrides how the kept triangle's product sums flat tiles
 * ({@link FlatSums}), to compare the two forms on one card.
 *
 * @param tf32 allow TF32 tensor-core GEMMs
 * @param fusedKernel use the single fused K w kernel for tiled products
 * @param cacheDir compiled-module cache folder
 * @param device device ordinal
 * @param maxTileBytes largest device tile in bytes ({@code synalign.cuda.maxTileBytes}): a
 *     multiple of 8 from 4096 to 1 GiB
 * @param stagingChunkBytes largest pinned staging chunk in bytes
 *     ({@code synalign.cuda.stagingChunkBytes}): a multiple of 8 from 4096 to 64 MiB
 * @param flatSums the flat-sum form forced by {@code synalign.cuda.flatSums}, or null for
 *     {@code auto} (the device's FP32 : FP64 ratio decides: {@link FlatSums})
 */
public record CudaSettings(boolean tf32, boolean fusedKernel, Path cacheDir, int device,
        long maxTileBytes, long stagingChunkBytes, FlatSums flatSums) {

    public CudaSettings {
        if (cacheDir == null) {
            throw new IllegalArgumentException("cacheDir must not be null");
        }
        if (device < 0) {
            throw new IllegalArgumentException("device must be >= 0, got " + device);
        }
        // The properties' bounds, so that settings built directly (a benchmark, a test) plan
        // within what the properties would have allowed, and the message names the property.
        checkDiagnosticBytes(MAX_TILE_BYTES_PROPERTY, maxTileBytes, DEFAULT_MAX_TILE_BYTES,
                Long.toString(maxTileBytes));
        checkDiagnosticBytes(STAGING_CHUNK_BYTES_PROPERTY, stagingChunkBytes,
                DEFAULT_STAGING_CHUNK_BYTES, Long.toString(stagingChunkBytes));
    }

    /** These settings with the fused K w kernel on or off, everything else as it is. */
    public CudaSettings withFusedKernel(boolean fused) {
        return new CudaSettings(tf32, fused, cacheDir, device, maxTileBytes, stagingChunkBytes,
                flatSums);
    }

    /**
     * The settings of this JVM: system properties first, then environment variables, read and
     * checked now, once; a property set afterwards changes no settings already built.
     */
    public static CudaSettings fromSystem() {
        return from(System.getProperties(), System.getenv());
    }

    static CudaSettings from(Properties props, Map<String, String> env) {
        boolean tf32 = flag(setting(props, env, "synalign.cuda.tf32", "SYNALIGN_CUDA_TF32"),
                "synalign.cuda.tf32");
        boolean fused = flag(setting(props, env, "synalign.cuda.fused", "SYNALIGN_CUDA_FUSED"),
                "synalign.cuda.fused");
        String dir = setting(props, env, "synalign.cuda.cacheDir", "SYNALIGN_CUDA_CACHE");
        Path cache;
        if (dir != null && !dir.isBlank()) {
            cache = Path.of(dir);
        } else {
            String xdg = env.get("XDG_CACHE_HOME");
            Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                    : Path.of(props.getProperty("user.home", "."), ".cache");
            cache = base.resolve("synalign").resolve("cuda");
        }
        String deviceText = setting(props, env, "synalign.cuda.device", "SYNALIGN_CUDA_DEVICE");
        int device = 0;
        if (deviceText != null && !deviceText.isBlank()) {
            try {
                device = Integer.parseInt(deviceText.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("synalign.cuda.device must be an integer, got '"
                        + deviceText + "'");
            }
        }
        // Read here, once, into the record: the planners use these values, not the properties.
        return new CudaSettings(tf32, fused, cache, device,
                diagnosticBytes(props, MAX_TILE_BYTES_PROPERTY, DEFAULT_MAX_TILE_BYTES),
                diagnosticBytes(props, STAGING_CHUNK_BYTES_PROPERTY, DEFAULT_STAGING_CHUNK_BYTES),
                FlatSums.parse(props.getProperty(FlatSums.PROPERTY)));
    }

    /** {@link #maxTileBytes} unless lowered: past 1 GiB a GEMM tile gains nothing. */
    static final long DEFAULT_MAX_TILE_BYTES = 1L << 30;

    /** {@link #stagingChunkBytes} unless lowered: enough to reach full PCIe/NVLink speed. */
    static final long DEFAULT_STAGING_CHUNK_BYTES = 64L << 20;

    /** System property that lowers {@link #maxTileBytes}. */
    static final String MAX_TILE_BYTES_PROPERTY = "synalign.cuda.maxTileBytes";

    /** System property that lowers {@link #stagingChunkBytes}. */
    static final String STAGING_CHUNK_BYTES_PROPERTY = "synalign.cuda.stagingChunkBytes";

    /** Smallest value of either diagnostic: a page of floats and doubles. */
    static final long MIN_DIAGNOSTIC_BYTES = 4096;

    /**
     * The diagnostic byte count {@code property}: {@code defaultBytes} when unset, else a whole
     * multiple of 8 in {@code [4096, defaultBytes]}.
     *
     * @throws IllegalArgumentException naming the property and the value otherwise
     */
    static long diagnosticBytes(Properties props, String property, long defaultBytes) {
        String v = props.getProperty(property);
        if (v == null || v.isBlank()) {
            return defaultBytes;
        }
        long bytes;
        try {
            bytes = Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            bytes = -1;
        }
        checkDiagnosticBytes(property, bytes, defaultBytes, v);
        return bytes;
    }

    /** Refuses {@code bytes} (given as {@code text}) unless a multiple of 8 in [4096, max]. */
    private static void checkDiagnosticBytes(String property, long bytes, long max, String text) {
        if (bytes < MIN_DIAGNOSTIC_BYTES || bytes > max || bytes % 8 != 0) {
            throw new IllegalArgumentException(property + " must be a multiple of 8 bytes from "
                    + MIN_DIAGNOSTIC_BYTES + " to " + max + ", got '" + text + "'");
        }
    }

    private static String setting(Properties props, Map<String, String> env, String property,
            String variable) {
        String v = props.getProperty(property);
        return v != null ? v : env.get(variable);
    }

    private static boolean flag(String value, String name) {
        if (value == null || value.isBlank()) {
            return false;
        }
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "1":
            case "true":
            case "yes":
            case "on":
                return true;
            case "0":
            case "false":
            case "no":
            case "off":
                return false;
            default:
                throw new IllegalArgumentException(name + " must be true or false, got '" + value
                        + "'");
        }
    }
}
