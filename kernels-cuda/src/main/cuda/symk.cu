// The kept self-kernel K = K_XX (symmetric, unit diagonal) for the cuda backend
// (io.synalign.kernels.cuda.CudaSymmetricKernelOperator): only the upper triangle, in 32 x 32
// tiles, float32 or IEEE half (binary16, stored as its 16 bits and converted by the PTX cvt
// instructions, so no header is needed).
//
// Layout: nt = ceil(n / 32) tile rows; tile (I, J), I <= J, holds K[32 I + r][32 J + c] at
// element r * 32 + c of tile number I nt - I (I - 1) / 2 + (J - I) (panel I's tiles in order).
// Entries past n are 0. The diagonal tiles are kept whole and exactly symmetric, with 1 on the
// diagonal.
//
// Product y = K w, deterministic, reading every tile once:
//   symk_weights: w (double) as floats, what rounding to float dropped (as floats), and each
//                 32-row block's weight sum in double
//   symk_fused: one block per tile row I: y_I = sum_{J >= I} K_IJ w_J -> rows[] (double), and
//               per tile above the diagonal the 32 mirrored partials K_IJ^T w_I -> colpart (an
//               ordinary tile: floats; a flat tile: doubles, high words in colpart and low words in
//               colpartLow); symk_fused_compensated, the same with a flat tile's partials in float
//               with exact error terms (about 2^-48 of sum |g w| r.m.s. where double leaves
//               2^-53), for GPUs with slow FP64
//   symk_col_reduce: one block per tile column J: y_J = rows_J + sum_{I < J} colpart(I, J)
// An ordinary tile contributes a float32 partial of 32 terms to each of its rows and columns,
// which is added to a double accumulator in a fixed order (the 8 warps of a block in warp order).
// So the accumulation is as accurate as a float32 dot product of 32 terms followed by double sums,
// whatever n is; colpart (n^2 / 64 floats, 1/32 of the fp32 triangle) is written and read once,
// and as many words of colpartLow where every tile is flat.
// A flat tile holds k - 1 (symk_pack); its products add the weights' block sums in double, and its
// partials are doubles of the float g and w to within 2^-48 (fl(w) + fl(w - fl(w))): near a fit's
// optimum the float error of w^T (K w) otherwise moves with w's roundings (helper symk29: the g
// terms have one sign, so G (w - fl(w)) does not average out) and with the float partials' own
// sums (helper cudaflat33: at 10 to 100 x the median as much as nd4j's float sums, with which its
// exact fits stopped at 1.1 times the reference's MMD^2) from one iterate to the next
// (docs/RELIABILITY.md).

#define SYMK_T 32
#define SYMK_WARPS 8

static __device__ __forceinline__ float symk_half_to_float(unsigned short h) {
    float f;
    asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(h));
    return f;
}

static __device__ __forceinline__ unsigned short symk_float_to_half(float f) {
    unsigned short h;
    asm("{ cvt.rn.f16.f32 %0, %1; }" : "=h"(h) : "f"(f));
    return h;
}

// First tile of panel I.
static __device__ __forceinline__ long long symk_panel(long long I, long long nt) {
    return I * nt - I * (I - 1) / 2;
}

// Pack: the tiles of tile rows [I0, I0 + rows / 32) from the dot products of rows
// [32 I0, 32 I0 + rows) against rows [32 I0, n): dots[(i - 32 I0) * ld + (j - 32 I0)] = x_i . x_j
// (row-major, ld = n - 32 I0). norms are ||x_i||^2 for all n rows. One block of 256 threads per
// tile (4 entries per thread); blockIdx.x enumerates the band's tiles panel by panel.
// half != 0 stores binary16 (unsigned short), else float32.
// x: the n rows (row-major, dim columns), from which a pair whose float32 GEMM form has lost the
// kernel's digits is recomputed in double (the far-pair repair of rbf.cu: rows far from the
// origin relative to their distance, or copies at a bandwidth far below the rows' spread).
// A flat tile (every exponent of its entries within n above SYMK_FLAT_EXPONENT, k > 0.78) stores
// g = k - 1 with its sign bit set (-0 on the diagonal) instead of k, so float32 (and half) keep
// 1 - k's own digits, which k itself keeps only to 3e-8 (6e-8 relative in k, 2.4e-4 in half);
// the products add the weights' sums in double for such a tile (symk_fused, symk_col_reduce),
// which tell it by the sign bit of its first entry (always within n; a k is never -0).
#define SYMK_FLAT_EXPONENT -0.25f

