// CPU emulation of the CUDA C subset the kernels in kernels-cuda/src/main/cuda use, so that the
// unmodified .cu sources compile as C++ and run on the CPU:
//
//   g++ -std=c++20 -O1 -pthread -include cuda_shim.h -x c++ file.cu
//
// (the harness adds -fno-strict-aliasing, for the uint4 / float4 reinterpretation of tiles, and
// -ffp-contract=off, so that no multiply-add is fused that the source does not fuse itself).
//
// Model. A launch runs its blocks one after another; a block's threads run either as fibers on
// the calling thread (Engine::Fibers, the default: cooperative, deterministic, ~100x faster than
// OS threads at a barrier) or as std::threads with std::barrier (Engine::Threads: preemptive,
// so a missing barrier can also show as a real race). __shared__ variables are function-local
// statics (one block at a time, so a block's threads share them), placed in the section
// "emu_shared", which the launcher fills with 0xff bytes (NaN for floating point, -1 for
// integers) before every block: a read of shared memory the block did not write shows.
//
// Barriers: __syncthreads() waits for every thread of the block that has not exited,
// __syncwarp() for every lane of the warp that has not exited: a thread that returns drops out
// of both (std::barrier::arrive_and_drop), as exited threads do on the GPU. A state where the
// live threads wait at different barriers (some at __syncthreads, some at __syncwarp, or a warp
// split across two) is reported as a deadlock and ends the process.
//
// Warp shuffles go through a per-warp exchange slot: each lane writes its value, a warp barrier,
// each lane reads its source lane's value (double-buffered, so one barrier per shuffle). A lane
// whose source is past the end of its width-segment reads its own value. A shuffle whose mask
// names an exited lane, or whose source lane did not take part in the same shuffle, is an error
// (undefined behaviour on the GPU) recorded for emu::take_errors().
//
// Fiber schedules (emu::config().order): each pass over the runnable threads goes in index
// order, in reverse, or in a random order per pass (with blocks in random order too), so a race
// between two threads in the same barrier interval shows as a different result between orders;
// Delays also holds random warps back for 1 to 16 passes (and, rarely, single threads), as a GPU
// may deschedule a warp while the others run on through several warp-level barriers, so a race
// across barrier intervals (a slot re-written by the next reduction before a slow warp read it)
// shows too.
//
// Inline PTX: the only asm statements in the sources are symk.cu's cvt.f32.f16 / cvt.rn.f16.f32;
// the macro `asm` below recognises their text at compile time (anything else fails to compile)
// and calls exact IEEE binary16 conversions (round to nearest even, subnormals, overflow to
// infinity) on the statement's operands f and h.
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

// ---------------------------------------------------------------------------------------------
// Built-in types and variables.

struct dim3 {
    unsigned int x = 1;
    unsigned int y = 1;
    unsigned int z = 1;
};
typedef dim3 uint3;

struct alignas(16) uint4 {
    unsigned int x, y, z, w;
};
struct alignas(16) float4 {
    float x, y, z, w;
};
struct alignas(8) float2 {
    float x, y;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }

inline thread_local uint3 threadIdx{0, 0, 0};
inline uint3 blockIdx{0, 0, 0};
inline dim3 blockDim{1, 1, 1};
inline dim3 gridDim{1, 1, 1};
inline constexpr int warpSize = 32;

// ---------------------------------------------------------------------------------------------
// Qualifiers.

#define __global__
#define __device__
#define __host__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __constant__ static
#define __shared__ static __attribute__((section("emu_shared")))

// ---------------------------------------------------------------------------------------------
// Intrinsics and device math (the CPU's IEEE arithmetic in round to nearest; no contraction with
// -ffp-contract=off, so __dadd_rn etc. are the plain operators).

inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
inline float __double2float_rn(double d) { return (float) d; }
inline double __longlong_as_double(long long x) {
    double d;
    std::memcpy(&d, &x, sizeof d);
    return d;
}
inline long long __double_as_longlong(double d) {
    long long x;
    std::memcpy(&x, &d, sizeof x);
    return x;
}
inline float __int_as_float(int x) {
    float f;
    std::memcpy(&f, &x, sizeof f);
    return f;
}
inline int __float_as_int(float f) {
    int x;
    std::memcpy(&x, &f, sizeof x);
    return x;
}

using std::isfinite;
using std::isinf;
using std::isnan;
// expf, exp, cosf, fmaf, fmaxf, fminf, fmin, fmax, fabs, sqrt...: the C library's, in the global
// namespace through <cmath>.

#define EMU_MINMAX(T)                                              \
    inline T min(T a, T b) { return a < b ? a : b; }               \
    inline T max(T a, T b) { return a < b ? b : a; }
EMU_MINMAX(int)
EMU_MINMAX(unsigned int)
EMU_MINMAX(long long)
EMU_MINMAX(unsigned long long)
#undef EMU_MINMAX
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

// ---------------------------------------------------------------------------------------------
// IEEE binary16 conversions (exact: round to nearest even, subnormals, overflow to infinity).

