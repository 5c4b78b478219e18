package io.synalign.models;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers shared by model ids and cache keys. */
final class Hashing {

    private Hashing() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** SHA-256 of {@code modelId + '\0' + text} in UTF-8: the cache key of one embedding. */
    static byte[] cacheKey(String modelId, String text) {
        MessageDigest md = sha256();
        md.update(modelId.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(text.getBytes(StandardCharsets.UTF_8));
        return md.digest();
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
