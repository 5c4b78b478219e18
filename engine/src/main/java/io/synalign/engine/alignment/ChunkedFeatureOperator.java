package io.synalign.engine.alignment;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.VectorOps;
import java.util.Locale;

/**
 * The random-feature matrix {@code Phi} (n x D) of a {@link RowSource} of any length, as one
 * {@link FeatureOperator}: the rows are cut into a fixed grid of chunks of
 * {@link #chunkRows(int) C} rows (C depends only on D, so it is the same however the source
 * stores its rows), each chunk's {@code Phi_c} is a backend feature operator, and
 * <ul>
 *   <li>{@code Phi^T w = sum_c Phi_c^T w_c}, the chunks' D-vectors added in double in chunk
 *       order;</li>
 *   <li>{@code Phi z} is the chunks' {@code Phi_c z}, each written to its slice of the output.</li>
 * </ul>
 * The first {@code kept} chunks are built once and kept (on the backend: off-heap on nd4j, in
 * device memory on cuda) as long as they fit the byte budget given; the others are recomputed
 * from the source on every pass ({@code O(C d D)} each) and freed at once, so the memory is the
 * kept chunks plus one chunk, whatever n is. Results depend only on the values and the chunk
 * grid: a source stored as one array, as blocks of any size, or as a mapped file gives
 * bit-identical products. Each product costs one pass over the chunks; a recomputed chunk is
 * rebuilt in every pass (an MMD product {@code Phi (Phi^T w)} makes two). Not thread-safe.
 */
final class ChunkedFeatureOperator extends AbstractFeatureOperator {

    private final KernelBackend backend;
    private final VectorOps vectors;
    private final RowSource rows;
    private final FourierFeatures map;
    private final int n;
    private final int chunk;
    private final int chunks;
    private final FeatureOperator[] kept;
    private final float[] rowBuffer;
    private final DeviceVector rowSlice;
    private final DeviceVector lastRowSlice;
    private final DeviceVector featureScratch;
    private final ProgressListener progress;
    /** The operator recomputed chunks of full size are reloaded into (see {@link #operator}). */
    private FeatureOperator scratch;
    private long recomputed;

    /**
     * @param keepBytes how many bytes of chunks may be kept between passes
     * @param progress told about each pass over recomputed chunks ("features" stage)
     */
    ChunkedFeatureOperator(KernelBackend backend, RowSource rows, FourierFeatures map,
            long keepBytes, ProgressListener progress) {
        super(checkedRows(rows, map), map.features());
        this.backend = backend;
        this.vectors = backend.vectors();
        this.rows = rows;
        this.map = map;
        this.n = (int) rows.rows();
        this.chunk = chunkRows(backend, map.features());
        this.chunks = (n + chunk - 1) / chunk;
        this.progress = progress == null ? ProgressListener.NONE : progress;
        int keep = (int) Math.min(chunks, Math.max(0, keepBytes)
                / chunkBytes(backend, map.features()));
        this.kept = new FeatureOperator[keep];
        this.rowBuffer = new float[Math.multiplyExact(Math.min(chunk, Math.max(n, 1)),
                rows.cols())];
        DeviceVector a = null;
        DeviceVector b = null;
        DeviceVector c = null;
        try {
            a = vectors.zeros(Math.min(chunk, n));
            int last = n - (chunks - 1) * chunk;
            b = chunks > 0 && last != Math.min(chunk, n) ? vectors.zeros(last) : a;
            c = vectors.zeros(map.features());
            for (int k = 0; k < keep; k++) {
                this.progress.onProgress("features", k, keep, "kept chunk " + (k + 1) + "/"
                        + keep);
                kept[k] = build(k, true);
            }
        } catch (RuntimeException e) {
            for (FeatureOperator op : kept) {
                if (op != null) {
                    op.close();
                }
            }
            for (DeviceVector v : new DeviceVector[] {a, b == a ? null : b, c}) {
                if (v != null) {
                    v.close();
                }
            }
            throw e;
        }
        this.rowSlice = a;
        this.lastRowSlice = b;
        this.featureScratch = c;
    }

