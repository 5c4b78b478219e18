package io.synalign.kernels.cuda;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.StepStatistics;
import io.synalign.kernels.VectorOps;
import org.bytedeco.javacpp.DoublePointer;

/**
 * {@link VectorOps} on device memory ({@code vector.cu}): every element-wise pass is one launch
 * on the compute stream, bit-identical to the host loops (no fused multiply-add); every
 * reduction is a grid of block partials plus one fixed-order {@code vec_finish} block, then one
 * read-back of its few scalars. Copies between host arrays and vectors go through the backend's
 * pooled pinned buffers. One scratch set (block partials, results, a pinned scalar buffer) serves
 * every call, so nothing is allocated per operation but the vectors themselves.
 */
final class CudaVectorOps implements VectorOps, AutoCloseable {

    /** Partial sums per block of the widest reduction (the step statistics). */
    static final int WIDTH = 5;

    private final CudaDevice device;
    private final int maxBlocks;
    private final DeviceMemory partials;
    private final DeviceMemory results;
    private final PinnedMemory scalars;

    CudaVectorOps(CudaDevice device) {
        this.device = device;
        this.maxBlocks = DeviceTiles.maxGrid(device.multiprocessors());
        device.makeCurrent();
        Allocations made = new Allocations();
        try {
            this.partials = made.add(DeviceMemory.doubles((long) WIDTH * maxBlocks,
                    "reduction partials"));
            this.results = made.add(DeviceMemory.doubles(8, "reduction results"));
            this.scalars = made.add(PinnedMemory.allocate(64));
        } catch (RuntimeException e) {
            made.close();
            throw e;
        }
    }

    CudaDevice device() {
        return device;
    }

    /**
     * Blocks of a grid-stride launch over n values (also the number of partials written), at
     * most the {@link #partials()} scratch's capacity.
     */
    int blocks(long n) {
        int blocks = DeviceTiles.gridFor(n, CudaDevice.BLOCK, device.multiprocessors());
        if (blocks > maxBlocks) {
            throw new IllegalStateException(blocks + " blocks exceed the reduction scratch of "
                    + maxBlocks);
        }
        return blocks;
    }

    /** Block partials scratch (at least {@value #WIDTH} doubles per block of {@link #blocks}). */
    long partials() {
        return partials.address();
    }

    private CudaVector v(DeviceVector vector) {
        return CudaVector.of(vector, device);
    }

    private static void sameLength(DeviceVector... vectors) {
        for (DeviceVector x : vectors) {
            if (x.length() != vectors[0].length()) {
                throw new IllegalArgumentException("vectors of lengths " + vectors[0].length()
                        + " and " + x.length());
            }
        }
    }

