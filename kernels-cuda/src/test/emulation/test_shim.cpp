// Checks of the emulation itself: exact binary16 conversions (against an independent
// nearest-value search), barrier and early-exit semantics, shuffles, shared-memory poisoning,
// and that a race, an undefined shuffle and a deadlock are caught.
#define EMU_NO_ASM_MACRO
#include <fcntl.h>
#include <sys/wait.h>

#include "emu_check.h"

using harness::Buf;
using harness::check;

namespace {

// ---------------------------------------------------------------------------------------------
// binary16

/** The value of a binary16 pattern, computed in double from its fields. */
double half_value(uint16_t h) {
    const int e = (h >> 10) & 0x1f;
    const int m = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0x1f) {
        return m == 0 ? sign * INFINITY : NAN;
    }
    if (e == 0) {
        return sign * std::ldexp((double) m, -24);
    }
    return sign * std::ldexp((double) (1024 + m), e - 25);
}

/** Round to the nearest binary16, ties to the even pattern, by search over the patterns. */
uint16_t nearest_half(float f) {
    if (std::isnan(f)) {
        return 0x7fff;
    }
    const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
    const double a = std::fabs((double) f);
    // 65520 = 65504 + half an ulp (2^5 / 2): from there on, infinity (the ulp of an unbounded
    // exponent range).
    if (a >= 65520.0) {
        return sign | 0x7c00;
    }
    // Largest pattern p in [0, 0x7bff] with value(p) <= a (values increase with the pattern).
    int lo = 0;
    int hi = 0x7bff;
    while (lo < hi) {
        const int mid = (lo + hi + 1) / 2;
        if (half_value((uint16_t) mid) <= a) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if (lo == 0x7bff) {
        return sign | 0x7bff;
    }
    const double below = a - half_value((uint16_t) lo);
    const double above = half_value((uint16_t) (lo + 1)) - a;
    int p = lo;
    if (above < below || (above == below && (lo & 1))) {
        p = lo + 1;
    }
    return (uint16_t) (sign | p);
}

void test_half() {
    // Every pattern to float, against its value in double.
    long bad = 0;
    long firstBad = -1;
    for (uint32_t h = 0; h < 0x10000; h++) {
        const float f = emu::half_to_float((uint16_t) h);
        const double want = half_value((uint16_t) h);
        const bool ok = std::isnan(want) ? std::isnan(f) : ((double) f == want &&
                                                           std::signbit(f) == std::signbit(want));
        if (!ok) {
            bad++;
            if (firstBad < 0) {
                firstBad = h;
            }
        }
    }
    check(bad == 0, "shim: binary16 -> float exact for all 65536 patterns (%ld wrong, first 0x%lx)",
          bad, firstBad);

    // Float to binary16: every pattern's value, the midpoints between neighbours (exact in
    // float), one float ulp either side of each, the range ends, and random floats.
    std::vector<float> points;
    for (uint32_t h = 0; h <= 0x7c00; h++) {
        const float v = (float) half_value((uint16_t) h);
        points.push_back(v);
        if (h < 0x7c00) {
            const float next = (float) half_value((uint16_t) (h + 1));
            const float mid = (float) ((half_value((uint16_t) h) + half_value((uint16_t) (h + 1))) / 2);
            (void) next;
            points.push_back(mid);
            points.push_back(std::nextafter(mid, 0.0f));
            points.push_back(std::nextafter(mid, INFINITY));
        }
    }
    for (float v : {0x1.0p-25f, 0x1.0p-26f, 0x1.8p-25f, 0x1.0p-24f, 0x1.0p-14f, 0x1.ffcp-15f,
                    65504.0f, 65519.996f, 65520.0f, 65536.0f, 1e10f, 0x1.0p-149f, 0x1.0p-126f,
                    INFINITY, 1.0f, 0.99999994f}) {
        points.push_back(v);
        points.push_back(std::nextafter(v, 0.0f));
        points.push_back(std::nextafter(v, INFINITY));
    }
    harness::Rng rng(20240601);
    for (int k = 0; k < 300000; k++) {
        // Exponents across the half range and a little beyond, random mantissas.
        const uint32_t exponent = 127 - 30 + (uint32_t) rng.below(48);
        const uint32_t bits = (exponent << 23) | (uint32_t) (rng.next() & 0x7fffff);
        float f;
        std::memcpy(&f, &bits, 4);
        points.push_back(f);
    }
    const size_t positive = points.size();
    for (size_t k = 0; k < positive; k++) {
        points.push_back(-points[k]);
    }
    bad = 0;
    float firstBadValue = 0;
    uint16_t gotBad = 0;
    uint16_t wantBad = 0;
    for (float f : points) {
        const uint16_t got = emu::float_to_half(f);
        const uint16_t want = nearest_half(f);
        if (got != want) {
            if (bad == 0) {
                firstBadValue = f;
                gotBad = got;
                wantBad = want;
            }
            bad++;
        }
    }
    check(bad == 0,
          "shim: float -> binary16 round-to-nearest-even exact on %zu values (halves, midpoints "
          "and their neighbours, subnormals, overflow, random) (%ld wrong; first %a: got 0x%04x, "
          "want 0x%04x)",
          points.size(), bad, (double) firstBadValue, gotBad, wantBad);
    check(emu::float_to_half(NAN) == 0x7fff && std::isnan(emu::half_to_float(0x7fff)) &&
                  emu::float_to_half(-INFINITY) == 0xfc00 &&
                  std::isinf(emu::half_to_float(0xfc00)),
          "shim: binary16 NaN and infinities");
}

// ---------------------------------------------------------------------------------------------
// Kernels that exercise the runtime.

// Threads >= keep return at once; the rest add their indices in shared memory over two barriers.
extern "C" void shim_early_exit(int keep, int* out) {
    __shared__ int slots[1024];
    __shared__ int total;
    const int t = threadIdx.x + threadIdx.y * blockDim.x;
    if (t >= keep) {
        return;
    }
    slots[t] = t + 1;
    if (t == 0) {
        total = 0;
    }
    __syncthreads();
    if (t == 0) {
        for (int k = 0; k < keep; k++) {
            total += slots[k];
        }
    }
    __syncthreads();
    out[blockIdx.x * 1024 + t] = total;
}

template <class T>
void shuffle_kernel(int offset, T* out) {
    const int t = threadIdx.x;
    const T v = (T) (t * 3 + 1) / (T) 2;
    out[blockIdx.x * blockDim.x + t] = __shfl_down_sync(0xffffffffu, v, offset);
}
extern "C" void shim_shuffle_int(int offset, int* out) { shuffle_kernel<int>(offset, out); }
extern "C" void shim_shuffle_float(int offset, float* out) { shuffle_kernel<float>(offset, out); }
extern "C" void shim_shuffle_double(int offset, double* out) { shuffle_kernel<double>(offset, out); }

// The warp-shuffle tree of the kernels, then a shared-memory pass over the warps.
extern "C" void shim_block_sum(const double* in, double* out) {
    __shared__ double partial[32];
    const int t = threadIdx.x + threadIdx.y * blockDim.x;
    const int n = blockDim.x * blockDim.y;
    double v = in[blockIdx.x * n + t];
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    if ((t & 31) == 0) {
        partial[t >> 5] = v;
    }
    __syncthreads();
    double s = t < (n + 31) / 32 ? partial[t] : 0.0;
    if (t < 32) {
        for (int offset = 16; offset > 0; offset >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, offset);
        }
    }
    if (t == 0) {
        out[blockIdx.x] = s;
    }
}

