package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.OperatorArguments;
import java.util.BitSet;

/**
 * GP posterior variances over N rows on one GPU, one pivoted-Cholesky step per conditioning row
 * (the algorithm of {@link GpVarianceTracker}; the exploration step of "Few-shot LLM Synthetic
 * Data with Distribution Matching", WWW 2025). X stays on the device; the factor V
 * ({@code maxRank x N} doubles, factor t contiguous) and the variances are float64 on the device.
 *
 * <p>Per {@link #condition}: read {@code var_p} (8 bytes back), {@code gp_kernel_column}
 * (O(N d); squared distances in double by the difference form, as the host backends'
 * {@link io.synalign.kernels.host.ExactKernelColumn}) into factor row t, one cuBLAS DGEMV
 * {@code -= V[:, :t] V[p, :t]^T} (O(N t)), and {@code gp_rank_one_update} (scale by
 * {@code 1/sqrt(var_p + s^2)}, subtract the square from every variance, O(N)). {@link #argmax}
 * is the two-pass {@code argmax_blocks} reduction with the exclusion set uploaded as a bit mask.
 * Not thread-safe.
 */
final class CudaGpVarianceTracker implements GpVarianceTracker {

    /** Blocks of the first argmax pass; the second pass reduces them in one block. */
    static final int ARGMAX_BLOCKS = 1024;

    private final CudaDevice device;
    private final int size;
    private final int maxRank;
    private final double noise;
    private final double gamma;
    private final DeviceRows x;
    private final DeviceMemory factors;
    private final DeviceMemory variance;
    private final DeviceMemory mask;
    private final DeviceMemory candidateValues;
    private final DeviceMemory candidateIndices;
    private final DeviceMemory best;
    private final PinnedMemory maskHost;
    private final PinnedMemory scalarHost;
    private final PinnedMemory varianceHost;
    private int rank;
    private boolean closed;

    CudaGpVarianceTracker(CudaDevice device, FloatMatrix xs, double lengthScale, double noise,
            int maxRank) {
        GpVarianceTracker.checkSettings(lengthScale, noise, maxRank);
        this.device = device;
        this.size = xs.rows();
        this.maxRank = maxRank;
        this.noise = noise;
        this.gamma = 1.0 / (2 * lengthScale * lengthScale);
        device.makeCurrent();
        // The factor (maxRank x N doubles) is the allocation most likely to fail: free the rest.
        Allocations made = new Allocations();
        try {
            this.x = made.add(DeviceRows.upload(device, xs, "X"));
            this.factors = made.add(DeviceMemory.doubles((long) maxRank * size, "GP factor"));
            this.variance = made.add(DeviceMemory.doubles(size, "variances"));
            int words = maskWords(size);
            this.mask = made.add(DeviceMemory.allocate(4L * words, "exclusion mask"));
            this.candidateValues = made.add(DeviceMemory.doubles(ARGMAX_BLOCKS, "argmax values"));
            this.candidateIndices = made.add(DeviceMemory.allocate(4L * ARGMAX_BLOCKS,
                    "argmax indices"));
            this.best = made.add(DeviceMemory.allocate(16, "argmax result"));
            this.maskHost = made.add(PinnedMemory.allocate(4L * words));
            this.scalarHost = made.add(PinnedMemory.allocate(16));
            this.varianceHost = made.add(PinnedMemory.allocate(8L * size));
            reset();
        } catch (RuntimeException e) {
            // X's norms may still be computing: cuMemFree is not promised to wait.
            device.syncAfter(e);
            made.close();
            throw e;
        }
    }

    /** 32-bit words of a mask over {@code n} rows. */
    static int maskWords(int n) {
        return Math.max(1, (n + 31) / 32);
    }

