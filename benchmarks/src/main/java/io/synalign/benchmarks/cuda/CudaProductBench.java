package io.synalign.benchmarks.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.cudaDeviceSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.cuda.CudaBackend;
import io.synalign.kernels.cuda.CudaBackendProvider;
import io.synalign.kernels.cuda.CudaSettings;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The GPU kernel product K w against the hardware's GEMM roofline: times cuBLAS SGEMM of
 * {@code X Y^T} (n x m x d, called here directly through the bytedeco cuBLAS API, so the
 * baseline does not depend on the backend's code) and the CUDA backend's RBF operator
 * {@code K w} through the public kernel SPI, both as SGEMM with a fused epilogue and as the fused
 * kernel ({@link CudaSettings#fusedKernel()}). Each product is first checked against a float64
 * direct sum at three rows (relative error at most 1e-5 of {@code |K| |w|}); a wrong product
 * exits 1. A {@code main} rather than a JMH benchmark because the device run has no JMH harness
 * time to spare and its figure is a ratio of two device timings taken back to back.
 *
 * <p>Usage: {@code java -cp benchmarks-gpu.jar:synalign-gpu.jar
 * io.synalign.benchmarks.cuda.CudaProductBench [n [m [d [reps]]]]} (defaults 20000 20000 384
 * 20). TF32 follows {@code -Dsynalign.cuda.tf32}, the device {@code -Dsynalign.cuda.device}, as
 * for the backend ({@link CudaSettings#fromSystem()}). Exit status 2 when no GPU is usable.
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
        System.out.printf(Locale.ROOT, "device %d, n %d, m %d, d %d, %s%n", base.device(), n, m,
                d, base.tf32() ? "TF32" : "FP32");
        double gemm = timeGemm(base, x, y, reps);
        System.out.printf(Locale.ROOT, "cuBLAS SGEMM X Y^T        %8.3f ms  %8.1f GFLOP/s%n",
                gemm * 1e3, flops / gemm / 1e9);
        for (boolean fused : new boolean[] {false, true}) {
            CudaSettings s = base.withFusedKernel(fused);
            try (CudaBackend backend = new CudaBackend(s);
                    KernelOperator op = backend.rbfOperator(x, y, sigma, TilePlan.tiled(n))) {
                double[] out = new double[n];
                op.multiply(w, out);
                check(x, y, sigma, w, out);
                long t0 = System.nanoTime();
                for (int k = 0; k < reps; k++) {
                    op.multiply(w, out); // returns the product on the host: synchronised
                }
                double t = (System.nanoTime() - t0) / 1e9 / reps;
                System.out.printf(Locale.ROOT,
                        "K w, %-22s %8.3f ms  %8.1f GFLOP/s  %5.1f %% of SGEMM%n",
                        fused ? "fused kernel" : "SGEMM + fused epilogue", t * 1e3,
                        flops / t / 1e9, 100 * gemm / t);
            }
        }
    }

    /**
     * Seconds per cuBLAS GEMM of the row-major dots {@code C (n x m) = X Y^T}: in cuBLAS's
     * column-major terms {@code C^T (m x n) = Y^T(op T of d x m) X (d x n)}, as the backend
     * computes its distance blocks.
     */
    private static double timeGemm(CudaSettings settings, FloatMatrix x, FloatMatrix y, int reps) {
        int n = x.rows();
        int m = y.rows();
        int d = x.cols();
        check(cudaSetDevice(settings.device()), "cudaSetDevice");
        Pointer xd = new Pointer();
        Pointer yd = new Pointer();
        Pointer cd = new Pointer();
        cublasContext blas = new cublasContext();
        try (FloatPointer one = new FloatPointer(1f); FloatPointer zero = new FloatPointer(0f);
                FloatPointer hx = new FloatPointer(x.data()); FloatPointer hy = new FloatPointer(y.data())) {
            check(cudaMalloc(xd, 4L * n * d), "cudaMalloc(X)");
            check(cudaMalloc(yd, 4L * m * d), "cudaMalloc(Y)");
            check(cudaMalloc(cd, 4L * n * m), "cudaMalloc(C)");
            check(cudaMemcpy(xd, hx, 4L * n * d, cudaMemcpyHostToDevice), "cudaMemcpy(X)");
            check(cudaMemcpy(yd, hy, 4L * m * d, cudaMemcpyHostToDevice), "cudaMemcpy(Y)");
            check(cublasCreate_v2(blas), "cublasCreate");
            int compute = settings.tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
            Runnable gemm = () -> check(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, m, n, d, one,
                    yd, CUDA_R_32F, d, xd, CUDA_R_32F, d, zero, cd, CUDA_R_32F, m, compute,
                    CUBLAS_GEMM_DEFAULT), "cublasGemmEx");
            gemm.run();
            check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
            long t0 = System.nanoTime();
            for (int k = 0; k < reps; k++) {
                gemm.run();
            }
            check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
            return (System.nanoTime() - t0) / 1e9 / reps;
        } finally {
            if (!blas.isNull()) {
                cublasDestroy_v2(blas);
            }
            for (Pointer p : new Pointer[] {xd, yd, cd}) {
                if (!p.isNull()) {
                    cudaFree(p);
                }
            }
        }
    }

    private static void check(int status, String call) {
        if (status != 0) {
            throw new IllegalStateException(call + " failed with status " + status);
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
