// GP posterior-variance rank-one update for the cuda backend (one pivoted-Cholesky step, see
// io.synalign.kernels.GpVarianceTracker): with V stored transposed (factor t = row t, N doubles)
//   k      = k(X, x_p)                                  gp_kernel_column, O(N d)
//   v      = k - V[:, :t] V[p, :t]^T                    cuBLAS DGEMV, O(N t)
//   v     /= sqrt(var_p + s^2);  var_i -= v_i^2         gp_rank_one_update, O(N)
// X is float32 (as every backend); the kernel column, the factor and the variances are float64
// because the variance is a downdate that cancels towards 0 exactly where the sampler looks next.

// column[i] = exp(-gamma * sum_k (x_ik - x_pk)^2), the squared distance in double by the
// difference form, one warp per row; column[p] = 1 exactly. Not the GEMM form ||x_i||^2 +
// ||x_p||^2 - 2 x_i . x_p in float32: its rounding, a few eps (||x_i||^2 + ||x_p||^2) whatever
// the distance (and more for rows far from the origin), is divided by sqrt(var_p + s^2) in the
// update, which is tiny for a row near one already conditioned on (see
// io.synalign.kernels.host.ExactKernelColumn, the host backends' same column).
extern "C" __global__ void gp_kernel_column(const float* __restrict__ x, int p, int rows, int dim,
                                            double gamma, double* __restrict__ column) {
    const int lane = threadIdx.x & 31;
    const long long warpsPerGrid = ((long long) gridDim.x * blockDim.x) >> 5;
    const float* xp = x + (long long) p * dim;
    for (long long i = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; i < rows;
         i += warpsPerGrid) {
        const float* row = x + i * dim;
        double d2 = 0.0;
        for (int k = lane; k < dim; k += 32) {
            const double e = __dsub_rn((double) row[k], (double) xp[k]);
            d2 = __fma_rn(e, e, d2);
        }
        for (int offset = 16; offset > 0; offset >>= 1) {
            d2 += __shfl_down_sync(0xffffffffu, d2, offset);
        }
        if (lane == 0) {
            column[i] = i == p ? 1.0 : exp(-gamma * d2);
        }
    }
}

// factor[i] *= inv_pivot; variance[i] -= factor[i]^2.
extern "C" __global__ void gp_rank_one_update(double* __restrict__ factor,
                                              double* __restrict__ variance,
                                              double inv_pivot, int rows) {
    const int stride = gridDim.x * blockDim.x;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < rows; i += stride) {
        const double v = factor[i] * inv_pivot;
        factor[i] = v;
        variance[i] -= v * v;
    }
}

// a[i] = value, for the prior variances on reset.
extern "C" __global__ void fill_double(double* __restrict__ a, double value, int count) {
    const int stride = gridDim.x * blockDim.x;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += stride) {
        a[i] = value;
    }
}
