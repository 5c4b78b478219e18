package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;

/**
 * Writes the random features of X into a device buffer: Omega and the phases are uploaded, X
 * goes up in row tiles sized from free device memory (so X itself need never be resident), and
 * per tile one SGEMM {@code X_t Omega} into the output rows and {@code rff_cos} in place.
 */
final class FeatureBlocks {

    private FeatureBlocks() {
    }

    /** {@code out (n x D, device) = sqrt(2/D) cos(X Omega + b)}. */
    static void compute(CudaDevice device, FloatMatrix x, FourierFeatures map, long out) {
        int n = x.rows();
        int d = x.cols();
        int features = map.features();
        if (d != map.dim()) {
            throw new IllegalArgumentException("dimension mismatch: rows have " + d
                    + " columns, the feature map expects " + map.dim());
        }
        try (DeviceMemory omega = DeviceMemory.floats((long) d * features, "Omega");
                DeviceMemory phase = DeviceMemory.floats(features, "phases");
                PinnedMemory params = PinnedMemory.allocate(4L * ((long) d * features + features))) {
            params.floats().put(map.omega(), 0, map.omega().length);
            params.floats().position((long) d * features).put(map.phase(), 0, features);
            device.upload(omega.address(), params.pointer(), 4L * d * features);
            device.upload(phase.address(), new RawPointer(params.pointer().address()
                    + 4L * d * features), 4L * features);
            int tileRows = DeviceTiles.tileRows(device.freeBytes(), n, 4L * d);
            try (DeviceMemory xTile = DeviceMemory.floats((long) tileRows * d, "X tile");
                    PinnedMemory staging = PinnedMemory.allocate(4L * tileRows * d)) {
                for (int start = 0; start < n; start += tileRows) {
                    int count = Math.min(tileRows, n - start);
                    // The staging buffer is reused: the previous tile's upload must be done.
                    device.sync();
                    staging.floats().put(x.data(), start * d, count * d);
                    device.upload(xTile.address(), staging.pointer(), 4L * count * d);
                    long target = out + 4L * start * features;
                    device.gemmFeatures(omega.address(), features, xTile.address(), count, d,
                            target);
                    device.launch1d(CudaKernel.RFF_COS, (long) count * features, new KernelArgs()
                            .pointer(target).pointer(phase.address()).i32(count).i32(features)
                            .f32((float) map.scale()));
                }
                device.sync();
            }
        }
    }
}
