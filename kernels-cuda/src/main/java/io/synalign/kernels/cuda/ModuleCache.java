package io.synalign.kernels.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On-disk cache of NVRTC-compiled kernel modules (CUBIN images), so a kernel source is compiled
 * once per (source text, compile options with the GPU architecture, NVRTC version) and later
 * runs only load it. The key is the SHA-256 of those three strings; the file is
 * {@code <key>.cubin} under the cache folder, written to a temporary file and renamed, so
 * concurrent runs never read a half-written image.
 * A cache that cannot be read or written is skipped with a log line, never an error.
 */
final class ModuleCache {

    private static final Logger LOG = LoggerFactory.getLogger(ModuleCache.class);

    /** Bumped when the key's layout changes (the compile options are part of the key). */
    static final String FORMAT = "synalign-cuda-module-1";

    private final Path dir;

    ModuleCache(Path dir) {
        if (dir == null) {
            throw new IllegalArgumentException("cache folder must not be null");
        }
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /**
     * The cache key: lower-case hex SHA-256 of the format tag, the source, the compile options
     * (which name the target architecture, e.g. {@code --gpu-architecture=sm_90 ...}) and the
     * NVRTC version (e.g. {@code 13.1}), NUL-separated so that no two different triples give
     * the same byte string.
     */
    static String key(String source, String options, String nvrtcVersion) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (String part : new String[] {FORMAT, source, options, nvrtcVersion}) {
                sha.update(part.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The file a key is stored in. */
    Path file(String key) {
        return dir.resolve(key + ".cubin");
    }

    /** The cached image for {@code key}, if present and readable. */
    Optional<byte[]> load(String key) {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            byte[] image = Files.readAllBytes(f);
            return image.length == 0 ? Optional.empty() : Optional.of(image);
        } catch (IOException e) {
            LOG.info("cuda module cache: cannot read {} ({}); recompiling", f, e.toString());
            return Optional.empty();
        }
    }

    /** Stores {@code image} under {@code key}; failures are logged and ignored. */
    void store(String key, byte[] image) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, key, ".tmp");
            Files.write(tmp, image);
            try {
                Files.move(tmp, file(key), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(key), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("cuda module cache: cannot write under {} ({}); continuing without it", dir,
                    e.toString());
        }
    }
}
