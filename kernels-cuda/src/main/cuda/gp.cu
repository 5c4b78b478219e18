// GP posterior-variance rank-one update for the cuda backend (one pivoted-Cholesky step, see
// io.synalign.kernels.GpVarianceTracker): with V stored transposed (factor t = row t, N doubles)
//   k      = k(X, x_p)                                  gp_kernel_column, O(N d)
//   v      = k - V[:, :t] V[p, :t]^T                    cuBLAS DGEMV, O(N t)
//   v     /= sqrt(var_p + s^2);  var_i -= v_i^2         gp_rank_one_update, O(N)
// X is float32 (as every backend); the factor and the variances are float64 because the variance
// is a downdate that cancels towards 0 exactly where the sampler looks next.

// column[i] = exp(-gamma * max(||x_i||^2 + ||x_p||^2 - 2 x_i . x_p, 0)), one warp per row.
extern "C" __global__ void gp_kernel_column(const float* __restrict__ x,
                                            const float* __restrict__ norms,
                                            int p, int rows, int dim, float gamma,
                                            double* __restrict__ column) {
    const int lane = threadIdx.x & 31;
    const long long warpsPerGrid = ((long long) gridDim.x * blockDim.x) >> 5;
    const float* xp = x + (long long) p * dim;
    const float np = norms[p];
    for (long long i = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; i < rows;
         i += warpsPerGrid) {
        const float* row = x + i * dim;
        float dot = 0.0f;
        for (int k = lane; k < dim; k += 32) {
            dot = fmaf(row[k], xp[k], dot);
        }
        for (int offset = 16; offset > 0; offset >>= 1) {
            dot += __shfl_down_sync(0xffffffffu, dot, offset);
        }
        if (lane == 0) {
            // k(x_p, x_p) = 1 exactly: the GEMM form does not cancel to 0 in float32.
            const float d2 = i == p ? 0.0f : fmaxf(norms[i] + np - 2.0f * dot, 0.0f);
            column[i] = exp(-(double) gamma * (double) d2);
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
