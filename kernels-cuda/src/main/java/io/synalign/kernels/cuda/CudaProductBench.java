package io.synalign.kernels.cuda;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.Locale;
import java.util.Random;

/**
 * Device benchmark of the fused kernel product against the GEMM it is built on (run by
 * {@code benchmarks/gpu/run-on-device.sh}): on the same n x m x d shapes it times cuBLAS SGEMM
 * {@code X Y^T} alone (resident operands, output written to device memory), the tiled
 * {@code K w} with the GEMM + fused epilogue path, and the single fused kernel, and prints each
 * as GFLOP/s counting {@code 2 n m d} flops, plus the fused products' fraction of the SGEMM rate
 * (target on an H100 at d = 384: at least 60 %). Checks a few rows of K w against a
 * double-precision direct sum first and exits 1 when they disagree.
 *
 * <p>Usage: {@code java -cp synalign-gpu.jar io.synalign.kernels.cuda.CudaProductBench
 * [n m d reps]}, default 20000 20000 384 20.
 */
public final class CudaProductBench {

    private CudaProductBench() {
    }

    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int m = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        int d = args.length > 2 ? Integer.parseInt(args[2]) : 384;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 20;
        new CudaBackendProvider().unavailableReason().ifPresent(r -> {
            System.err.println("cuda unavailable: " + r);
            System.exit(2);
        });
        FloatMatrix x = gaussian(n, d, 1);
        FloatMatrix y = gaussian(m, d, 2);
        double sigma = Math.sqrt(d) * 0.5;
        double[] w = new double[m];
        Random r = new Random(3);
        for (int j = 0; j < m; j++) {
            w[j] = r.nextDouble();
        }
        double flops = 2.0 * n * m * d;
        CudaSettings base = CudaSettings.fromSystem();
        try (CudaDevice device = CudaDevice.open(base)) {
            System.out.printf(Locale.ROOT, "device %s, n %d, m %d, d %d, %s%n", device, n, m, d,
                    base.tf32() ? "TF32" : "FP32");
            double gemm = timeGemm(device, x, y, reps);
            System.out.printf(Locale.ROOT, "cuBLAS SGEMM X Y^T        %8.3f ms  %8.1f GFLOP/s%n",
                    gemm * 1e3, flops / gemm / 1e9);
            for (boolean fused : new boolean[] {false, true}) {
                CudaSettings s = new CudaSettings(base.tf32(), fused, base.cacheDir(),
                        base.device());
                try (CudaDevice dev = CudaDevice.open(s);
                        KernelOperator op = new CudaKernelOperator(dev, x, y, sigma,
                                TilePlan.tiled(n))) {
                    double[] out = new double[n];
                    op.multiply(w, out);
                    check(x, y, sigma, w, out);
                    long t0 = System.nanoTime();
                    for (int k = 0; k < reps; k++) {
                        op.multiply(w, out);
                    }
                    double t = (System.nanoTime() - t0) / 1e9 / reps;
                    System.out.printf(Locale.ROOT,
                            "K w, %-22s %8.3f ms  %8.1f GFLOP/s  %5.1f %% of SGEMM%n",
                            fused ? "fused kernel" : "SGEMM + fused epilogue", t * 1e3,
                            flops / t / 1e9, 100 * gemm / t);
                }
            }
        }
    }

    private static double timeGemm(CudaDevice device, FloatMatrix x, FloatMatrix y, int reps) {
        device.makeCurrent();
        try (DeviceRows xd = DeviceRows.upload(device, x, "X");
                DeviceRows yd = DeviceRows.upload(device, y, "Y");
                DeviceMemory c = DeviceMemory.floats((long) x.rows() * y.rows(), "C")) {
            device.gemmDots(yd.row(0), y.rows(), xd.row(0), x.rows(), x.cols(), c.address());
            device.sync();
            long t0 = System.nanoTime();
            for (int k = 0; k < reps; k++) {
                device.gemmDots(yd.row(0), y.rows(), xd.row(0), x.rows(), x.cols(), c.address());
            }
            device.sync();
            return (System.nanoTime() - t0) / 1e9 / reps;
        }
    }

    /** Rows 0, n/2 and n-1 of K w against a double direct sum, relative to |K| |w|. */
    private static void check(FloatMatrix x, FloatMatrix y, double sigma, double[] w,
            double[] out) {
        for (int i : new int[] {0, x.rows() / 2, x.rows() - 1}) {
            double want = 0;
            double scale = 0;
            for (int j = 0; j < y.rows(); j++) {
                double d2 = 0;
                for (int k = 0; k < x.cols(); k++) {
                    double diff = (double) x.get(i, k) - y.get(j, k);
                    d2 += diff * diff;
                }
                double kv = Math.exp(-d2 / (2 * sigma * sigma));
                want += kv * w[j];
                scale += kv * Math.abs(w[j]);
            }
            double err = Math.abs(out[i] - want) / Math.max(scale, Double.MIN_NORMAL);
            if (!(err <= 1e-5)) {
                System.err.printf(Locale.ROOT, "row %d: K w = %.9g, direct sum %.9g (error %.2e)%n",
                        i, out[i], want, err);
                System.exit(1);
            }
        }
    }

    private static FloatMatrix gaussian(int rows, int dim, long seed) {
        Random r = new Random(seed);
        float[] data = new float[rows * dim];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return new FloatMatrix(rows, dim, data);
    }
}
