package io.synalign.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * Several {@link RowSource}s of one column count, one after another (shards of one set of rows:
 * embedding files written by several workers). A read that spans a boundary is split into one
 * read of each part it touches, so a part names a bad value by its own name and row. Closing
 * closes every part.
 */
final class ConcatenatedRows implements RowSource {

    private final List<RowSource> parts;
    /** {@code starts[p]}: the first row of part p; {@code starts[parts]}: the total. */
    private final long[] starts;
    private final int cols;
    private final String name;
    /**
     * Floats of the buffer a later part of a spanning read goes through (16 MiB): large enough
     * that a part's own read of a slice may still be split over threads (an .npy source splits
     * reads of 2^21 floats and more).
     */
    static final int STAGING_FLOATS = 1 << 22;
    private final int stagingFloats;
    /** That buffer, kept between reads (sources are read by one thread at a time). */
    private float[] staging;

    ConcatenatedRows(List<? extends RowSource> parts) {
        this(parts, STAGING_FLOATS);
    }

    /** With a buffer of {@code stagingFloats} (at least one row's worth is used). */
    ConcatenatedRows(List<? extends RowSource> parts, int stagingFloats) {
        this.stagingFloats = stagingFloats;
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("a concatenation needs at least one row source");
        }
        this.parts = List.copyOf(parts);
        this.cols = parts.get(0).cols();
        this.starts = new long[parts.size() + 1];
        for (int p = 0; p < parts.size(); p++) {
            RowSource part = parts.get(p);
            if (part.cols() != cols) {
                throw new IllegalArgumentException(part.name() + " has " + part.cols()
                        + " columns, " + parts.get(0).name() + " has " + cols);
            }
            starts[p + 1] = Math.addExact(starts[p], part.rows());
        }
        this.name = describe(this.parts);
    }

    private static String describe(List<RowSource> parts) {
        if (parts.size() <= 3) {
            List<String> names = new ArrayList<>();
            parts.forEach(p -> names.add(p.name()));
            return String.join(" + ", names);
        }
        return parts.get(0).name() + " + ... + " + parts.get(parts.size() - 1).name() + " ("
                + parts.size() + " parts)";
    }

    @Override
    public long rows() {
        return starts[parts.size()];
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int bytesPerStoredValue() {
        int most = Float.BYTES;
        for (RowSource part : parts) {
            most = Math.max(most, part.bytesPerStoredValue());
        }
        return most;
    }

    @Override
    public void read(long start, int count, float[] out) {
        RowSource.checkRead(this, start, count, out);
        if (count == 0) {
            return;
        }
        int p = part(start);
        long row = start;
        int written = 0;
        while (written < count) {
            while (starts[p + 1] <= row) {
                p++; // skips empty parts too
            }
            int take = (int) Math.min(count - written, starts[p + 1] - row);
            RowSource part = parts.get(p);
            if (written == 0) {
                part.read(row - starts[p], take, out); // the common case: no copy
            } else {
                // RowSource.read writes from index 0: a later part goes through a small
                // buffer, a slice at a time, so a read spanning large parts (a whole-matrix
                // read of shards) needs no second copy of them.
                int slice = Math.max(1, stagingFloats / cols);
                for (int done = 0; done < take; done += slice) {
                    int rowsNow = Math.min(slice, take - done);
                    if (staging == null || staging.length < rowsNow * cols) {
                        staging = new float[Math.min(slice, take) * cols];
                    }
                    part.read(row - starts[p] + done, rowsNow, staging);
                    System.arraycopy(staging, 0, out, (written + done) * cols, rowsNow * cols);
                }
            }
            written += take;
            row += take;
        }
    }

    /** The part that holds row {@code row} (the last of equal starts: not an empty one). */
    private int part(long row) {
        int lo = 0;
        int hi = parts.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= row) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * Closes every part, the first failure thrown with the others suppressed; an {@link Error}
     * of one part's close does not leave the parts after it open.
     */
    @Override
    public void close() {
        Throwable failure = null;
        for (RowSource part : parts) {
            try {
                part.close();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error r) {
            throw r;
        }
    }
}
