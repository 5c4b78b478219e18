package io.synalign.models;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An on-disk cache of embedding vectors keyed by (model id, text), one small file per entry.
 *
 * <p>Layout: {@code <dir>/v1/<first 2 hex digits>/<SHA-256 hex>.emb}, where the SHA-256 is
 * over UTF-8 {@code modelId + '\0' + text} (model ids contain no NUL, so the key is
 * unambiguous). Entry format: {@link CacheEntryFormat} (header, float32 values, CRC-32).
 *
 * <p>Safety against crashes and concurrent runs, without locks:
 * <ul>
 *   <li>a writer writes a uniquely named temporary file in the entry's directory and renames it
 *       over the entry with an atomic move, so readers see the old file, the new file, or
 *       nothing — never a half-written entry under the final name;</li>
 *   <li>two writers of the same key each rename a complete file; the last one wins;</li>
 *   <li>readers still validate length, key, dimension and CRC, so damage the rename cannot
 *       exclude (power loss before the data reached disk, a file truncated or edited by hand)
 *       reads as a miss and is recomputed and overwritten; no fsync is needed for that;</li>
 *   <li>a temporary file left by a killed writer ({@code *.tmp}) is never read and is safe to
 *       delete.</li>
 * </ul>
 * Costs: one file read (~1.6 KB for 384-d) per lookup, one write + rename per store.
 * Write failures (disk full, read-only directory) are logged once and ignored, and no further
 * store is tried: the cache is an optimisation, never a source of errors for the caller, and a
 * read-only cache (one shared for reading) gave one warning per text. Unreadable entries are
 * likewise warned of once, then read as misses.
 *
 * <p>Files and directories are created with the default permissions, so the process's umask
 * applies: a cache shared by several users (a group-writable directory, umask 002) works.
 *
 * <p>Thread-safe; any number of processes may share one directory.
 */
public final class EmbeddingCache {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    static final String LAYOUT_VERSION = "v1";
    private static final String SUFFIX = ".emb";

    private final Path directory;
    private final Path root;
    /** Set at the first failed store: later stores are skipped (and counted). */
    private final AtomicBoolean unwritable = new AtomicBoolean();
    private final AtomicLong notStored = new AtomicLong();
    /** Set at the first unreadable entry: later ones are read as misses without a warning. */
    private final AtomicBoolean unreadableWarned = new AtomicBoolean();

    private EmbeddingCache(Path directory) {
        this.directory = directory;
        this.root = directory.resolve(LAYOUT_VERSION);
    }

    /**
     * Opens (creating it if needed) the cache in {@code directory}.
     *
     * @throws UncheckedIOException if the directory cannot be created
     */
    public static EmbeddingCache open(Path directory) {
        if (directory == null) {
            throw new IllegalArgumentException("cache directory must not be null");
        }
        Path dir = directory.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir.resolve(LAYOUT_VERSION));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cache directory " + dir, e);
        }
        return new EmbeddingCache(dir);
    }

    public Path directory() {
        return directory;
    }

    /**
     * The cached vector of {@code text} under {@code modelId}, or {@code null} when absent or
     * when the stored entry is invalid or has another dimension.
     */
    public float[] get(String modelId, String text, int dimension) {
        requireKey(modelId, text);
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
        }
        byte[] key = Hashing.cacheKey(modelId, text);
        Path file = entryPath(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (unreadableWarned.compareAndSet(false, true)) {
                LOG.warn("cannot read cache entry {}: {}; unreadable entries are embedded again"
                        + " (warned once)", file, e.toString());
            } else {
                LOG.debug("cannot read cache entry {}: {}", file, e.toString());
            }
            return null;
        }
        float[] vector = CacheEntryFormat.decode(bytes, key, dimension);
        if (vector == null) {
            LOG.debug("ignoring invalid cache entry {} ({} bytes)", file, bytes.length);
        }
        return vector;
    }

    /**
     * Stores {@code vector} for {@code text} under {@code modelId}, replacing any old entry. After
     * a store failed, does nothing: a read-only cache would fail (and warn) for every text.
     */
    public void put(String modelId, String text, float[] vector) {
        requireKey(modelId, text);
        if (vector == null || vector.length == 0) {
            throw new IllegalArgumentException("vector must be non-empty");
        }
        if (unwritable.get()) {
            notStored.incrementAndGet();
            return;
        }
        byte[] key = Hashing.cacheKey(modelId, text);
        Path file = entryPath(key);
        Path tmp = null;
        try {
            Files.createDirectories(file.getParent());
            // Not Files.createTempFile: it makes the file 0600 whatever the umask, so entries
            // written by one user were unreadable to the others sharing the cache.
            tmp = file.resolveSibling(file.getFileName() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                out.write(CacheEntryFormat.encode(key, vector));
            }
            // On POSIX file systems rename(2) atomically replaces an existing entry.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            tmp = null;
        } catch (AtomicMoveNotSupportedException e) {
            failedStore("cache directory " + directory + " does not support atomic rename");
        } catch (IOException e) {
            failedStore("cannot write cache entry " + file + ": " + e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.debug("cannot delete temporary file {}", tmp);
                }
            }
        }
    }

    /** The first failure is warned of; later stores are skipped (a race may warn twice). */
    private void failedStore(String why) {
        notStored.incrementAndGet();
        if (unwritable.compareAndSet(false, true)) {
            LOG.warn("{}; not storing new vectors in the embedding cache {} for the rest of the"
                    + " run", why, directory);
        }
    }

    /** Vectors that were not stored because a store failed (0 while every store succeeded). */
    public long notStored() {
        return notStored.get();
    }

    /** The file that holds (or would hold) the entry for {@code text} under {@code modelId}. */
    public Path entryPath(String modelId, String text) {
        requireKey(modelId, text);
        return entryPath(Hashing.cacheKey(modelId, text));
    }

    private Path entryPath(byte[] key) {
        String hex = Hashing.hex(key);
        return root.resolve(hex.substring(0, 2)).resolve(hex + SUFFIX);
    }

    private static void requireKey(String modelId, String text) {
        if (modelId == null || modelId.isEmpty() || modelId.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("modelId must be non-empty without NUL, got '"
                    + modelId + "'");
        }
        if (text == null) {
            throw new IllegalArgumentException("text must not be null");
        }
    }
}
