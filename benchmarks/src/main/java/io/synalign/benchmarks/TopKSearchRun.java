package io.synalign.benchmarks;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The top-k search of {@code synalign negatives} on embeddings, for the NumPy peer
 * ({@code benchmarks/peer/numpy_peer.py negatives}): reads Q.npy and C.npy (float32, C order),
 * runs {@link InnerProductSearch} (no exclusions) on the named backend, writes the hits as an
 * int32 .npy and prints one JSON line with the search time (reading excluded). Memory: the two
 * matrices, the hits and the search's tiles.
 *
 * <pre>java -cp benchmarks.jar io.synalign.benchmarks.TopKSearchRun Q.npy C.npy K OUT.npy [BACKEND]</pre>
 */
public final class TopKSearchRun {

    private TopKSearchRun() {
    }

    public static void main(String[] args) throws IOException {
        FloatMatrix q = read(Path.of(args[0]));
        FloatMatrix c = read(Path.of(args[1]));
        int k = Integer.parseInt(args[2]);
        Path out = Path.of(args[3]);
        String backendName = args.length > 4 ? args[4] : "nd4j";
        InnerProductSearch.Hits hits;
        long start;
        long end;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            start = System.nanoTime();
            hits = InnerProductSearch.search(backend, q, c, k, null, ProgressListener.NONE);
            end = System.nanoTime();
        }
        writeInts(out, hits.indices(), q.rows(), k);
        System.out.printf(Locale.ROOT, "{\"seconds\": %.3f, \"queries\": %d, \"corpus\": %d, \"dim\": %d,"
                + " \"k\": %d, \"backend\": \"%s\"}%n", (end - start) / 1e9, q.rows(), c.rows(), q.cols(), k,
                backendName);
    }

    private static final Pattern SHAPE = Pattern.compile("'shape': \\((\\d+), (\\d+)\\)");

    /** A float32 little-endian C-order 2-d .npy (version 1 or 2 header). */
    static FloatMatrix read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(head, 0);
            int major = head.get(6);
            int headerLen = major == 1 ? Short.toUnsignedInt(head.getShort(8)) : head.getInt(8);
            int offset = major == 1 ? 10 : 12;
            ByteBuffer h = ByteBuffer.allocate(headerLen);
            ch.read(h, offset);
            String header = new String(h.array(), StandardCharsets.ISO_8859_1);
            if (!header.contains("'descr': '<f4'") || !header.contains("'fortran_order': False")) {
                throw new IOException(file + ": not a float32 C-order matrix: " + header.strip());
            }
            Matcher m = SHAPE.matcher(header);
            if (!m.find()) {
                throw new IOException(file + ": not a 2-d matrix: " + header.strip());
            }
            int rows = Integer.parseInt(m.group(1));
            int cols = Integer.parseInt(m.group(2));
            float[] data = new float[Math.multiplyExact(rows, cols)];
            long at = offset + headerLen;
            ByteBuffer buf = ByteBuffer.allocate(1 << 24).order(ByteOrder.LITTLE_ENDIAN);
            int filled = 0;
            while (filled < data.length) {
                buf.clear();
                int want = Math.min(buf.capacity(), (data.length - filled) * 4);
                buf.limit(want);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, at + buf.position()) < 0) {
                        throw new IOException(file + ": ends early");
                    }
                }
                buf.flip();
                int n = want / 4;
                buf.asFloatBuffer().get(data, filled, n);
                filled += n;
                at += want;
            }
            return new FloatMatrix(rows, cols, data);
        }
    }

    /** An int32 little-endian .npy of shape (rows, cols). */
    static void writeInts(Path file, int[] values, int rows, int cols) throws IOException {
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        StringBuilder header = new StringBuilder(dict).append(" ".repeat(pad)).append('\n');
        try (OutputStream o = Files.newOutputStream(file)) {
            ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0)
                    .putShort((short) header.length());
            o.write(pre.array());
            o.write(header.toString().getBytes(StandardCharsets.US_ASCII));
            ByteBuffer body = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            body.asIntBuffer().put(values);
            o.write(body.array());
        }
    }
}
