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
 * <p>Flat cells ({@link ShiftedTiles}): a cell of a panel's 32 rows by the 256 columns
 * {@code [256 v, 256 v + 256)} whose exponents are all above -1/4 is kept as
 * {@code g = k - 1} (its diagonal 0), so float32 keeps {@code 1 - k} to its own precision; which
 * cells are, one flag each ({@link #shifted}), is found as the build computes them. A product
 * then adds, in double after the panels' sums, the cell's column weights to each of its rows and
 * the panel's row weights to each of its mirrored columns (past the diagonal block):
 * {@code O(n^2 / 8,192 + n)} additions. A submatrix's cell is shifted where every entry it
 * gathers comes from a shifted cell; other entries from shifted cells are stored as
 * {@code 1 + g}. With no cell shifted (ordinary bandwidths) every value and bit is as before.
 *
 * <p>Sums of a shifted panel ({@link #panelShifted}, {@link #flatPanelProduct}): near a fit's
 * optimum at a flat bandwidth the MMD^2 is about {@code 1e-6} of the {@code g} terms it cancels
 * and gains far less than that per iteration, so the float32 rounding of a product, which
 * changes from one w to the next, must stay below that gain, or the optimiser takes it for a
 * rise, restarts and stops early. A panel with a shifted cell is therefore multiplied in one
 * Java pass that sums its float g times the double w in double, both its rows' own sums and its
 * mirrored columns': no float32 sum and no rounding of w (g has one sign, so float's rounding
 * of partial sums and of w does not average out in {@code w^T K w}). History, measured on
 * docs/RELIABILITY.md's 1,500 x 500 x 32 rows near the fit's optimum, as the r.m.s. change of
 * the float32 share of {@code w^T K w} from one point to the next 1e-6 away: one SGEMV per
 * panel with w rounded to float moved it by 9.4e-12 at 10 x the median bandwidth, where the
 * float64 reference gains 1e-11 to 3e-11 an iteration (fit stopped at 1.88e-8 against 6.4e-9);
 * SGEMVs in runs of 128 columns plus one more for w's low part {@code fl(w - fl(w))} (helper
 * gemv28) 2.6e-12 at 10 x (fit 6.43e-9), but 2.4e-13 at 30 x, where the reference gains 2e-14
 * to 1.5e-13 an iteration: that fit stopped at 1.14 times the reference's MMD^2 on
 * {@code FlatKernelFitTest}'s set; this pass moves it by 2.5e-15 there (FlatNoise, 30 x) and
 * the fit now reaches the reference (0.999 times; helper flat32). Cost, in a shifted panel only: scalar double
 * arithmetic instead of SIMD float, 1.3 to 1.8 times the runs of 128 at n = 16,000 with every
 * cell shifted (medians, two workers, the loaded build VM); the 16,000-row exact fit took 1.25
 * times as long at 30 x (the same 82 iterations) and 1.6 to 1.8 times at 10 x (500 iterations:
 * products are most of it there; docs/PERFORMANCE.md, helper flat32). Blocks of
 * {@value #FLAT_BLOCK} columns between its reads ahead (helper flat33) took 12 to 24 % off the
 * pass's CPU time with the same bits ({@link #flatPanelProduct}). The other panels, and so
 * every product at an ordinary bandwidth, make exactly the SGEMV calls they made before, and
 * give the same bits.
 *
 * <p>Cancellation ({@link Cancellation}): the build asks for the calling thread's interrupt
 * before each block of rows, and a working set's gather before each panel, on whichever worker
 * takes it; once interrupted no worker starts another, and the constructor (or
 * {@link #principalSubmatrix}) throws a {@link java.util.concurrent.CancellationException}, the
 * status kept set and the memory it took freed (a working set's triangle given back to its
 * parent's {@link KeptSetStorage}, for the next set). A product (O(n^2): 77 ms at n = 16,000, 0.3 s
 * at the 33,000 rows the default 2 GiB budget keeps, on the 2-core build VM) asks before each of
 * its {@value #GROUPS} groups ({@link PinnedWorkers#forEachBlock}) and, interrupted, throws
 * with {@code out} unwritten. The checks change no arithmetic.
 */
final class Nd4jSymmetricKernelOperator extends AbstractKernelOperator {

    private final int n;
    private final SymmetricPanels layout;
    private final FloatPointer kernelPtr;
    /**
     * Where this operator's triangle goes back on close: the storage of the parent's working
     * sets (a kept or a tiled K_XX's) that lent it; null where this operator owns it.
     */
    private final KeptSetStorage home;
    /**
     * The storage of this operator's own working sets, the largest closed one kept for the
     * next ({@link KeptSetStorage}): a working set shrinks by a little at a time, and fresh
     * memory costs its first-touch page faults again (0.7 s for the first 245 MB set at
     * n = 16,000 on the build VM without huge pages, against the 0.06-0.1 s gather itself).
     */
    private final KeptSetStorage sets = new KeptSetStorage();
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
    /** Each worker's copy of a few rows of a shifted panel ({@link #flatPanelProduct}). */
    private final float[][] flatRows;
    /**
     * What each worker's reads ahead in {@link #flatPanelProduct} summed: kept only so that the
     * compiler cannot drop those reads; never used.
     */
    private final float[] touched;
    /** n ones in double ({@link #onesHost}); null until a shifted panel's row sums need them. */
    private double[] onesHost;
    /** The prefix sums of w and of ones for the shifted cells, reused product to product. */
    private final ShiftedTiles.Prefixes prefixes = new ShiftedTiles.Prefixes();
    /**
     * Whether panel p has a shifted cell: its product sums in blocks of the cell width and adds
     * the low part of w (set with {@link #anyShifted}).
     */
    private final boolean[] panelShifted;
    /** Cell columns: {@code ceil(n / 256)}. */
    private final int chunks;
    /**
     * Whether cell (panel p, columns {@code [256 v, 256 v + 256)}) is stored shifted, at
     * {@code p * chunks + v}; only cells from the panel's diagonal block on are stored at all.
     */
    private final boolean[] shifted;
    /** Whether any cell, and every stored cell, is shifted (set once the triangle is written). */
    private boolean anyShifted;
    private boolean allShifted;
    /** The backend's lifetime, handed on to submatrices. */
    private final BackendLifetime backend;

    /**
     * Builds K_XX.
     *
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     (asked before every block of rows: O(256 n d) each); the memory is freed
     */
    Nd4jSymmetricKernelOperator(FloatMatrix x, double sigma, BackendLifetime backend) {
        this(x, sigma, null, null, backend);
    }

    /**
     * Builds K_XX into {@code storage} (null: fresh memory), which goes back to {@code home} on
     * close (null: it is this operator's, freed on close).
     *
     * @throws java.util.concurrent.CancellationException as the public constructor; the
     *     storage is given back (freed where home is null)
     */
    private Nd4jSymmetricKernelOperator(FloatMatrix x, double sigma, FloatPointer storage,
            KeptSetStorage home, BackendLifetime backend) {
        this(x.rows(), storage, home, backend);
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
     * given, which goes back to {@code home} on close when that is given) and the triangle not
     * yet written. Where an allocation fails, the buffers taken before it are freed
     * ({@link NativeScope}), the fresh triangle with them; a given {@code storage} stays the
     * caller's, who gives it back ({@link #principalSubmatrix}).
     */
    private Nd4jSymmetricKernelOperator(int n, FloatPointer storage, KeptSetStorage home,
            BackendLifetime backend) {
        super(n, n, backend);
        this.n = n;
        this.backend = backend;
        this.layout = new SymmetricPanels(n);
        this.workers = PinnedWorkers.count();
        this.bounds = layout.split(GROUPS);
        this.home = home;
        try (NativeScope scope = new NativeScope()) {
            // Plain JavaCPP memory: ND4J's createUninitialized measured 1.3 s for these 512 MB
            // at n = 16,000 (it touches every page), as long as the whole build.
            this.kernelPtr = storage != null ? storage
                    : scope.own(Buffers.pointer(layout.floats()));
            this.scratch = scope.own(new INDArray[workers]);
            this.scratchPtr = new FloatPointer[workers];
            this.scratchView = new FloatBuffer[workers];
            this.mirrored = new double[GROUPS][n];
            for (int k = 0; k < workers; k++) {
                scratch[k] = Buffers.floats(Math.max(1, n));
                scratchPtr[k] = Buffers.floatPointer(scratch[k]);
                scratchView[k] = scratchPtr[k].capacity(Math.max(1, n)).asBuffer();
            }
            this.own = new double[n];
            this.weights = scope.own(Buffers.floats(n));
            this.ones = scope.own(Buffers.floats(n)).assign(1.0);
            this.weightsPtr = Buffers.floatPointer(weights);
            this.onesPtr = Buffers.floatPointer(ones);
            this.weightsHost = new float[n];
            this.flatRows = new float[workers][FLAT_ROWS * FLAT_COLUMNS];
            this.touched = new float[workers];
            this.panelShifted = new boolean[layout.panels()];
            this.chunks = (n + ShiftedTiles.COLS - 1) / ShiftedTiles.COLS;
            this.shifted = new boolean[Math.multiplyExact(layout.panels(), chunks)];
            scope.transfer();
        }
    }

    /** Whether cell (panel p, column chunk v) is stored shifted. */
    private boolean shifted(int p, int v) {
        return shifted[p * chunks + v];
    }

    /** Whether panel p has a shifted cell, so its product is the double pass (tests). */
    boolean panelShifted(int p) {
        return panelShifted[p];
    }

    /**
     * Entry (i, j) as stored, read from its panel (row min(i, j), column max(i, j)), not
     * through a product: {@code g = k - 1} in a shifted cell ({@link #storedShifted}), else k
     * (tests: an independent reference for the products).
     */
    float storedValue(int i, int j) {
        int a = Math.min(i, j);
        int b = Math.max(i, j);
        int p = a / SymmetricPanels.PANEL_ROWS;
        int s = layout.start(p);
        return kernelPtr.get(layout.offset(p) + (long) (a - s) * layout.width(p) + (b - s));
    }

    /** Whether entry (i, j) is stored shifted, as {@code k - 1} (tests). */
    boolean storedShifted(int i, int j) {
        return shifted(Math.min(i, j) / SymmetricPanels.PANEL_ROWS,
                Math.max(i, j) / ShiftedTiles.COLS);
    }

    /** How many cells are stored shifted (tests). */
    int shiftedPieces() {
        int count = 0;
        for (boolean b : shifted) {
            count += b ? 1 : 0;
        }
        return count;
    }

    /**
     * Sets {@link #panelShifted}, {@link #anyShifted} and {@link #allShifted} from the stored
     * cells' flags.
     */
    private void summariseShifts() {
        boolean any = false;
        boolean all = true;
        for (int p = 0; p < layout.panels(); p++) {
            boolean panel = false;
            for (int v = layout.start(p) / ShiftedTiles.COLS; v < chunks; v++) {
                panel |= shifted(p, v);
                all &= shifted(p, v);
            }
            panelShifted[p] = panel;
            any |= panel;
        }
        anyShifted = any;
        allShifted = any && all;
    }

    /** The storage of this operator's working sets (tests). */
    KeptSetStorage keptSetStorage() {
        return sets;
    }

    /** A kept K_XX gives its working sets (within the budget). */
    @Override
    public boolean offersPrincipalSubmatrix() {
        return true;
    }

    /**
     * The submatrix, kept like this one, when both fit the budget (else null: the caller goes
     * on with this operator, and the spare triangle of earlier sets is freed). Its entries are copied from this triangle (no kernel value is
     * recomputed), so its products are those of this operator restricted to the rows, up to the
     * order of float sums.
     *
     * @throws NativeMemoryException when the budget admits it but JavaCPP's cap ({@code
     *     maxbytes}, which defaults to {@code -Xmx}) or the machine refuses its memory
     */
    @Override
    protected KernelOperator principalSubmatrixChecked(int[] rows, long memoryBudgetBytes) {
        long floats = Math.max(1, SymmetricPanels.floatsFor(rows.length));
        // The spare (the largest closed set's triangle) is what stays allocated beside this
        // operator when it is reused, so it is what the budget must hold; one past what the
        // budget leaves is freed by take, so the set's own size is what counts then.
        long left = memoryBudgetBytes - keptBytes(n);
        if (sets.bytesFor(floats, left) > left) {
            // Refused: the optimiser goes on without a set (on this operator), so the spare
            // would hold native memory for nothing until this operator closes.
            sets.releaseSpare();
            return null;
        }
        FloatPointer storage;
        try {
            // Past JavaCPP's off-heap cap (maxbytes) even after the collections JavaCPP itself
            // runs first, a fresh allocation fails. Not decided from Pointer.totalBytes()
            // beforehand: that counts pointers that are garbage but not yet collected, so the
            // answer would depend on when the collector last ran.
            storage = sets.take(floats, left);
        } catch (OutOfMemoryError e) {
            // Not null: the optimiser without its working set takes other iterates, so the
            // weights would depend on -Xmx (which maxbytes defaults to). At R 1,000 / S 8,000,
            // -Xmx200m against 8g moved 4,355 of 8,000 weights (max 1.8e-5) with nothing in the
            // summary to tell the runs apart (review 23). Only this allocation's refusal: a heap
            // shortage elsewhere stays itself.
            throw refused(rows.length, n, 4 * floats, "beside the kept K_SS's "
                    + mib(keptBytes(n)), e);
        }
        Nd4jSymmetricKernelOperator sub;
        try {
            sub = new Nd4jSymmetricKernelOperator(rows.length, storage, sets, backend);
        } catch (RuntimeException | Error e) {
            sets.giveBack(storage);
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

    /**
     * The working set of a tiled self-kernel ({@link Nd4jKernelOperator#principalSubmatrix}):
     * K of the gathered rows {@code selected}, built and kept like a kept plan's K_XX (so with
     * its accuracy), its triangle taken from the parent's {@code home} (the last closed set's
     * storage where it holds the triangle within {@code budgetBytes}, else fresh from
     * {@link #allocator}, as a kept parent's submatrix's) and given back there on close, a
     * refusal within the budget turned into the same {@link NativeMemoryException}.
     *
     * @param parentRows n of the tiled parent, for the error message
     * @param budgetBytes the budget the set's triangle fits (a spare beyond it is not reused)
     * @throws java.util.concurrent.CancellationException when the calling thread is interrupted
     *     during the build; the storage is given back
     */
    static Nd4jSymmetricKernelOperator keptWorkingSet(FloatMatrix selected, double sigma,
            BackendLifetime backend, int parentRows, KeptSetStorage home, long budgetBytes) {
        long floats = Math.max(1, SymmetricPanels.floatsFor(selected.rows()));
        FloatPointer storage;
        try {
            storage = home.take(floats, budgetBytes);
        } catch (OutOfMemoryError e) {
            throw refused(selected.rows(), parentRows, 4 * floats, "beside the tiled K_SS,"
                    + " which keeps none", e);
        }
        try {
            return new Nd4jSymmetricKernelOperator(selected, sigma, storage, home, backend);
        } catch (RuntimeException | Error e) {
            home.giveBack(storage); // idempotent where the build's own cleanup gave it back
            throw e;
        }
    }

    /** Allocates a submatrix's storage; a seam so that tests can make the allocation fail. */
    @FunctionalInterface
    interface StorageAllocator {
        FloatPointer allocate(long floats);
    }

    /** How submatrix storage is allocated: JavaCPP's, but for tests that set another. */
    static volatile StorageAllocator allocator = FloatPointer::new;

    /**
     * The one-line error for a submatrix of {@code rows} of {@code n} rows, {@code bytes} kept
     * {@code beside} its parent, whose memory was refused.
     */
    private static NativeMemoryException refused(int rows, int n, long bytes, String beside,
            OutOfMemoryError e) {
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
                        + " -Dorg.bytedeco.javacpp.maxbytes=SIZE (JavaCPP defaults it to -Xmx, synalign's command line to a third of the memory; now %s)",
                        mib(Pointer.maxBytes()));
        return new NativeMemoryException(String.format(Locale.ROOT,
                "the optimiser's working set (%,d of %,d rows, %s %s, within the memory"
                        + " budget) could not be allocated off-heap: %s; %s",
                rows, n, mib(bytes), beside, why, cap), e);
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1024.0 * 1024.0));
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
        // Parent cells all shifted: so is every cell here, the values copied as they are. Some:
        // each cell here is shifted where all its sources are, and other entries that come
        // from shifted cells are stored as 1 + g.
        boolean mixed = parent.anyShifted && !parent.allShifted;
        ClaimedUnits units = new ClaimedUnits(panels);
        PinnedWorkers.run((worker, callerInterrupted) -> {
            float[] source = new float[parent.n];
            float[] target = new float[n];
            float[] block = new float[SymmetricPanels.PANEL_ROWS * SymmetricPanels.PANEL_ROWS];
            for (int q; (q = units.next(callerInterrupted)) >= 0; ) {
                int start = layout.start(q);
                int width = layout.width(q);
                int height = layout.height(q);
                if (parent.allShifted) {
                    Arrays.fill(shifted, q * chunks + start / ShiftedTiles.COLS,
                            (q + 1) * chunks, true);
                } else if (mixed) {
                    gatherShifts(parent, rows, q);
                }
                FloatPointer panel = OpenBlas.at(kernelPtr, layout.offset(q));
                for (int r = 0; r < height; r++) {
                    int a = start + r;
                    int i = rows[a];
                    int p = i / SymmetricPanels.PANEL_ROWS;
                    int from = parent.layout.start(p);
                    long rowOffset = parent.layout.offset(p)
                            + (long) (i - from) * parent.layout.width(p);
                    // Columns i..last of parent row i.
                    OpenBlas.at(parent.kernelPtr, rowOffset + (i - from))
                            .get(source, 0, last - i + 1);
                    if (mixed) {
                        for (int b = a; b < n; b++) {
                            float value = source[rows[b] - i];
                            if (parent.shifted(p, rows[b] / ShiftedTiles.COLS)
                                    && !shifted(q, b / ShiftedTiles.COLS)) {
                                value += 1f; // k = 1 + g in a cell kept unshifted
                            }
                            target[b - start] = value;
                        }
                    } else {
                        for (int b = a; b < n; b++) {
                            target[b - start] = source[rows[b] - i];
                        }
                    }
                    OpenBlas.at(panel, (long) r * width + (a - start))
                            .put(target, a - start, n - a);
                }
                symmetriseDiagonalBlock(panel, height, width, block,
                        shifted(q, start / ShiftedTiles.COLS) ? 0f : 1f);
            }
        });
        units.throwIfStopped(CANCELLED_GATHER);
        summariseShifts();
    }

    /**
     * Sets the flags of sub-panel q's cells: shifted where every entry the cell gathers
     * ({@code (a, b)}, {@code b >= a}, from parent entry {@code (rows[a], rows[b])}) lies in a
     * shifted parent cell; each cell read up to its first unshifted source.
     */
    private void gatherShifts(Nd4jSymmetricKernelOperator parent, int[] rows, int q) {
        int start = layout.start(q);
        int end = start + layout.height(q);
        for (int v = start / ShiftedTiles.COLS; v < chunks; v++) {
            int c0 = Math.max(v * ShiftedTiles.COLS, start);
            int c1 = Math.min((v + 1) * ShiftedTiles.COLS, n);
            boolean all = true;
            for (int a = start; a < end && all; a++) {
                int p = rows[a] / SymmetricPanels.PANEL_ROWS;
                for (int b = Math.max(c0, a); b < c1; b++) {
                    if (!parent.shifted(p, rows[b] / ShiftedTiles.COLS)) {
                        all = false;
                        break;
                    }
                }
            }
            shifted[q * chunks + v] = all;
        }
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
            ShiftedTiles.Radii radii = operands.radii();
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
                ShiftedTiles.Scratch shiftScratch = new ShiftedTiles.Scratch();
                ShiftedTiles.Pieces pieces = new ShiftedTiles.Pieces();
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
                        if (c0 == s) {
                            // The self-distances are 0 (the GEMM leaves a residue): so the
                            // diagonal counts as flat; its value is set below either way.
                            for (int r = 0; r < h; r++) {
                                tilePtr.put((long) r * cw + r, 0f);
                            }
                        }
                        // Cells are whole here: s and c0 are multiples of 256, h <= 256.
                        ShiftedTiles.values(tilePtr, Buffers.range(tile, 0, (long) h * cw), s, h,
                                c0, cw, radii, shiftScratch, pieces);
                        for (int k = 0; k < pieces.count(); k++) {
                            shifted[pieces.rowStart(k) / SymmetricPanels.PANEL_ROWS * chunks
                                    + pieces.colStart(k) / ShiftedTiles.COLS] = true;
                        }
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
                                layout.height(p), layout.width(p), block,
                                shifted(p, layout.start(p) / ShiftedTiles.COLS) ? 0f : 1f);
                    }
                }
            });
        } finally {
            Buffers.close(tiles);
        }
        blocks.throwIfStopped(CANCELLED_BUILD);
        summariseShifts();
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
     * The diagonal block of a panel (its first h columns) made exactly symmetric with the
     * diagonal {@code diagonal} (1, or 0 = g in a shifted cell): read row by row, the lower half
     * set from the upper, written back row by row.
     */
    private static void symmetriseDiagonalBlock(FloatPointer panel, int h, int w, float[] block,
            float diagonal) {
        for (int r = 0; r < h; r++) {
            OpenBlas.at(panel, (long) r * w).get(block, r * h, h);
        }
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < r; c++) {
                block[r * h + c] = block[c * h + r];
            }
            block[r * h + r] = diagonal;
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
        product(weightsPtr, w, out);
    }

    @Override
    protected void rowSumsChecked(double[] out) {
        product(onesPtr, null, out);
    }

    /**
     * out = K vector; n >= 1 (the base class answers an empty kernel); {@code weights} the vector
     * in double (null: all ones), which the shifted panels multiply ({@link #flatPanelProduct})
     * and whose sums the shifted cells add; {@code vector} it rounded to float, which the other
     * panels' SGEMVs multiply. A product on all rows of this operator, so it ends by telling
     * its working sets' storage ({@link KeptSetStorage#parentProduct}); a cancelled one throws
     * before.
     */
    private void product(FloatPointer vector, double[] weights, double[] out) {
        double[] exact = weights != null ? weights : anyShifted ? onesHost() : null;
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
                if (panelShifted[p]) {
                    touched[worker] += flatPanelProduct(flatRows[worker], panel, start, h, w,
                            exact, own, mine);
                    continue;
                }
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
        if (anyShifted) {
            addShiftedSums(prefixes.of(weights, n), out);
        }
        sets.parentProduct(); // on all rows: an idle spare of its working sets goes (spare33)
    }

    /** n ones in double, the shifted panels' weights for {@link #rowSums}; made on first use. */
    private double[] onesHost() {
        if (onesHost == null) {
            onesHost = new double[n];
            Arrays.fill(onesHost, 1.0);
        }
        return onesHost;
    }

    /**
     * Rows a shifted panel's pass takes at a time ({@link #flatPanelProduct}): four running sums
     * in flight (one per row), and each column's weight and mirrored sum read and written once
     * for the four.
     */
    static final int FLAT_ROWS = 4;
    /**
     * Columns a shifted panel's pass copies at a time: {@value #FLAT_ROWS} rows of them are
     * 16 KiB, so the pass reads them from L1.
     */
    static final int FLAT_COLUMNS = 1024;

    /**
     * A shifted panel's share of {@code K w}, summed in double against the double w: rows
     * {@code I = [start, start + h)}, columns {@code J = [start, start + width)}, its own sums
     * {@code own_I = K_{I,J} w_J} and, past the diagonal block, the mirrored
     * {@code mine_J += K_{I,J}^T w_I}. The rows are taken {@value #FLAT_ROWS} at a time (the last
     * few padded with zero rows and zero weights, which add exact zeros), in chunks of
     * {@value #FLAT_COLUMNS} columns copied into {@code rows}; each row's own sum runs over its
     * columns in order in one double, each column's mirrored share is
     * {@code (g_0 w_0 + g_1 w_1) + (g_2 w_2 + g_3 w_3)} added to {@code mine}: a fixed order, so
     * the same bits every time, whatever the scheduling.
     *
     * <p>Why: near a fit's optimum at 30 x the median bandwidth and wider the MMD^2 gains less
     * an iteration than float32 sums of {@code g w} round (g about -5e-4, one sign): the panels'
     * earlier SGEMVs in runs of 128 columns plus w's low part (helper gemv28) moved the
     * objective by 2.4e-13 from one point to the next 1e-6 away, where the reference gains
     * 2e-14 to 1.5e-13 an iteration, so the fit stopped at 1.22 times the reference's MMD^2
     * (1.14 times on {@code FlatKernelFitTest}'s set); this pass moves it by 2.5e-15
     * (benchmarks/accuracy/FlatNoise.java), and the fit now reaches the reference
     * (docs/RELIABILITY.md, helpers gemv29 and flat32). The float g times the double w is rounded once, in double,
     * so w needs no low part.
     *
     * <p>Cost: one read of the panel (from memory, ahead of its use) and of its copy (from L1),
     * and {@code 2 h width} multiplications and additions in scalar double, four rows' chains
     * interleaved (Java 17 does not vectorise the float-to-double conversion): 1.3 to 1.8 times
     * the SGEMV runs it replaced at n = 16,000 with every cell shifted (docs/PERFORMANCE.md,
     * helper flat32); since the blocks of {@value #FLAT_BLOCK} columns ({@link #sumChunk};
     * helper flat33) 0.76 to 0.88 times that pass's threads' CPU time at n = 16,000 and
     * 9,973 (wall 0.88 on a quiet VM), the same bits. Tried and not adopted (flat33, the same harness): 8
     * rows at a time, two sums per row, {@code Math.fma}, and 8 rows with the blocks, none
     * faster than the blocks alone; float sums in blocks of 32 and OpenBLAS's {@code dsdot}
     * (3.3e-9 of the exact sum on 16,000 terms, worse than float products summed in double)
     * cannot hold the {@code 1e-12 sum |g w|} that {@code FlatProductSumsTest} asks.
     */
    static float flatPanelProduct(float[] rows, FloatPointer panel, int start, int h,
            int width, double[] w, double[] ownSums, double[] mine) {
        FloatBuffer values = DistanceGemm.floats(panel, Math.multiplyExact(h, width));
        int f = FLAT_COLUMNS;
        double[] sums = new double[FLAT_ROWS];
        double[] rowWeights = new double[FLAT_ROWS];
        float touched = 0;
        for (int r0 = 0; r0 < h; r0 += FLAT_ROWS) {
            int k = Math.min(FLAT_ROWS, h - r0);
            Arrays.fill(rowWeights, 0.0);
            for (int r = 0; r < k; r++) {
                rowWeights[r] = w[start + r0 + r];
            }
            if (k < FLAT_ROWS) {
                Arrays.fill(rows, k * f, FLAT_ROWS * f, 0f);
            }
            copyRows(values, width, r0, k, 0, Math.min(f, width), rows);
            Arrays.fill(sums, 0.0);
            for (int c0 = 0; c0 < width; c0 += f) {
                int len = Math.min(f, width - c0);
                // The chunk after this one: these rows' next columns, or the next rows' first.
                boolean sameRows = c0 + f < width;
                int nextColumn = sameRows ? c0 + f : 0;
                int nextRow = sameRows ? r0 : r0 + FLAT_ROWS;
                int nextRows = Math.max(0, Math.min(FLAT_ROWS, h - nextRow));
                int nextLength = nextRows > 0 ? Math.min(f, width - nextColumn) : 0;
                // Columns of the diagonal block (j < h): own sums only (the block is stored
                // whole, its lower half mirrored from the upper); past it, both.
                int mirrorFrom = Math.min(len, Math.max(0, h - c0));
                touched += sumChunk(rows, mirrorFrom, len, w, start + c0, rowWeights, mine, sums,
                        values, nextRow * width + nextColumn, nextRows, nextLength, width);
                if (sameRows) {
                    copyRows(values, width, r0, k, nextColumn, nextLength, rows);
                }
            }
            for (int r = 0; r < k; r++) {
                ownSums[start + r0 + r] = sums[r];
            }
        }
        return touched;
    }

    /**
     * One chunk of {@link #flatPanelProduct}: {@value #FLAT_ROWS} rows of {@code len} columns in
     * {@code rows} (row stride {@value #FLAT_COLUMNS}), the first at column {@code base} of K;
     * each row's own sum continued in {@code sums}, the columns from {@code mirrorFrom} on also
     * added to {@code mine} with the rows' weights {@code rowWeights}. While it sums it reads one
     * float of each cache line of the next chunk ({@code aheadRows} rows of {@code aheadLength}
     * floats from {@code ahead} in {@code values}, row stride {@code width}), so that their
     * memory latency overlaps the arithmetic and the next copy finds them in cache; returns
     * their sum, only so that the compiler keeps those reads. The columns past the diagonal
     * block go in blocks of {@value #FLAT_BLOCK}, each block's reads ahead first: every sum
     * still runs in column order, so the block changes no bit. A method of its own so that the
     * JIT compiles this loop whole, not only as an on-stack replacement inside the panel's loop
     * (one process in two ran the product at half speed so).
     */
    private static float sumChunk(float[] rows, int mirrorFrom, int len, double[] w, int base,
            double[] rowWeights, double[] mine, double[] sums, FloatBuffer values, int ahead,
            int aheadRows, int aheadLength, int width) {
        int f = FLAT_COLUMNS;
        double w0 = rowWeights[0];
        double w1 = rowWeights[1];
        double w2 = rowWeights[2];
        double w3 = rowWeights[3];
        double s0 = sums[0];
        double s1 = sums[1];
        double s2 = sums[2];
        double s3 = sums[3];
        float touched = 0;
        for (int x = 0; x < mirrorFrom; x++) {
            double wc = w[base + x];
            s0 += rows[x] * wc;
            s1 += rows[f + x] * wc;
            s2 += rows[2 * f + x] * wc;
            s3 += rows[3 * f + x] * wc;
        }
        for (int xb = mirrorFrom; xb < len; xb += FLAT_BLOCK) {
            int xe = Math.min(xb + FLAT_BLOCK, len);
            // This block's reads ahead, one a cache line, issued together before its sums.
            int te = Math.min(xe, aheadLength);
            for (int xt = xb; xt < te; xt += TOUCH_STRIDE) {
                for (int r = 0; r < aheadRows; r++) {
                    touched += values.get(ahead + r * width + xt);
                }
            }
            for (int x = xb; x < xe; x++) {
                double wc = w[base + x];
                double g0 = rows[x];
                double g1 = rows[f + x];
                double g2 = rows[2 * f + x];
                double g3 = rows[3 * f + x];
                s0 += g0 * wc;
                s1 += g1 * wc;
                s2 += g2 * wc;
                s3 += g3 * wc;
                mine[base + x] += (g0 * w0 + g1 * w1) + (g2 * w2 + g3 * w3);
            }
        }
        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
        return touched;
    }

    /** Floats in a cache line: the stride of {@link #flatPanelProduct}'s reads ahead. */
    private static final int TOUCH_STRIDE = 16;
    /**
     * Columns {@link #sumChunk} sums between two batches of reads ahead (four cache lines of
     * each of the next chunk's rows, {@value #FLAT_BLOCK} / {@value #TOUCH_STRIDE}): the inner
     * loop's length. With batches of one line each (a loop of 16 columns, as flat32 had it) a
     * flat product took 1.14 to 1.31 times the threads' CPU time of blocks of 64, the same bits
     * (apparently the JIT's entry and exit of a short loop every 16 columns; blocks of 128
     * measured as 64; docs/PERFORMANCE.md, helper flat33).
     */
    static final int FLAT_BLOCK = 64;

    /**
     * Rows {@code [r0, r0 + k)} of a panel of row stride {@code width}, columns
     * {@code [c0, c0 + len)}, into {@code rows} at {@code r * FLAT_COLUMNS}.
     */
    private static void copyRows(FloatBuffer values, int width, int r0, int k, int c0, int len,
            float[] rows) {
        for (int r = 0; r < k; r++) {
            values.get((r0 + r) * width + c0, rows, r * FLAT_COLUMNS, len);
        }
    }

    /**
     * The shifted cells' share of {@code K w} beyond their GEMVs ({@code K = G + 1 1^T} on each):
     * their column weights {@code sum_{j in cell} w_j} on each of the panel's rows, and the
     * panel's row weights {@code sum_{i in panel} w_i} on each of the cell's mirrored columns
     * (those past the panel's diagonal block, which its own GEMV covers). Whole cells past the
     * diagonal block add their panel's weights to one sum per column chunk, added to the columns
     * once; so O(n^2 / 8,192 + n). Sums in double, in a fixed order; {@code prefix} are the
     * weights' prefix sums.
     */
    private void addShiftedSums(double[] prefix, double[] out) {
        int cellCols = ShiftedTiles.COLS;
        double[] chunkSums = new double[chunks];
        for (int p = 0; p < layout.panels(); p++) {
            int s = layout.start(p);
            int h = layout.height(p);
            int first = s / cellCols;
            double panelWeights = prefix[s + h] - prefix[s];
            double rowSum = 0;
            for (int v = first; v < chunks; v++) {
                if (!shifted(p, v)) {
                    continue;
                }
                int c1 = Math.min((v + 1) * cellCols, n);
                rowSum += prefix[c1] - prefix[Math.max(v * cellCols, s)];
                if (v == first) {
                    for (int j = s + h; j < c1; j++) {
                        out[j] += panelWeights;
                    }
                } else {
                    chunkSums[v] += panelWeights;
                }
            }
            if (rowSum != 0) {
                for (int i = s; i < s + h; i++) {
                    out[i] += rowSum;
                }
            }
        }
        for (int v = 0; v < chunks; v++) {
            if (chunkSums[v] != 0) {
                for (int j = v * cellCols; j < Math.min((v + 1) * cellCols, n); j++) {
                    out[j] += chunkSums[v];
                }
            }
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
        if (home != null) {
            home.giveBack(kernelPtr);
        } else {
            kernelPtr.close();
        }
        sets.close();
        Buffers.close(weights, ones);
        Buffers.close(scratch);
    }
}
