package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.OperatorArguments;
import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * Writes the random features of X into a device buffer: Omega and the phases are uploaded; X is
 * read where the backend keeps it resident ({@link CudaDevice#keepResident}), else it goes up in
 * row tiles of at most one pooled pinned chunk (so X itself need never be resident),
 * double-buffered so the upload of the next tile overlaps this tile's work; per tile one SGEMM
 * {@code X_t Omega} into the output rows and {@code rff_cos} in place. The host fills a staging
 * buffer with {@link HostCopy}, split over the cores: on one thread that copy, not the link, set
 * the pace of a streamed pass.
 */
final class FeatureBlocks {

    private FeatureBlocks() {
    }

    /** {@code out (n x D, device) = sqrt(2/D) cos((X - c) Omega + b)}, c the map's centre or 0. */
    static void compute(CudaDevice device, FloatMatrix x, FourierFeatures map, long out) {
        int n = x.rows();
        int d = x.cols();
        int features = map.features();
        OperatorArguments.checkFeatureDims(x, map);
        try (DeviceMemory omega = DeviceMemory.floats((long) d * features, "Omega");
                DeviceMemory phase = DeviceMemory.floats(features, "phases")) {
            PinnedMemory params = device.staging(0, 4L * ((long) d * features + features));
            params.floats().put(map.omega(), 0, map.omega().length);
            params.floats().position((long) d * features).put(map.phase(), 0, features);
            DeviceRows kept;
            try {
                device.upload(omega.address(), params.pointer(), 4L * d * features);
                device.upload(phase.address(), new RawPointer(params.pointer().address()
                        + 4L * d * features), 4L * features);
                // The pooled buffer is reused below: the parameters must be on the device first.
                device.sync();
                // A centred map subtracts its centre from every row on the host as the tiles
                // are staged (HostCopy.putCentred): resident rows are the rows as they are, so
                // such a map streams them (far-from-origin rows only; FourierFeatures).
                kept = map.centred() ? null : device.residentRows(x);
                if (kept != null) {
                    // X is already on the device (kept for the whole fit): no upload at all.
                    int tileRows = DeviceTiles.tileRows(device.settings(), device.freeBytes(), n,
                            4L * features);
                    for (int start = 0; start < n; start += tileRows) {
                        int count = Math.min(tileRows, n - start);
                        long target = out + 4L * start * features;
                        device.gemmFeatures(omega.address(), features, kept.row(start), count, d,
                                target);
                        device.launch1d(CudaKernel.RFF_COS, (long) count * features,
                                new KernelArgs().pointer(target).pointer(phase.address())
                                        .i32(count).i32(features).f32((float) map.scale()));
                    }
                    device.sync();
                }
            } catch (RuntimeException | Error e) {
                // Omega and the phases are freed when this block ends: nothing queued may still
                // read them (a failed launch stays the error).
                device.syncAfter(e);
                throw e;
            }
            if (kept != null) {
                return;
            }
            // Two X tiles and the two pooled pinned staging buffers: tile t+1 goes up on the
            // copy stream while tile t's GEMM and cosine run on the compute stream. A tile is at
            // most one staging chunk.
            int tileRows = DeviceTiles.stagedTileRows(device.settings(), device.freeBytes(), n, d);
            DeviceMemory[] xTiles = new DeviceMemory[2];
            PinnedMemory[] staging = new PinnedMemory[2];
            // Created inside the try: a cuEventCreate that fails must not leak the ones before.
            CUevent_st[] uploaded = new CUevent_st[2];
            CUevent_st[] consumed = new CUevent_st[2];
            Throwable failure = null;
            try {
                for (int b = 0; b < 2; b++) {
                    uploaded[b] = device.newEvent();
                    consumed[b] = device.newEvent();
                }
                for (int b = 0; b < 2; b++) {
                    xTiles[b] = DeviceMemory.floats((long) tileRows * d, "X tile");
                    staging[b] = device.staging(b, 4L * tileRows * d);
                }
                int t = 0;
                for (int start = 0; start < n; start += tileRows, t++) {
                    int b = t & 1;
                    int count = Math.min(tileRows, n - start);
                    if (t >= 2) {
                        // Tile t-2's GEMM has read xTiles[b], so its upload from staging[b] is
                        // done too: both buffers may be overwritten.
                        device.waitFor(consumed[b]);
                    }
                    if (map.centred()) {
                        HostCopy.putCentred(map, x.data(), start, count, staging[b].pointer(), 0);
                    } else {
                        HostCopy.put(x.data(), start * d, count * d, staging[b].pointer(), 0);
                    }
                    device.uploadOnCopyStream(xTiles[b].address(), staging[b].pointer(),
                            4L * count * d);
                    device.recordOnCopy(uploaded[b]);
                    device.computeWaits(uploaded[b]);
                    long target = out + 4L * start * features;
                    device.gemmFeatures(omega.address(), features, xTiles[b].address(), count, d,
                            target);
                    device.recordOnCompute(consumed[b]);
                    device.launch1d(CudaKernel.RFF_COS, (long) count * features, new KernelArgs()
                            .pointer(target).pointer(phase.address()).i32(count).i32(features)
                            .f32((float) map.scale()));
                }
            } catch (RuntimeException | Error e) {
                failure = e;
                throw e;
            } finally {
                try {
                    device.syncAfter(failure); // a failed launch stays the error
                } finally {
                    for (int b = 0; b < 2; b++) {
                        if (xTiles[b] != null) {
                            xTiles[b].close();
                        }
                        device.destroyEvent(uploaded[b]); // null where never created
                        device.destroyEvent(consumed[b]);
                    }
                }
            }
        }
    }
}
