package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {

    @TempDir
    Path dir;

    private static float[] randomVector(int dim, long seed) {
        Random random = new Random(seed);
        float[] v = new float[dim];
        for (int j = 0; j < dim; j++) {
            v[j] = (float) random.nextGaussian();
        }
        return v;
    }

    @Test
    void storesAndReturnsVectorsBitForBit() {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        for (int dim : new int[] {1, 7, 384}) {
            float[] v = randomVector(dim, dim);
            v[0] = -0.0f;
            cache.put("m", "text " + dim, v);
            float[] got = cache.get("m", "text " + dim, dim);
            assertEquals(dim, got.length);
            for (int j = 0; j < dim; j++) {
                assertEquals(Float.floatToRawIntBits(v[j]), Float.floatToRawIntBits(got[j]));
            }
        }
        // A fresh instance on the same directory sees the same entries.
        float[] seven = randomVector(7, 7);
        seven[0] = -0.0f;
        assertArrayEquals(seven, EmbeddingCache.open(dir).get("m", "text 7", 7));
    }

    @Test
    void keysSeparateModelsTextsAndDimensions() {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        cache.put("model-a", "hello", randomVector(4, 1));
        assertNull(cache.get("model-b", "hello", 4));
        assertNull(cache.get("model-a", "hello ", 4));
        assertNull(cache.get("model-a", "hello", 5));
        // The NUL separator makes (id, text) pairs that concatenate alike distinct.
        cache.put("ab", "c", randomVector(4, 2));
        assertNull(cache.get("a", "bc", 4));
        assertThrows(IllegalArgumentException.class, () -> cache.put("a\0b", "c", new float[1]));
        assertThrows(IllegalArgumentException.class, () -> cache.get("a", null, 1));
        assertThrows(IllegalArgumentException.class, () -> cache.put("a", "b", new float[0]));
    }

    @Test
    void damagedEntriesReadAsMisses() throws Exception {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        float[] v = randomVector(384, 3);
        cache.put("m", "t", v);
        Path file = cache.entryPath("m", "t");
        byte[] good = Files.readAllBytes(file);

        Files.write(file, Arrays.copyOf(good, good.length - 5)); // truncated (torn write)
        assertNull(cache.get("m", "t", 384));

        Files.write(file, new byte[0]); // renamed before its data reached the disk
        assertNull(cache.get("m", "t", 384));

        byte[] flipped = good.clone();
        flipped[100] ^= 0x10; // bit rot inside a float
        Files.write(file, flipped);
        assertNull(cache.get("m", "t", 384));

        Files.write(file, new byte[good.length]); // zero-filled block
        assertNull(cache.get("m", "t", 384));

        // A valid entry of another key copied under this key's name.
        cache.put("m", "other", v);
        Files.copy(cache.entryPath("m", "other"), file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertNull(cache.get("m", "t", 384));

        cache.put("m", "t", v); // a recompute overwrites the damaged file
        assertArrayEquals(v, cache.get("m", "t", 384));
    }

    @Test
    void leftoverTemporaryFilesAreIgnored() throws Exception {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        Path file = cache.entryPath("m", "t");
        Files.createDirectories(file.getParent());
        Files.write(file.resolveSibling(file.getFileName() + "123.tmp"), new byte[] {1, 2, 3});
        assertNull(cache.get("m", "t", 3));
        cache.put("m", "t", new float[] {1, 2, 3});
        assertArrayEquals(new float[] {1, 2, 3}, cache.get("m", "t", 3));
    }

    @Test
    void concurrentWritersAndReadersNeverSeeATornEntry() throws Exception {
        int dim = 384;
        List<String> keys = List.of("k0", "k1", "k2");
        float[] a = randomVector(dim, 10);
        float[] b = randomVector(dim, 20);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        try {
            Future<?>[] jobs = new Future<?>[6];
            for (int w = 0; w < 4; w++) {
                float[] mine = w % 2 == 0 ? a : b;
                EmbeddingCache cache = EmbeddingCache.open(dir); // one instance per "process"
                jobs[w] = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 150; i++) {
                        cache.put("m", keys.get(i % keys.size()), mine);
                    }
                    return null;
                });
            }
            for (int r = 4; r < 6; r++) {
                EmbeddingCache cache = EmbeddingCache.open(dir);
                jobs[r] = pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 600; i++) {
                        float[] got = cache.get("m", keys.get(i % keys.size()), dim);
                        if (got != null && !Arrays.equals(got, a) && !Arrays.equals(got, b)) {
                            problems.add("read a vector that was never written");
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> job : jobs) {
                job.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(problems.isEmpty(), problems.toString());
        EmbeddingCache cache = EmbeddingCache.open(dir);
        for (String key : keys) {
            float[] got = cache.get("m", key, dim);
            assertTrue(Arrays.equals(got, a) || Arrays.equals(got, b), key);
        }
        try (var files = Files.walk(dir)) {
            assertEquals(0, files.filter(p -> p.toString().endsWith(".tmp")).count(),
                    "writers must not leave temporary files behind");
        }
    }

    @Test
    void loneSurrogatesDoNotShareAKeyWithTheirReplacement() {
        EmbeddingCache cache = EmbeddingCache.open(dir.resolve("surrogates"));
        cache.put("m", "lone \ud800 surrogate", new float[] {1, 2});
        assertNull(cache.get("m", "lone ? surrogate", 2), "UTF-8 turns the surrogate into '?'");
        assertNull(cache.get("m", "lone \ufffd surrogate", 2));
        assertNull(cache.get("m", "lone \udc00 surrogate", 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1, 2},
                cache.get("m", "lone \ud800 surrogate", 2));
    }

    @Test
    void cacheKeysAreUtf8ForWellFormedTextAndWtf8Otherwise() {
        java.util.Random random = new java.util.Random(5);
        for (int k = 0; k < 200; k++) {
            StringBuilder sb = new StringBuilder();
            for (int i = random.nextInt(20); i > 0; i--) {
                sb.appendCodePoint(random.nextInt(4) == 0 ? 0x1F600 + random.nextInt(50)
                        : random.nextInt(0xD000));
            }
            String s = sb.toString();
            org.junit.jupiter.api.Assertions.assertArrayEquals(
                    s.getBytes(java.nio.charset.StandardCharsets.UTF_8), Hashing.wtf8(s), s);
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {'a', (byte) 0xED,
                (byte) 0xA0, (byte) 0x80, (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80,
                (byte) 0xED, (byte) 0xB0, (byte) 0x80}, Hashing.wtf8("a\ud800\ud83d\ude00\udc00"));
    }

    /**
     * A cache that cannot be written gave one warning per text (300 lines for 300 texts): the
     * first failed store now stops the stores of the run, which are counted.
     */
    @Test
    void afterAFailedStoreNoFurtherStoreIsTried() throws java.io.IOException {
        EmbeddingCache cache = EmbeddingCache.open(dir);
        Path v1 = dir.resolve(EmbeddingCache.LAYOUT_VERSION);
        // Every shard directory's name taken by a file: every store fails, also as root.
        for (int b = 0; b < 256; b++) {
            Files.createFile(v1.resolve(String.format("%02x", b)));
        }
        cache.put("m", "first", new float[] {1, 2});
        assertEquals(1, cache.notStored());
        try (var files = Files.list(v1)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        cache.put("m", "second", new float[] {3, 4});
        assertEquals(2, cache.notStored());
        assertTrue(Files.notExists(cache.entryPath("m", "second")),
                "no store is tried after one failed, though it would succeed now");
        assertNull(cache.get("m", "second", 2));
    }

    /**
     * Entries were made 0600 (Files.createTempFile), whatever the umask: another user sharing
     * the cache could not read them. They now get the permissions of any new file.
     */
    @Test
    void entriesGetTheUmasksPermissionsLikeAnyNewFile() throws java.io.IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                dir.getFileSystem().supportedFileAttributeViews().contains("posix"));
        EmbeddingCache cache = EmbeddingCache.open(dir);
        cache.put("m", "text", new float[] {1, 2});
        Path entry = cache.entryPath("m", "text");
        Path plain = Files.createFile(entry.resolveSibling("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(entry));
    }
}