    /** n, once the rows are known to fit the feature map and one weight vector. */
    private static int checkedRows(RowSource rows, FourierFeatures map) {
        if (rows.cols() != map.dim()) {
            throw new IllegalArgumentException("dimension mismatch: rows have " + rows.cols()
                    + " columns, the feature map expects " + map.dim());
        }
        if (rows.rows() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(rows.name() + ": " + rows.rows()
                    + " rows are more than one weight vector holds (" + (Integer.MAX_VALUE - 8)
                    + ")");
        }
        return (int) rows.rows();
    }

    /**
     * Rows per chunk for D features on {@code backend} ({@link KernelBackend#featureChunkRows}:
     * 32 MiB of features on the CPU backends, 1 GiB on cuda). {@code -Dsynalign.rff.chunkRows=N}
     * sets it (tests force many chunks on small inputs with it).
     */
    static int chunkRows(KernelBackend backend, int features) {
        int forced = Integer.getInteger("synalign.rff.chunkRows", 0);
        if (forced > 0) {
            return forced;
        }
        return backend.featureChunkRows(features);
    }

    /** Bytes of one kept chunk of features. */
    static long chunkBytes(KernelBackend backend, int features) {
        return 4L * chunkRows(backend, features) * features;
    }

    /** Whether n rows with D features would recompute some chunks under {@code keepBytes}. */
    static boolean streams(KernelBackend backend, long n, int features, long keepBytes) {
        int chunk = chunkRows(backend, features);
        long chunks = (n + chunk - 1) / chunk;
        return Math.max(0, keepBytes) / chunkBytes(backend, features) < chunks;
    }

    /**
     * The plan for S (from {@code rows}) with D features under {@code keepBytes}, stated before
     * any work: what is kept, what is recomputed and how often, and the expected peak memory
     * (kept chunks, two chunks being built, the optimiser's ~14 vectors of n doubles, R).
     */
    static String plan(KernelBackend backend, RowSource rows, int features, long keepBytes,
            FloatMatrix real) {
        long n = rows.rows();
        int chunk = chunkRows(backend, features);
        long chunks = (n + chunk - 1) / chunk;
        long kept = Math.min(chunks, Math.max(0, keepBytes) / chunkBytes(backend, features));
        long keptBytes = kept * chunkBytes(backend, features);
        long peak = keptBytes + 2 * (chunkBytes(backend, features) + 4L * chunk * rows.cols())
                + 14L * 8 * n + real.bytes();
        long streamed = chunks - kept;
        return String.format(Locale.ROOT, "Phi_S %,d x %,d fp32 = %s in %,d chunks of %,d rows:"
                + " %s; expected peak %s (kept features %s, optimiser vectors %s), plus the pages"
                + " of the input read (up to %s, page cache the system reclaims)", n, features,
                MethodSelector.human(4L * n * features), chunks, chunk,
                streamed == 0 ? "all kept"
                        : String.format(Locale.ROOT, "%,d kept, %,d recomputed from %s in every"
                                + " pass, 2 passes per product (%s of rows read per pass)",
                                kept, streamed, rows.name(),
                                MethodSelector.human(4L * streamed * chunk * rows.cols())),
                MethodSelector.human(peak), MethodSelector.human(keptBytes),
                MethodSelector.human(14L * 8 * n),
                MethodSelector.human(4L * n * rows.cols()));
    }

    /** Chunks in the grid. */
    int chunks() {
        return chunks;
    }

    /** Chunks kept between passes. */
    int keptChunks() {
        return kept.length;
    }

    /** Chunks rebuilt from the source so far. */
    long recomputedChunks() {
        return recomputed;
    }