namespace emu {

inline float half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t) (h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1fu;
    const uint32_t m = h & 0x3ffu;
    uint32_t x;
    if (e == 0x1f) {
        x = sign | 0x7f800000u | (m << 13);  // infinity, or NaN keeping the payload
    } else if (e != 0) {
        x = sign | ((e - 15 + 127) << 23) | (m << 13);
    } else if (m == 0) {
        x = sign;
    } else {
        // m 2^-24 with m < 1024: normalise (the result is a normal float).
        int shift = 0;
        uint32_t mm = m;
        while ((mm & 0x400u) == 0) {
            mm <<= 1;
            shift++;
        }
        // mm in [1024, 2047]: value = mm 2^(-24 - shift) = 1.f 2^(-14 - shift)
        x = sign | ((uint32_t) (-14 - shift + 127) << 23) | ((mm & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &x, sizeof f);
    return f;
}

inline uint16_t float_to_half(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const uint16_t sign = (uint16_t) ((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) {
        return 0x7fffu;  // NaN: the canonical NaN (as PTX cvt does)
    }
    if (ax >= 0x477ff000u) {
        return sign | 0x7c00u;  // >= 65520 (half-way between 65504 and 2^16): infinity
    }
    if (ax >= 0x38800000u) {
        // Normal half: 10 of the 23 mantissa bits, rounded; a carry moves into the exponent.
        const uint32_t exponent = (ax >> 23) - 127 + 15;
        const uint32_t mant = ax & 0x7fffffu;
        uint32_t h = (exponent << 10) | (mant >> 13);
        const uint32_t rem = mant & 0x1fffu;
        if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) {
            h++;
        }
        return (uint16_t) (sign | h);
    }
    if (ax <= 0x33000000u) {
        return sign;  // <= 2^-25, half of the smallest subnormal: ties to even, 0
    }
    // Subnormal half m 2^-24: m = round(|f| 2^24) = round(mant 2^(e - 126)), mant 24 bits.
    const uint32_t e = ax >> 23;  // 102 < e < 113 here
    const uint32_t mant = (ax & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14 .. 23
    uint32_t m = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (m & 1u))) {
        m++;  // 1024 is the smallest normal, 0x0400: still right
    }
    return (uint16_t) (sign | m);
}

// ---------------------------------------------------------------------------------------------
// Errors the emulation detects (undefined behaviour on the GPU, bad launch shapes).

inline std::mutex& error_mutex() {
    static std::mutex m;
    return m;
}
inline std::vector<std::string>& error_list() {
    static std::vector<std::string> list;
    return list;
}
inline const char*& current_kernel() {
    static const char* name = "?";
    return name;
}

inline void error(const char* format, ...) {
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::lock_guard<std::mutex> lock(error_mutex());
    if (error_list().size() < 20) {
        error_list().push_back(std::string(current_kernel()) + ": " + text);
    }
}

/** The errors since the last call, cleared. */
inline std::vector<std::string> take_errors() {
    std::lock_guard<std::mutex> lock(error_mutex());
    std::vector<std::string> out;
    out.swap(error_list());
    return out;
}

[[noreturn]] inline void fatal(const char* format, ...) {
    char text[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::fprintf(stdout, "FATAL %s: %s\n", current_kernel(), text);
    std::fflush(stdout);
    std::_Exit(3);
}

// ---------------------------------------------------------------------------------------------
// Configuration.

enum class Engine { Fibers, Threads };
enum class Order { Forward, Reverse, Random, Delays };

struct Config {
    Engine engine = Engine::Fibers;
    Order order = Order::Forward;
    uint64_t seed = 1;
    bool poisonShared = true;
    int threadTimeoutSeconds = 60;
};

inline Config& config() {
    static Config c;
    return c;
}

inline const char* describe(const Config& c) {
    if (c.engine == Engine::Threads) {
        return "threads";
    }
    switch (c.order) {
        case Order::Forward:
            return "fibers/forward";
        case Order::Reverse:
            return "fibers/reverse";
        case Order::Random:
            return "fibers/random";
        default:
            return "fibers/delays";
    }
}

// ---------------------------------------------------------------------------------------------
// Per-block state shared by both engines: liveness and the shuffle exchange slots.

struct WarpState {
    uint32_t aliveMask = 0;      // lanes that have not exited
    uint64_t slot[2][32];        // exchanged values, double-buffered by shuffle parity
    uint64_t ticket[2][32];      // which shuffle of its lane wrote the slot
};

class BlockRuntime {
public:
    virtual ~BlockRuntime() = default;
    virtual void syncthreads() = 0;
    virtual void syncwarp(int warp) = 0;

    int threads = 0;
    std::vector<WarpState> warps;
    std::vector<uint64_t> shuffles;  // per thread: shuffles taken so far

    void init(int n) {
        threads = n;
        const int w = (n + 31) / 32;
        warps.assign(w, WarpState{});
        for (int k = 0; k < w; k++) {
            const int lanes = std::min(32, n - 32 * k);
            warps[k].aliveMask = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
        }
        shuffles.assign(n, 0);
    }
};

inline BlockRuntime*& current_block() {
    static BlockRuntime* block = nullptr;
    return block;
}

inline thread_local int linear_tid = 0;

inline void check_in_kernel(const char* what) {
    if (current_block() == nullptr) {
        fatal("%s called outside a kernel launch", what);
    }
}

// ---------------------------------------------------------------------------------------------
// Fiber contexts: a minimal x86-64 switch (the callee-saved registers; nothing here changes the
// floating-point control registers), or ucontext elsewhere.

#if defined(__x86_64__)
extern "C" void emu_ctx_switch(void** save, void* load);
__asm__(R"(
    .text
    .p2align 4
    .weak emu_ctx_switch
    .type emu_ctx_switch, @function
emu_ctx_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_ctx_switch, .-emu_ctx_switch
)");
#endif

class FiberBlock;
inline FiberBlock*& current_fibers() {
    static FiberBlock* f = nullptr;
    return f;
}
inline void fiber_entry();

/**
 * The fiber stacks: one arena (transparent huge pages where allowed), 64 KiB per thread, with
 * the stack tops staggered across cache sets: tops exactly 64 KiB apart would all map to the
 * same L1 sets, and every switch would miss.
 */
class FiberStacks {
public:
    static constexpr size_t SIZE = 64 * 1024;
    static constexpr int MAX_THREADS = 1024;

    FiberStacks() {
        bytes_ = SIZE * (MAX_THREADS + 1);
        void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            fatal("cannot map the fiber stacks");
        }
        base_ = (char*) p;
#ifdef MADV_HUGEPAGE
        madvise(base_, bytes_, MADV_HUGEPAGE);
#endif
    }
    ~FiberStacks() { munmap(base_, bytes_); }
    FiberStacks(const FiberStacks&) = delete;
    FiberStacks& operator=(const FiberStacks&) = delete;

    /** Lowest address of thread t's stack. */
    char* bottom(int t) const { return base_ + SIZE * (size_t) t; }
    /** Top of thread t's stack (16-byte aligned), below a colour offset of up to 16 KiB. */
    char* top(int t) const {
        const size_t colour = ((size_t) t * 1088) % (16 * 1024);
        return base_ + SIZE * (size_t) (t + 1) - colour - 64;
    }

private:
    char* base_ = nullptr;
    size_t bytes_ = 0;
};

inline FiberStacks& fiber_stacks() {
    static FiberStacks stacks;
    return stacks;
}

enum FiberState : uint8_t { RUNNABLE, AT_WARP_BARRIER, AT_BLOCK_BARRIER, EXITED };

class FiberBlock final : public BlockRuntime {
public:
    const std::function<void()>* body = nullptr;
    std::vector<FiberState> state;
    std::vector<int> warpWaiting;
    std::vector<int> warpAlive;
    int blockWaiting = 0;
    int alive = 0;
    int current = -1;
    int bx_ = 1;
    bool ran_ = false;
#if defined(__x86_64__)
    std::vector<void*> sp;
    void* schedulerSp = nullptr;
#else
    std::vector<ucontext_t> ctx;
    ucontext_t scheduler;
#endif

    // The pass in progress: order[position] is the running thread; skip[t]: held back this pass.
    std::vector<int> order;
    std::vector<char> skip;
    int position = 0;

    void enter(int t) {
        current = t;
        linear_tid = t;
        threadIdx = uint3{(unsigned) (t % bx_), (unsigned) (t / bx_), 0};
    }

    /** Suspends the running thread: on to the pass's next runnable thread, else the scheduler. */
    void toScheduler() {
        const int from = current;
        while (++position < (int) order.size()) {
            const int t = order[position];
            if (state[t] == RUNNABLE && !skip[t]) {
                ran_ = true;
                enter(t);
#if defined(__x86_64__)
                emu_ctx_switch(&sp[from], sp[t]);
#else
                swapcontext(&ctx[from], &ctx[t]);
#endif
                return;
            }
        }
#if defined(__x86_64__)
        emu_ctx_switch(&sp[from], schedulerSp);
#else
        swapcontext(&ctx[from], &scheduler);
#endif
    }

    void syncthreads() override {
        state[current] = AT_BLOCK_BARRIER;
        blockWaiting++;
        toScheduler();
    }

    void syncwarp(int warp) override {
        state[current] = AT_WARP_BARRIER;
        warpWaiting[warp]++;
        toScheduler();
    }

    [[noreturn]] void exitCurrent() {
        const int t = current;
        state[t] = EXITED;
        alive--;
        warpAlive[t / 32]--;
        warps[t / 32].aliveMask &= ~(1u << (t & 31));
        toScheduler();
        fatal("an exited fiber was resumed");
    }

    void run(const std::function<void()>& fn, int n, int bx, std::mt19937_64& rng) {
        init(n);
        body = &fn;
        state.assign(n, RUNNABLE);
        warpWaiting.assign(warps.size(), 0);
        warpAlive.assign(warps.size(), 0);
        for (int t = 0; t < n; t++) {
            warpAlive[t / 32]++;
        }
        blockWaiting = 0;
        alive = n;
        FiberStacks& stacks = fiber_stacks();
#if defined(__x86_64__)
        sp.assign(n, nullptr);
        for (int t = 0; t < n; t++) {
            // Stack: [top - 8] 0 (a return address the entry never uses), [top - 16] the entry
            // (popped by ret, so the entry sees rsp = 8 mod 16 as after a call), then the 6
            // registers.
            uint64_t* top = (uint64_t*) stacks.top(t);
            top[-1] = 0;
            top[-2] = (uint64_t) (void*) &fiber_entry;
            for (int k = 3; k <= 8; k++) {
                top[-k] = 0;
            }
            sp[t] = &top[-8];
        }
#else
        ctx.assign(n, ucontext_t{});
        for (int t = 0; t < n; t++) {
            getcontext(&ctx[t]);
            ctx[t].uc_stack.ss_sp = stacks.bottom(t);
            ctx[t].uc_stack.ss_size = (size_t) (stacks.top(t) - stacks.bottom(t));
            ctx[t].uc_link = nullptr;
            makecontext(&ctx[t], (void (*)()) & fiber_entry, 0);
        }
#endif
        bx_ = bx;
        order.resize(n);
        for (int t = 0; t < n; t++) {
            order[t] = config().order == Order::Reverse ? n - 1 - t : t;
        }
        skip.assign(n, 0);
        std::vector<int> warpHeld(warps.size(), 0);  // passes a warp is still held back
        std::vector<int> threadHeld(n, 0);
        bool heldBack = false;
        current_fibers() = this;
        while (alive > 0) {
            const Order o = config().order;
            if (o == Order::Random || o == Order::Delays) {
                std::shuffle(order.begin(), order.end(), rng);
            }
            if (o == Order::Delays) {
                // A warp is held back for 1 to 16 passes from time to time (1/4 per pass), a
                // single thread for 1 to 4 (1/64); after a pass in which everything runnable was
                // held back, nothing is.
                for (auto& h : warpHeld) {
                    if (heldBack) {
                        h = 0;
                    } else if (h > 0) {
                        h--;
                    } else if ((rng() & 3u) == 0) {
                        h = 1 + (int) (rng() & 15u);
                    }
                }
                for (int t = 0; t < n; t++) {
                    int& h = threadHeld[t];
                    if (heldBack) {
                        h = 0;
                    } else if (h > 0) {
                        h--;
                    } else if ((rng() & 63u) == 0) {
                        h = 1 + (int) (rng() & 3u);
                    }
                    skip[t] = warpHeld[t / 32] > 0 || h > 0;
                }
            }
            // A pass: the first runnable thread; each one that suspends hands on to the next.
            ran_ = false;
            for (position = 0; position < n; position++) {
                const int t = order[position];
                if (state[t] == RUNNABLE && !skip[t]) {
                    ran_ = true;
                    enter(t);
#if defined(__x86_64__)
                    emu_ctx_switch(&schedulerSp, sp[t]);
#else
                    swapcontext(&scheduler, &ctx[t]);
#endif
                    break;
                }
            }
            bool ran = ran_;
            if (alive == 0) {
                break;
            }
            heldBack = false;
            if (!ran && o == Order::Delays) {
                for (int t = 0; t < n; t++) {
                    if (state[t] == RUNNABLE) {
                        heldBack = ran = true;  // only held back: run them next pass
                        break;
                    }
                }
            }
            bool released = false;
            for (size_t w = 0; w < warps.size(); w++) {
                if (warpWaiting[w] > 0 && warpWaiting[w] == warpAlive[w]) {
                    for (int t = (int) w * 32; t < std::min(n, (int) w * 32 + 32); t++) {
                        if (state[t] == AT_WARP_BARRIER) {
                            state[t] = RUNNABLE;
                        }
                    }
                    warpWaiting[w] = 0;
                    released = true;
                }
            }
            if (blockWaiting > 0 && blockWaiting == alive) {
                for (int t = 0; t < n; t++) {
                    if (state[t] == AT_BLOCK_BARRIER) {
                        state[t] = RUNNABLE;
                    }
                }
                blockWaiting = 0;
                released = true;
            }
            if (!ran && !released) {
                int atWarp = 0;
                for (int t = 0; t < n; t++) {
                    atWarp += state[t] == AT_WARP_BARRIER;
                }
                fatal("deadlock in block (%u, %u): %d threads alive, %d at __syncthreads, %d at "
                      "__syncwarp (a barrier some live threads never reach)",
                      blockIdx.x, blockIdx.y, alive, blockWaiting, atWarp);
            }
        }
        current_fibers() = nullptr;
        current = -1;
    }
};

inline void fiber_entry() {
    FiberBlock* block = current_fibers();
    (*block->body)();
    block->exitCurrent();
}

// ---------------------------------------------------------------------------------------------
// Thread engine: one std::thread per CUDA thread, std::barrier for the block and each warp.

class ThreadBlock final : public BlockRuntime {
public:
    std::unique_ptr<std::barrier<>> block;
    std::vector<std::unique_ptr<std::barrier<>>> warpBarriers;
    std::mutex maskMutex;

    void syncthreads() override { block->arrive_and_wait(); }
    void syncwarp(int warp) override { warpBarriers[warp]->arrive_and_wait(); }

    void run(const std::function<void()>& fn, int n, int bx) {
        init(n);
        block = std::make_unique<std::barrier<>>(n);
        warpBarriers.clear();
        for (size_t w = 0; w < warps.size(); w++) {
            warpBarriers.push_back(
                    std::make_unique<std::barrier<>>(std::min(32, n - 32 * (int) w)));
        }
        std::mutex doneMutex;
        std::condition_variable doneCv;
        int done = 0;
        std::vector<std::thread> threads;
        threads.reserve(n);
        for (int t = 0; t < n; t++) {
            threads.emplace_back([&, t] {
                linear_tid = t;
                threadIdx = uint3{(unsigned) (t % bx), (unsigned) (t / bx), 0};
                fn();
                {
                    std::lock_guard<std::mutex> lock(maskMutex);
                    warps[t / 32].aliveMask &= ~(1u << (t & 31));
                }
                warpBarriers[t / 32]->arrive_and_drop();
                block->arrive_and_drop();
                std::lock_guard<std::mutex> lock(doneMutex);
                done++;
                doneCv.notify_all();
            });
        }
        {
            std::unique_lock<std::mutex> lock(doneMutex);
            if (!doneCv.wait_for(lock, std::chrono::seconds(config().threadTimeoutSeconds),
                                 [&] { return done == n; })) {
                fatal("block (%u, %u) did not finish in %d s (%d of %d threads done): a deadlock",
                      blockIdx.x, blockIdx.y, config().threadTimeoutSeconds, done, n);
            }
        }
        for (auto& th : threads) {
            th.join();
        }
    }

    uint32_t aliveMask(int warp) {
        std::lock_guard<std::mutex> lock(maskMutex);
        return warps[warp].aliveMask;
    }
};

// ---------------------------------------------------------------------------------------------
// Warp exchange.

enum class ShuffleKind { Down, Up, Xor, Index };

inline uint64_t shuffle(uint32_t mask, uint64_t bits, ShuffleKind kind, int arg, int width) {
    check_in_kernel("__shfl_*_sync");
    BlockRuntime* b = current_block();
    const int t = linear_tid;
    const int warp = t / 32;
    const int lane = t & 31;
    WarpState& w = b->warps[warp];
    uint32_t alive;
    if (config().engine == Engine::Threads) {
        alive = static_cast<ThreadBlock*>(b)->aliveMask(warp);
    } else {
        alive = w.aliveMask;
    }
    if ((mask & ~alive) != 0) {
        error("block (%u, %u) thread %d: shuffle mask 0x%08x names exited lanes (alive 0x%08x)",
              blockIdx.x, blockIdx.y, t, mask, alive);
    }
    if (((mask >> lane) & 1u) == 0) {
        error("block (%u, %u) thread %d: shuffle by a lane outside its mask 0x%08x", blockIdx.x,
              blockIdx.y, t, mask);
    }
    const uint64_t ticket = ++b->shuffles[t];
    const int parity = (int) (ticket & 1u);
    w.slot[parity][lane] = bits;
    w.ticket[parity][lane] = ticket;
    b->syncwarp(warp);
    const int segment = lane & ~(width - 1);
    int source;
    bool own = false;
    switch (kind) {
        case ShuffleKind::Down:
            source = lane + arg;
            own = source >= segment + width;
            break;
        case ShuffleKind::Up:
            source = lane - arg;
            own = source < segment;
            break;
        case ShuffleKind::Xor:
            source = lane ^ arg;
            own = source >= segment + width;
            break;
        default:
            source = segment + (arg & (width - 1));
            break;
    }
    if (own || source == lane) {
        return bits;
    }
    if (source < 0 || source >= 32 || w.ticket[parity][source] != ticket) {
        error("block (%u, %u) thread %d: shuffle source lane %d did not take part in shuffle %llu",
              blockIdx.x, blockIdx.y, t, source, (unsigned long long) ticket);
        return bits;
    }
    return w.slot[parity][source];
}

template <class T>
inline T shuffle_as(uint32_t mask, T v, ShuffleKind kind, int arg, int width) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffle of a wide type");
    if (width <= 0 || width > 32 || (width & (width - 1)) != 0) {
        error("shuffle width %d is not a power of two <= 32", width);
        width = 32;
    }
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    bits = shuffle(mask, bits, kind, arg, width);
    T out;
    std::memcpy(&out, &bits, sizeof(T));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Launch.

extern "C" char __start_emu_shared[] __attribute__((weak));
extern "C" char __stop_emu_shared[] __attribute__((weak));

inline size_t shared_bytes() {
    return (__start_emu_shared != nullptr && __stop_emu_shared != nullptr)
                   ? (size_t) (__stop_emu_shared - __start_emu_shared)
                   : 0;
}

inline void run_grid(const char* name, unsigned gx, unsigned gy, unsigned bx, unsigned by,
                     const std::function<void()>& body) {
    current_kernel() = name;
    if (gx < 1 || gy < 1 || bx < 1 || by < 1) {
        error("launch with an empty grid or block (%u x %u blocks of %u x %u)", gx, gy, bx, by);
        return;
    }
    if (gx > 2147483647u || gy > 65535u) {
        error("grid %u x %u exceeds the limits (2^31 - 1, 65535)", gx, gy);
        return;
    }
    if ((unsigned long long) bx * by > 1024ull || bx > 1024 || by > 1024) {
        error("block %u x %u exceeds 1024 threads", bx, by);
        return;
    }
    gridDim = dim3{gx, gy, 1};
    blockDim = dim3{bx, by, 1};
    const int n = (int) (bx * by);
    std::vector<std::pair<unsigned, unsigned>> blocks;
    blocks.reserve((size_t) gx * gy);
    for (unsigned y = 0; y < gy; y++) {
        for (unsigned x = 0; x < gx; x++) {
            blocks.emplace_back(x, y);
        }
    }
    std::mt19937_64 rng(config().seed);
    if (config().engine == Engine::Fibers &&
        (config().order == Order::Random || config().order == Order::Delays)) {
        std::shuffle(blocks.begin(), blocks.end(), rng);
    } else if (config().engine == Engine::Fibers && config().order == Order::Reverse) {
        std::reverse(blocks.begin(), blocks.end());
    }
    for (auto [x, y] : blocks) {
        blockIdx = uint3{x, y, 0};
        if (config().poisonShared && shared_bytes() > 0) {
            std::memset(__start_emu_shared, 0xff, shared_bytes());
        }
        if (config().engine == Engine::Threads) {
            ThreadBlock block;
            current_block() = &block;
            block.run(body, n, (int) bx);
        } else {
            FiberBlock block;
            current_block() = &block;
            block.run(body, n, (int) bx, rng);
        }
        current_block() = nullptr;
    }
    current_kernel() = "?";
}

/**
 * Runs kernel fn on a grid of gx x gy blocks of bx x by threads, blocks one after another; the
 * arguments are converted to the kernel's parameter types once, as the driver copies them.
 */
template <class... P, class... A>
inline void launch_named(const char* name, void (*fn)(P...), unsigned gx, unsigned gy,
                         unsigned bx, unsigned by, A&&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "wrong number of kernel arguments");
    std::tuple<P...> values(static_cast<P>(std::forward<A>(args))...);
    std::function<void()> body = [&values, fn] { std::apply(fn, values); };
    run_grid(name, gx, gy, bx, by, body);
}

}  // namespace emu

