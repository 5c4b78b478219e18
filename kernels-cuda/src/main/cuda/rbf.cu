// RBF kernel tiles for the cuda backend (io.synalign.kernels.cuda), compiled at run time by NVRTC.
//
// Kernel convention: k(x, y) = exp(-||x - y||^2 / (2 sigma^2)), with the squared distance taken
// as ||x||^2 + ||y||^2 - 2 x.y. The dot products x.y come from a cuBLAS GEMM (one tile of rows
// of X against all rows of Y, row-major, "dots[i * cols + j] = x_i . y_j"); these kernels are the
// epilogues. gamma = 1 / (2 sigma^2). Row norms are passed already offset to the tile's first row.
//
// Accumulation: every weighted row sum is accumulated in double (per thread, then a warp-shuffle
// and shared-memory tree), so a row of 10^5 float terms keeps float32 accuracy per term; the
// kernel values themselves are float32 (expf, full accuracy, no fast-math), the weights double.
//
// Flat kernels: where an exponent -gamma d2 exceeds RBF_FLAT_EXPONENT (-1/4, k > 0.78) a float32
// k keeps 1 - k only to about 3e-8 absolutely, and an MMD^2 is a difference of products whose
// terms near 1 cancel (at a bandwidth 30 to 100 times the median every k is within 1e-2 to 1e-3
// of 1). There the term is taken as w + g w in double with g = expm1f(-gamma d2) = k - 1, which
// keeps 1 - k to float32's relative accuracy; elsewhere it is k w. The weights are read in
// double for the same reason (a float w would cost 6e-8 of sum |w| in the w part). nd4j does the
// same per piece of K (ShiftedTiles); here each term has its own double, so per term.
// A kept kernel stores, likewise, g (sign bit set, -0 for k = 1) where the exponent is flat and
// k (sign bit clear) elsewhere; rbf_kept_rowsum reads it back term by term.
//
// The self-kernel diagonal: when X and Y are one row set, row i of a tile starting at global row
// `diagonal` meets itself at column i + diagonal, where the GEMM form leaves
// ||x||^2 + ||x||^2 - 2 x.x, a float32 cancellation of up to ~1e-4 relative to ||x||^2 (so
// k(x, x) = exp(-4.9e-4) was seen at ||x||^2 = 1,400): the kernels set d2 = 0 there, so k = 1
// exactly. diagonal < 0 means the row sets differ.
//
// Launch shapes (see CudaDevice.launch*, CudaKernelOperator): elementwise kernels use a 1-D
// grid-stride loop; the row-sum kernels use one block per row (grid-stride over rows), blockDim.x
// a multiple of 32 and at most 1024.

static __device__ __forceinline__ double rbf_warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

