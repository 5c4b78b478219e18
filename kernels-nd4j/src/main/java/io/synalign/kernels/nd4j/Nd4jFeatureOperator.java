package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractFeatureOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.HeapBytes;
import io.synalign.kernels.RowPieces;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The stored random-feature matrix {@code Phi} (n x D, float32, off heap), built once by
 * {@link FourierGemm}; {@code Phi^T w} and {@code Phi z} are SGEMVs, O(n D), into preallocated
 * buffers.
 *
 * <p>Every native call runs on a grid of fixed blocks of {@value #BLOCK_ROWS} rows of Phi, one
 * single-threaded call per block on the {@link PinnedWorkers} (see
 * {@link PinnedWorkers#forEachBlock}), so the bits of Phi and of both products depend on the
 * inputs alone, not on the native thread count (one GEMM or GEMV on OpenBLAS's threads rounds
 * by their count: weights moved by up to 8.5e-5 between 1, 2 and 16 threads, review 23). The
 * build and {@code Phi z} write each block's own rows; {@code Phi^T w}, a sum over all rows,
 * writes each block's partial D-vector (a float sum of at most {@value #BLOCK_ROWS} terms per
 * feature), and the partials are added in double in block order. Not thread-safe.
 *
 * <p>Cancellation ({@link io.synalign.kernels.Cancellation}): the build, a {@link #reload} and
 * both products ask for the calling thread's interrupt before each block (see
 * {@link PinnedWorkers#forEachBlock}); interrupted, they throw the
 * {@link java.util.concurrent.CancellationException}, status kept set. A build (O(n d D): 23 s
 * for 250,000 rows at d = 384, D = 1,024 on the 2-core build VM, so minutes for the millions of
 * rows one call may hold) frees the memory it took before the constructor throws. A product's
 * {@code out} is not written and the operator stays usable (the next product has the same
 * bits). A cancelled reload leaves Phi partly from the new rows: every product refuses
 * ({@link IllegalStateException}) until a reload completes.
 *
 * <p>Phi's memory is a plain JavaCPP allocation, not zero-filled, seen by ND4J through a view
 * for the epilogue: the build writes every one of its n D floats (the blocks tile the rows, and
 * each block's GEMM, with beta 0, writes its {@code count x D} entries whole before the cos and
 * the scale read them), so a fill is a pass over n D floats for nothing. It was also work
 * before the walk that no interrupt reached: ND4J's buffers, even
 * {@code Nd4j.createUninitialized}, touch every page when they are allocated (about 1 s for a
 * 1 GiB Phi on the loaded build VM, against 20 ms now; docs/PERFORMANCE.md, helper carried31);
 * now the pages are first touched by the blocks that write them, inside the cancellable walk.
 * Being JavaCPP's, Phi counts in {@code Pointer.totalBytes()} and under its {@code maxbytes}
 * cap, as the feature budget ({@link Nd4jBackend#featureBudgetBytes}) already assumed (ND4J's
 * buffers are not counted there).
 */
final class Nd4jFeatureOperator extends AbstractFeatureOperator {

    private final int rows;
    private final int features;
    /** Phi's memory (n D floats, never zero-filled: see the class comment); owned here. */
    private final FloatPointer phiMemory;
    /** ND4J's view of {@link #phiMemory}, for the build's element-wise epilogue. */
    private final INDArray phi;
    private final INDArray rowVector;
    private final INDArray featureVector;
    private final FloatPointer phiPtr;
    private final FloatPointer rowPtr;
    private final FloatPointer featurePtr;
    private final float[] rowHost;
    private final float[] featureHost;

    /**
     * Rows of Phi per block: each block's GEMV reads 256 x D floats (300 KiB at D = 300), long
     * against a call's overhead; n / 256 partial D-vectors are a 256th of Phi's memory.
     */
    static final int BLOCK_ROWS = 256;

    private final int blocks;
    private final INDArray partials;
    private final FloatPointer partialsPtr;
    private final float[] partialHost;

    private final FourierFeatures map;
    /** Kept only once {@link #reload} is used, so kept operators hold no inputs. */
    private FourierGemm reloadable;
    /** The staged inputs of {@link #reload(RowPieces)}, kept once it is used. */
    private FourierGemm staged;
    /** Set while a reload is under way and left set when it is cancelled: Phi is then mixed. */
    private boolean partlyReloaded;

    /** What an interrupted build or reload of Phi names ({@link io.synalign.kernels.Cancellation}). */
    static final String BUILD = "random features (block of rows of Phi)";
    /** What an interrupted {@code Phi^T w} names. */
    static final String TRANSPOSE_TIMES = "random-feature product Phi^T w (block of rows)";
    /** What an interrupted {@code Phi z} names. */
    static final String TIMES = "random-feature product Phi z (block of rows)";

    /**
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     during the build; the memory taken is freed first
     */
    Nd4jFeatureOperator(FloatMatrix x, FourierFeatures map, BackendLifetime backend) {
        this(x, map, backend, Buffers::pointer);
    }

    /**
     * The operator with Phi's memory from {@code memory}, asked for {@code max(1, n D)} floats
     * and then owned by the operator: {@code FloatPointer::new} (not zero-filled); tests pass
     * memory poisoned with NaN, so an entry the build missed shows.
     */
    Nd4jFeatureOperator(FloatMatrix x, FourierFeatures map, BackendLifetime backend,
            LongFunction<FloatPointer> memory) {
        this(x.rows(), map, backend, memory.apply(phiLength(x.rows(), map)), op -> {
            try (FourierGemm gemm = new FourierGemm(x, map)) {
                op.build(gemm);
            }
        });
    }

    /**
     * The operator of a block of rows handed over in pieces ({@link RowPieces}): Phi is built
     * by the same GEMM calls as from the whole block (blocks of {@value #BLOCK_ROWS} rows from
     * the block's first row, each on the same values), so its bits, and every product's, are
     * those of {@link #Nd4jFeatureOperator(FloatMatrix, FourierFeatures, BackendLifetime)}
     * whatever the pieces. The rows go into native inputs of a stage of rows at a time (the
     * piece size rounded up to whole GEMM blocks, at most the block), not all of them: at wide
     * rows the inputs for the whole block were as large as the rows themselves. Cost: that of
     * the whole build (2 n D (d + 1) flops, n D cosines) plus one copy of each row into the
     * stage; native memory Phi's n D floats and the stage's {@link #stageRows} (d + 1) floats
     * (freed on return, or on an exception mid-piece with Phi).
     *
     * @throws java.util.concurrent.CancellationException as the other constructor
     */
    Nd4jFeatureOperator(RowPieces x, FourierFeatures map, BackendLifetime backend) {
        this(x.rows(), map, backend, Buffers.pointer(phiLength(x.rows(), map)), op -> {
            try (FourierGemm gemm = new FourierGemm(stageRows(x.rows(), x.pieceRows()), map)) {
                op.build(gemm, x);
            }
        });
    }

    /** Floats of Phi's memory for {@code rows} rows: {@code max(1, n D)}. */
    private static long phiLength(int rows, FourierFeatures map) {
        return Math.max(1, (long) rows * map.features());
    }

    /**
     * The operator whose Phi, in {@code phiMemory} ({@link #phiLength} floats, owned from here
     * on), {@code build} fills (from a whole block or from its pieces); the product buffers are
     * taken after it. Where the build or any allocation throws, everything taken so far (Phi,
     * its view, the product buffers) goes at once, not at the next collection ({@link
     * NativeScope}): nobody holds this operator yet, and the GEMM's operands were closed by the
     * build's own scope. Before helper native35 only the build was covered: a product buffer
     * refused after it left Phi (n D floats) to the collector.
     */
    private Nd4jFeatureOperator(int rows, FourierFeatures map, BackendLifetime backend,
            FloatPointer phiMemory, Consumer<Nd4jFeatureOperator> build) {
        super(rows, map.features(), backend);
        this.rows = rows;
        this.features = map.features();
        this.map = map;
        this.blocks = (rows + BLOCK_ROWS - 1) / BLOCK_ROWS;
        try (NativeScope scope = new NativeScope()) {
            this.phiMemory = scope.own(phiMemory);
            this.phi = scope.own(Buffers.view(phiMemory, phiLength(rows, map)));
            this.phiPtr = Buffers.floatPointer(phi);
            build.accept(this);
            this.partials = scope.own(Buffers.floats((long) Math.max(1, blocks) * features));
            this.partialsPtr = Buffers.floatPointer(partials);
            this.partialHost = new float[features];
            this.rowVector = scope.own(Buffers.floats(rows));
            this.featureVector = scope.own(Buffers.floats(features));
            this.rowPtr = Buffers.floatPointer(rowVector);
            this.featurePtr = Buffers.floatPointer(featureVector);
            this.rowHost = new float[rows];
            this.featureHost = new float[features];
            scope.transfer();
        }
    }

    /**
     * Rows of native inputs staged at once for a block of {@code rows} rows read in pieces of
     * {@code pieceRows}: the piece rounded up to whole GEMM blocks, at most the block's rows
     * rounded up likewise, so that every GEMM block lies in one stage.
     */
    static int stageRows(int rows, int pieceRows) {
        long up = ((long) Math.max(1, Math.min(rows, pieceRows)) + BLOCK_ROWS - 1) / BLOCK_ROWS
                * BLOCK_ROWS;
        return (int) up;
    }

    /**
     * Phi from rows handed over in pieces: each stage of {@code gemm.rows()} rows (a multiple
     * of {@value #BLOCK_ROWS}, from the block's first row) is filled from the pieces, then its
     * GEMM blocks run as in {@link #build(FourierGemm)}, reading the stage's inputs.
     */
    private void build(FourierGemm gemm, RowPieces x) {
        // x.cols() is the map's width (checked by the callers); RowStages checks each piece.
        RowStages.each(x, gemm.rows(), gemm::setRows, (stageStart, stageCount) -> {
            int first = stageStart / BLOCK_ROWS;
            PinnedWorkers.forEachBlock(BUILD, (stageCount + BLOCK_ROWS - 1) / BLOCK_ROWS,
                    (worker, k) -> {
                        int start = (first + k) * BLOCK_ROWS;
                        int count = Math.min(BLOCK_ROWS, rows - start);
                        long from = (long) start * features;
                        gemm.block(start - stageStart, count, OpenBlas.at(phiPtr, from),
                                Buffers.range(phi, from, from + (long) count * features));
                    });
        });
    }

    /**
     * Its own heap (see {@link io.synalign.kernels.FeatureOperator#heapBytes}): the three host
     * arrays (n + 2 D floats), ND4J's objects for Phi's view and the three scratch arrays
     * ({@link Buffers#ARRAY_HEAP_BYTES} each), the reload's operands once it has any, and this
     * object; not Phi (native), the map (the caller's) nor JavaCPP's list of every live
     * allocation, which a walk of the pointers reaches (docs/RELIABILITY.md, helper spare33).
     */
    @Override
    public long heapBytes() {
        long bytes = HeapBytes.object(15, 3 * Integer.BYTES + 2)
                + HeapBytes.array(rows, Float.BYTES) + 2 * HeapBytes.array(features, Float.BYTES)
                + 4 * Buffers.ARRAY_HEAP_BYTES;
        FourierGemm gemm = reloadable;
        FourierGemm stagedGemm = staged;
        return bytes + (gemm == null ? 0 : gemm.heapBytes())
                + (stagedGemm == null ? 0 : stagedGemm.heapBytes());
    }

    /** Phi from {@code gemm}, block by block of rows (see the class comment). */
    private void build(FourierGemm gemm) {
        PinnedWorkers.forEachBlock(BUILD, blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            long from = (long) start * features;
            gemm.block(start, count, OpenBlas.at(phiPtr, from),
                    Buffers.range(phi, from, from + (long) count * features));
        });
    }

    @Override
    protected void transposeTimesChecked(double[] w, double[] out) {
        checkWhole();
        Buffers.putRounded(w, rows, rowHost, rowPtr);
        PinnedWorkers.forEachBlock(TRANSPOSE_TIMES, blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            OpenBlas.gemvTransposed(count, features, OpenBlas.at(phiPtr, (long) start * features),
                    OpenBlas.at(rowPtr, start), OpenBlas.at(partialsPtr, (long) b * features));
        });
        Arrays.fill(out, 0, features, 0.0);
        for (int b = 0; b < blocks; b++) {
            OpenBlas.at(partialsPtr, (long) b * features).get(partialHost, 0, features);
            for (int f = 0; f < features; f++) {
                out[f] += partialHost[f];
            }
        }
    }

    @Override
    protected void timesChecked(double[] z, double[] out) {
        checkWhole();
        Buffers.putRounded(z, features, featureHost, featurePtr);
        PinnedWorkers.forEachBlock(TIMES, blocks, (worker, b) -> {
            int start = b * BLOCK_ROWS;
            int count = Math.min(BLOCK_ROWS, rows - start);
            OpenBlas.gemv(count, features, 1f, OpenBlas.at(phiPtr, (long) start * features),
                    featurePtr, OpenBlas.at(rowPtr, start));
        });
        Buffers.getWidened(rowPtr, rows, rowHost, out);
    }

    /** Refuses a product of a Phi that a cancelled reload left partly from other rows. */
    private void checkWhole() {
        if (partlyReloaded) {
            throw new IllegalStateException("random features partly reloaded: a reload was"
                    + " cancelled, reload the rows again before a product");
        }
    }

    /** Recomputes Phi from new rows into the same buffers (the GEMM inputs kept after the first). */
    @Override
    public boolean reload(FloatMatrix x) {
        checkOpen();
        if (x.rows() != rows || x.cols() != map.dim()) {
            return false;
        }
        if (rows == 0) {
            return true;
        }
        if (reloadable == null) {
            reloadable = new FourierGemm(x, map);
        } else {
            reloadable.setRows(x);
        }
        partlyReloaded = true;
        build(reloadable); // a cancellation leaves the flag set: see checkWhole
        partlyReloaded = false;
        return true;
    }

    /**
     * {@link #reload(FloatMatrix)} from rows in pieces: Phi rebuilt as by the pieces
     * constructor, into the same buffers (the staged inputs kept after the first).
     */
    @Override
    public boolean reload(RowPieces x) {
        checkOpen();
        if (x.rows() != rows || x.cols() != map.dim()) {
            return false;
        }
        if (rows == 0) {
            return true;
        }
        int stage = stageRows(rows, x.pieceRows());
        if (staged == null || staged.rows() != stage) {
            if (staged != null) {
                staged.close();
                staged = null;
            }
            staged = new FourierGemm(stage, map);
        }
        partlyReloaded = true;
        build(staged, x); // a cancellation leaves the flag set: see checkWhole
        partlyReloaded = false;
        return true;
    }

    @Override
    protected void release() {
        if (staged != null) {
            staged.close();
        }
        if (reloadable != null) {
            reloadable.close();
        }
        Buffers.close(phi, rowVector, featureVector, partials);
        phiMemory.close();
    }

    /** Phi's n D floats, row-major, for tests. */
    float[] phiValues() {
        float[] out = new float[Math.toIntExact((long) rows * features)];
        phiPtr.get(out);
        return out;
    }

    /** Phi's memory, for tests that poison it before a {@link #reload}. */
    FloatPointer phiMemory() {
        return phiMemory;
    }
}
