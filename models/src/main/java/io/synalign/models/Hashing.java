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

    /**
     * SHA-256 of {@code modelId + '\0' + text} in WTF-8: the cache key of one embedding. WTF-8
     * is UTF-8 for every well-formed string (so keys written before stay valid) and encodes an
     * unpaired surrogate as its own three bytes, where UTF-8 would write {@code ?}: with UTF-8,
     * {@code "a \ud800 b"} and {@code "a ? b"} shared one key and one cached vector.
     */
    static byte[] cacheKey(String modelId, String text) {
        MessageDigest md = sha256();
        md.update(wtf8(modelId));
        md.update((byte) 0);
        md.update(wtf8(text));
        return md.digest();
    }

    /** WTF-8: UTF-8, with each unpaired surrogate encoded as a 3-byte sequence of its own. */
    static byte[] wtf8(String s) {
        java.io.ByteArrayOutputStream out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(i + 1));
                if (!paired) {
                    out = new java.io.ByteArrayOutputStream(s.length() + 8);
                    break;
                }
                i++;
            }
        }
        if (out == null) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
                continue;
            }
            out.writeBytes(s.substring(start, i).getBytes(StandardCharsets.UTF_8));
            out.write(0xE0 | (c >> 12));
            out.write(0x80 | ((c >> 6) & 0x3F));
            out.write(0x80 | (c & 0x3F));
            start = i + 1;
        }
        out.writeBytes(s.substring(start).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
