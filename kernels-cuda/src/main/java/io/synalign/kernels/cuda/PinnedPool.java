package io.synalign.kernels.cuda;

/**
 * The backend's page-locked staging buffers: {@link #SLOTS} buffers, each grown on demand to the
 * largest size asked of it and kept until the backend closes, so that an upload or a download
 * costs no {@code cuMemAllocHost} (which page-locks, about 0.3 ms per MiB) once the first one has
 * run. Callers stream through them in chunks of at most {@link CudaSettings#stagingChunkBytes()}
 * (64 MiB unless lowered: enough to reach full PCIe/NVLink speed), alternating slots
 * so that filling one overlaps the copy from the other. One user at a time, like the backend.
 */
final class PinnedPool implements AutoCloseable {

    /** Staging buffers. */
    static final int SLOTS = 2;

    private final PinnedMemory[] buffers = new PinnedMemory[SLOTS];

    /** Buffer {@code slot}, at least {@code bytes} long (regrown, contents lost, if smaller). */
    PinnedMemory get(int slot, long bytes) {
        PinnedMemory b = buffers[slot];
        if (b == null || b.bytes() < bytes) {
            if (b != null) {
                b.close();
                buffers[slot] = null;
            }
            buffers[slot] = PinnedMemory.allocate(Math.max(bytes, 1L << 20));
        }
        return buffers[slot];
    }

    /** Bytes held now (for tests and logs). */
    long bytes() {
        long total = 0;
        for (PinnedMemory b : buffers) {
            total += b == null ? 0 : b.bytes();
        }
        return total;
    }

    @Override
    public void close() {
        for (int i = 0; i < SLOTS; i++) {
            if (buffers[i] != null) {
                buffers[i].close();
                buffers[i] = null;
            }
        }
    }
}
