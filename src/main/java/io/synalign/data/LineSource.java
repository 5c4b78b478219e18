package io.synalign.data;

import io.synalign.io.InputException;
import io.synalign.io.InputSetting;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.ZipException;

/**
 * Splits a byte stream into lines and decodes each with a strict UTF-8 decoder.
 *
 * <p>Lines end at {@code \n}; a {@code \r} right before it is part of the terminator (so CRLF
 * files read the same as LF files), and the last line needs no terminator. A UTF-8 byte-order
 * mark at the start of the file is dropped. Every problem is an {@link InputException} naming
 * the file and line: bytes that are not UTF-8 (with the byte offset and value), a line longer
 * than the limit (detected while reading, so an endless line never fills memory), corrupt or
 * truncated gzip data. Cost O(bytes), one reusable line buffer.
 */
final class LineSource {

    private static final int CHUNK = 1 << 16;
    /** The longest line limit accepted: lines are held in one byte array. */
    static final long MAX_LIMIT = 1L << 30;
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final InputStream in;
    private final Path file;
    private final long maxLineBytes;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[CHUNK];
    private int chunkPos;
    private int chunkEnd;
    private boolean eof;
    private byte[] line = new byte[256];
    private int lineLength;
    private long lineNumber;
    private String terminator = "";

    /**
     * @param in the (already decompressed) bytes
     * @param file the file, for messages
     * @param maxLineBytes the longest line accepted, in bytes without the terminator
     */
    LineSource(InputStream in, Path file, long maxLineBytes) {
        if (maxLineBytes < 1 || maxLineBytes > MAX_LIMIT) {
            throw new IllegalArgumentException("the line size limit must be in 1 byte.."
                    + describeBytes(MAX_LIMIT) + ", got " + maxLineBytes);
        }
        this.in = in;
        this.file = file;
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line without its terminator, or {@code null} at the end of the input. */
    String next() throws IOException {
        lineLength = 0;
        boolean sawNewline = false;
        while (true) {
            if (chunkPos == chunkEnd && !fill()) {
                break;
            }
            int start = chunkPos;
            int i = start;
            while (i < chunkEnd && chunk[i] != '\n') {
                i++;
            }
            append(start, i - start);
            chunkPos = i;
            if (i < chunkEnd) {
                chunkPos++;
                sawNewline = true;
                break;
            }
        }
        if (!sawNewline && lineLength == 0 && eof) {
            return null;
        }
        lineNumber++;
        int length = lineLength;
        terminator = sawNewline ? "\n" : "";
        if (sawNewline && length > 0 && line[length - 1] == '\r') {
            length--;
            terminator = "\r\n";
        }
        if (length > maxLineBytes) {
            throw tooLong(lineNumber);
        }
        int offset = 0;
        if (lineNumber == 1 && length >= 3 && (line[0] & 0xff) == 0xEF
                && (line[1] & 0xff) == 0xBB && (line[2] & 0xff) == 0xBF) {
            offset = 3;
        }
        return decode(offset, length - offset);
    }

    /** The 1-based number of the line {@link #next()} returned last. */
    long lineNumber() {
        return lineNumber;
    }

    /** How the last line ended: {@code "\n"}, {@code "\r\n"}, or {@code ""} at the end of input. */
    String terminator() {
        return terminator;
    }

    /** Bytes of the last line, without its terminator. */
    int lineBytes() {
        return lineLength;
    }

    /** The file, for messages. */
    Path file() {
        return file;
    }

    private void append(int from, int count) {
        long needed = (long) lineLength + count;
        // One byte more than the limit may be the \r of a CRLF terminator; next() checks again.
        if (needed > maxLineBytes + 1) {
            throw tooLong(lineNumber + 1);
        }
        if (needed > line.length) {
            line = Arrays.copyOf(line, (int) Math.min(MAX_ARRAY, Math.max(needed, 2L * line.length)));
        }
        System.arraycopy(chunk, from, line, lineLength, count);
        lineLength += count;
    }

    private InputException tooLong(long at) {
        return new InputException(file, at, "line is longer than the limit of "
                + describeBytes(maxLineBytes), InputSetting.MAX_LINE_SIZE, "raise it with %s");
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n;
        try {
            n = in.read(chunk, 0, chunk.length);
        } catch (ZipException | EOFException e) {
            throw new InputException(file, lineNumber + 1, "corrupt or truncated gzip data ("
                    + e.getMessage() + ")");
        }
        if (n < 0) {
            eof = true;
            return false;
        }
        chunkPos = 0;
        chunkEnd = n;
        return true;
    }

    private String decode(int offset, int length) {
        ByteBuffer bytes = ByteBuffer.wrap(line, offset, length);
        CharBuffer chars = CharBuffer.allocate(length);
        decoder.reset();
        CoderResult r = decoder.decode(bytes, chars, true);
        if (!r.isError()) {
            r = decoder.flush(chars);
        }
        if (r.isError()) {
            // Counted in the line as stored, a leading byte order mark included: the position
            // a hex editor shows.
            int at = bytes.position();
            throw new InputException(file, lineNumber, String.format(Locale.ROOT,
                    "not valid UTF-8 (byte 0x%02X at byte %d of the line); convert the file to"
                            + " UTF-8", line[at] & 0xff, at + 1));
        }
        chars.flip();
        return chars.toString();
    }

    /** {@code s} cut to {@code max} characters with an ellipsis (long values in messages). */
    static String cut(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(max - 2)) ? max - 2 : max - 1;
        return s.substring(0, end) + "\u2026";
    }

    /** {@code 1048576} as {@code 1 MiB}, other sizes in bytes. */
    static String describeBytes(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + " MiB";
        }
        if (bytes >= 1 << 10 && bytes % (1 << 10) == 0) {
            return bytes / (1 << 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
