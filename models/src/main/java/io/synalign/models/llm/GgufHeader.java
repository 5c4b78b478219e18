package io.synalign.models.llm;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scalar metadata of a GGUF file (ggml's model format, {@code docs/gguf.md} in ggml): read
 * before handing the file to llama.cpp, so that a wrong path or a file that is not GGUF fails
 * with a one-line message naming the file instead of a native crash, and so that the backend
 * knows the architecture, the training context and whether the model has a chat template.
 *
 * <p>Layout read: magic {@code GGUF}, u32 version (2 or 3), u64 tensor count, u64 metadata
 * count, then each key (u64 length + UTF-8) with a u32 value type and the value, little-endian.
 * Strings and numbers are kept; arrays (the vocabulary) are skipped. Cost: one pass over the
 * metadata section (the vocabulary: a few MB at most), none over the tensor data.
 *
 * @param version  the GGUF version
 * @param metadata scalar metadata values (String, Long, Double or Boolean), in file order
 */
public record GgufHeader(int version, Map<String, Object> metadata) {

    private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    private static final long MAX_STRING = 1L << 26;
    /** Arrays nest (an array of arrays); real files nest one level, a corrupt one could nest until the stack overflows. */
    private static final int MAX_ARRAY_DEPTH = 8;

    public GgufHeader {
        metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * Reads the header of {@code file}.
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable, not GGUF
     *                                  or truncated
     */
    public static GgufHeader read(Path file) {
        if (file == null) {
            throw new IllegalArgumentException("GGUF model path must not be null");
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("GGUF model file not found: " + file);
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is not a regular file (a directory,"
                    + " device or pipe); name a .gguf model file");
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            LittleEndian in = new LittleEndian(raw, Files.size(file));
            int magic;
            try {
                magic = in.u32();
            } catch (EOFException e) {
                magic = 0;
            }
            if (magic != MAGIC) {
                throw new IllegalArgumentException("not a GGUF model file (no GGUF magic): " + file);
            }
            int version = in.u32();
            if (version < 2 || version > 3) {
                throw new IllegalArgumentException("unsupported GGUF version " + version + ": " + file);
            }
            in.u64(); // tensor count
            long kvCount = in.u64();
            if (kvCount < 0 || kvCount > 1_000_000) {
                throw new IllegalArgumentException("damaged GGUF header (" + kvCount + " metadata entries): " + file);
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = in.string();
                Object value = in.value(in.u32());
                if (value != null) {
                    meta.put(key, value);
                }
            }
            return new GgufHeader(version, meta);
        } catch (Damaged e) {
            throw new IllegalArgumentException("truncated or damaged GGUF model file (" + e.getMessage() + "): " + file);
        } catch (EOFException e) {
            throw new IllegalArgumentException("truncated GGUF model file: " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read GGUF model file " + file + ": " + e.getMessage());
        }
    }

    /** {@code general.architecture}, e.g. {@code llama}, or {@code null}. */
    public String architecture() {
        return string("general.architecture");
    }

    /** {@code general.name}, or {@code null}. */
    public String name() {
        return string("general.name");
    }

    /** {@code tokenizer.chat_template}, or {@code null} when the model has none. */
    public String chatTemplate() {
        String t = string("tokenizer.chat_template");
        return t == null || t.isBlank() ? null : t;
    }

    /** {@code <architecture>.context_length}, or 0 when absent. */
    public long contextLength() {
        Object v = metadata.get(architecture() + ".context_length");
        return v instanceof Long l ? l : 0;
    }

    private String string(String key) {
        Object v = metadata.get(key);
        return v instanceof String s ? s : null;
    }

    /** A length or a nesting in the header that no sound file has. */
    private static final class Damaged extends IOException {
        private static final long serialVersionUID = 1L;

        Damaged(String message) {
            super(message);
        }
    }

    /**
     * Little-endian reads of GGUF's primitive types. Counts the bytes read, so that a corrupt
     * length (an array or string longer than what is left of the file) fails at once instead of
     * reading through gigabytes of tensor data.
     */
    private static final class LittleEndian {
        private final DataInputStream in;
        private final long size;
        private long position;

        LittleEndian(InputStream in, long size) {
            this.in = new DataInputStream(in);
            this.size = size;
        }

        /** Fails unless {@code n} units of at least one byte each fit in the rest of the file. */
        private void fits(long n, String what) throws IOException {
            long left = size - position;
            if (n < 0 || n > left) {
                throw new Damaged(what + " with " + left + " bytes left in the file");
            }
        }

        private int readInt() throws IOException {
            int v = in.readInt();
            position += 4;
            return v;
        }

        int u32() throws IOException {
            return Integer.reverseBytes(readInt());
        }

        long u64() throws IOException {
            long v = in.readLong();
            position += 8;
            return Long.reverseBytes(v);
        }

        private int u8() throws IOException {
            int v = in.readUnsignedByte();
            position += 1;
            return v;
        }

        private short i16() throws IOException {
            short v = Short.reverseBytes(in.readShort());
            position += 2;
            return v;
        }

        String string() throws IOException {
            long n = u64();
            if (n < 0 || n > MAX_STRING) {
                throw new Damaged("string of " + n + " bytes");
            }
            fits(n, "string of " + n + " bytes");
            byte[] b = in.readNBytes((int) n);
            position += b.length;
            if (b.length != n) {
                throw new EOFException();
            }
            return new String(b, StandardCharsets.UTF_8);
        }

        Object value(int type) throws IOException {
            return value(type, 0);
        }

        /** The value of GGUF type {@code type}; arrays are skipped and give {@code null}. */
        private Object value(int type, int depth) throws IOException {
            switch (type) {
                case 0: return (long) u8();                             // UINT8
                case 1: return (long) (byte) u8();                      // INT8
                case 2: return (long) Short.toUnsignedInt(i16());       // UINT16
                case 3: return (long) i16();                            // INT16
                case 4: return Integer.toUnsignedLong(u32());           // UINT32
                case 5: return (long) u32();                            // INT32
                case 6: return (double) Float.intBitsToFloat(u32());    // FLOAT32
                case 7: return u8() != 0;                               // BOOL
                case 8: return string();                                // STRING
                case 9: {                                               // ARRAY
                    if (depth >= MAX_ARRAY_DEPTH) {
                        throw new Damaged("arrays nested more than " + MAX_ARRAY_DEPTH + " deep");
                    }
                    int elem = u32();
                    long n = u64();
                    fits(n, "array of " + n + " elements"); // each takes at least one byte
                    for (long i = 0; i < n; i++) {
                        value(elem, depth + 1);
                    }
                    return null;
                }
                case 10: return u64();                                  // UINT64
                case 11: return u64();                                  // INT64
                case 12: return Double.longBitsToDouble(u64());         // FLOAT64
                default: throw new Damaged("unknown GGUF value type " + type);
            }
        }
    }
}