template <class... P, class... A>
inline void launch(void (*fn)(P...), unsigned gx, unsigned gy, unsigned bx, unsigned by,
                   A&&... args) {
    emu::launch_named("kernel", fn, gx, gy, bx, by, std::forward<A>(args)...);
}

#define EMU_LAUNCH(fn, ...) ::emu::launch_named(#fn, fn, __VA_ARGS__)

// ---------------------------------------------------------------------------------------------
// Barriers and shuffles as the kernels call them.

inline void __syncthreads() {
    emu::check_in_kernel("__syncthreads");
    emu::current_block()->syncthreads();
}

inline void __syncwarp(unsigned mask = 0xffffffffu) {
    emu::check_in_kernel("__syncwarp");
    emu::BlockRuntime* b = emu::current_block();
    const int t = emu::linear_tid;
    if (((mask >> (t & 31)) & 1u) == 0) {
        emu::error("thread %d: __syncwarp by a lane outside its mask 0x%08x", t, mask);
    }
    b->syncwarp(t / 32);
}

template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::shuffle_as(mask, v, emu::ShuffleKind::Down, (int) delta, width);
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::shuffle_as(mask, v, emu::ShuffleKind::Up, (int) delta, width);
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    return emu::shuffle_as(mask, v, emu::ShuffleKind::Xor, laneMask, width);
}
template <class T>
inline T __shfl_sync(unsigned mask, T v, int srcLane, int width = 32) {
    return emu::shuffle_as(mask, v, emu::ShuffleKind::Index, srcLane, width);
}