    /** How Phi_S is held, in one line, for the log and the report. */
    String describe() {
        int streamed = chunks - kept.length;
        return String.format(Locale.ROOT, "random features Phi_S %,d x %,d fp32 in %,d chunks of"
                + " %,d rows, %,d kept (%s)%s", n, map.features(), chunks, chunk, kept.length,
                MethodSelector.human(kept.length * chunkBytes(backend, map.features())),
                streamed == 0 ? "" : String.format(Locale.ROOT, ", %,d recomputed from %s in"
                        + " every pass", streamed, rows.name()));
    }

    /**
     * Chunk c's operator from its rows. A kept chunk gets rows of its own (an operator may hold
     * on to its input for its life); a recomputed one reads into the shared buffer, which is
     * not touched again before that operator is closed.
     */
    private FeatureOperator build(int c, boolean keep) {
        int start = c * chunk;
        int count = Math.min(chunk, n - start);
        float[] data = keep || count * rows.cols() != rowBuffer.length
                ? new float[count * rows.cols()] : rowBuffer;
        rows.read(start, count, data);
        return backend.fourierFeatureOperator(new FloatMatrix(count, rows.cols(), data), map);
    }

    /**
     * Chunk c's operator: kept, or recomputed now, into the scratch operator when the backend
     * can reload one in place (no fresh memory per chunk), else built anew (and closed by
     * {@link #release}).
     */
    private FeatureOperator operator(int c) {
        if (c < kept.length) {
            return kept[c];
        }
        recomputed++;
        int start = c * chunk;
        int count = Math.min(chunk, n - start);
        if (count == chunk && scratch != null) {
            rows.read(start, count, rowBuffer);
            if (scratch.reload(new FloatMatrix(count, rows.cols(), rowBuffer))) {
                return scratch;
            }
        }
        FeatureOperator op = build(c, false);
        if (count == chunk && scratch == null) {
            scratch = op;
        }
        return op;
    }

    private void release(int c, FeatureOperator op) {
        if (c >= kept.length && op != scratch) {
            op.close();
        }
    }

    private DeviceVector slice(int c) {
        return c == chunks - 1 ? lastRowSlice : rowSlice;
    }

    private void passProgress(int c, String what) {
        if (kept.length < chunks) {
            progress.onProgress("features", c, chunks, what);
        }
    }

    @Override
    public void transposeTimes(DeviceVector w, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkTransposeTimes(w, out, n, map.features());
        vectors.fill(out, 0.0);
        for (int c = 0; c < chunks; c++) {
            passProgress(c, "Phi^T w");
            FeatureOperator op = operator(c);
            try {
                DeviceVector part = slice(c);
                vectors.copyRange(w, (long) c * chunk, part, 0, part.length());
                op.transposeTimes(part, featureScratch);
                vectors.linearCombination(1, out, 1, featureScratch, out);
            } finally {
                release(c, op);
            }
        }
    }

    @Override
    public void times(DeviceVector z, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkTimes(z, out, n, map.features());
        for (int c = 0; c < chunks; c++) {
            passProgress(c, "Phi z");
            FeatureOperator op = operator(c);
            try {
                DeviceVector part = slice(c);
                op.times(z, part);
                vectors.copyRange(part, 0, out, (long) c * chunk, part.length());
            } finally {
                release(c, op);
            }
        }
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        try (DeviceVector wv = vectors.of(w); DeviceVector o = vectors.zeros(out.length)) {
            transposeTimes(wv, o);
            vectors.read(o, out);
        }
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        try (DeviceVector zv = vectors.of(z); DeviceVector o = vectors.zeros(out.length)) {
            times(zv, o);
            vectors.read(o, out);
        }
    }

    @Override
    protected void release() {
        for (FeatureOperator op : kept) {
            op.close();
        }
        if (scratch != null) {
            scratch.close();
        }
        rowSlice.close();
        if (lastRowSlice != rowSlice) {
            lastRowSlice.close();
        }
        featureScratch.close();
    }
}
