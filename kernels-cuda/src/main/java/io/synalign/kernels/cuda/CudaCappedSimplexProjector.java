package io.synalign.kernels.cuda;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.host.CappedSimplexThreshold;
import org.bytedeco.javacpp.DoublePointer;

/**
 * {@link CappedSimplexProjector} on the device ({@code simplex.cu}): the rounds of
 * {@link CappedSimplexThreshold} with the search state in device memory. Per projection: one
 * scan launch (min, max, sum, non-finite counts) and the start block, then as many round pairs
 * (block partials at tau, one update block) as the last projection needed plus one (a round
 * that finds the search done returns at once), then one read of the 8-double state; only if the
 * search is not done yet are more rounds launched (and read again), and then one clipping pass.
 * So a warm projection is about eight small launches and one read-back of 64 bytes, whatever n.
 * The previous threshold stays in device memory as the next warm start. The search runs about
 * the origin that {@link CappedSimplexThreshold} chooses (state[7]: max v when every value is
 * within a factor of two of it, else 0), so rounds and threshold are the host's.
 */
final class CudaCappedSimplexProjector implements CappedSimplexProjector {

    /** Rounds launched before the first read-back of a run's first projection. */
    static final int FIRST_ROUNDS = 8;

    private final CudaVectorOps ops;
    private final CudaDevice device;
    private final long n;
    private final double cap;
    private final boolean singlePoint;
    private final DeviceMemory state;
    private final PinnedMemory stateHost;
    private final double[] last = new double[8];
    private int nextRounds = FIRST_ROUNDS;
    private boolean projected;
    private boolean closed;

    CudaCappedSimplexProjector(CudaVectorOps ops, long n, double cap) {
        if (n < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + n);
        }
        if (!(cap > 0) || cap * n < 1 - 1e-12) {
            throw new IllegalArgumentException("cap " + cap + " times dimension " + n
                    + " is below 1: the capped simplex is empty");
        }
        this.ops = ops;
        this.device = ops.device();
        this.n = n;
        this.cap = cap >= 1 ? Double.POSITIVE_INFINITY : cap;
        this.singlePoint = cap * n <= 1 + 1e-12;
        device.makeCurrent();
        DeviceMemory s = DeviceMemory.doubles(8, "projection state");
        PinnedMemory h = null;
        try {
            h = PinnedMemory.allocate(64);
            // No warm start yet: state[0] = NaN makes the first projection start cold.
            device.launch1d(CudaKernel.VEC_FILL, 8, new KernelArgs().pointer(s.address()).i64(8)
                    .f64(Double.NaN));
        } catch (RuntimeException e) {
            device.syncAfter(e);
            s.close();
            if (h != null) {
                h.close();
            }
            throw e;
        }
        this.state = s;
        this.stateHost = h;
    }

    @Override
    public long dimension() {
        return n;
    }

    @Override
    public double cap() {
        return cap;
    }

    @Override
    public void project(DeviceVector v, DeviceVector out) {
        checkOpen();
        CudaVector in = CudaVector.of(v, device);
        CudaVector to = CudaVector.of(out, device);
        if (in.length() != n || to.length() != n) {
            throw new IllegalArgumentException("projection of dimension " + n + " got vectors of "
                    + in.length() + " and " + to.length());
        }
        device.makeCurrent();
        if (singlePoint) {
            ops.fill(out, 1.0 / n);
            projected = false;
            return;
        }
        int blocks = ops.blocks(n);
        long partials = ops.partials();
        double previous = threshold();
        try {
            search(in, blocks, partials);
        } catch (RuntimeException e) {
            // A failed search leaves its own state behind: keep the last good warm start, about
            // the origin 0 (state[0] = the threshold, state[7] = 0).
            projected = false;
            try {
                device.launch1d(CudaKernel.VEC_FILL, 1, new KernelArgs()
                        .pointer(state.address()).i64(1).f64(previous));
                device.launch1d(CudaKernel.VEC_FILL, 1, new KernelArgs()
                        .pointer(state.address() + 7L * Double.BYTES).i64(1).f64(0.0));
            } catch (RuntimeException restore) {
                // After a sticky device error this launch fails too: the search's error is
                // the one to report.
                e.addSuppressed(restore);
            }
            throw e;
        }
        device.launch1d(CudaKernel.SIMPLEX_CLIP, n, new KernelArgs().pointer(in.address()).i64(n)
                .f64(cap).pointer(state.address()).pointer(to.address()));
        projected = true;
        nextRounds = Math.max(2, Math.min(FIRST_ROUNDS, (int) last[4] + 1));
    }

    /** The scan, the start and the rounds, until the state says done (reads it back). */
    private void search(CudaVector in, int blocks, long partials) {
        device.launch(CudaKernel.SIMPLEX_SCAN_PARTIAL, blocks, 1, CudaDevice.BLOCK, 1,
                new KernelArgs().pointer(in.address()).i64(n).pointer(partials));
        device.launch(CudaKernel.SIMPLEX_START, 1, 1, CudaDevice.BLOCK, 1, new KernelArgs()
                .pointer(partials).i32(blocks).i64(n).pointer(state.address()));
        int launched = 0;
        int batch = nextRounds;
        while (true) {
            batch = Math.min(batch, CappedSimplexThreshold.MAX_ROUNDS - launched);
            for (int r = 0; r < batch; r++) {
                device.launch(CudaKernel.SIMPLEX_ROUND_PARTIAL, blocks, 1, CudaDevice.BLOCK, 1,
                        new KernelArgs().pointer(in.address()).i64(n).f64(cap)
                                .pointer(state.address()).pointer(partials));
                device.launch(CudaKernel.SIMPLEX_ROUND_UPDATE, 1, 1, CudaDevice.BLOCK, 1,
                        new KernelArgs().pointer(partials).i32(blocks).f64(cap)
                                .pointer(state.address()));
            }
            launched += batch;
            readState();
            if (last[5] > 0 || last[6] > 0) {
                throw new IllegalArgumentException("cannot project a vector containing "
                        + (last[5] > 0 ? "NaN" : "Infinity"));
            }
            if (last[3] != 0) {
                return;
            }
            if (launched >= CappedSimplexThreshold.MAX_ROUNDS) {
                throw new IllegalStateException("no capped-simplex threshold after " + launched
                        + " rounds");
            }
            batch = FIRST_ROUNDS;
        }
    }

    private void readState() {
        device.download(stateHost.pointer(), state.address(), 8L * last.length);
        device.sync();
        DoublePointer host = stateHost.doubles();
        host.get(last, 0, last.length);
    }

    /**
     * The threshold about 0, {@code origin + tau} (as
     * {@link CappedSimplexThreshold.Result#absolute()}).
     */
    @Override
    public double threshold() {
        return projected ? last[7] + last[0] : Double.NaN;
    }

    @Override
    public int rounds() {
        return projected ? (int) last[4] : 0;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("projector is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                device.quiesce(); // nothing to wait for once the backend is closed
            } finally {
                try (state; stateHost) {
                    // freed even after a device error (the sync then throws)
                }
            }
        }
    }
}
