// Random Fourier features for the cuda backend (Rahimi & Recht, NIPS 2007):
// phi(x) = sqrt(2/D) cos(x . omega_f + b_f). The products x . omega come from a cuBLAS GEMM
// (row-major rows x D); rff_cos is its epilogue. The two products of the stored feature matrix
// are Phi z (matrix_weighted_rowsum in rbf.cu) and Phi^T w (the column sums below), both
// accumulated in double, in a fixed order (no atomics), so repeated products are identical.

// In place: z[i, f] = scale * cos(z[i, f] + phase[f]).
extern "C" __global__ void rff_cos(float* __restrict__ z, const float* __restrict__ phase,
                                   int rows, int features, float scale) {
    const long long total = (long long) rows * features;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long k = (long long) blockIdx.x * blockDim.x + threadIdx.x; k < total; k += stride) {
        const int f = (int) (k % features);
        z[k] = scale * cosf(z[k] + phase[f]);
    }
}

// partial[s, f] = sum over the rows i of slice s of a[i, f] w[i], for a row-major rows x cols
// matrix. blockDim = (32, 8): threadIdx.x picks a column (coalesced reads along a row),
// threadIdx.y and blockIdx.y stride over rows; gridDim.x = ceil(cols / 32), gridDim.y = slices.
extern "C" __global__ void weighted_column_sums_partial(const float* __restrict__ a,
                                                        const float* __restrict__ w,
                                                        int rows, int cols,
                                                        double* __restrict__ partial) {
    __shared__ double sums[8][33];
    const int col = blockIdx.x * 32 + threadIdx.x;
    double acc = 0.0;
    if (col < cols) {
        const int step = gridDim.y * 8;
        for (int i = blockIdx.y * 8 + threadIdx.y; i < rows; i += step) {
            acc += (double) a[(long long) i * cols + col] * (double) w[i];
        }
    }
    sums[threadIdx.y][threadIdx.x] = acc;
    __syncthreads();
    if (threadIdx.y == 0 && col < cols) {
        double s = 0.0;
        for (int t = 0; t < 8; t++) {
            s += sums[t][threadIdx.x];
        }
        partial[(long long) blockIdx.y * cols + col] = s;
    }
}

// out[f] = sum over slices s (in order) of partial[s, f].
extern "C" __global__ void sum_slices(const double* __restrict__ partial, int slices, int cols,
                                      double* __restrict__ out) {
    const int stride = gridDim.x * blockDim.x;
    for (int f = blockIdx.x * blockDim.x + threadIdx.x; f < cols; f += stride) {
        double s = 0.0;
        for (int t = 0; t < slices; t++) {
            s += partial[(long long) t * cols + f];
        }
        out[f] = s;
    }
}