    /** Packs {@code excluded} (bits at or above {@code n} ignored) into 32-bit words, LSB first. */
    static int[] maskOf(BitSet excluded, int n) {
        int[] words = new int[maskWords(n)];
        for (int i = excluded.nextSetBit(0); i >= 0 && i < n; i = excluded.nextSetBit(i + 1)) {
            words[i >>> 5] |= 1 << (i & 31);
        }
        return words;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int maxRank() {
        return maxRank;
    }

    @Override
    public void condition(int p) {
        checkOpen();
        OperatorArguments.checkRow(p, size);
        OperatorArguments.checkCapacity(rank, maxRank);
        device.makeCurrent();
        double varP = variance(p);
        double pivot2 = OperatorArguments.checkPivot(p, varP, noise);
        long target = factors.at(8L * rank * size);
        device.launchWarpPerRow(CudaKernel.GP_KERNEL_COLUMN, size, new KernelArgs()
                .pointer(x.data.address()).i32(p).i32(size).i32(x.dim).f64(gamma)
                .pointer(target));
        if (rank > 0) {
            // V stored transposed (factor t = row t) is column-major N x t with ld N; V[p, :t]
            // is element p of every row: stride N. The target row t is not among those read.
            device.dgemvSubtract(size, rank, factors.address(), factors.at(8L * p), size, target);
        }
        device.launch1d(CudaKernel.GP_RANK_ONE_UPDATE, size, new KernelArgs().pointer(target)
                .pointer(variance.address()).f64(1.0 / Math.sqrt(pivot2)).i32(size));
        rank++;
    }

    @Override
    public double variance(int row) {
        checkOpen();
        OperatorArguments.checkRow(row, size);
        device.makeCurrent();
        device.download(scalarHost.pointer(), variance.at(8L * row), 8);
        device.sync();
        return scalarHost.doubles().get(0);
    }

    @Override
    public void variances(double[] out) {
        checkOpen();
        OperatorArguments.checkVariancesOut(out, size);
        if (size == 0) {
            return;
        }
        device.makeCurrent();
        device.download(varianceHost.pointer(), variance.address(), 8L * size);
        device.sync();
        varianceHost.doubles().get(out, 0, size);
    }

    @Override
    public int argmax(BitSet excluded) {
        checkOpen();
        if (size == 0) {
            return -1;
        }
        device.makeCurrent();
        long maskAddress = 0;
        if (excluded != null && !excluded.isEmpty()) {
            int[] words = maskOf(excluded, size);
            maskHost.ints().put(words, 0, words.length);
            device.upload(mask.address(), maskHost.pointer(), 4L * words.length);
            maskAddress = mask.address();
        }
        int blocks = Math.min(ARGMAX_BLOCKS, (size + CudaDevice.BLOCK - 1) / CudaDevice.BLOCK);
        device.launch(CudaKernel.ARGMAX_BLOCKS, blocks, 1, CudaDevice.BLOCK, 1, new KernelArgs()
                .pointer(variance.address()).pointer(0L).pointer(maskAddress).i32(size)
                .pointer(candidateValues.address()).pointer(candidateIndices.address()));
        device.launch(CudaKernel.ARGMAX_BLOCKS, 1, 1, ARGMAX_BLOCKS, 1, new KernelArgs()
                .pointer(candidateValues.address()).pointer(candidateIndices.address())
                .pointer(0L).i32(blocks).pointer(best.address()).pointer(best.at(8)));
        device.download(scalarHost.pointer(), best.address(), 16);
        device.sync();
        return scalarHost.raw().getInt(8);
    }

    @Override
    public void reset() {
        checkOpen();
        device.makeCurrent();
        if (size > 0) {
            device.launch1d(CudaKernel.FILL_DOUBLE, size, new KernelArgs()
                    .pointer(variance.address()).f64(1.0).i32(size));
            device.sync();
        }
        rank = 0;
    }

    private void checkOpen() {
        OperatorArguments.checkOpen(closed, "variance tracker");
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // condition() returns with its kernels and DGEMV still queued on the stream, and
            // cuMemFree is not promised to wait for them (nothing is once the backend is closed).
            device.quiesce();
        } finally {
            // Freed even when the sync reports a (sticky) device error.
            x.close();
            factors.close();
            variance.close();
            mask.close();
            candidateValues.close();
            candidateIndices.close();
            best.close();
            maskHost.close();
            scalarHost.close();
            varianceHost.close();
        }
    }
}