// Built-ins of a 2-D launch.
extern "C" void shim_indices(int* out) {
    const int t = threadIdx.x + threadIdx.y * blockDim.x;
    const int block = blockIdx.x + blockIdx.y * gridDim.x;
    int* o = out + 6 * (block * blockDim.x * blockDim.y + t);
    o[0] = threadIdx.x;
    o[1] = threadIdx.y;
    o[2] = blockIdx.x;
    o[3] = blockIdx.y;
    o[4] = blockDim.x * 1000 + blockDim.y;
    o[5] = gridDim.x * 1000 + gridDim.y;
}

// A race: each thread reads its neighbour's slot without a barrier in between.
extern "C" void shim_racy(int* out) {
    __shared__ int slots[256];
    const int t = threadIdx.x;
    slots[t] = t;
    out[t] = slots[(t + 1) % blockDim.x];
}

// The kernels' block sum without its second __syncthreads, called twice: a warp that runs ahead
// into the second call re-writes its partial[] slot before thread `warp` of warp 0 has read the
// first call's value. Only a schedule that holds warp 0 back across barriers shows it.
static double sum_missing_barrier(double v) {
    __shared__ double partial[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    if (lane == 0) {
        partial[warp] = v;
    }
    __syncthreads();
    double s = (threadIdx.x < (blockDim.x + 31) / 32) ? partial[threadIdx.x] : 0.0;
    if (warp == 0) {
        for (int offset = 16; offset > 0; offset >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, offset);
        }
    }
    return s;
}
extern "C" void shim_missing_second_barrier(double* out) {
    const double a = sum_missing_barrier(1.0);
    const double b = sum_missing_barrier(1000.0);
    if (threadIdx.x == 0) {
        out[2 * blockIdx.x] = a;
        out[2 * blockIdx.x + 1] = b;
    }
}