extern "C" __global__ void symk_pack(const float* __restrict__ dots, long long ld,
                                     const float* __restrict__ norms, int n, int nt, int I0,
                                     int bandRows, float gamma, int half, void* kernel,
                                     const float* __restrict__ x, int dim) {
    __shared__ float exponent[SYMK_T * SYMK_T];
    __shared__ int steepWarps[32];
    // Which tile of the band: panels I0, I0 + 1, ... have nt - I tiles each.
    long long t = blockIdx.x;
    int I = I0;
    while (I < I0 + bandRows && t >= nt - I) {
        t -= nt - I;
        I++;
    }
    if (I >= I0 + bandRows) {
        return;
    }
    const int J = I + (int) t;
    const long long tile = symk_panel(I, nt) + (J - I);
    const long long base0 = 32LL * I0;
    // First the exponents, and whether any entry within n is steep.
    int steep = 0;
    for (int e = threadIdx.x; e < SYMK_T * SYMK_T; e += blockDim.x) {
        const int r = e / SYMK_T;
        const int c = e - r * SYMK_T;
        const int i = I * SYMK_T + r;
        const int j = J * SYMK_T + c;
        float ex = -0.0f; // the diagonal (d2 = 0 exactly) and the padding
        if (i < n && j < n && i != j) {
            // The upper entry for both (i, j) and (j, i) of a diagonal tile: exactly symmetric.
            const int a = min(i, j);
            const int b = max(i, j);
            const float dot = dots[(a - base0) * ld + (b - base0)];
            float d2 = fmaxf(norms[a] + norms[b] - 2.0f * dot, 0.0f);
            const float bound = 2.0f * gamma * 6e-8f * (2.0f + sqrtf((float) dim + 2.0f))
                    * (norms[a] + norms[b]);
            if (bound > 1e-4f && gamma * d2 - bound < 104.0f) {
                double s2 = 0.0;
                const float* xa = x + (long long) a * dim;
                const float* xb = x + (long long) b * dim;
                for (int q = 0; q < dim; q++) {
                    const double v = (double) xa[q] - (double) xb[q];
                    s2 += v * v;
                }
                d2 = (float) s2;
            }
            ex = -gamma * d2;
            steep |= (ex > SYMK_FLAT_EXPONENT) ? 0 : 1;
        }
        exponent[e] = ex;
    }
    for (int offset = 16; offset > 0; offset >>= 1) {
        steep |= __shfl_xor_sync(0xffffffffu, steep, offset);
    }
    if ((threadIdx.x & 31) == 0) {
        steepWarps[threadIdx.x >> 5] = steep;
    }
    __syncthreads();
    int anySteep = 0;
    for (int w = 0; w < (int) ((blockDim.x + 31) >> 5); w++) {
        anySteep |= steepWarps[w];
    }
    for (int e = threadIdx.x; e < SYMK_T * SYMK_T; e += blockDim.x) {
        const int r = e / SYMK_T;
        const int c = e - r * SYMK_T;
        const int i = I * SYMK_T + r;
        const int j = J * SYMK_T + c;
        float k = 0.0f;
        if (i < n && j < n) {
            const float ex = exponent[e];
            k = anySteep ? ((i == j) ? 1.0f : expf(ex)) : -fabsf(expm1f(ex));
        }
        if (half) {
            ((unsigned short*) kernel)[tile * (SYMK_T * SYMK_T) + e] = symk_float_to_half(k);
        } else {
            ((float*) kernel)[tile * (SYMK_T * SYMK_T) + e] = k;
        }
    }
}

// Whether tile number `tile` of the kept triangle is flat: its first entry's sign bit.
static __device__ __forceinline__ bool symk_flat(const void* kernel, int half, long long tile) {
    if (half) {
        return (((const unsigned short*) kernel)[tile * (SYMK_T * SYMK_T)] & 0x8000u) != 0;
    }
    return __float_as_int(((const float*) kernel)[tile * (SYMK_T * SYMK_T)]) < 0;
}