    @Override
    public DeviceVector zeros(long length) {
        device.makeCurrent();
        CudaVector out = new CudaVector(device, length);
        try {
            fill(out, 0.0);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    @Override
    public DeviceVector of(double[] values) {
        device.makeCurrent();
        CudaVector out = new CudaVector(device, values.length);
        try {
            write(values, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    @Override
    public void write(double[] values, DeviceVector out) {
        CudaVector o = v(out);
        if (o.length() != values.length) {
            throw new IllegalArgumentException("vectors of lengths " + values.length + " and "
                    + o.length());
        }
        device.makeCurrent();
        long chunk = device.settings().stagingChunkBytes() / 8;
        for (long at = 0; at < values.length; at += chunk) {
            int count = (int) Math.min(chunk, values.length - at);
            // A copy queued before may still read the pooled buffer (and getting it may regrow,
            // that is free, it): wait for the streams first.
            device.sync();
            PinnedMemory staging = device.staging(0, 8L * Math.min(chunk, values.length));
            staging.doubles().put(values, (int) at, count);
            device.upload(o.address() + 8 * at, staging.pointer(), 8L * count);
        }
        device.sync();
    }

    @Override
    public void read(DeviceVector v, double[] out) {
        CudaVector x = v(v);
        if (x.length() != out.length) {
            throw new IllegalArgumentException("vectors of lengths " + x.length() + " and "
                    + out.length);
        }
        device.makeCurrent();
        long chunk = device.settings().stagingChunkBytes() / 8;
        for (long at = 0; at < out.length; at += chunk) {
            int count = (int) Math.min(chunk, out.length - at);
            PinnedMemory staging = device.staging(0, 8L * Math.min(chunk, out.length));
            device.download(staging.pointer(), x.address() + 8 * at, 8L * count);
            device.sync();
            staging.doubles().get(out, (int) at, count);
        }
    }

    @Override
    public void copy(DeviceVector from, DeviceVector to) {
        sameLength(from, to);
        device.makeCurrent();
        device.copyOnDevice(v(to).address(), v(from).address(), 8 * from.length());
    }

    @Override
    public void copyRange(DeviceVector from, long fromOffset, DeviceVector to, long toOffset,
            long length) {
        CudaVector x = v(from);
        CudaVector y = v(to);
        // Compared without adding, so that no offset near Long.MAX_VALUE wraps into range.
        if (fromOffset < 0 || toOffset < 0 || length < 0 || length > x.length() - fromOffset
                || length > y.length() - toOffset) {
            throw new IndexOutOfBoundsException("copy of " + length + " values from " + fromOffset
                    + " of " + x.length() + " to " + toOffset + " of " + y.length());
        }
        device.makeCurrent();
        device.copyOnDevice(y.address() + 8 * toOffset, x.address() + 8 * fromOffset, 8 * length);
    }

    @Override
    public void fill(DeviceVector v, double value) {
        CudaVector x = v(v);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_FILL, x.length(), new KernelArgs().pointer(x.address())
                .i64(x.length()).f64(value));
    }

    @Override
    public void extrapolate(DeviceVector x, DeviceVector previous, double beta,
            DeviceVector out) {
        sameLength(x, previous, out);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_EXTRAPOLATE, x.length(), new KernelArgs()
                .pointer(v(x).address()).pointer(v(previous).address()).f64(beta)
                .i64(x.length()).pointer(v(out).address()));
    }

    @Override
    public void gradientStep(DeviceVector y, DeviceVector hy, DeviceVector h, double inverseStep,
            DeviceVector out) {
        sameLength(y, hy, h, out);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_GRADIENT_STEP, y.length(), new KernelArgs()
                .pointer(v(y).address()).pointer(v(hy).address()).pointer(v(h).address())
                .f64(inverseStep).i64(y.length()).pointer(v(out).address()));
    }

    @Override
    public StepStatistics stepStatistics(DeviceVector next, DeviceVector y, DeviceVector hNext,
            DeviceVector hy, DeviceVector h) {
        sameLength(next, y, hNext, hy, h);
        device.makeCurrent();
        long n = next.length();
        int blocks = blocks(n);
        device.launch(CudaKernel.VEC_STEP_STATS_PARTIAL, blocks, 1, CudaDevice.BLOCK, 1,
                new KernelArgs().pointer(v(next).address()).pointer(v(y).address())
                        .pointer(v(hNext).address()).pointer(v(hy).address())
                        .pointer(v(h).address()).i64(n).pointer(partials.address()));
        double[] s = finish(blocks, WIDTH);
        return new StepStatistics(s[0], s[1], s[2], s[3], s[4]);
    }

    /** Adds the block partials in order and reads the {@code width} results back. */
    double[] finish(int blocks, int width) {
        device.launch(CudaKernel.VEC_FINISH, 1, 1, CudaDevice.BLOCK, 1, new KernelArgs()
                .pointer(partials.address()).i32(blocks).i32(width).pointer(results.address()));
        device.download(scalars.pointer(), results.address(), 8L * width);
        device.sync();
        double[] out = new double[width];
        DoublePointer host = scalars.doubles();
        host.get(out, 0, width);
        return out;
    }

    private double reduce(DeviceVector a, DeviceVector b, int mode) {
        long n = a.length();
        device.makeCurrent();
        int blocks = blocks(n);
        device.launch(CudaKernel.VEC_REDUCE_PARTIAL, blocks, 1, CudaDevice.BLOCK, 1,
                new KernelArgs().pointer(v(a).address()).pointer(b == null ? 0L : v(b).address())
                        .i64(n).i32(mode).pointer(partials.address()));
        return finish(blocks, 1)[0];
    }

    @Override
    public double dot(DeviceVector a, DeviceVector b) {
        sameLength(a, b);
        return reduce(a, b, 0);
    }

    @Override
    public double sum(DeviceVector v) {
        return reduce(v, null, 1);
    }

    @Override
    public double distanceSquared(DeviceVector a, DeviceVector b) {
        sameLength(a, b);
        return reduce(a, b, 2);
    }

    @Override
    public void add(DeviceVector v, double shift) {
        CudaVector x = v(v);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_ADD_SCALAR, x.length(), new KernelArgs()
                .pointer(x.address()).i64(x.length()).f64(shift));
    }

    @Override
    public void scale(DeviceVector v, double factor) {
        CudaVector x = v(v);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_SCALE, x.length(), new KernelArgs()
                .pointer(x.address()).i64(x.length()).f64(factor));
    }

    @Override
    public void linearCombination(double alpha, DeviceVector x, double beta, DeviceVector y,
            DeviceVector out) {
        sameLength(x, y, out);
        device.makeCurrent();
        device.launch1d(CudaKernel.VEC_COMBINE, x.length(), new KernelArgs().f64(alpha)
                .pointer(v(x).address()).f64(beta).pointer(v(y).address()).i64(x.length())
                .pointer(v(out).address()));
    }

    /** {@code out = (float) v} on {@code device} (v must be one of its vectors). */
    static void toFloat(CudaDevice device, DeviceVector v, long out) {
        CudaVector x = CudaVector.of(v, device);
        device.launch1d(CudaKernel.VEC_TO_FLOAT, x.length(), new KernelArgs()
                .pointer(x.address()).i64(x.length()).pointer(out));
    }

    @Override
    public CappedSimplexProjector cappedSimplex(long n, double cap) {
        return new CudaCappedSimplexProjector(this, n, cap);
    }

    @Override
    public void close() {
        device.makeCurrent();
        try {
            device.sync();
        } finally {
            try (partials; results; scalars) {
                // freed even after a device error (the sync then throws)
            }
        }
    }
}