// Sum of v over the block; the result is valid in thread 0. Every thread of the block must call
// it (it synchronises twice); the trailing barrier lets a caller's loop reuse the shared slots.
static __device__ double rbf_block_sum(double v) {
    __shared__ double partial[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = rbf_warp_sum(v);
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    double s = (threadIdx.x < warps) ? partial[threadIdx.x] : 0.0;
    __syncthreads();
    if (warp == 0) {
        s = rbf_warp_sum(s);
    }
    return s;
}

static __device__ __forceinline__ float rbf_distance2(float xnorm, float ynorm, float dot) {
    // Rounding can make the GEMM form slightly negative for near-identical rows: clamp at 0.
    return fmaxf(xnorm + ynorm - 2.0f * dot, 0.0f);
}

// The far-pair repair (as the nd4j backend's FarPairs, without its centring): the GEMM form of
// d2 errs by up to about 2 eps_d (||x||^2 + ||y||^2), eps_d = 6e-8 (2 + sqrt(d + 2)). Rows far
// from the origin relative to their distance (two clusters 1,000 apart per coordinate) or a
// bandwidth far below the rows' spread (a row and its exact copy 3e-5 apart, so k = 0.86 at
// sigma = 0.01 where it is 1) lose the kernel's digits. Such a pair's d2 is recomputed from the
// rows by the difference form in double:
//   kernel values: when the exponent's bound 2 gamma eps_d (||x||^2 + ||y||^2) exceeds 1e-4
//                  and the kernel value can be above exp(-104) (0 to every float32 sum) within
//                  it; unit-norm rows at a median-heuristic bandwidth never qualify;
//   distances:     when the bound exceeds 1e-4 of the distance found.
#define RBF_EXPONENT_TOLERANCE 1e-4f
#define RBF_NEGLIGIBLE_EXPONENT 104.0f
#define RBF_DISTANCE_TOLERANCE 1e-4f
#define RBF_FLAT_EXPONENT -0.25f

// k w for the exponent e = -gamma d2 <= 0, in double: w + g w with g = k - 1 where K is flat,
// k w elsewhere. w == NULL stands for 1 (row sums).
static __device__ __forceinline__ double rbf_term(float e, const double* __restrict__ w,
                                                  long long j) {
    if (e > RBF_FLAT_EXPONENT) {
        const double g = (double) expm1f(e);
        if (w == 0) {
            return 1.0 + g;
        }
        const double v = w[j];
        return v + g * v;
    }
    const double k = (double) expf(e);
    return (w == 0) ? k : k * w[j];
}

// The stored form of a kept kernel value: g = k - 1 <= 0 with its sign bit set (-0 at k = 1)
// where the exponent e is flat, else k >= +0.
static __device__ __forceinline__ float rbf_kept_value(float e) {
    return (e > RBF_FLAT_EXPONENT) ? -fabsf(expm1f(e)) : expf(e);
}

static __device__ __forceinline__ float rbf_rounding_eps(int dim) {
    return 6e-8f * (2.0f + sqrtf((float) dim + 2.0f));
}

// ||x - y||^2 by the difference form, in double.
static __device__ __forceinline__ float rbf_exact_distance2(const float* __restrict__ x,
                                            const float* __restrict__ y, int dim) {
    double s = 0.0;
    for (int k = 0; k < dim; k++) {
        const double v = (double) x[k] - (double) y[k];
        s += v * v;
    }
    return (float) s;
}

// The squared distance of rows i (tile row, x points at the tile's first row) and j for the
// kernel at gamma: 0 on the self-kernel diagonal (tile row i + diagonal == column j), else the
// GEMM form, repaired from the rows where its rounding matters.
static __device__ __forceinline__ float rbf_distance2_at(float xnorm, float ynorm, float dot,
                                                         long long i, long long j,
                                                         int diagonal,
                                                         const float* __restrict__ x,
                                                         const float* __restrict__ y, int dim,
                                                         float gamma) {
    if (diagonal >= 0 && i + diagonal == j) {
        return 0.0f;
    }
    const float d2 = rbf_distance2(xnorm, ynorm, dot);
    const float bound = 2.0f * gamma * rbf_rounding_eps(dim) * (xnorm + ynorm);
    if (bound > RBF_EXPONENT_TOLERANCE && gamma * d2 - bound < RBF_NEGLIGIBLE_EXPONENT) {
        return rbf_exact_distance2(x + i * dim, y + j * dim, dim);
    }
    return d2;
}

// The squared distance itself (no kernel): repaired where the bound exceeds 1e-4 of it.
static __device__ __forceinline__ float rbf_plain_distance2_at(float xnorm, float ynorm,
                                                               float dot, long long i,
                                                               long long j, int diagonal,
                                                               const float* __restrict__ x,
                                                               const float* __restrict__ y,
                                                               int dim) {
    if (diagonal >= 0 && i + diagonal == j) {
        return 0.0f;
    }
    const float d2 = rbf_distance2(xnorm, ynorm, dot);
    if (2.0f * rbf_rounding_eps(dim) * (xnorm + ynorm) > RBF_DISTANCE_TOLERANCE * d2) {
        return rbf_exact_distance2(x + i * dim, y + j * dim, dim);
    }
    return d2;
}

// Row norms ||x_i||^2 of a row-major rows x dim matrix, one warp per row, float accumulation
// (dim is at most a few thousand; the GEMM accumulates in float32 too).
extern "C" __global__ void row_norms(const float* __restrict__ x, int rows, int dim,
                                     float* __restrict__ norms) {
    const int lane = threadIdx.x & 31;
    const long long warpsPerGrid = ((long long) gridDim.x * blockDim.x) >> 5;
    for (long long i = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; i < rows;
         i += warpsPerGrid) {
        const float* row = x + i * dim;
        float s = 0.0f;
        for (int k = lane; k < dim; k += 32) {
            s = fmaf(row[k], row[k], s);
        }
        for (int offset = 16; offset > 0; offset >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, offset);
        }
        if (lane == 0) {
            norms[i] = s;
        }
    }
}

