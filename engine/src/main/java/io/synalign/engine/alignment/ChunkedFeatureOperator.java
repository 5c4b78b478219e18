package io.synalign.engine.alignment;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.OperatorArguments;
import io.synalign.kernels.RowPieces;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.VectorOps;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The feature matrix {@code Phi} (n x D) of a {@link RowSource} of any length under a
 * {@link RowFeatureMap} (rff's random Fourier features, or the landmark kernel columns
 * {@code K_SL} of nystrom), as one {@link FeatureOperator}: the rows are cut into a fixed grid
 * of chunks of {@link #chunkRows(KernelBackend, int, int, boolean) C} rows (C depends only on
 * the backend, D and the rows' width d, so it is the same however the source stores its rows
 * and whatever the heap, where the map builds from pieces), each chunk's {@code Phi_c} is a
 * feature operator built by the map, and
 * <ul>
 *   <li>{@code Phi^T w = sum_c Phi_c^T w_c}, the chunks' D-vectors added in double in chunk
 *       order;</li>
 *   <li>{@code Phi z} is the chunks' {@code Phi_c z}, each written to its slice of the output.</li>
 * </ul>
 * The first {@code kept} chunks are built once and kept (on the backend: off-heap on nd4j, in
 * device memory on cuda) as long as they fit the byte budget given; the others are recomputed
 * from the source on every pass (rff {@code O(C d D)} each, one kernel block {@code O(C d r)}
 * for nystrom) and freed at once (or reloaded into one reused operator where the map's
 * operators can reload), so the memory is the kept chunks
 * plus one chunk and two row buffers, whatever n is. Results depend only on the values and the
 * chunk grid: a source stored as one array, as blocks of any size, or as a file gives
 * bit-identical products. Each product costs one pass over the chunks; a recomputed chunk is
 * rebuilt in every pass (an MMD product {@code Phi (Phi^T w)} makes two).
 *
 * <p>Reading ahead: when some chunks are recomputed, reading chunk c + 1's rows (reads of
 * a file of many GB, as costly as the features' GEMM) overlaps chunk c's work: one daemon
 * reader thread reads the next recomputed chunk into the second of two row buffers while the
 * caller builds and uses the chunk in the first (the first recomputed chunk of a pass is read
 * while the kept chunks are used). The source is still read by one thread at a time, chunk after
 * chunk in the order of the passes, only the chunks a pass uses, and the rows are the same, so
 * the results are bit-identical to reading in line; an exception of the read (a bad value, an
 * unreadable file) is thrown to the caller unchanged, from the pass that needs the chunk. When
 * every chunk is kept there is no reader thread; {@link #close()} waits for a read in flight and
 * stops the thread. Not thread-safe.
 *
 * <p>The arithmetic grid and the read block are two things (helper chunkgrid34). A chunk's rows
 * are read in pieces of at most {@link #readRows} rows (1/16 of the heap's maximum in rows, at
 * most the chunk), and a map that builds from pieces ({@link RowFeatureMap#buildsFromPieces}:
 * rff on the reference backend and both of nd4j's paths, the portable one since helper grid35)
 * builds the chunk's operator from them to
 * the bits of the whole chunk, so the weights do not depend on {@code -Xmx}. Before, a chunk's
 * rows were read at once and so the chunk itself was capped at 1/16 of the heap (heap33): at
 * wide rows or small heaps the grid, and the order the chunks' sums are added in, followed
 * {@code -Xmx}. nystrom's landmark kernel, whose backend operators take the chunk's rows whole,
 * reads a chunk whole, and its grid is capped at a constant bytes of rows instead of the heap
 * ({@link #landmarkChunkRows}, helper grid35). A backend answering
 * {@link KernelBackend#featureRowsInPieces} false (cuda) keeps heap33's capped grid for both
 * maps, with one piece per chunk. The reader
 * reads ahead by pieces, in two slots used in turn (each a full piece and, at a chunk's end, a
 * shorter one), so at most four pieces of rows, under a quarter of the heap, are held.
 */
final class ChunkedFeatureOperator extends AbstractFeatureOperator {

    private final KernelBackend backend;
    private final VectorOps vectors;
    private final RowSource rows;
    private final RowFeatureMap map;
    private final int n;
    private final int chunk;
    private final int chunks;
    /** Rows per piece read (see {@link #readRows}); {@code chunk} where the map takes no pieces. */
    private final int piece;
    /** Pieces of a full chunk. */
    private final int piecesPerChunk;
    private final FeatureOperator[] kept;
    private final DeviceVector rowSlice;
    private final DeviceVector lastRowSlice;
    private final DeviceVector featureScratch;
    private final ProgressListener progress;
    /** Reads recomputed chunks' rows, one ahead; null when every chunk is kept. */
    private final RowReader reader;
    /** The operator recomputed chunks of full size are reloaded into (see {@link #operator}). */
    private FeatureOperator scratch;
    /** False once the scratch operator refused a reload: no scratch is kept from then on. */
    private boolean reloadable = true;
    private long recomputed;

    /**
     * rff's {@code Phi_S}: {@link #ChunkedFeatureOperator(KernelBackend, RowSource,
     * RowFeatureMap, long, ProgressListener)} with the backend's random Fourier features.
     */
    ChunkedFeatureOperator(KernelBackend backend, RowSource rows, FourierFeatures map,
            long keepBytes, ProgressListener progress) {
        this(backend, rows, RowFeatureMap.fourier(backend, map), keepBytes, progress);
    }

    /**
     * @param keepBytes how many bytes of chunks may be kept between passes
     * @param progress told about each pass over recomputed chunks ("features" stage)
     */
    ChunkedFeatureOperator(KernelBackend backend, RowSource rows, RowFeatureMap map,
            long keepBytes, ProgressListener progress) {
        super(checkedRows(rows, map), map.features());
        this.backend = backend;
        this.vectors = backend.vectors();
        this.rows = rows;
        this.map = map;
        this.n = (int) rows.rows();
        this.chunk = map.chunkRows(backend, rows.cols());
        // In long: n + chunk passed an int for n within a chunk of 2^31 (up to 8,388,608 rows
        // on the CPU backends, at D = 1), giving a negative count.
        this.chunks = (int) ((n + (long) chunk - 1) / chunk);
        this.piece = map.buildsFromPieces() ? readRows(chunk, rows.cols()) : chunk;
        this.piecesPerChunk = (int) ((chunk + (long) piece - 1) / piece);
        this.progress = progress == null ? ProgressListener.NONE : progress;
        int keep = (int) keptChunks(n, chunk, map.features(), keepBytes);
        this.kept = new FeatureOperator[keep];
        this.reader = keep < chunks ? new RowReader() : null;
        DeviceVector a = null;
        DeviceVector b = null;
        DeviceVector c = null;
        try {
            a = vectors.zeros(Math.min(chunk, n));
            int last = n - (chunks - 1) * chunk;
            b = chunks > 0 && last != Math.min(chunk, n) ? vectors.zeros(last) : a;
            c = vectors.zeros(map.features());
            for (int k = 0; k < keep; k++) {
                Cancellation.stopIfInterrupted(CANCELLED);
                this.progress.onProgress("features", k, keep, "kept chunk " + (k + 1) + "/"
                        + keep);
                kept[k] = buildKept(k);
            }
        } catch (RuntimeException | Error e) {
            // Errors too: a kept chunk's rows are a fresh heap array and its features fresh
            // off-heap or device memory, so an OutOfMemoryError is a likely failure here, and
            // the vectors (device memory on cuda) would outlive it (gaps30).
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
    private static int checkedRows(RowSource rows, RowFeatureMap map) {
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
     * Rows per chunk for D features of rows with {@code cols} columns on {@code backend}
     * ({@link KernelBackend#featureChunkRows}: 32 MiB of float32 features on nd4j, 16 MiB of
     * the reference's float64 ones (helper chunkgrid34b), 1 GiB on cuda), at most
     * {@link #MAX_ARRAY} / cols: a chunk's rows are read into one {@code float[]}, and the
     * backend's answer counts features only (cuda's 1 GiB at D = 16 is 16.7 M rows, 6.4e9
     * floats at d = 384, which no Java array holds). The cap binds only where D < d / 8 on
     * cuda, D < d / 256 on nd4j and D < d / 1,024 on the reference; the default D = 1,024 is
     * far from it.
     *
     * <p>And at most {@link #heapRows}: a chunk's rows within 1/16 of the heap's maximum. The
     * operator holds up to three chunks of rows on the heap (two read in turn, one for a ragged
     * last chunk) besides the kept features, and the backend's answer counts features only, so
     * at wide rows the rows were what ran out: at d = 10,000 and D = 1,024, 8,192 rows are
     * 328 MB a buffer, past a 256 MiB heap (OutOfMemoryError where the features took 32 MiB;
     * helper heap33). The cap binds only at wide rows or small heaps (CPU, D = 1,024: d = 384
     * below a 201 MB heap, d = 768 below 403 MB, d = 4,096 below 2.1 GB); there the grid, and so
     * the order the chunks' sums are added in, depends on {@code -Xmx} (the weights by rounding
     * only, as for any other chunk size), which is constant for a JVM, so the plan, the operator
     * and the report still agree.
     * {@code -Dsynalign.rff.chunkRows=N} sets it, for rff and nystrom alike (tests force many
     * chunks on small inputs with it).
     *
     * <p>That heap cap is now only for a map that cannot build from pieces
     * ({@code inPieces} false: cuda; nystrom's grid is {@link #landmarkChunkRows}); where it
     * can, the chunk's rows are read in pieces of {@link #readRows} instead and the grid is a
     * function of the backend, D and d only, whatever {@code -Xmx} (helper chunkgrid34): the
     * weights are the same bits under any heap.
     *
     * @param inPieces whether the chunk's operator is built from pieces of its rows
     *     ({@link RowFeatureMap#buildsFromPieces})
     */
    static int chunkRows(KernelBackend backend, int features, int cols, boolean inPieces) {
        int forced = Integer.getInteger("synalign.rff.chunkRows", 0);
        if (forced > 0) {
            return forced;
        }
        long rows = Math.min(backend.featureChunkRows(features), MAX_ARRAY / Math.max(1, cols));
        return (int) (inPieces ? rows : Math.min(rows, heapRows(maxHeap(), cols)));
    }

    /**
     * Rows per chunk of nystrom's {@code K_SL} for r landmarks of rows with {@code cols}
     * columns: the backend's chunk for r features and one Java array, as rff's grid, and at most
     * {@link #LANDMARK_ROWS_BYTES} of rows, a constant (helper grid35). A landmark chunk is two
     * backend kernel operators built from the chunk's rows whole (nd4j's centres its distance
     * GEMM by a sample of them, and every product runs over the chunk), so it cannot be built
     * from pieces of a read; heap33 capped the chunk at 1/16 of the heap instead, so nystrom's
     * weights followed {@code -Xmx} (by rounding) where that cap bound. A constant cap keeps the
     * rows of a chunk as small as heap33's cap made them at the smallest heap the memory tests
     * run in (96 MiB), whatever the heap, and makes the grid a function of the backend, r and d
     * only. Cost: at wide rows and large heaps more, smaller chunks than heap33's (d = 384:
     * 4,096 rows a chunk, where an 8 GiB heap allowed the backend's 8,192 at r = 1,024), the same
     * flops; a kernel operator's setup and one r-vector sum more per extra chunk and pass.
     *
     * <p>On a backend that builds no random features from pieces
     * ({@link KernelBackend#featureRowsInPieces} false: cuda) heap33's grid stays, for both
     * maps: its chunk is sized for the device's GEMMs, and no GPU was at hand to measure a
     * smaller one. {@code -Dsynalign.rff.chunkRows=N} sets it as it does rff's.
     */
    static int landmarkChunkRows(KernelBackend backend, int landmarks, int cols) {
        int grid = chunkRows(backend, landmarks, cols, backend.featureRowsInPieces());
        if (!backend.featureRowsInPieces() || Integer.getInteger("synalign.rff.chunkRows", 0) > 0) {
            return grid;
        }
        return (int) Math.min(grid, Math.max(1, LANDMARK_ROWS_BYTES / (4L * Math.max(1, cols))));
    }

    /**
     * The most bytes of float rows in one nystrom chunk ({@link #landmarkChunkRows}): 6 MiB,
     * 1/16 of a 96 MiB heap (heap33's smallest tested heap), so that on any heap of at least
     * 96 MiB a chunk's rows, read whole, stay within the 1/16 that a read of rff's takes.
     */
    static final long LANDMARK_ROWS_BYTES = 6L << 20;

    /**
     * rff's chunk rows: {@link #chunkRows(KernelBackend, int, int, boolean)} as the backend
     * builds random features ({@link KernelBackend#featureRowsInPieces}).
     */
    static int chunkRows(KernelBackend backend, int features, int cols) {
        return chunkRows(backend, features, cols, backend.featureRowsInPieces());
    }

    /**
     * Rows read at once for a chunk of {@code chunk} rows of {@code cols} columns: at most
     * {@link #heapRows} of this JVM's heap, at most the chunk. Only how the rows are read, never
     * the arithmetic (see the class comment).
     */
    static int readRows(int chunk, int cols) {
        return (int) Math.max(1, Math.min(chunk, heapRows(maxHeap(), cols)));
    }

    /**
     * The heap's maximum the row caps are taken from: {@code Runtime.maxMemory()}, or
     * {@code -Dsynalign.rff.heapBytes=N} (tests give two heaps in one JVM with it).
     */
    static long maxHeap() {
        long forced = Long.getLong(HEAP_BYTES_PROPERTY, 0L);
        return forced > 0 ? forced : Runtime.getRuntime().maxMemory();
    }

    /** The property that stands in for the heap's maximum in the row caps (tests). */
    static final String HEAP_BYTES_PROPERTY = "synalign.rff.heapBytes";

    /**
     * The most rows of {@code cols} float columns within 1/16 of a heap of {@code maxHeap}
     * bytes, at least 1: the heap's share of one piece of rows read (see {@link #readRows}),
     * and of a chunk where the map takes no pieces (see {@link #chunkRows}).
     */
    static long heapRows(long maxHeap, int cols) {
        return Math.max(1, maxHeap / 16 / (4L * Math.max(1, cols)));
    }

    /** Bytes of one kept chunk of features: {@link #chunkBytes(int, int)} of its chunkRows. */
    static long chunkBytes(KernelBackend backend, int features, int cols) {
        return chunkBytes(chunkRows(backend, features, cols), features);
    }

    /** Bytes of one kept chunk of {@code chunkRows} rows of D features (fp32). */
    static long chunkBytes(int chunkRows, int features) {
        return 4L * chunkRows * features;
    }

    /**
     * Whether n rows of {@code cols} columns with D features would recompute some chunks under
     * {@code keepBytes}.
     */
    static boolean streams(KernelBackend backend, long n, int features, int cols, long keepBytes,
            boolean inPieces) {
        return streams(n, chunkRows(backend, features, cols, inPieces), features, keepBytes);
    }

    /** Whether n rows in chunks of {@code chunk} rows of D features recompute some chunks. */
    static boolean streams(long n, int chunk, int features, long keepBytes) {
        return keptChunks(n, chunk, features, keepBytes) < (n + chunk - 1) / chunk;
    }

    /**
     * Chunks kept under {@code keepBytes} of n rows in chunks of {@code chunk} rows of D
     * features: all of them where the n rows' features fit (the last chunk is short, and a lone
     * chunk holds n rows, not the grid's), else as many whole chunks as fit (the first ones, all
     * full). Before, every chunk was counted at the grid's rows, so an input smaller than one
     * chunk (nystrom's constant 6 MiB cap holds 524,288 rows at d = 3) was counted at the whole
     * chunk's bytes, recomputed in every pass under a budget its features fitted, and reported
     * as "kept (28.0 MiB)" for 23 rows.
     */
    static long keptChunks(long n, int chunk, int features, long keepBytes) {
        long chunks = (n + chunk - 1) / chunk;
        long budget = Math.max(0, keepBytes);
        if (budget >= 4L * n * features) {
            return chunks;
        }
        return Math.min(chunks, budget / chunkBytes(chunk, features));
    }

    /** Bytes of the features of the first {@code kept} chunks of n rows: rows, not the grid's. */
    static long keptBytes(long n, int chunk, int features, long kept) {
        return 4L * Math.min(n, kept * chunk) * features;
    }

    /** rff's plan: {@link #plan(KernelBackend, RowSource, String, int, long, FloatMatrix)} of Phi_S. */
    static String plan(KernelBackend backend, RowSource rows, int features, long keepBytes,
            FloatMatrix real) {
        return plan(backend, rows, "Phi_S", features, 1, keepBytes, real, 0,
                backend.featureRowsInPieces());
    }

    /**
     * nystrom's plan: {@link #plan(KernelBackend, RowSource, String, int, int, long, FloatMatrix,
     * int)} of K_SL (two copies of each chunk) with its r landmarks' matrices.
     */
    static String nystromPlan(KernelBackend backend, RowSource rows, int landmarks,
            long keepBytes, FloatMatrix real) {
        return plan(rows, "K_SL", landmarks, 2, keepBytes, real, landmarks,
                landmarkChunkRows(backend, landmarks, rows.cols()), false);
    }

    /**
     * The plan for S (from {@code rows}) with D features under {@code keepBytes}, stated before
     * any work: what is kept, what is recomputed and how often, and the expected peak memory
     * (kept chunks, two chunks being built with their two row buffers, the optimiser's ~14
     * vectors of n doubles, R). That peak counts live data; the process's resident memory is
     * larger by what the JVM's heap grows before it collects (the 10^7-row run planned 1.3 GiB
     * and peaked at 3.93 GiB under -Xmx8g), so the line names the heap's limit beside it.
     *
     * @param symbol the matrix held, {@code "Phi_S"} (rff) or {@code "K_SL"} (nystrom)
     * @param copies how many copies of each chunk's matrix its operator keeps (nystrom keeps
     *     K_cL and K_Lc: 2); {@code keepBytes} counts a chunk once, the memory figures all
     * @param landmarks nystrom's r (0 for rff): K_LL's decomposition holds about 28 r^2 bytes
     *     before the chunks are built (K_LL in float, its symmetric part and eigenvectors in
     *     double, G^T), and G^T's 8 r^2 bytes stay for the fit (r = 4,096: 0.44 GiB, then 0.13)
     * @param inPieces whether the chunks are built from pieces of their rows (the grid and the
     *     row buffers: {@link #chunkRows(KernelBackend, int, int, boolean)}, {@link #readRows})
     */
    static String plan(KernelBackend backend, RowSource rows, String symbol, int features,
            int copies, long keepBytes, FloatMatrix real, int landmarks, boolean inPieces) {
        return plan(rows, symbol, features, copies, keepBytes, real, landmarks,
                chunkRows(backend, features, rows.cols(), inPieces), inPieces);
    }

    /** The plan of chunks of {@code chunk} rows (see the method above). */
    private static String plan(RowSource rows, String symbol, int features, int copies,
            long keepBytes, FloatMatrix real, int landmarks, int chunk, boolean inPieces) {
        long n = rows.rows();
        int read = inPieces ? readRows(chunk, rows.cols()) : chunk;
        // One chunk's build holds at most n rows' features (a lone chunk is the input's rows).
        long chunkBytes = chunkBytes((int) Math.min(chunk, n), features);
        long chunks = (n + chunk - 1) / chunk;
        long kept = keptChunks(n, chunk, features, keepBytes);
        long keptBytes = keptBytes(n, chunk, features, kept) * copies;
        long landmarkBytes = 8L * landmarks * landmarks;
        long vectors = 14L * 8 * n + real.bytes();
        long peak = Math.max(keptBytes + 2 * (chunkBytes * copies
                + 4L * read * rows.cols()) + vectors + landmarkBytes,
                28L * landmarks * landmarks + vectors);
        long streamed = chunks - kept;
        // The first chunks are kept; the last one may be short.
        long streamedRows = n - Math.min(n, kept * chunk);
        return String.format(Locale.ROOT, "%s %,d x %,d fp32 = %s in %,d chunks of %,d rows%s:"
                + " %s; expected peak %s (kept features %s, optimiser vectors %s%s: live data;"
                + " the JVM's heap may grow toward its limit, %s, before it collects); the input"
                + " is read through the system's page cache (up to %s, not this process's"
                + " memory)", symbol, n,
                features,
                MethodSelector.human(4L * n * features * copies)
                        + (copies == 1 ? "" : " (" + copies + " copies)"), chunks, chunk,
                read == chunk ? "" : String.format(Locale.ROOT, " (read %,d rows at a time)",
                        read),
                streamed == 0 ? "all kept"
                        : String.format(Locale.ROOT, "%,d kept, %,d recomputed from %s in every"
                                + " pass, 2 passes per product (%s of rows read per pass)",
                                kept, streamed, rows.name(),
                                MethodSelector.human((long) rows.bytesPerStoredValue()
                                        * streamedRows * rows.cols())),
                MethodSelector.human(peak), MethodSelector.human(keptBytes),
                MethodSelector.human(14L * 8 * n),
                landmarks == 0 ? "" : ", landmark matrices "
                        + MethodSelector.human(28L * landmarks * landmarks) + " while decomposed, "
                        + MethodSelector.human(landmarkBytes) + " kept",
                MethodSelector.human(Runtime.getRuntime().maxMemory()),
                MethodSelector.human((long) rows.bytesPerStoredValue() * n * rows.cols()));
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

    /** How the features are held, in one line, for the log and the report. */
    String describe() {
        int streamed = chunks - kept.length;
        return String.format(Locale.ROOT, "%s %s %,d x %,d fp32 in %,d chunks of %,d rows%s,"
                + " %,d kept (%s)%s", map.kind(), map.symbol(), n, map.features(), chunks, chunk,
                piece == chunk ? "" : String.format(Locale.ROOT, " (read %,d rows at a time)",
                        piece),
                kept.length,
                MethodSelector.human(keptBytes(n, chunk, map.features(), kept.length)
                        * map.copies()),
                streamed == 0 ? "" : String.format(Locale.ROOT, ", %,d recomputed from %s in"
                        + " every pass", streamed, rows.name()));
    }

    /** Chunk c's first row. */
    private long start(int c) {
        return (long) c * chunk;
    }

    /** Chunk c's row count: C, or fewer for the last. */
    private int count(int c) {
        return Math.min(chunk, n - c * chunk);
    }

    /** Pieces of chunk c: its count's pieces, at least 1. */
    private int pieces(int c) {
        return (count(c) + piece - 1) / piece;
    }

    /** Piece unit u's chunk (units: {@code c * piecesPerChunk + k} for piece k of chunk c). */
    private int chunkOf(long u) {
        return (int) (u / piecesPerChunk);
    }

    /** Unit u's first row in the source. */
    private long unitStart(long u) {
        return start(chunkOf(u)) + (u % piecesPerChunk) * (long) piece;
    }

    /** Unit u's row count: a piece, or fewer for the last of its chunk. */
    private int unitCount(long u) {
        int c = chunkOf(u);
        return (int) Math.min(piece, count(c) - (u % piecesPerChunk) * (long) piece);
    }

    /** The unit read after u in a pass: u's chunk's next piece, else the next chunk's first. */
    private long nextUnit(long u) {
        int c = chunkOf(u);
        return u % piecesPerChunk + 1 < pieces(c) ? u + 1 : (long) (c + 1) * piecesPerChunk;
    }

    /**
     * Kept chunk c's operator, from rows of its own (an operator may hold on to its input for
     * its life), read in line (no pass has begun); a chunk of several pieces is built from
     * them, read in turn into one buffer of its own (the map keeps no piece).
     */
    private FeatureOperator buildKept(int c) {
        int count = count(c);
        if (pieces(c) == 1) {
            float[] data = new float[Math.multiplyExact(count, rows.cols())];
            rows.read(start(c), count, data);
            return map.buildKept(new FloatMatrix(count, rows.cols(), data));
        }
        return map.buildKept(new ChunkPieces(c, null));
    }

    /**
     * Chunk c's rows in pieces for the map: read through the reader (ahead, one piece at a
     * time) in a pass, or in line into buffers of its own ({@code reader} null: a kept chunk).
     */
    private final class ChunkPieces implements RowPieces {
        private final int c;
        private final RowReader reader;
        private int taken;
        private float[] own;

        ChunkPieces(int c, RowReader reader) {
            this.c = c;
            this.reader = reader;
        }

        @Override
        public int rows() {
            return count(c);
        }

        @Override
        public int cols() {
            return ChunkedFeatureOperator.this.rows.cols();
        }

        @Override
        public int pieceRows() {
            return piece;
        }

        @Override
        public FloatMatrix next() {
            if (taken >= ChunkedFeatureOperator.this.pieces(c)) {
                throw new NoSuchElementException("chunk " + c + " has "
                        + ChunkedFeatureOperator.this.pieces(c) + " pieces, all taken");
            }
            long u = (long) c * piecesPerChunk + taken++;
            int count = unitCount(u);
            float[] data;
            if (reader == null) {
                if (own == null || own.length != count * cols()) {
                    own = new float[Math.multiplyExact(count, cols())];
                }
                data = own;
                ChunkedFeatureOperator.this.rows.read(unitStart(u), count, data);
            } else {
                data = reader.take(u);
                long next = nextUnit(u);
                if (chunkOf(next) < chunks) {
                    reader.prefetch(next);
                }
            }
            return new FloatMatrix(count, cols(), data);
        }
    }

    /**
     * Chunk c's operator: kept, or recomputed now from rows the reader has read (ahead, or now)
     * into one of its buffers, into the scratch operator when the backend can reload one in
     * place (no fresh memory per chunk), else built anew (and closed by {@link #release}). The
     * read of the next chunk starts before this one is built, into the other buffer: this
     * chunk's operator, the only one that may hold on to its buffer, is released (or, the
     * scratch one, reloaded from other rows) before the buffer is read into again.
     */
    private FeatureOperator operator(int c) {
        if (c < kept.length) {
            return kept[c];
        }
        recomputed++;
        int count = count(c);
        if (pieces(c) > 1) {
            return operatorFromPieces(c);
        }
        long u = (long) c * piecesPerChunk;
        float[] data = reader.take(u);
        if (c + 1 < chunks) {
            reader.prefetch((long) (c + 1) * piecesPerChunk);
        }
        FloatMatrix x = new FloatMatrix(count, rows.cols(), data);
        if (count == chunk && scratch != null) {
            if (scratch.reload(x)) {
                return scratch;
            }
            // Operators of this map cannot reload: build each chunk anew and free it after use,
            // rather than keep one unused operator alive for the whole fit.
            scratch.close();
            scratch = null;
            reloadable = false;
        }
        FeatureOperator op = map.build(x);
        if (count == chunk && scratch == null && reloadable) {
            scratch = op;
        }
        return op;
    }

    /**
     * Recomputed chunk c of several pieces: the scratch operator reloaded from its pieces, or
     * one built from them (kept as the scratch where it is of full size). Each piece read
     * starts the read of the next (of this chunk, or the next chunk's first) on the reader.
     */
    private FeatureOperator operatorFromPieces(int c) {
        boolean full = count(c) == chunk;
        if (full && scratch != null) {
            if (scratch.reload(new ChunkPieces(c, reader))) {
                return scratch;
            }
            // A reload that refuses reads nothing (FeatureOperator#reload(RowPieces)).
            scratch.close();
            scratch = null;
            reloadable = false;
        }
        FeatureOperator op = map.build(new ChunkPieces(c, reader));
        if (full && scratch == null && reloadable) {
            scratch = op;
        }
        return op;
    }

    /**
     * At the start of a pass with kept chunks first: reads the first recomputed chunk's first
     * piece while they are used.
     */
    private void startPass() {
        if (reader != null && kept.length > 0) {
            reader.prefetch((long) kept.length * piecesPerChunk);
        }
    }

    private void release(int c, FeatureOperator op) {
        if (c >= kept.length && op != scratch) {
            op.close();
        }
    }

    private DeviceVector slice(int c) {
        return c == chunks - 1 ? lastRowSlice : rowSlice;
    }

    /**
     * Before chunk c of a pass: stops an interrupted caller within one chunk (Cancellation); a
     * read ahead in flight is waited for by {@link #close()}, which the fit's scope calls.
     */
    private void passProgress(int c, String what) {
        Cancellation.stopIfInterrupted(CANCELLED);
        if (kept.length < chunks) {
            progress.onProgress("features", c, chunks, what);
        }
    }

    @Override
    public void transposeTimes(DeviceVector w, DeviceVector out) {
        checkOpen();
        OperatorArguments.checkTransposeTimes(w, out, n, map.features());
        vectors.fill(out, 0.0);
        startPass();
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
        startPass();
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
        try {
            if (reader != null) {
                reader.close();
            }
        } finally {
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

    /** The name of the reader thread, for tests and thread dumps. */
    static final String READER_THREAD = "synalign-row-reader";

    private static final String CANCELLED = "MMD fit (features of a chunk of rows)";

    /** The most elements a Java array may hold on common JVMs (a few header words below 2^31). */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8L;

    /**
     * Reads recomputed chunks' rows by pieces ({@code unit} u: piece {@code u % piecesPerChunk}
     * of chunk {@code u / piecesPerChunk}; a chunk is one piece where the map takes no pieces):
     * {@link #take} hands over unit u's rows, read ahead by {@link #prefetch} on one daemon
     * thread when that was the unit asked for, else read now on the caller's thread (after any
     * read in flight has finished: one reader at a time). Two slots used in turn, each a
     * full-piece buffer and one for a shorter piece (a chunk's last): a read never writes the
     * buffer of the unit being used (the one handed over last). The thread is started on the
     * first read ahead and stopped by {@link #close}.
     */
    private final class RowReader {

        private final float[][] full = new float[2][];
        private final float[][] shorter = new float[2][];
        private int nextSlot;
        private ExecutorService executor;
        private Thread thread;
        private Future<?> pending;
        private long pendingUnit = -1;
        private float[] pendingBuffer;

        /** Unit u's rows, read ahead or now; a read's exception is thrown unchanged. */
        float[] take(long u) {
            if (pending != null && pendingUnit == u) {
                float[] data = pendingBuffer;
                finish(true);
                return data;
            }
            finish(false); // another unit in flight: a pass cut short by an exception
            float[] data = buffer(u);
            rows.read(unitStart(u), unitCount(u), data);
            return data;
        }

        /** Starts reading unit u on the reader thread, unless it is already being read. */
        void prefetch(long u) {
            if (pending != null && pendingUnit == u) {
                return;
            }
            finish(false);
            if (executor == null) {
                executor = Executors.newSingleThreadExecutor(task -> {
                    Thread t = new Thread(task, READER_THREAD);
                    t.setDaemon(true);
                    thread = t;
                    return t;
                });
            }
            float[] data = buffer(u);
            long start = unitStart(u);
            int count = unitCount(u);
            pending = executor.submit(() -> rows.read(start, count, data));
            pendingUnit = u;
            pendingBuffer = data;
        }

        /**
         * The buffer unit u is read into: the next slot's full-piece buffer, or its shorter one
         * (made anew only when the shorter size changes: at most the last chunk's, per pass).
         */
        private float[] buffer(long u) {
            int count = unitCount(u);
            int k = nextSlot;
            nextSlot = 1 - k;
            int values = Math.multiplyExact(count, rows.cols());
            if (count == piece) {
                if (full[k] == null) {
                    full[k] = new float[values];
                }
                return full[k];
            }
            if (shorter[k] == null || shorter[k].length != values) {
                shorter[k] = new float[values];
            }
            return shorter[k];
        }

        /**
         * Waits for the read in flight, if any, without giving up on an interrupt (the buffer
         * must not be written once handed over; the flag is restored). {@code rethrow}: its
         * exception is thrown as it was raised; else it is dropped (the rows were not needed).
         */
        private void finish(boolean rethrow) {
            if (pending == null) {
                return;
            }
            Future<?> f = pending;
            pending = null;
            pendingUnit = -1;
            pendingBuffer = null;
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        f.get();
                        return;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException e) {
                        if (!rethrow) {
                            return;
                        }
                        Throwable cause = e.getCause();
                        if (cause instanceof RuntimeException re) {
                            throw re;
                        }
                        if (cause instanceof Error err) {
                            throw err;
                        }
                        throw new IllegalStateException(cause);
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Waits for a read in flight (its outcome dropped), then stops and joins the thread. */
        void close() {
            finish(false);
            if (executor == null) {
                return;
            }
            executor.shutdown();
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        if (executor.awaitTermination(1, TimeUnit.MINUTES)) {
                            if (thread != null) {
                                thread.join();
                            }
                            return;
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
