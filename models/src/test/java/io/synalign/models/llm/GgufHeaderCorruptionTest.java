package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GgufHeader#read} on crafted corrupt headers: every damage is a one-line
 * {@link IllegalArgumentException} naming the file, never an error, a huge allocation or a read
 * through the whole file.
 */
class GgufHeaderCorruptionTest {

    @TempDir
    Path dir;

    /** A little-endian GGUF v3 header with {@code kv} metadata entries, then {@code body}. */
    private static ByteBuffer header(long kv, int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(24 + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(0).putLong(kv);
        return b;
    }

    private static void key(ByteBuffer b, String k) {
        byte[] bytes = k.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }

    private Path file(String name, ByteBuffer b) throws IOException {
        return Files.write(dir.resolve(name), java.util.Arrays.copyOf(b.array(), b.position()));
    }

    private static IllegalArgumentException fails(Path f) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GgufHeader.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        return e;
    }

    @Test
    void aDeviceOrADirectoryIsNamedAsNotAFileNotAsMissing() {
        for (java.nio.file.Path p : new java.nio.file.Path[] {java.nio.file.Path.of("/dev/zero"),
                java.nio.file.Path.of(System.getProperty("java.io.tmpdir"))}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GgufHeader.read(p));
            assertEquals(p + " is not a regular file (a directory, device or pipe); name a .gguf"
                    + " model file", e.getMessage());
        }
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> GgufHeader.read(java.nio.file.Path.of("/no/such/model.gguf")));
        assertEquals("GGUF model file not found: /no/such/model.gguf", missing.getMessage());
    }

    @Test
    void deeplyNestedArraysFailCleanlyInsteadOfOverflowingTheStack() throws IOException {
        int depth = 200_000; // 12 bytes each: array of arrays of arrays ...
        ByteBuffer b = header(1, 16 + depth * 12);
        key(b, "x");
        b.putInt(9);
        for (int i = 0; i < depth; i++) {
            b.putInt(9).putLong(1);
        }
        IllegalArgumentException e = fails(file("nested.gguf", b));
        assertTrue(e.getMessage().contains("nested"), e.getMessage());
    }

    @Test
    void anArrayLongerThanTheFileIsRejectedBeforeReadingIt() throws IOException {
        ByteBuffer b = header(1, 64 + 4096);
        key(b, "tokenizer.ggml.scores");
        b.putInt(9).putInt(0).putLong(1L << 40); // 2^40 uint8 elements
        b.position(b.position() + 4096); // some bytes that would be read one by one
        IllegalArgumentException e = fails(file("longarray.gguf", b));
        assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains(Long.toString(1L << 40)),
                e.getMessage());
    }

    @Test
    void negativeAndHugeLengthsAreRejected() throws IOException {
        ByteBuffer neg = header(1, 64);
        key(neg, "a");
        neg.putInt(9).putInt(0).putLong(-5);
        assertTrue(fails(file("negarray.gguf", neg)).getMessage().contains("-5"));

        ByteBuffer str = header(1, 64);
        key(str, "a");
        str.putInt(8).putLong(Long.MAX_VALUE);
        fails(file("hugestring.gguf", str));

        ByteBuffer bigString = header(1, 64); // plausible length, but longer than the file
        key(bigString, "a");
        bigString.putInt(8).putLong(60L << 20);
        IllegalArgumentException e = fails(file("longstring.gguf", bigString));
        assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains(Long.toString(60L << 20)),
                e.getMessage());

        ByteBuffer kv = header(-1, 0);
        fails(file("negkv.gguf", kv));

        ByteBuffer type = header(1, 64);
        key(type, "a");
        type.putInt(77);
        assertTrue(fails(file("badtype.gguf", type)).getMessage().contains("77"));
    }

    @Test
    void aSoundHeaderWithNestedArraysStillReads() throws IOException {
        ByteBuffer b = header(2, 128);
        key(b, "nested");
        b.putInt(9).putInt(9).putLong(2);
        b.putInt(4).putLong(1).putInt(7);
        b.putInt(8).putLong(1).putLong(1).put((byte) 'z');
        key(b, "general.architecture");
        b.putInt(8).putLong(5).put("llama".getBytes(StandardCharsets.US_ASCII));
        GgufHeader h = GgufHeader.read(file("ok.gguf", b));
        assertEquals("llama", h.architecture());
        assertEquals(1, h.metadata().size());
    }
}
