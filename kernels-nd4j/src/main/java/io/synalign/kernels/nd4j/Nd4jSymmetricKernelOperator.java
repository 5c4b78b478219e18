package io.synalign.kernels.nd4j;

import io.synalign.kernels.AbstractKernelOperator;
import io.synalign.kernels.BackendLifetime;
import io.synalign.kernels.Cancellation;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.NativeMemoryException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntConsumer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The kept self-kernel {@code K = K_XX} (symmetric, unit diagonal) on ND4J / OpenBLAS, holding
 * only its upper triangle, in float32 row panels of {@value SymmetricPanels#PANEL_ROWS} rows
 * ({@link SymmetricPanels}): about half the bytes of the full matrix, so a product, which is
 * bound by memory bandwidth, reads half as much, and twice the n fits a memory budget.
 *
 * <p>Build: per block of up to 256 rows (several panels), for each chunk of up to 2,048 of the
 * columns from the block's first row on, one GEMM of the augmented rows ({@link DistanceGemm})
 * into a worker's 2 MiB tile, exp in place there, then the panels' row pieces copied into the
 * triangle (the tile is still in cache for both); the diagonal is set
 * to exactly 1 (the GEMM form leaves {@code exp(-eps ||x||^2 / sigma^2)} there) and the lower
 * half of each diagonal block is copied from the upper, so the kept matrix is exactly symmetric.
 * Blocks are shared out to the {@link PinnedWorkers} as they come free. Cost
 * {@code n^2 (d + 2)} flops plus {@code n^2 / 2} exps: half the full build. One GEMM per 32-row
 * panel, as before, re-packed the whole right operand for every 32 rows: 1.1-1.4 s instead of
 * 2.2 s at n = 16,000, d = 384 on two cores (docs/PERFORMANCE.md).
 *
 * <p>Product {@code out = K w}: per panel p (rows {@code I}, columns {@code J >= I}) one SGEMV
 * {@code y_I = K_{I,J} w_J} (the rows' own sums, written to disjoint slices) and one transposed
 * SGEMV {@code y_J += K_{I,J'}^T w_I} over the columns past the diagonal block (the mirrored
 * lower triangle), whose outputs sum at most 32 float terms before they are added in double.
 * OpenBLAS's SSYMV, the obvious routine, is not used: at n = 16,000 it measured 2.0e-6 worst
 * relative error per row against float64 where SGEMV gave 2.0e-7, too coarse for the MMD
 * objective near its optimum; this product keeps SGEMV's accuracy (see the contract tests).
 * The panels form {@value #GROUPS} fixed contiguous groups of about equal size, each with its own
 * double vector for the mirrored sums; the workers take groups as they come free (so a worker
 * slowed by another process on its core does not hold up the product), and the group vectors are
 * added in group order, so results depend neither on scheduling nor on the number of workers.
 * Cost 2 n^2 flops, n^2 / 2 floats read (the second GEMV of a panel reads it again from cache).
 * Not thread-safe.
 *
 * <p>Cancellation ({@link Cancellation}): the build asks for the calling thread's interrupt
 * before each block of rows, and a working set's gather before each panel, on whichever worker
 * takes it; once interrupted no worker starts another, and the constructor (or
 * {@link #principalSubmatrix}) throws a {@link java.util.concurrent.CancellationException}, the
 * status kept set and the memory it took freed. A product (O(n^2): 77 ms at n = 16,000, 0.3 s
 * at the 33,000 rows the default 2 GiB budget keeps, on the 2-core build VM) asks before each of
 * its {@value #GROUPS} groups ({@link PinnedWorkers#forEachBlock}) and, interrupted, throws
 * with {@code out} unwritten. The checks change no arithmetic.
 */
final class Nd4jSymmetricKernelOperator extends AbstractKernelOperator {

    private final int n;
    private final SymmetricPanels layout;
    private final FloatPointer kernelPtr;
    /** The operator this one was gathered from, which takes its storage back on close. */
    private final Nd4jSymmetricKernelOperator parent;
    /**
     * The storage of the last closed submatrix, kept for the next one: a working set shrinks
     * by a little at a time, and fresh memory costs its first-touch page faults again (0.7 s
     * for the first 245 MB set at n = 16,000 on the build VM without huge pages, against the
     * 0.06-0.1 s gather itself).
     */
    private FloatPointer spare;
    /** Groups of panels: the unit of work sharing and of the fixed-order sum. */
    static final int GROUPS = 16;

    private final int workers;
    private final int[] bounds;
    private final INDArray[] scratch;
    private final FloatPointer[] scratchPtr;
    private final FloatBuffer[] scratchView;
    private final double[][] mirrored;
    private final double[] own;
    private final INDArray weights;
    private final INDArray ones;
    private final FloatPointer weightsPtr;
    private final FloatPointer onesPtr;
    private final float[] weightsHost;
    /** The backend's lifetime, handed on to submatrices. */
    private final BackendLifetime backend;

    /**
     * Builds K_XX.
     *
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     (asked before every block of rows: O(256 n d) each); the memory is freed
     */
    Nd4jSymmetricKernelOperator(FloatMatrix x, double sigma, BackendLifetime backend) {
        this(x.rows(), null, null, backend);
        try {
            build(x, (float) (1.0 / (sigma * sigma)));
        } catch (RuntimeException | Error e) {
            close(); // nobody else holds this operator yet: its half-written triangle goes now
            throw e;
        }
    }

    /** What an interrupted build or gather names ({@link Cancellation}). */
    private static final String CANCELLED_BUILD = "kept kernel K_SS (block of rows of its build)";
    private static final String CANCELLED_GATHER = "kept kernel K_SS (panel of a working set)";
    /** What an interrupted product names: it asks before each of its {@value #GROUPS} groups. */
    static final String CANCELLED_PRODUCT = "kept kernel K_SS product (group of panels)";

    /**
     * Told the number of each block of rows a build starts, on the worker that starts it: a
     * seam for tests, which place interrupts with it. Never set outside tests.
     */
    static volatile IntConsumer buildBlockStarted = block -> { };

    /**
     * An operator of n rows with its buffers allocated (the triangle in {@code storage} when
     * given) and the triangle not yet written.
     */
    private Nd4jSymmetricKernelOperator(int n, FloatPointer storage,
            Nd4jSymmetricKernelOperator parent, BackendLifetime backend) {
        super(n, n, backend);
        this.n = n;
        this.backend = backend;
        this.layout = new SymmetricPanels(n);
        this.workers = PinnedWorkers.count();
        this.bounds = layout.split(GROUPS);
        this.parent = parent;
        // Plain JavaCPP memory: ND4J's createUninitialized measured 1.3 s for these 512 MB at
        // n = 16,000 (it touches every page), as long as the whole build.
        this.kernelPtr = storage != null ? storage : new FloatPointer(Math.max(1, layout.floats()));
        this.scratch = new INDArray[workers];
        this.scratchPtr = new FloatPointer[workers];
        this.scratchView = new FloatBuffer[workers];
        this.mirrored = new double[GROUPS][n];
        for (int k = 0; k < workers; k++) {
            scratch[k] = Buffers.floats(Math.max(1, n));
            scratchPtr[k] = Buffers.floatPointer(scratch[k]);
            scratchView[k] = scratchPtr[k].capacity(Math.max(1, n)).asBuffer();
        }
        this.own = new double[n];
        this.weights = Buffers.floats(n);
        this.ones = Buffers.floats(n).assign(1.0);
        this.weightsPtr = Buffers.floatPointer(weights);
        this.onesPtr = Buffers.floatPointer(ones);
        this.weightsHost = new float[n];
    }

    /**
     * The submatrix, kept like this one, when both fit the budget (else null: the caller goes
     * on with this operator). Its entries are copied from this triangle (no kernel value is
     * recomputed), so its products are those of this operator restricted to the rows, up to the
     * order of float sums.
     *
     * @throws NativeMemoryException when the budget admits it but JavaCPP's cap ({@code
     *     maxbytes}, which defaults to {@code -Xmx}) or the machine refuses its memory
     */
    @Override
    protected KernelOperator principalSubmatrixChecked(int[] rows, long memoryBudgetBytes) {
        long floats = Math.max(1, SymmetricPanels.floatsFor(rows.length));
        if (spare != null && spare.capacity() < floats) {
            spare.close(); // too small for this set: fresh memory instead
            spare = null;
        }
        long held = spare != null ? 4 * spare.capacity() : 4 * floats;
        if (keptBytes(n) + held > memoryBudgetBytes) {
            return null;
        }
        FloatPointer storage = spare;
        spare = null;
        Nd4jSymmetricKernelOperator sub;
        try {
            if (storage == null) {
                // Past JavaCPP's off-heap cap (maxbytes) even after the collections JavaCPP
                // itself runs first, the allocation fails. Not decided from
                // Pointer.totalBytes() beforehand: that counts pointers that are garbage but not
                // yet collected, so the answer would depend on when the collector last ran.
                try {
                    storage = allocator.allocate(floats);
                } catch (OutOfMemoryError e) {
                    // Not null: the optimiser without its working set takes other iterates, so
                    // the weights would depend on -Xmx (which maxbytes defaults to). At
                    // R 1,000 / S 8,000, -Xmx200m against 8g moved 4,355 of 8,000 weights (max
                    // 1.8e-5) with nothing in the summary to tell the runs apart (review 23).
                    // Only this allocation's refusal: a heap shortage elsewhere stays itself.
                    throw refused(rows.length, 4 * floats, e);
                }
            }
            sub = new Nd4jSymmetricKernelOperator(rows.length, storage, this, backend);
        } catch (RuntimeException | Error e) {
            if (storage != null) {
                storage.close();
            }
            throw e;
        }
        try {
            sub.gather(this, rows);
        } catch (RuntimeException | Error e) {
            sub.close(); // frees its buffers; the storage comes back here
            throw e;
        }
        return sub;
    }

    /** Allocates a submatrix's storage; a seam so that tests can make the allocation fail. */
    @FunctionalInterface
    interface StorageAllocator {
        FloatPointer allocate(long floats);
    }

    /** How submatrix storage is allocated: JavaCPP's, but for tests that set another. */
    static volatile StorageAllocator allocator = FloatPointer::new;

    /** The one-line error for a submatrix of {@code rows} rows whose memory was refused. */
    private NativeMemoryException refused(int rows, long bytes, OutOfMemoryError e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why = root.getMessage() == null ? root.getClass().getSimpleName()
                : root.getMessage().replace('\n', ' ');
        // JavaCPP refuses by one of two caps, and its message names which: the process's
        // physical memory (maxphysicalbytes) or its own off-heap total (maxbytes).
        String cap = why.contains("hysicalBytes") || why.contains("hysical memory")
                ? String.format(Locale.ROOT, "raise JavaCPP's physical-memory cap with"
                        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=SIZE (now %s), or free"
                        + " memory", mib(Pointer.maxPhysicalBytes()))
                : String.format(Locale.ROOT, "raise JavaCPP's cap with"
                        + " -Dorg.bytedeco.javacpp.maxbytes=SIZE (it defaults to -Xmx; now %s)",
                        mib(Pointer.maxBytes()));
        return new NativeMemoryException(String.format(Locale.ROOT,
                "the optimiser's working set (%,d of %,d rows, %s beside the kept K_SS's %s,"
                        + " within the memory budget) could not be allocated off-heap: %s; %s",
                rows, n, mib(bytes), mib(keptBytes(n)), why, cap), e);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1024.0 * 1024.0));
    }

    /** Takes back a closed submatrix's storage, keeping the larger of it and the spare. */
    private void takeBack(FloatPointer storage) {
        if (isClosed()) {
            storage.close();
        } else if (spare == null || spare.capacity() < storage.capacity()) {
            if (spare != null) {
                spare.close();
            }
            spare = storage;
        } else {
            storage.close();
        }
    }

    /**
     * Fills this triangle with {@code parent}'s entries at {@code rows}: sub-row a holds
     * {@code K[rows[a]][rows[b]]} for {@code b >= a}, read from the parent's row
     * {@code rows[a]} (stored from its panel's first column on, and {@code rows[b] >= rows[a]});
     * the lower half of each diagonal block is then mirrored from the upper. Sub-panels are
     * shared out to the workers; each reads the parent row span it needs into a heap buffer
     * once. Cost: one read of the parent rows in {@code rows} from column {@code rows[a]} on,
     * and one write of this triangle.
     */
    private void gather(Nd4jSymmetricKernelOperator parent, int[] rows) {
        int panels = layout.panels();
        int last = rows[rows.length - 1];
        ClaimedUnits units = new ClaimedUnits(panels);
        PinnedWorkers.run((worker, callerInterrupted) -> {
            float[] source = new float[parent.n];
            float[] target = new float[n];
            float[] block = new float[SymmetricPanels.PANEL_ROWS * SymmetricPanels.PANEL_ROWS];
            for (int q; (q = units.next(callerInterrupted)) >= 0; ) {
                int start = layout.start(q);
                int width = layout.width(q);
                FloatPointer panel = OpenBlas.at(kernelPtr, layout.offset(q));
                for (int r = 0; r < layout.height(q); r++) {
                    int a = start + r;
                    int i = rows[a];
                    int p = i / SymmetricPanels.PANEL_ROWS;
                    int from = parent.layout.start(p);
                    long rowOffset = parent.layout.offset(p)
                            + (long) (i - from) * parent.layout.width(p);
                    // Columns i..last of parent row i.
                    OpenBlas.at(parent.kernelPtr, rowOffset + (i - from))
                            .get(source, 0, last - i + 1);
                    for (int b = a; b < n; b++) {
                        target[b - start] = source[rows[b] - i];
                    }
                    OpenBlas.at(panel, (long) r * width + (a - start))
                            .put(target, a - start, n - a);
                }
                symmetriseDiagonalBlock(panel, layout.height(q), width, block);
            }
        });
        units.throwIfStopped(CANCELLED_GATHER);
    }

    /**
     * Bytes this operator keeps for an n x n kernel; {@code Long.MAX_VALUE} where they pass a
     * long (from n = 2,147,483,633, where 4 bytes a float overflowed to a negative count that the
     * planner read as fitting).
     */
    static long keptBytes(long n) {
        long floats = SymmetricPanels.floatsFor(n);
        return floats > Long.MAX_VALUE / Float.BYTES ? Long.MAX_VALUE : Float.BYTES * floats;
    }

    private void build(FloatMatrix x, float alpha) {
        if (n == 0) {
            return;
        }
        int blockRows = BUILD_ROWS;
        ClaimedUnits blocks = new ClaimedUnits((n + blockRows - 1) / blockRows);
        int chunk = Math.min(n, BUILD_COLUMNS);
        IntConsumer hook = buildBlockStarted;
        INDArray[] tiles = new INDArray[workers];
        try (DistanceGemm operands = new DistanceGemm(x, x, alpha)) {
            for (int k = 0; k < workers; k++) {
                tiles[k] = Buffers.scratchFloats((long) Math.min(blockRows, n) * chunk);
            }
            PinnedWorkers.run((worker, callerInterrupted) -> {
                float[] block = new float[SymmetricPanels.PANEL_ROWS * SymmetricPanels.PANEL_ROWS];
                // A block of rows [s, s + h) against columns [s, n), chunk by chunk of columns:
                // one GEMM into the worker's tile, one exp in place, then each panel's row
                // pieces from its first column on are copied into the kept triangle (the
                // block's own lower-left corner, below the panels' diagonal blocks, is computed
                // and dropped: h / 2 of every h x (n - s)).
                INDArray tile = tiles[worker];
                FloatPointer tilePtr = Buffers.floatPointer(tile);
                // Asked once per block of rows (a few GEMMs), never inside one.
                for (int b; (b = blocks.next(callerInterrupted)) >= 0; ) {
                    hook.accept(b);
                    int s = b * blockRows;
                    int h = Math.min(blockRows, n - s);
                    int first = s / SymmetricPanels.PANEL_ROWS;
                    int last = (s + h + SymmetricPanels.PANEL_ROWS - 1) / SymmetricPanels.PANEL_ROWS;
                    for (int c0 = s; c0 < n; c0 += chunk) {
                        int cw = Math.min(chunk, n - c0);
                        operands.block(s, h, c0, cw, alpha, tilePtr);
                        DistanceGemm.kernelValues(Buffers.range(tile, 0, (long) h * cw));
                        for (int p = first; p < last; p++) {
                            int start = layout.start(p);
                            int lo = Math.max(c0, start);
                            if (lo >= c0 + cw) {
                                continue;
                            }
                            int width = layout.width(p);
                            long panel = kernelPtr.address() + 4 * layout.offset(p);
                            for (int r = 0; r < layout.height(p); r++) {
                                long from = (long) (start - s + r) * cw + (lo - c0);
                                // Raw addresses: JavaCPP's memcpy reads positions as bytes.
                                Pointer.memcpy(
                                        new Address(panel + 4L * ((long) r * width + lo - start)),
                                        new Address(tilePtr.address() + 4 * from),
                                        4L * (c0 + cw - lo));
                            }
                        }
                    }
                    for (int p = first; p < last; p++) {
                        symmetriseDiagonalBlock(OpenBlas.at(kernelPtr, layout.offset(p)),
                                layout.height(p), layout.width(p), block);
                    }
                }
            });
        } finally {
            Buffers.close(tiles);
        }
        blocks.throwIfStopped(CANCELLED_BUILD);
    }

    /**
     * Rows per build GEMM: a multiple of the panel height; a 32-row GEMM packs its right operand
     * for 32 rows of work and measured 100 against 170 GFLOP/s for 256 rows.
     */
    static final int BUILD_ROWS = 8 * SymmetricPanels.PANEL_ROWS;
    /**
     * Columns per build GEMM: a 256 x 2,048 tile is 2 MiB, so the exp and the copy into the
     * triangle read it from cache, not memory, and each worker's tile is 2 MiB of fresh memory
     * instead of a full-width 16 MiB at n = 16,000.
     */
    static final int BUILD_COLUMNS = 2048;

    /**
     * The diagonal block of a panel (its first h columns) made exactly symmetric with a unit
     * diagonal: read row by row, the lower half set from the upper, written back row by row.
     */
    private static void symmetriseDiagonalBlock(FloatPointer panel, int h, int w, float[] block) {
        for (int r = 0; r < h; r++) {
            OpenBlas.at(panel, (long) r * w).get(block, r * h, h);
        }
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < r; c++) {
                block[r * h + c] = block[c * h + r];
            }
            block[r * h + r] = 1f;
        }
        for (int r = 0; r < h; r++) {
            OpenBlas.at(panel, (long) r * w).put(block, r * h, h);
        }
    }

    @Override
    public boolean materialised() {
        return true;
    }

    @Override
    public String storageDescription() {
        return String.format(Locale.ROOT, "kept, fp32 upper triangle, %.1f MiB",
                keptBytes(n) / 1048576.0);
    }

    @Override
    protected void multiplyChecked(double[] w, double[] out) {
        Buffers.putRounded(w, n, weightsHost, weightsPtr);
        product(weightsPtr, out);
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        product(onesPtr, out);
    }

    /** out = K vector; n >= 1 (the base class answers an empty kernel). */
    private void product(FloatPointer vector, double[] out) {
        // The groups handed out as workers come free, each asking for the caller's interrupt
        // first (a cancelled product throws here, before out is written). Each worker's
        // scratch is this operator's, which one product at a time uses (not thread-safe).
        PinnedWorkers.forEachBlock(CANCELLED_PRODUCT, GROUPS, (worker, g) -> {
            FloatPointer tmp = scratchPtr[worker];
            FloatBuffer host = scratchView[worker];
            double[] mine = mirrored[g];
            Arrays.fill(mine, 0.0);
            for (int p = bounds[g]; p < bounds[g + 1]; p++) {
                int start = layout.start(p);
                int h = layout.height(p);
                int w = layout.width(p);
                FloatPointer panel = OpenBlas.at(kernelPtr, layout.offset(p));
                FloatPointer tail = OpenBlas.at(vector, start);
                OpenBlas.gemv(false, h, w, panel, w, tail, tmp);
                for (int r = 0; r < h; r++) {
                    own[start + r] = host.get(r);
                }
                if (w > h) {
                    OpenBlas.gemv(true, h, w - h, OpenBlas.at(panel, h), w, tail, tmp);
                    int base = start + h;
                    for (int j = 0; j < w - h; j++) {
                        mine[base + j] += host.get(j);
                    }
                }
            }
        });
        for (int i = 0; i < n; i++) {
            double s = own[i];
            for (int g = 0; g < GROUPS; g++) {
                s += mirrored[g][i];
            }
            out[i] = s;
        }
    }

    /** A pointer to a bare address, owning nothing. */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    @Override
    protected void release() {
        if (parent != null) {
            parent.takeBack(kernelPtr);
        } else {
            kernelPtr.close();
        }
        if (spare != null) {
            spare.close();
            spare = null;
        }
        Buffers.close(weights, ones);
        Buffers.close(scratch);
    }
}