// The product's weights: wf[j] = (float) w[j] for the tiles' float32 partials, wlo[j] =
// (float) (w[j] - wf[j]) (what the rounding dropped, read by flat tiles only: their double
// partials take wf + wlo, w to within 2^-48, where an ordinary tile's k wf keeps its float
// product's precision anyway), and per block of 32 rows J the sum of its weights in double,
// wsum[J] (what a flat tile adds to each of its rows and columns; 0 past n). w == NULL stands
// for all ones (row sums; wlo = 0). One warp per block J (grid-stride over warps); the sum is a
// fixed shuffle tree, so it repeats bit for bit.
extern "C" __global__ void symk_weights(const double* __restrict__ w, int n, int nt,
                                        float* __restrict__ wf, float* __restrict__ wlo,
                                        double* __restrict__ wsum) {
    const int lane = threadIdx.x & 31;
    const long long warpsPerGrid = ((long long) gridDim.x * blockDim.x) >> 5;
    for (long long J = ((long long) blockIdx.x * blockDim.x + threadIdx.x) >> 5; J < nt;
         J += warpsPerGrid) {
        const long long j = J * SYMK_T + lane;
        double v = 0.0;
        if (j < n) {
            v = (w == 0) ? 1.0 : w[j];
            const float f = (float) v;
            wf[j] = f;
            wlo[j] = (float) (v - (double) f); // exact difference (w is a double), then rounded
        }
        for (int offset = 16; offset > 0; offset >>= 1) {
            v += __shfl_down_sync(0xffffffffu, v, offset);
        }
        if (lane == 0) {
            wsum[J] = v;
        }
    }
}

// The warp's tile (I, J) into its shared [32][33] floats (converted from half if need be), with
// 16-byte loads.
static __device__ __forceinline__ void symk_load_tile(const void* kernel, int half,
                                                      long long tile, float (*s)[SYMK_T + 1],
                                                      int lane) {
    if (half) {
        const uint4* src = (const uint4*) ((const unsigned short*) kernel
                                           + tile * (SYMK_T * SYMK_T));
        // 2 KB: 128 chunks of 8 halves, 4 per lane.
        for (int k = 0; k < 4; k++) {
            const int chunk = k * 32 + lane;
            const uint4 q = src[chunk];
            const unsigned int words[4] = {q.x, q.y, q.z, q.w};
            const int e0 = chunk * 8;
            for (int h = 0; h < 4; h++) {
                const int e = e0 + 2 * h;
                s[e / SYMK_T][e % SYMK_T] = symk_half_to_float((unsigned short) (words[h] & 0xffffu));
                s[(e + 1) / SYMK_T][(e + 1) % SYMK_T] =
                        symk_half_to_float((unsigned short) (words[h] >> 16));
            }
        }
    } else {
        const float4* src = (const float4*) ((const float*) kernel + tile * (SYMK_T * SYMK_T));
        // 4 KB: 256 chunks of 4 floats, 8 per lane.
        for (int k = 0; k < 8; k++) {
            const int chunk = k * 32 + lane;
            const float4 q = src[chunk];
            const int e = chunk * 4;
            const int r = e / SYMK_T;
            const int c = e % SYMK_T;
            s[r][c] = q.x;
            s[r][c + 1] = q.y;
            s[r][c + 2] = q.z;
            s[r][c + 3] = q.w;
        }
    }
    __syncwarp();
}

// The weights a flat tile multiplies, kept in shared memory per column (vecW) and per row (ownW):
// symk_fused keeps the double fl(w) + fl(w - fl(w)); symk_fused_compensated keeps the pair
// (fl(w), fl(w - fl(w))) as a float2, the same 8 bytes.
template <bool Compensated> struct symk_flat_weight {
    typedef double type;
};
template <> struct symk_flat_weight<true> {
    typedef float2 type;
};

// Entry i of w (0 past n) as a flat tile multiplies it.
static __device__ __forceinline__ void symk_set_flat_weight(double* to, const float* w,
                                                            const float* wlo, int i, int n) {
    // fl(w) + fl(w - fl(w)): exact in double (48 bits), within 2^-48 of w.
    *to = i < n ? (double) w[i] + (double) wlo[i] : 0.0;
}

static __device__ __forceinline__ void symk_set_flat_weight(float2* to, const float* w,
                                                            const float* wlo, int i, int n) {
    *to = i < n ? make_float2(w[i], wlo[i]) : make_float2(0.0f, 0.0f);
}

