// Backend vectors for the cuda backend (io.synalign.kernels.cuda.CudaVectorOps): the element-wise
// passes and reductions the MMD weight optimiser runs per iteration, on float64 vectors kept in
// device memory, so that nothing of length n crosses the bus while it runs.
//
// Element-wise passes round every operation separately (__dmul_rn, __dadd_rn, ...: no fused
// multiply-add), so their results are bit-identical to the host backends' Java loops.
// Reductions: each block of a grid-stride launch writes its partial sums (`width` doubles per
// block, block-major) and vec_finish adds the blocks in a fixed order in one block, so a repeated
// reduction of the same data gives the same bits; they differ from the host's loop in the order
// of the additions and in that products may be fused into them (fma), both at rounding level.
// Lengths are 64-bit.

static __device__ __forceinline__ double vec_warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

// Sum over the block, valid in thread 0. Every thread must call it; it synchronises twice and
// leaves the shared slots free for the next call.
static __device__ double vec_block_sum(double v) {
    __shared__ double partial[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = vec_warp_sum(v);
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    double s = (threadIdx.x < warps) ? partial[threadIdx.x] : 0.0;
    __syncthreads();
    if (warp == 0) {
        s = vec_warp_sum(s);
    }
    return s;
}

#define VEC_LOOP(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// v[i] = value.
extern "C" __global__ void vec_fill(double* __restrict__ v, long long n, double value) {
    VEC_LOOP(i, n) {
        v[i] = value;
    }
}

// out[i] = x[i] + beta * (x[i] - previous[i]); out may alias previous.
extern "C" __global__ void vec_extrapolate(const double* x, const double* previous, double beta,
                                           long long n, double* out) {
    VEC_LOOP(i, n) {
        const double xi = x[i];
        out[i] = __dadd_rn(xi, __dmul_rn(beta, __dsub_rn(xi, previous[i])));
    }
}

// out[i] = y[i] - (2 (hy[i] - h[i])) * inverse_step: a gradient step of w^T H w - 2 h^T w.
extern "C" __global__ void vec_gradient_step(const double* y, const double* hy, const double* h,
                                             double inverse_step, long long n, double* out) {
    VEC_LOOP(i, n) {
        const double gradient = __dmul_rn(2.0, __dsub_rn(hy[i], h[i]));
        out[i] = __dsub_rn(y[i], __dmul_rn(gradient, inverse_step));
    }
}

// v[i] += shift.
extern "C" __global__ void vec_add_scalar(double* __restrict__ v, long long n, double shift) {
    VEC_LOOP(i, n) {
        v[i] = __dadd_rn(v[i], shift);
    }
}

// v[i] *= factor.
extern "C" __global__ void vec_scale(double* __restrict__ v, long long n, double factor) {
    VEC_LOOP(i, n) {
        v[i] = __dmul_rn(v[i], factor);
    }
}

// out[i] = alpha x[i] + beta y[i]; out may alias x or y.
extern "C" __global__ void vec_combine(double alpha, const double* x, double beta,
                                       const double* y, long long n, double* out) {
    VEC_LOOP(i, n) {
        out[i] = __dadd_rn(__dmul_rn(alpha, x[i]), __dmul_rn(beta, y[i]));
    }
}

// out[i] = (float) v[i], round to nearest: the operand of a float32 product.
extern "C" __global__ void vec_to_float(const double* __restrict__ v, long long n,
                                        float* __restrict__ out) {
    VEC_LOOP(i, n) {
        out[i] = __double2float_rn(v[i]);
    }
}

// Per block, 5 partial sums of the optimiser's step statistics (d = next - y):
// |d|^2, d.(hnext - hy), sum |d| (|hnext| + |hy|), next.hnext, h.next.
extern "C" __global__ void vec_step_stats_partial(const double* __restrict__ next,
                                                  const double* __restrict__ y,
                                                  const double* __restrict__ hnext,
                                                  const double* __restrict__ hy,
                                                  const double* __restrict__ h,
                                                  long long n, double* __restrict__ partials) {
    double s0 = 0.0;
    double s1 = 0.0;
    double s2 = 0.0;
    double s3 = 0.0;
    double s4 = 0.0;
    VEC_LOOP(i, n) {
        const double d = next[i] - y[i];
        s0 += d * d;
        s1 += d * (hnext[i] - hy[i]);
        s2 += fabs(d) * (fabs(hnext[i]) + fabs(hy[i]));
        s3 += next[i] * hnext[i];
        s4 += h[i] * next[i];
    }
    s0 = vec_block_sum(s0);
    s1 = vec_block_sum(s1);
    s2 = vec_block_sum(s2);
    s3 = vec_block_sum(s3);
    s4 = vec_block_sum(s4);
    if (threadIdx.x == 0) {
        double* out = partials + 5LL * blockIdx.x;
        out[0] = s0;
        out[1] = s1;
        out[2] = s2;
        out[3] = s3;
        out[4] = s4;
    }
}

// Per block: mode 0 sum a[i] b[i]; mode 1 sum a[i]; mode 2 sum (a[i] - b[i])^2.
extern "C" __global__ void vec_reduce_partial(const double* __restrict__ a,
                                              const double* __restrict__ b, long long n, int mode,
                                              double* __restrict__ partials) {
    double s = 0.0;
    VEC_LOOP(i, n) {
        if (mode == 0) {
            s += a[i] * b[i];
        } else if (mode == 1) {
            s += a[i];
        } else {
            const double r = a[i] - b[i];
            s += r * r;
        }
    }
    s = vec_block_sum(s);
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = s;
    }
}

// One block: out[k] = sum over blocks b (a fixed order) of partials[b * width + k], k < width.
extern "C" __global__ void vec_finish(const double* __restrict__ partials, int blocks, int width,
                                      double* __restrict__ out) {
    for (int k = 0; k < width; k++) {
        double s = 0.0;
        for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
            s += partials[(long long) b * width + k];
        }
        s = vec_block_sum(s);
        if (threadIdx.x == 0) {
            out[k] = s;
        }
    }
}