// Reads shared memory nobody wrote.
extern "C" void shim_unwritten_shared(float* out) {
    __shared__ float never[64];
    out[threadIdx.x] = never[threadIdx.x];
}

// Lane 0 exits, then the others shuffle with the full mask: undefined on the GPU.
extern "C" void shim_shuffle_after_exit(double* out) {
    if (threadIdx.x == 0) {
        return;
    }
    out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0, 1);
}

// Half the block waits at __syncthreads, the other half at __syncwarp of a warp split between.
extern "C" void shim_deadlock(int* out) {
    if (threadIdx.x < 16) {
        __syncthreads();
    } else {
        __syncwarp();
    }
    out[threadIdx.x] = 1;
}

void test_runtime() {
    using harness::Schedule;
    // Early exit: the survivors' barriers must not wait for the exited threads.
    for (int keep : {1, 31, 33, 100, 256}) {
        for (const Schedule& s : {Schedule{emu::Engine::Fibers, emu::Order::Forward, 1},
                                  Schedule{emu::Engine::Fibers, emu::Order::Random, 5},
                                  Schedule{emu::Engine::Threads, emu::Order::Forward, 1}}) {
            Buf<int> out(2 * 1024, "out");
            harness::with_schedule(s, [&] {
                LAUNCH(shim_early_exit, 2, 1, 256, 1, keep, out.p());
                return 0;
            });
            bool ok = true;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 1024; t++) {
                    const int want = t < keep ? keep * (keep + 1) / 2 : -1;
                    ok &= out[b * 1024 + t] == want;
                }
            }
            check(ok, "shim: %d of 256 threads stay, the rest return before two __syncthreads "
                      "(%s)", keep, harness::schedule_name(s).c_str());
        }
    }
    // Shuffles: lanes past 31 read their own value; int, float, double.
    for (int offset : {1, 2, 5, 16, 31}) {
        Buf<int> oi(64, "out");
        Buf<float> of(64, "out");
        Buf<double> od(64, "out");
        LAUNCH(shim_shuffle_int, 1, 1, 64, 1, offset, oi.p());
        LAUNCH(shim_shuffle_float, 1, 1, 64, 1, offset, of.p());
        LAUNCH(shim_shuffle_double, 1, 1, 64, 1, offset, od.p());
        bool ok = true;
        for (int t = 0; t < 64; t++) {
            const int lane = t & 31;
            const int src = lane + offset < 32 ? t + offset : t;
            ok &= oi[t] == (src * 3 + 1) / 2;
            ok &= of[t] == (float) (src * 3 + 1) / 2.0f;
            ok &= od[t] == (double) (src * 3 + 1) / 2.0;
        }
        check(ok, "shim: __shfl_down_sync offset %d on 2 warps (int, float, double)", offset);
    }
    // The kernels' block-sum pattern on 1-D and 2-D blocks, every schedule and the threads.
    for (auto [bx, by] : {std::pair{256, 1}, std::pair{32, 1}, std::pair{16, 16},
                          std::pair{32, 8}, std::pair{1024, 1}}) {
        const int n = bx * by;
        std::vector<double> in(3 * n);
        harness::Rng rng(n);
        for (auto& v : in) {
            v = std::round(rng.gaussian() * 1000);  // integers: every order sums exactly
        }
        Buf<double> input(in, "in");
        auto run = [&] {
            Buf<double> out(3, "out");
            LAUNCH(shim_block_sum, 3, 1, bx, by, input.p(), out.p());
            return out.get();
        };
        std::vector<double> got = run();
        bool ok = true;
        for (int b = 0; b < 3; b++) {
            double want = 0;
            for (int t = 0; t < n; t++) {
                want += in[b * n + t];
            }
            ok &= got[b] == want;
        }
        check(ok, "shim: shuffle + shared block sum, block %d x %d", bx, by);
        harness::check_schedules(("shim: block sum " + std::to_string(bx) + " x " +
                                  std::to_string(by)).c_str(),
                                 n <= 256, run);
    }
    {
        Buf<int> out(6 * 2 * 3 * 48, "out");
        LAUNCH(shim_indices, 2, 3, 16, 3, out.p());
        bool ok = true;
        for (int by = 0; by < 3; by++) {
            for (int bx = 0; bx < 2; bx++) {
                for (int ty = 0; ty < 3; ty++) {
                    for (int tx = 0; tx < 16; tx++) {
                        const int* o = out.p() + 6 * ((bx + by * 2) * 48 + tx + ty * 16);
                        ok &= o[0] == tx && o[1] == ty && o[2] == bx && o[3] == by &&
                              o[4] == 16003 && o[5] == 2003;
                    }
                }
            }
        }
        check(ok, "shim: threadIdx, blockIdx, blockDim, gridDim of a 2 x 3 grid of 16 x 3 blocks");
    }
    // A race shows as a difference between schedules.
    {
        auto run = [&] {
            Buf<int> out(256, "out");
            LAUNCH(shim_racy, 1, 1, 256, 1, out.p());
            return out.get();
        };
        auto forward = run();
        auto reverse = harness::with_schedule({emu::Engine::Fibers, emu::Order::Reverse, 1}, run);
        check(!harness::same_bits(forward, reverse),
              "shim: a missing __syncthreads shows as a difference between fiber orders");
    }
    {
        auto run = [&] {
            Buf<double> out(2 * 64, "out");
            LAUNCH(shim_missing_second_barrier, 64, 1, 256, 1, out.p());
            return out.get();
        };
        const auto forward = run();
        bool forwardRight = true;
        for (int b = 0; b < 64; b++) {
            forwardRight &= forward[2 * b] == 256.0 && forward[2 * b + 1] == 256000.0;
        }
        std::string differs;
        for (const harness::Schedule& s : harness::other_schedules(false)) {
            if (!harness::same_bits(forward, harness::with_schedule(s, run))) {
                differs += (differs.empty() ? "" : ", ") + harness::schedule_name(s);
            }
        }
        check(forwardRight && differs.find("delays") != std::string::npos,
              "shim: a block sum missing its trailing __syncthreads is right in index order but "
              "differs under %s", differs.empty() ? "no schedule" : differs.c_str());
    }
    {
        Buf<float> out(64, "out");
        LAUNCH(shim_unwritten_shared, 1, 1, 64, 1, out.p());
        bool allNan = true;
        for (int t = 0; t < 64; t++) {
            allNan &= std::isnan(out[t]);
        }
        check(allNan, "shim: shared memory reads as NaN until the block writes it");
    }
    {
        Buf<double> out(32, "out");
        emu::launch_named("shim_shuffle_after_exit", shim_shuffle_after_exit, 1, 1, 32, 1,
                          out.p());
        const auto errors = emu::take_errors();
        check(!errors.empty(), "shim: a full-mask shuffle after a lane exited is reported (%s)",
              errors.empty() ? "nothing reported" : errors[0].c_str());
    }
    {
        // In a child process: the deadlock ends it with status 3.
        std::fflush(stdout);
        const pid_t child = fork();
        if (child == 0) {
            const int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            Buf<int> out(64, "out");
            emu::launch_named("shim_deadlock", shim_deadlock, 1, 1, 64, 1, out.p());
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 3,
              "shim: threads waiting at different barriers are reported as a deadlock (status "
              "0x%x)", status);
    }
}

}  // namespace

void test_shim() {
    test_half();
    test_runtime();
}