// sum_k g[k * stride] (w[k].x + w[k].y) over a flat tile's 32 entries in float arithmetic only,
// returned in double: Ogita, Rump and Oishi's Dot2 ("Accurate sum and dot product", SIAM J. Sci.
// Comput. 26, 2005, algorithm 5.3) with w's low part folded into the compensation. Each product
// g fl(w) is split exactly into p + pe (a multiply and an fma), each running sum s + p exactly
// into t + se (TwoSum: 6 adds or subtractions, no assumption on which is larger), and c gathers
// pe + se + g fl(w - fl(w)); s + c is then as accurate as a dot product in twice float's
// precision: the bound is gamma_32(float)^2 sum |g w|, 3.7e-12 of it, against symk29's float
// partials' gamma_32, 1.9e-6. Not quite the double partials' level: replayed on the CPU over
// 200,000 random flat tiles (helper review34a), 4.8e-15 of sum |g w| r.m.s. and 6.5e-14 at
// worst, where symk_fused's double fma left 1.0e-16 and 6.8e-16; both far below the 1e-3 of
// float's noise that the fits need (the emulation's near-optimum measure reads the same, 6.1e-6,
// for the two).
// Cost: 11 float operations a term (1 multiply, 2 fma, 8 adds or subtractions) and no double
// arithmetic but the last add. On GPUs whose FP64 rate is 1/32 or 1/64 of FP32's (T4, A10, L4,
// L40, consumer cards) that is 704 float operations a lane per tile above the diagonal (about 176
// SM clocks at 128 a clock, 352 on Turing at 64), where symk_fused's 64 fma in double and 64
// conversions to double take 1,024 to 2,048 clocks at 2 a clock, more than reading the tile from
// memory on most of those cards (CudaSymmetricKernelOperator picks the kernel by the device's
// FP32 : FP64 ratio, FlatSums; docs/RELIABILITY.md, helper cudaplan34). The __f*_rn forms keep
// nvcc from contracting a multiply and an add into an fma, which would break the exact splits.
static __device__ __forceinline__ double symk_dot2(const float* g, int stride, const float2* w) {
    float s = 0.0f;
    float c = 0.0f;
#pragma unroll 4
    for (int k = 0; k < SYMK_T; k++) {
        const float gk = g[k * stride];
        const float2 wk = w[k];
        const float p = __fmul_rn(gk, wk.x);
        const float pe = __fmaf_rn(gk, wk.x, -p); // g fl(w) = p + pe exactly
        const float t = __fadd_rn(s, p);
        const float z = __fsub_rn(t, s);
        // s + p = t + se exactly (TwoSum: no assumption on which is larger)
        const float se = __fadd_rn(__fsub_rn(s, __fsub_rn(t, z)), __fsub_rn(p, z));
        s = t;
        c = __fadd_rn(c, __fadd_rn(se, __fmaf_rn(gk, wk.y, pe)));
    }
    return (double) s + (double) c;
}

// A flat tile's partial sum_k g[k * stride] w_k of 32 terms: in double (symk_fused) or in
// compensated float (symk_fused_compensated).
static __device__ __forceinline__ double symk_flat_dot(const float* g, int stride,
                                                       const double* w) {
    double s = 0.0;
    // Unrolled by 4, not fully: fully unrolled, ptxas took 64 registers on sm_90 (was 48: 5
    // blocks an SM -> 4) and 81 on sm_86/89 (was 72); by 4 it keeps them.
#pragma unroll 4
    for (int k = 0; k < SYMK_T; k++) {
        s = fma((double) g[k * stride], w[k], s);
    }
    return s;
}

static __device__ __forceinline__ double symk_flat_dot(const float* g, int stride,
                                                       const float2* w) {
    return symk_dot2(g, stride, w);
}

