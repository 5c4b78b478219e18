package io.synalign.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The strict gzip reader against the JDK's writer: members, header fields, and damage. */
class StrictGzipInputStreamTest {

    @TempDir
    Path dir;

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b, 512)) {
            gz.write(data);
        }
        return b.toByteArray();
    }

    private static byte[] read(byte[] gz) throws IOException {
        try (StrictGzipInputStream in = new StrictGzipInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    @Test
    void readsOneOrManyMembersOfAnySize() throws IOException {
        Random r = new Random(4);
        for (int size : new int[] {0, 1, 1000, 70_000, 300_001}) {
            byte[] a = new byte[size];
            for (int i = 0; i < size; i++) {
                a[i] = (byte) ('a' + r.nextInt(3)); // compressible and not
            }
            byte[] b = new byte[size / 3 + 1];
            r.nextBytes(b);
            assertArrayEquals(a, read(gzip(a)), "one member of " + size);
            assertArrayEquals(concat(a, b, a), read(concat(gzip(a), gzip(b), gzip(a))),
                    "three members around " + size);
        }
    }

    @Test
    void headerFieldsAreSkipped() throws IOException {
        byte[] body = gzip("payload".getBytes());
        // FEXTRA (4 bytes), FNAME "f.txt", FCOMMENT "c", FHCRC: flags 4 | 8 | 16 | 2.
        byte[] header = {0x1f, (byte) 0x8b, 8, 30, 0, 0, 0, 0, 0, 3, 4, 0, 'x', 'y', 'z', 'w',
            'f', '.', 't', 'x', 't', 0, 'c', 0, 0x12, 0x34};
        byte[] withFields = concat(header, Arrays.copyOfRange(body, 10, body.length));
        assertEquals("payload", new String(read(withFields)));
    }

    @Test
    void bytesAfterTheLastMemberTruncationAndCorruptionAreErrors() throws IOException {
        byte[] gz = gzip("some text\n".repeat(100).getBytes());
        ZipException trailing = assertThrows(ZipException.class,
                () -> read(concat(gz, "garbage".getBytes())));
        assertEquals("bytes after the end of the gzip data", trailing.getMessage());
        assertThrows(ZipException.class, () -> read(concat(gz, new byte[] {0x1f})));
        assertThrows(EOFException.class, () -> read(Arrays.copyOf(gz, gz.length - 3)));
        byte[] badCrc = gz.clone();
        badCrc[badCrc.length - 6] ^= 1;
        assertEquals("CRC-32 mismatch in the gzip trailer",
                assertThrows(ZipException.class, () -> read(badCrc)).getMessage());
        assertThrows(ZipException.class, () -> read("plain".getBytes()));
    }

    @Test
    void recordsWithBytesAfterTheGzipDataAreBadInputNamingTheFile() throws IOException {
        Path f = dir.resolve("r.jsonl.gz");
        Files.write(f, concat(gzip("{\"text\":\"a\"}\n".getBytes()), "tail".getBytes()));
        io.synalign.io.InputException e = assertThrows(io.synalign.io.InputException.class,
                () -> RecordReader.read(f));
        assertTrue(e.getMessage().startsWith(f + ":") && e.getMessage().contains(
                "corrupt or truncated gzip data (bytes after the end of the gzip data)"),
                e.getMessage());
    }
}
