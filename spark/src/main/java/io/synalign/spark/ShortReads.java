package io.synalign.spark;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
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
 */
final class ShortReads {

    private ShortReads() {
    }

    /**
     * Why {@code file}'s failed read was the store's stream cut short, not the file: a line
     * saying at which byte of its length a second read ended, or that the file reads whole now;
     * null when the file reads to its length and ends early all the same (cut: the verdict
     * stands), when a file without a codec reads to its length (the failure was in its bytes:
     * a Parquet footer pointing past the end), or when the check cannot be made (the status or
     * the read failed otherwise: the first verdict stands).
     */
    static String check(Configuration conf, Path file) {
        try {
            FileSystem fs = file.getFileSystem(conf);
            long length = fs.getFileStatus(file).getLen();
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
        } catch (IOException | RuntimeException unchecked) {
            return null;
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