// The product's one pass over the tiles: one block per tile row I (grid-stride). Warp k takes
// tiles J = I + k, I + k + 8, ...; per tile, lane r adds the partial sum_c K_IJ[r][c] w[32 J + c]
// (32 terms) to its double accumulator for row 32 I + r, and, for J > I, lane c writes the
// mirrored partial sum_r K_IJ[r][c] w[32 I + r] (32 terms) for column 32 J + c. The 8 warps' row
// sums are added in warp order into rows[]. Every tile is read once.
// An ordinary tile's partials are float32 fmaf chains of the tile and w's float copy; the
// mirrored one goes to colpart[32 tile + c] as a float.
// A flat tile (stored as k - 1, the sign bit of its first entry) takes its partials of the float
// g and the weight fl(w) + fl(w - fl(w)) (w to within 2^-48 of itself: no float rounding of w or
// of the sums is left) to 2^-48 of sum |g w| or better, adds its columns' weight sum wsum[J] (the 1
// of k = 1 + g) to each row, and writes the mirrored partial, a double, as its high 32 bits to
// colpart and its low 32 bits to colpartLow (so no more memory than a float partial of w and one
// of its low part, symk29's layout); symk_col_reduce joins them and adds wsum[I]. Why: near a
// fit's optimum at 10 to 100 x the median bandwidth the float partials' own rounding moved the
// float error of w^T (K w) by 0.011 to 0.018 eps w^T |G| w from one iterate to the next 1e-6
// away, the level at which nd4j's exact fit stopped at 1.1 times the reference's MMD^2 at 30 x
// and 100 x (docs/RELIABILITY.md, helpers flat32 and cudaflat33); now it is below 1e-3 of that.
// Two ways to that accuracy, one kernel each (the same source, Compensated a template flag):
//   symk_fused: fma in double of the float g and the double weight (helper cudaflat33): a flat
//     tile does 2,048 double fma (above the diagonal; 1,024 on it) where symk29 did 4,096 float
//     fmaf, about the same time where FP64 runs at half the FP32 rate (H100, A100);
//   symk_fused_compensated: float arithmetic with exact error terms (symk_dot2, helper
//     cudaplan34), 11 float operations a term, for GPUs with 1/32 or 1/64 FP64 rates, where the
//     double fma would take longer than reading the tile (CudaSymmetricKernelOperator picks it
//     by the device's FP32 : FP64 ratio; both unmeasured on a GPU: none was lent).
// Ordinary tiles do the same float work in both, as before (same bits, same reads).
template <bool Compensated>
static __device__ __forceinline__ void
symk_fused_body(const void* __restrict__ kernel, int half, const float* __restrict__ w,
                const float* __restrict__ wlo, const double* __restrict__ wsum, int n, int nt,
                double* __restrict__ rows, float* __restrict__ colpart,
                float* __restrict__ colpartLow) {
    typedef typename symk_flat_weight<Compensated>::type FlatWeight;
    __shared__ float tiles[SYMK_WARPS][SYMK_T][SYMK_T + 1];
    __shared__ float vec[SYMK_WARPS][SYMK_T];
    __shared__ FlatWeight vecW[SYMK_WARPS][SYMK_T]; // flat tiles: their columns' w
    __shared__ float own[SYMK_T];
    __shared__ FlatWeight ownW[SYMK_T];
    __shared__ double sums[SYMK_WARPS][SYMK_T];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    for (int I = blockIdx.x; I < nt; I += gridDim.x) {
        if (warp == 0) {
            const int i = I * SYMK_T + lane;
            own[lane] = i < n ? w[i] : 0.0f;
            symk_set_flat_weight(&ownW[lane], w, wlo, i, n);
        }
        __syncthreads();
        double acc = 0.0;
        const long long first = symk_panel(I, nt);
        for (int J = I + warp; J < nt; J += SYMK_WARPS) {
            const int j = J * SYMK_T + lane;
            vec[warp][lane] = j < n ? w[j] : 0.0f;
            const long long tile = first + (J - I);
            symk_load_tile(kernel, half, tile, tiles[warp], lane);
            // Warp-uniform: every lane reads the same entry.
            if (__float_as_int(tiles[warp][0][0]) < 0) {
                symk_set_flat_weight(&vecW[warp][lane], w, wlo, j, n);
                __syncwarp();
                const double s = symk_flat_dot(&tiles[warp][lane][0], 1, vecW[warp]);
                acc += wsum[J];
                acc += s;
                if (J > I) {
                    const double t = symk_flat_dot(&tiles[warp][0][lane], SYMK_T + 1, ownW);
                    const unsigned long long bits = (unsigned long long) __double_as_longlong(t);
                    ((unsigned int*) colpart)[tile * SYMK_T + lane] = (unsigned int) (bits >> 32);
                    ((unsigned int*) colpartLow)[tile * SYMK_T + lane] = (unsigned int) bits;
                }
            } else {
                float s = 0.0f;
                for (int c = 0; c < SYMK_T; c++) {
                    s = fmaf(tiles[warp][lane][c], vec[warp][c], s);
                }
                acc += (double) s;
                if (J > I) {
                    float t = 0.0f;
                    for (int r = 0; r < SYMK_T; r++) {
                        t = fmaf(tiles[warp][r][lane], own[r], t);
                    }
                    colpart[tile * SYMK_T + lane] = t;
                }
            }
            __syncwarp();
        }
        sums[warp][lane] = acc;
        __syncthreads();
        if (warp == 0) {
            double total = 0.0;
            for (int k = 0; k < SYMK_WARPS; k++) {
                total += sums[k][lane];
            }
            const int i = I * SYMK_T + lane;
            if (i < n) {
                rows[i] = total;
            }
        }
        __syncthreads();
    }
}

