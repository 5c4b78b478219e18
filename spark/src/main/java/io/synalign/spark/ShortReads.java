package io.synalign.spark;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;

/**
 * Tells a stream the store cut short from a file that is cut. S3A's
 * {@code S3AInputStream.read(byte[], int, int)} answers -1 (end of file) where the HTTP body
 * stream below it threw an {@link EOFException} (a connection that ended the response early:
 * "EOFException raised by http stream read(); downgrading to a -1 response"), and where its lazy
 * seek met S3's 416; so a reader above it sees a file that ends early, and a gzip decoder says
 * "Unexpected end of input stream", a cut gzip's words (exit 2). Nothing in that failure's
 * chain tells the two apart; the file's length does: the file system knows it
 * ({@code FileStatus.getLen()}), and a read that ends before it ended early.
 *
 * <p>The failing read is Spark's, in a task (its text and Parquet readers count no bytes for
 * the job), so the check reads the file again on the driver, the way Spark read it (decoded by
 * the codec its name implies), counting the stored bytes the decoder consumed: fewer than the
 * length when the stream ended, the store's stream ends early (the connection's: "the read
 * ended at byte X of Y"); the whole length and a decoder that still ends early, the file is
 * cut (the verdict stands); the whole file decoded, it reads whole now, so the failed read was
 * cut short under the job. Costs one read of the file (its stored bytes, decoded when it is
 * compressed): only after a read failed at an end of data, never on a good run.
 *
 * <p>A second read that differs from the first also describes a file that changed in between:
 * rewritten in place (a local or HDFS file written again while the job ran) or replaced (S3's
 * 416 that S3A's read turned into -1, the new object reading whole). So the file's status is
 * asked first, and a modification time after the job began ({@code since}) is a change, the
 * input's (exit 2), never the connection's: the file system's clock against the driver's, so a
 * file written within a clock skew before the job began reads as changed (the old verdict, exit
 * 2), and a change after it is missed only by a clock skew the other way.
 */
final class ShortReads {

    private ShortReads() {
    }

    /**
     * What a second read of a failed file found: the store's stream cut short
     * ({@code changed} false: the connection's, exit 1) or a file modified since the job began
     * ({@code changed} true: the input's, exit 2), with the line that says so.
     */
    record Finding(boolean changed, String line) {
    }

    /**
     * Why {@code file}'s failed read was not the file's bytes: a {@link Finding} of the store's
     * stream cut short (a line saying at which byte of its length a second read ended, or that
     * the file reads whole now), unless the file's status says it was modified after
     * {@code since} (then a change, naming both times: the second read saw another file than
     * the first); null when the file reads to its length and ends early all the same (cut: the
     * verdict stands), when a file without a codec reads to its length (the failure was in its
     * bytes: a Parquet footer pointing past the end), or when the check cannot be made (the
     * status or the read failed otherwise: the first verdict stands).
     *
     * @param since when the job began reading (epoch ms, the driver's clock); a file modified
     *     later changed under the job; {@link Long#MAX_VALUE} when not known (no change check)
     */
    static Finding check(Configuration conf, Path file, long since) {
        try {
            FileSystem fs = file.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(file);
            long length = status.getLen();
            String cutShort = secondRead(conf, fs, file, length);
            if (cutShort == null) {
                return null;
            }
            long modified = status.getModificationTime();
            if (modified > since) {
                return new Finding(true, file + " was modified at "
                        + Instant.ofEpochMilli(modified) + ", after the job began reading it at "
                        + Instant.ofEpochMilli(since) + " (a second read: " + cutShort + ")");
            }
            return new Finding(false, cutShort);
        } catch (IOException | RuntimeException unchecked) {
            return null;
        }
    }

    /**
     * The second read of {@code file} ({@code length} bytes by its status): the line of a
     * stream cut short, or null when the file reads as a cut file (or, without a codec, whole).
     */
    private static String secondRead(Configuration conf, FileSystem fs, Path file, long length)
            throws IOException {
        CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(file);
        byte[] buffer = new byte[64 * 1024];
        try (Counted stored = new Counted(fs.open(file));
                InputStream in = codec == null ? stored : codec.createInputStream(stored)) {
            try {
                while (in.read(buffer) >= 0) {
                    // Read to the end, counting the stored bytes below the decoder.
                }
            } catch (EOFException early) {
                return stored.count < length ? endedAt(file, stored.count, length) : null;
            }
            if (stored.count < length) {
                return endedAt(file, stored.count, length);
            }
            return codec == null ? null : "its read ended early, and " + file
                    + " reads whole now (" + length + " bytes): its stream was cut short";
        }
    }

    private static String endedAt(Path file, long at, long length) {
        return "the read ended at byte " + at + " of " + length + " (" + file + ", read again:"
                + " its stream ends before the length its file system gives)";
    }

    /** Counts the bytes read through it (a decoder may ask for more than it uses). */
    private static final class Counted extends FilterInputStream {
        long count;

        Counted(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += Math.max(0, skipped);
            return skipped;
        }
    }
}