// ---------------------------------------------------------------------------------------------
// The inline PTX of symk.cu: `asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(h));` and
// `asm("{ cvt.rn.f16.f32 %0, %1; }" : "=h"(h) : "f"(f));`. The statement's text is matched at
// compile time; any other asm fails to compile here.

namespace emu {
constexpr bool text_has(const char* s, const char* p) {
    for (; *s; ++s) {
        const char* a = s;
        const char* b = p;
        while (*b && *a == *b) {
            ++a;
            ++b;
        }
        if (!*b) {
            return true;
        }
    }
    return false;
}
constexpr int asm_kind(const char* t) {
    return text_has(t, "cvt.f32.f16") && text_has(t, "\"=f\"(f)") && text_has(t, "\"h\"(h)")
                   ? 1
           : text_has(t, "cvt.rn.f16.f32") && text_has(t, "\"=h\"(h)") && text_has(t, "\"f\"(f)")
                   ? 2
                   : 0;
}
template <int K, class F, class H>
inline void asm_exec(F& f, H& h) {
    static_assert(std::is_same_v<F, float> && std::is_same_v<H, unsigned short>,
                  "cvt operands must be float f and unsigned short h");
    if constexpr (K == 1) {
        f = half_to_float(h);
    } else {
        h = float_to_half(f);
    }
}
}  // namespace emu

#ifndef EMU_NO_ASM_MACRO
#define asm(...)                                                                         \
    do {                                                                                 \
        constexpr int emu_asm_kind_ = ::emu::asm_kind(#__VA_ARGS__);                     \
        static_assert(emu_asm_kind_ != 0, "cuda_shim.h cannot emulate asm(" #__VA_ARGS__ \
                                          ")");                                          \
        ::emu::asm_exec<emu_asm_kind_>(f, h);                                            \
    } while (0)
#endif