// In place on a rows x cols tile of dot products: mode 0 writes the clamped squared distance,
// mode 1 the kernel value exp(-gamma d2), mode 2 the kept form of it (rbf_kept_value: k - 1
// where K is flat, k elsewhere), which rbf_kept_rowsum reads.
// x and y are the rows (x at the tile's first row), row-major with dim columns, for the repair.
extern "C" __global__ void rbf_tile_epilogue(float* __restrict__ tile,
                                             const float* __restrict__ xnorm,
                                             const float* __restrict__ ynorm,
                                             int rows, int cols, float gamma, int mode,
                                             int diagonal, const float* __restrict__ x,
                                             const float* __restrict__ y, int dim) {
    const long long total = (long long) rows * cols;
    const long long stride = (long long) gridDim.x * blockDim.x;
    for (long long k = (long long) blockIdx.x * blockDim.x + threadIdx.x; k < total; k += stride) {
        const long long i = k / cols;
        const int j = (int) (k - i * cols);
        if (mode == 0) {
            tile[k] = rbf_plain_distance2_at(xnorm[i], ynorm[j], tile[k], i, j, diagonal, x, y,
                                             dim);
        } else {
            const float e = -gamma * rbf_distance2_at(xnorm[i], ynorm[j], tile[k], i, j,
                                                      diagonal, x, y, dim, gamma);
            tile[k] = (mode == 2) ? rbf_kept_value(e) : expf(e);
        }
    }
}

// out[i] = sum_j exp(-gamma d2(i, j)) w[j] over a rows x cols tile of dot products, without
// writing the kernel values anywhere: the exp is applied to each dot product as it is read
// (rbf_term: w + (k - 1) w where K is flat). w == NULL gives the plain row sum. out has one
// double per tile row.
// x (at the tile's first row) and y are the rows, row-major with dim columns, for the repair.
extern "C" __global__ void rbf_weighted_rowsum(const float* __restrict__ dots,
                                               const float* __restrict__ xnorm,
                                               const float* __restrict__ ynorm,
                                               const double* __restrict__ w,
                                               int rows, int cols, float gamma, int diagonal,
                                               double* __restrict__ out,
                                               const float* __restrict__ x,
                                               const float* __restrict__ y, int dim) {
    for (int i = blockIdx.x; i < rows; i += gridDim.x) {
        const float* row = dots + (long long) i * cols;
        const float xi = xnorm[i];
        double acc = 0.0;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            acc += rbf_term(-gamma * rbf_distance2_at(xi, ynorm[j], row[j], i, j, diagonal, x,
                                                      y, dim, gamma), w, j);
        }
        acc = rbf_block_sum(acc);
        if (threadIdx.x == 0) {
            out[i] = acc;
        }
    }
}

// out[i] = sum_j a[i, j] v[j] for a row-major rows x cols matrix (the materialised kernel matrix,
// or the random-feature matrix times z); v == NULL gives the row sums.
extern "C" __global__ void matrix_weighted_rowsum(const float* __restrict__ a,
                                                  const float* __restrict__ v,
                                                  int rows, int cols,
                                                  double* __restrict__ out) {
    for (int i = blockIdx.x; i < rows; i += gridDim.x) {
        const float* row = a + (long long) i * cols;
        double acc = 0.0;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            acc += (v == 0) ? (double) row[j] : (double) row[j] * (double) v[j];
        }
        acc = rbf_block_sum(acc);
        if (threadIdx.x == 0) {
            out[i] = acc;
        }
    }
}

// out[i] = sum_j K[i, j] v[j] for a kept rows x cols kernel in the form of rbf_tile_epilogue's
// mode 2: an entry with its sign bit set is g = k - 1 (the term is v + g v, in double), any
// other is k. v == NULL gives the row sums.
extern "C" __global__ void rbf_kept_rowsum(const float* __restrict__ a,
                                           const double* __restrict__ v, int rows, int cols,
                                           double* __restrict__ out) {
    for (int i = blockIdx.x; i < rows; i += gridDim.x) {
        const float* row = a + (long long) i * cols;
        double acc = 0.0;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) {
            const float a_ij = row[j];
            const double k = (double) a_ij;
            const double w = (v == 0) ? 1.0 : v[j];
            acc += (__float_as_int(a_ij) < 0) ? w + k * w : k * w;
        }
        acc = rbf_block_sum(acc);
        if (threadIdx.x == 0) {
            out[i] = acc;
        }
    }
}

