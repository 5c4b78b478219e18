// Euclidean projection onto the capped simplex { w : 0 <= w_i <= c, sum w = 1 } for the cuda
// backend (io.synalign.kernels.cuda.CudaCappedSimplexProjector): the O(n)-per-round safeguarded
// Newton search of io.synalign.kernels.host.CappedSimplexThreshold, round for round, with the
// search state in device memory so that the host launches the rounds without reading anything
// back in between:
//   state[0] tau (the current point; on entry the previous call's threshold, the warm start)
//   state[1] lo, state[2] hi (phi(lo) >= 1 >= phi(hi))
//   state[3] done (1 once tau is the threshold, or the input was bad: later rounds do nothing)
//   state[4] rounds taken, state[5] NaN values seen, state[6] infinite values seen,
//   state[7] the origin: tau, lo and hi are about it (the search runs on v_i - origin).
// The origin is max v when every value lies within a factor of two of max v (one sign), so that
// every v_i - max v is exact, else 0 (where v_i - 0 = v_i: the search is the plain one, bit for
// bit); see CappedSimplexThreshold. The warm start is the previous threshold about 0,
// state[7] + state[0] (NaN before the first projection: a cold start).
// A round is simplex_round_partial (per block: the free values' sum, the free and capped counts
// at tau) and simplex_round_update (one block: the fixed-order total, then the Newton or
// bisection step, in the same scalar arithmetic as the Java code, no fused multiply-add).

#define SIMPLEX_BISECT_EVERY 8

static __device__ __forceinline__ double simplex_warp_sum(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

static __device__ __forceinline__ double simplex_warp_min(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmin(v, __shfl_down_sync(0xffffffffu, v, offset));
    }
    return v;
}

static __device__ __forceinline__ double simplex_warp_max(double v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = fmax(v, __shfl_down_sync(0xffffffffu, v, offset));
    }
    return v;
}

// Block reduction (kind 0 sum, 1 min, 2 max), valid in thread 0; every thread must call it.
static __device__ double simplex_block_reduce(double v, int kind) {
    __shared__ double partial[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    v = kind == 0 ? simplex_warp_sum(v) : kind == 1 ? simplex_warp_min(v) : simplex_warp_max(v);
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    const double identity = kind == 0 ? 0.0 : kind == 1 ? __longlong_as_double(0x7ff0000000000000LL)
                                                         : __longlong_as_double(0xfff0000000000000LL);
    double s = (threadIdx.x < warps) ? partial[threadIdx.x] : identity;
    __syncthreads();
    if (warp == 0) {
        s = kind == 0 ? simplex_warp_sum(s) : kind == 1 ? simplex_warp_min(s) : simplex_warp_max(s);
    }
    return s;
}

#define SIMPLEX_LOOP(i, n) \
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
         i += (long long) gridDim.x * blockDim.x)

// Per block: min, max and sum of the finite values, and the NaN and infinity counts.
extern "C" __global__ void simplex_scan_partial(const double* __restrict__ v, long long n,
                                                double* __restrict__ partials) {
    double lo = __longlong_as_double(0x7ff0000000000000LL);
    double hi = __longlong_as_double(0xfff0000000000000LL);
    double sum = 0.0;
    double nans = 0.0;
    double infinities = 0.0;
    SIMPLEX_LOOP(i, n) {
        const double x = v[i];
        if (isnan(x)) {
            nans += 1.0;
        } else if (isinf(x)) {
            infinities += 1.0;
        } else {
            lo = fmin(lo, x);
            hi = fmax(hi, x);
            sum += x;
        }
    }
    lo = simplex_block_reduce(lo, 1);
    hi = simplex_block_reduce(hi, 2);
    sum = simplex_block_reduce(sum, 0);
    nans = simplex_block_reduce(nans, 0);
    infinities = simplex_block_reduce(infinities, 0);
    if (threadIdx.x == 0) {
        double* out = partials + 5LL * blockIdx.x;
        out[0] = lo;
        out[1] = hi;
        out[2] = sum;
        out[3] = nans;
        out[4] = infinities;
    }
}

