package io.synalign.kernels.cuda;

import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.host.ParallelRanges;
import java.util.Objects;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Copies between Java {@code float[]} and native memory (the pinned staging buffers), split over
 * the cores when large.
 *
 * <p>Why: every row tile that streams to the device, and every tile that comes back, crosses the
 * JNI boundary as one {@code memcpy} between the Java heap and pinned memory. On one thread that
 * copy runs at about 17 GB/s (measured here, 64 MiB), below what a PCIe 5 or NVLink host link
 * moves (about 50 GB/s), so at 10⁸ rows × 384 (154 GB per pass) it, not the link, set the time
 * per pass; on two threads it reached 31 GB/s. Each task copies a disjoint range through its own
 * pointer view; every task catches what it throws, so none is still writing the buffer when this
 * returns (the buffer is pooled and reused by the next tile): {@link ParallelRanges}.
 *
 * <p>Cost: one pass over {@code count} floats; no allocation besides one pointer view per task.
 */
final class HostCopy {

    /** Floats per task, at least, before a copy is split (4 MiB of float32). */
    static final long PARALLEL_FLOATS = 1L << 20;

    /** Floats a task of {@link #putCentred} centres before each copy out (64 KiB). */
    static final int CENTRED_BATCH_FLOATS = 1 << 14;

    private static final int PARALLELISM = Math.max(1, Runtime.getRuntime().availableProcessors());

    private HostCopy() {
    }

    /** {@code src[from, from + count)} to floats {@code [at, at + count)} of {@code to}. */
    static void put(float[] src, int from, int count, Pointer to, long at) {
        put(src, from, count, to, at, PARALLELISM, PARALLEL_FLOATS);
    }

    /** {@link #put} over at most {@code threads} tasks of at least {@code minFloats} (tests). */
    static void put(float[] src, int from, int count, Pointer to, long at, int threads,
            long minFloats) {
        Objects.checkFromIndexSize(from, count, src.length);
        long base = address(to, at);
        split(count, threads, minFloats, (lo, hi) ->
                view(base, lo, hi).put(src, from + lo, hi - lo));
    }

    /**
     * Rows {@code [first, first + count)} of {@code src} (row-major, {@code map.dim()} columns),
     * each less the map's centre ({@link FourierFeatures#centreRow}), to floats {@code [at, at +
     * count d)} of {@code to}: the operand of a centred map's phase GEMM. Each task centres its
     * rows through a 64 KiB heap buffer of its own, then copies it out.
     */
    static void putCentred(FourierFeatures map, float[] src, int first, int count, Pointer to,
            long at) {
        putCentred(map, src, first, count, to, at, PARALLELISM, PARALLEL_FLOATS);
    }

    /** {@link #putCentred} over at most {@code threads} tasks of at least {@code minFloats}. */
    static void putCentred(FourierFeatures map, float[] src, int first, int count, Pointer to,
            long at, int threads, long minFloats) {
        int d = map.dim();
        Objects.checkFromIndexSize((long) first * d, (long) count * d, src.length);
        long base = address(to, at);
        long minRows = Math.max(1, minFloats / d);
        ParallelRanges.run(count, ParallelRanges.tasks(count, threads, minRows), (lo, hi) -> {
            int batch = Math.max(1, Math.min(hi - lo, CENTRED_BATCH_FLOATS / d));
            float[] rows = new float[batch * d];
            for (int r = lo; r < hi; r += batch) {
                int n = Math.min(batch, hi - r);
                for (int i = 0; i < n; i++) {
                    map.centreRow(src, first + r + i, rows, i * d);
                }
                view(base, r * d, (r + n) * d).put(rows, 0, n * d);
            }
        });
    }

    /** Floats {@code [at, at + count)} of {@code from} to {@code dst[to, to + count)}. */
    static void get(Pointer from, long at, float[] dst, int to, int count) {
        get(from, at, dst, to, count, PARALLELISM, PARALLEL_FLOATS);
    }

    /** {@link #get} over at most {@code threads} tasks of at least {@code minFloats} (tests). */
    static void get(Pointer from, long at, float[] dst, int to, int count, int threads,
            long minFloats) {
        Objects.checkFromIndexSize(to, count, dst.length);
        long base = address(from, at);
        split(count, threads, minFloats, (lo, hi) ->
                view(base, lo, hi).get(dst, to + lo, hi - lo));
    }

    /** Byte address of float {@code at} of {@code p} (its position is ignored). */
    private static long address(Pointer p, long at) {
        if (p == null || p.isNull()) {
            throw new IllegalArgumentException("null native pointer");
        }
        if (at < 0) {
            throw new IllegalArgumentException("negative offset " + at);
        }
        return p.address() + 4 * at;
    }

    /** Floats {@code [lo, hi)} from {@code base}, as a pointer of their own. */
    private static FloatPointer view(long base, int lo, int hi) {
        return new FloatPointer(new RawPointer(base + 4L * lo)).capacity(hi - lo);
    }

    private static void split(int count, int threads, long minFloats,
            ParallelRanges.Range range) {
        ParallelRanges.run(count, ParallelRanges.tasks(count, threads, minFloats), range);
    }
}
