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
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("GGUF model file not found: " + file);
        }
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            LittleEndian in = new LittleEndian(raw);
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

    /** Little-endian reads of GGUF's primitive types. */
    private static final class LittleEndian {
        private final DataInputStream in;

        LittleEndian(InputStream in) {
            this.in = new DataInputStream(in);
        }

        int u32() throws IOException {
            return Integer.reverseBytes(in.readInt());
        }

        long u64() throws IOException {
            return Long.reverseBytes(in.readLong());
        }

        String string() throws IOException {
            long n = u64();
            if (n < 0 || n > MAX_STRING) {
                throw new IOException("implausible string length " + n);
            }
            byte[] b = in.readNBytes((int) n);
            if (b.length != n) {
                throw new EOFException();
            }
            return new String(b, StandardCharsets.UTF_8);
        }

        /** The value of GGUF type {@code type}; arrays are skipped and give {@code null}. */
        Object value(int type) throws IOException {
            switch (type) {
                case 0: return (long) in.readUnsignedByte();            // UINT8
                case 1: return (long) in.readByte();                    // INT8
                case 2: return (long) Short.toUnsignedInt(Short.reverseBytes(in.readShort())); // UINT16
                case 3: return (long) Short.reverseBytes(in.readShort()); // INT16
                case 4: return Integer.toUnsignedLong(u32());           // UINT32
                case 5: return (long) u32();                            // INT32
                case 6: return (double) Float.intBitsToFloat(u32());    // FLOAT32
                case 7: return in.readUnsignedByte() != 0;              // BOOL
                case 8: return string();                                // STRING
                case 9: {                                               // ARRAY
                    int elem = u32();
                    long n = u64();
                    if (n < 0) {
                        throw new IOException("implausible array length " + n);
                    }
                    for (long i = 0; i < n; i++) {
                        value(elem);
                    }
                    return null;
                }
                case 10: return u64();                                  // UINT64
                case 11: return u64();                                  // INT64
                case 12: return Double.longBitsToDouble(u64());         // FLOAT64
                default: throw new IOException("unknown GGUF value type " + type);
            }
        }
    }
}
