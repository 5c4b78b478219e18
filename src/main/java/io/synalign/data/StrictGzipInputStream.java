package io.synalign.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import java.util.zip.ZipException;

/**
 * Gzip data (RFC 1952), one member or several concatenated, and nothing else: unlike
 * {@link java.util.zip.GZIPInputStream}, which stops silently at bytes after a member that do
 * not start another one, bytes after the last member are a {@link ZipException} (a file with
 * something appended, or two files glued, is damaged input, not a shorter file). Each member's
 * CRC-32 and length are checked; a stream that ends inside a member is an {@link EOFException}.
 * Cost O(compressed + uncompressed bytes).
 */
final class StrictGzipInputStream extends InputStream {

    private static final int BUFFER = 1 << 16;

    private final PushbackInputStream in;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final byte[] input = new byte[BUFFER];
    private final byte[] one = new byte[1];
    /** How many bytes of {@link #input} the inflater was last given. */
    private int inputLength;
    private boolean inMember;
    private boolean eof;
    private boolean closed;

    /** @throws ZipException when the stream does not start with a gzip header */
    StrictGzipInputStream(InputStream raw) throws IOException {
        this.in = new PushbackInputStream(raw, BUFFER);
        readHeader(true);
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            if (!inMember) {
                if (!nextMember()) {
                    eof = true;
                    break;
                }
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new ZipException(e.getMessage() == null ? "invalid deflate data"
                        : e.getMessage());
            }
            if (n > 0) {
                crc.update(b, off, n);
                return n;
            }
            if (inflater.finished()) {
                endMember();
            } else if (inflater.needsInput()) {
                int got = in.read(input, 0, input.length);
                if (got < 0) {
                    throw new EOFException("unexpected end of the gzip data");
                }
                inflater.setInput(input, 0, got);
                inputLength = got;
            } else if (inflater.needsDictionary()) {
                throw new ZipException("deflate data asks for a preset dictionary");
            }
        }
        return -1;
    }

    /** After a member: its trailer, then either the end of the stream or another member. */
    private void endMember() throws IOException {
        int remaining = inflater.getRemaining();
        if (remaining > 0) {
            // The inflater's unread bytes are the end of the last input given to it.
            in.unread(input, inputLength - remaining, remaining);
        }
        long wantCrc = readLe(4);
        long wantSize = readLe(4);
        if (wantCrc != crc.getValue()) {
            throw new ZipException("CRC-32 mismatch in the gzip trailer");
        }
        if (wantSize != (inflater.getBytesWritten() & 0xffffffffL)) {
            throw new ZipException("length mismatch in the gzip trailer");
        }
        inMember = false;
    }

    /** Whether another member starts here; bytes that are not a gzip header are an error. */
    private boolean nextMember() throws IOException {
        int b = in.read();
        if (b < 0) {
            return false;
        }
        in.unread(b);
        readHeader(false);
        return true;
    }

    private void readHeader(boolean first) throws IOException {
        int m1 = in.read();
        int m2 = in.read();
        if (m1 != 0x1f || m2 != 0x8b) {
            throw new ZipException(first ? "not in gzip format"
                    : "bytes after the end of the gzip data");
        }
        if (in.read() != 8) {
            throw new ZipException("unsupported compression method");
        }
        int flags = in.read();
        if (flags < 0) {
            throw new EOFException("unexpected end of the gzip header");
        }
        skipBytes(6); // mtime, extra flags, OS
        if ((flags & 4) != 0) {
            skipBytes(readLe(2));
        }
        if ((flags & 8) != 0) {
            skipZeroTerminated();
        }
        if ((flags & 16) != 0) {
            skipZeroTerminated();
        }
        if ((flags & 2) != 0) {
            skipBytes(2);
        }
        inflater.reset();
        crc.reset();
        inMember = true;
    }

    private long readLe(int bytes) throws IOException {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("unexpected end of the gzip data");
            }
            v |= (long) b << (8 * i);
        }
        return v;
    }

    private void skipBytes(long n) throws IOException {
        for (long i = 0; i < n; i++) {
            if (in.read() < 0) {
                throw new EOFException("unexpected end of the gzip header");
            }
        }
    }

    private void skipZeroTerminated() throws IOException {
        int b;
        do {
            b = in.read();
            if (b < 0) {
                throw new EOFException("unexpected end of the gzip header");
            }
        } while (b != 0);
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            inflater.end();
            in.close();
        }
    }
}