// Fully fused K w for one tile of rows: the dot products are computed here too (shared-memory
// tiles of X and Y, 64 x 64 outputs per 256-thread block, 4 x 4 per thread), the exp and the
// weight are applied in registers, and each block writes one partial sum per row of its
// 64-column slice: partial[colBlock * rows + i]. No n x m value ever reaches global memory.
// Each term is rbf_term's (w + (k - 1) w where K is flat), w in double.
// A second pass (sum_column_partials) adds the column blocks in a fixed order.
// Shapes: blockDim = (16, 16); grid = (ceil(cols / 64), ceil(rows / 64)).
#define FUSED_TILE 64
#define FUSED_K 16
extern "C" __global__ void __launch_bounds__(256)
rbf_fused_kw(const float* __restrict__ x, const float* __restrict__ y,
             const float* __restrict__ xnorm, const float* __restrict__ ynorm,
             const double* __restrict__ w, int rows, int cols, int dim, float gamma,
             int diagonal, double* __restrict__ partial) {
    __shared__ float xs[FUSED_K][FUSED_TILE + 1];
    __shared__ float ys[FUSED_K][FUSED_TILE + 1];
    __shared__ double rowAcc[FUSED_TILE][17];
    const int tx = threadIdx.x;
    const int ty = threadIdx.y;
    const int tid = ty * 16 + tx;
    const int row0 = blockIdx.y * FUSED_TILE;
    const int col0 = blockIdx.x * FUSED_TILE;
    float acc[4][4];
    for (int a = 0; a < 4; a++) {
        for (int b = 0; b < 4; b++) {
            acc[a][b] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < dim; k0 += FUSED_K) {
        // 256 threads load 64 rows x 16 coordinates of X and of Y (4 values each), transposed
        // into shared memory; out-of-range entries are zero.
        for (int e = tid; e < FUSED_TILE * FUSED_K; e += 256) {
            const int r = e / FUSED_K;
            const int k = e - r * FUSED_K;
            const int gk = k0 + k;
            const int gi = row0 + r;
            const int gj = col0 + r;
            xs[k][r] = (gi < rows && gk < dim) ? x[(long long) gi * dim + gk] : 0.0f;
            ys[k][r] = (gj < cols && gk < dim) ? y[(long long) gj * dim + gk] : 0.0f;
        }
        __syncthreads();
        for (int k = 0; k < FUSED_K; k++) {
            float xv[4];
            float yv[4];
            for (int a = 0; a < 4; a++) {
                xv[a] = xs[k][ty + 16 * a];
                yv[a] = ys[k][tx + 16 * a];
            }
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 4; b++) {
                    acc[a][b] = fmaf(xv[a], yv[b], acc[a][b]);
                }
            }
        }
        __syncthreads();
    }
    // Epilogue in registers: thread (tx, ty) owns rows ty + 16a and columns tx + 16b. Unrolled,
    // so acc stays in registers (the repair's loop would otherwise move it to local memory).
#pragma unroll
    for (int a = 0; a < 4; a++) {
        const int gi = row0 + ty + 16 * a;
        double s = 0.0;
        if (gi < rows) {
            const float xi = xnorm[gi];
#pragma unroll
            for (int b = 0; b < 4; b++) {
                const int gj = col0 + tx + 16 * b;
                if (gj < cols) {
                    s += rbf_term(-gamma * rbf_distance2_at(xi, ynorm[gj], acc[a][b], gi, gj,
                                                            diagonal, x, y, dim, gamma), w, gj);
                }
            }
        }
        rowAcc[ty + 16 * a][tx] = s;
    }
    __syncthreads();
    // 64 threads each add one row's 16 column partials in a fixed order.
    if (tid < FUSED_TILE) {
        const int gi = row0 + tid;
        if (gi < rows) {
            double s = 0.0;
            for (int t = 0; t < 16; t++) {
                s += rowAcc[tid][t];
            }
            partial[(long long) blockIdx.x * rows + gi] = s;
        }
    }
}

// out[i] = sum over column blocks c (in order) of partial[c * rows + i].
extern "C" __global__ void sum_column_partials(const double* __restrict__ partial, int blocks,
                                               int rows, double* __restrict__ out) {
    const int stride = gridDim.x * blockDim.x;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < rows; i += stride) {
        double s = 0.0;
        for (int c = 0; c < blocks; c++) {
            s += partial[(long long) c * rows + i];
        }
        out[i] = s;
    }
}
