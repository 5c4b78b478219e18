package io.synalign.models;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Binary layout of one cache entry (big-endian):
 * {@code magic "SAE1" | dimension int32 | key 32 bytes | dimension x float32 | CRC-32 int32}.
 * The CRC covers everything before it. A reader accepts an entry only if the length, magic,
 * key, dimension and CRC all match, so a torn, truncated, zero-filled or misplaced file is
 * rejected rather than trusted.
 */
final class CacheEntryFormat {

    static final int MAGIC = 0x53414531; // "SAE1"
    static final int KEY_BYTES = 32;
    private static final int HEADER_BYTES = 4 + 4 + KEY_BYTES;

    private CacheEntryFormat() {
    }

    static int entryBytes(int dimension) {
        return HEADER_BYTES + 4 * dimension + 4;
    }

    static byte[] encode(byte[] key, float[] vector) {
        ByteBuffer buf = ByteBuffer.allocate(entryBytes(vector.length));
        buf.putInt(MAGIC).putInt(vector.length).put(key);
        for (float v : vector) {
            buf.putFloat(v);
        }
        buf.putInt(crc(buf.array(), buf.position()));
        return buf.array();
    }

    /** The stored vector, or {@code null} when the bytes are not a valid entry for the key. */
    static float[] decode(byte[] bytes, byte[] key, int dimension) {
        if (bytes.length != entryBytes(dimension)) {
            return null;
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            if (buf.getInt() != MAGIC || buf.getInt() != dimension) {
                return null;
            }
            byte[] storedKey = new byte[KEY_BYTES];
            buf.get(storedKey);
            if (!Arrays.equals(storedKey, key)) {
                return null;
            }
            float[] vector = new float[dimension];
            for (int j = 0; j < dimension; j++) {
                vector[j] = buf.getFloat();
            }
            int payload = buf.position();
            return buf.getInt() == crc(bytes, payload) ? vector : null;
        } catch (BufferUnderflowException e) {
            return null;
        }
    }

    private static int crc(byte[] bytes, int length) {
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, length);
        return (int) crc.getValue();
    }
}