// One block: the bracket and the first point, from the scan partials and the warm start.
extern "C" __global__ void simplex_start(const double* __restrict__ partials, int blocks,
                                         long long n, double* __restrict__ state) {
    double lo = __longlong_as_double(0x7ff0000000000000LL);
    double hi = __longlong_as_double(0xfff0000000000000LL);
    double sum = 0.0;
    double nans = 0.0;
    double infinities = 0.0;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
        const double* p = partials + 5LL * b;
        lo = fmin(lo, p[0]);
        hi = fmax(hi, p[1]);
        sum += p[2];
        nans += p[3];
        infinities += p[4];
    }
    lo = simplex_block_reduce(lo, 1);
    hi = simplex_block_reduce(hi, 2);
    sum = simplex_block_reduce(sum, 0);
    nans = simplex_block_reduce(nans, 0);
    infinities = simplex_block_reduce(infinities, 0);
    if (threadIdx.x == 0) {
        const double nd = (double) n;
        // Within a factor of two of max v (one sign, no 0): CappedSimplexThreshold.withinAFactorOfTwo.
        // With NaN or infinite values lo and hi are those of the finite ones; nothing runs then.
        const bool shift = (lo > 0.0 && hi <= __dmul_rn(2.0, lo))
                || (hi < 0.0 && lo >= __dmul_rn(2.0, hi));
        const double origin = shift ? hi : 0.0;
        const double low = __dsub_rn(__dsub_rn(lo, origin), __ddiv_rn(1.0, nd));
        const double high = __dsub_rn(hi, origin);
        double t = __dsub_rn(__dadd_rn(state[7], state[0]), origin);
        if (!(t > low && t < high)) {
            t = __dsub_rn(__ddiv_rn(__dsub_rn(sum, 1.0), nd), origin);
            if (!(t > low && t < high)) {
                t = __dadd_rn(low, __dmul_rn(0.5, __dsub_rn(high, low)));
            }
        }
        state[0] = t;
        state[1] = low;
        state[2] = high;
        state[3] = (nans > 0.0 || infinities > 0.0) ? 1.0 : 0.0;
        state[4] = 0.0;
        state[5] = nans;
        state[6] = infinities;
        state[7] = origin;
    }
}

// Per block, at tau = state[0]: the sum of the free values (0 < v - tau < cap) and the free and
// capped (v - tau >= cap) counts. Does nothing once the search is done.
extern "C" __global__ void simplex_round_partial(const double* __restrict__ v, long long n,
                                                 double cap, const double* __restrict__ state,
                                                 double* __restrict__ partials) {
    if (state[3] != 0.0) {
        return;
    }
    const double t = state[0];
    const double origin = state[7];
    double freeSum = 0.0;
    double free = 0.0;
    double capped = 0.0;
    SIMPLEX_LOOP(i, n) {
        const double x = __dsub_rn(v[i], origin);
        const double d = __dsub_rn(x, t);
        if (d >= cap) {
            capped += 1.0;
        } else if (d > 0.0) {
            free += 1.0;
            freeSum += x;
        }
    }
    freeSum = simplex_block_reduce(freeSum, 0);
    free = simplex_block_reduce(free, 0);
    capped = simplex_block_reduce(capped, 0);
    if (threadIdx.x == 0) {
        double* out = partials + 3LL * blockIdx.x;
        out[0] = freeSum;
        out[1] = free;
        out[2] = capped;
    }
}

// One block: the round's totals, then the step (see CappedSimplexThreshold.find).
extern "C" __global__ void simplex_round_update(const double* __restrict__ partials, int blocks,
                                                double cap, double* __restrict__ state) {
    if (state[3] != 0.0) {
        return;
    }
    double freeSum = 0.0;
    double free = 0.0;
    double capped = 0.0;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x) {
        const double* p = partials + 3LL * b;
        freeSum += p[0];
        free += p[1];
        capped += p[2];
    }
    freeSum = simplex_block_reduce(freeSum, 0);
    free = simplex_block_reduce(free, 0);
    capped = simplex_block_reduce(capped, 0);
    if (threadIdx.x != 0) {
        return;
    }
    const double t = state[0];
    double lo = state[1];
    double hi = state[2];
    const double round = state[4] + 1.0;
    state[4] = round;
    const double capMass = capped == 0.0 ? 0.0 : __dmul_rn(cap, capped);
    double newton = __longlong_as_double(0x7ff8000000000000LL);
    double phi;
    if (free > 0.0) {
        newton = __ddiv_rn(__dsub_rn(__dadd_rn(freeSum, capMass), 1.0), free);
        if (newton == t) {
            state[3] = 1.0;
            return;
        }
        phi = __dadd_rn(__dsub_rn(freeSum, __dmul_rn(free, t)), capMass);
    } else {
        phi = capMass;
        if (phi == 1.0) {
            state[3] = 1.0;
            return;
        }
    }
    if (phi >= 1.0) {
        lo = t;
    } else {
        hi = t;
    }
    const double mid = __dadd_rn(lo, __dmul_rn(0.5, __dsub_rn(hi, lo)));
    if (!(mid > lo && mid < hi)) {
        state[0] = (newton >= lo && newton <= hi) ? newton : lo;
        state[3] = 1.0;
        return;
    }
    const bool newtonInside = newton > lo && newton < hi;
    const long long r = (long long) round;
    state[0] = (newtonInside && r % SIMPLEX_BISECT_EVERY != 0) ? newton : mid;
    state[1] = lo;
    state[2] = hi;
}

// out[i] = min(max((v[i] - origin) - tau, 0), cap) with tau = state[0], origin = state[7];
// out may alias v.
extern "C" __global__ void simplex_clip(const double* v, long long n, double cap,
                                        const double* __restrict__ state, double* out) {
    const double tau = state[0];
    const double origin = state[7];
    SIMPLEX_LOOP(i, n) {
        out[i] = fmin(fmax(__dsub_rn(__dsub_rn(v[i], origin), tau), 0.0), cap);
    }
}