extern "C" __global__ void __launch_bounds__(256)
symk_fused(const void* __restrict__ kernel, int half, const float* __restrict__ w,
           const float* __restrict__ wlo, const double* __restrict__ wsum, int n, int nt,
           double* __restrict__ rows, float* __restrict__ colpart,
           float* __restrict__ colpartLow) {
    symk_fused_body<false>(kernel, half, w, wlo, wsum, n, nt, rows, colpart, colpartLow);
}

extern "C" __global__ void __launch_bounds__(256)
symk_fused_compensated(const void* __restrict__ kernel, int half, const float* __restrict__ w,
                       const float* __restrict__ wlo, const double* __restrict__ wsum, int n,
                       int nt, double* __restrict__ rows, float* __restrict__ colpart,
                       float* __restrict__ colpartLow) {
    symk_fused_body<true>(kernel, half, w, wlo, wsum, n, nt, rows, colpart, colpartLow);
}

// out[32 J + c] = rows[32 J + c] + sum_{I < J} (the mirrored partial of tile (I, J)), the tiles
// above the diagonal in column J added in a fixed order: warp k takes I = k, k + 8, ... into a
// double, the warps are added in warp order. An ordinary tile's partial is the float
// colpart[32 tile + c]; a flat tile's is the double whose high and low 32 bits symk_fused (or
// symk_fused_compensated) wrote to colpart and colpartLow, plus wsum[I] (its rows' weights, the 1 of k = 1 + g). One block per
// tile column J (grid-stride). Reads the n^2 / 64 words of colpart once, colpartLow's of the flat
// tiles, and the first entry of each tile.
extern "C" __global__ void __launch_bounds__(256)
symk_col_reduce(const float* __restrict__ colpart, const float* __restrict__ colpartLow,
                const double* __restrict__ rows, const void* __restrict__ kernel, int half,
                const double* __restrict__ wsum, int n, int nt, double* __restrict__ out) {
    __shared__ double sums[SYMK_WARPS][SYMK_T];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    for (int J = blockIdx.x; J < nt; J += gridDim.x) {
        double acc = 0.0;
        // Tile (I, J) for I = warp, warp + 8, ...: stepped, not recomputed from symk_panel each
        // time (tile(I + 8, J) - tile(I, J) = 8 (nt - I) - 8 * 9 / 2), and the partial's word is
        // read before the branch (an ordinary tile's float, a flat tile's high word: the same
        // address), so ptxas keeps 32 registers on sm_80 and sm_90 (40 with symk_panel and the
        // loads in the branches: 6 blocks of 256 an SM instead of 8) with the loop still unrolled
        // by 4 (several tiles' loads in flight); helper cudaplan34.
        long long tile = symk_panel(warp, nt) + (J - warp);
        for (int I = warp; I < J;
             tile += (long long) SYMK_WARPS * (nt - I) - SYMK_WARPS * (SYMK_WARPS + 1) / 2,
             I += SYMK_WARPS) {
            const bool flat = symk_flat(kernel, half, tile);
            const unsigned int hi = ((const unsigned int*) colpart)[tile * SYMK_T + lane];
            if (flat) {
                const unsigned int lo = ((const unsigned int*) colpartLow)[tile * SYMK_T + lane];
                acc += wsum[I];
                acc += __longlong_as_double((long long) (((unsigned long long) hi << 32) | lo));
            } else {
                acc += (double) __int_as_float((int) hi);
            }
        }
        sums[warp][lane] = acc;
        __syncthreads();
        if (warp == 0) {
            double total = 0.0;
            for (int k = 0; k < SYMK_WARPS; k++) {
                total += sums[k][lane];
            }
            const int j = J * SYMK_T + lane;
            if (j < n) {
                out[j] = rows[j] + total;
            }
        }
        __syncthreads();
    }
}
