// Test support for the emulated kernels: one printed line per check, guarded "device" buffers
// (an unmapped page after each, canaries in the slack around it, every launch followed by a
// canary check), a deterministic random generator, the launch shapes of the Java host code.
#pragma once

#include <cinttypes>
#include <csignal>
#include <list>
#include <set>

#include "cuda_shim.h"
#include "emu_kernels.h"

namespace harness {

// ---------------------------------------------------------------------------------------------
// Reporting.

inline int& passed() {
    static int p = 0;
    return p;
}
inline int& failed() {
    static int f = 0;
    return f;
}

/** Prints "ok   <text>" or "FAIL <text>" and counts it; returns ok. */
inline bool check(bool ok, const char* format, ...) __attribute__((format(printf, 2, 3)));
inline bool check(bool ok, const char* format, ...) {
    char text[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", text);
    std::fflush(stdout);
    (ok ? passed() : failed())++;
    return ok;
}

/**
 * Results of one check over many cases (shapes, inputs): one line, with the failing cases and
 * the worst error, when reported.
 */
class Tally {
public:
    /** Records a case; detail describes it (printed when it fails, at most 6 listed). */
    bool add(bool ok, const std::string& detail) {
        cases_++;
        if (!ok) {
            if (failures_ < 6) {
                failed_ += (failed_.empty() ? "" : "; ") + detail;
            }
            failures_++;
        }
        return ok;
    }
    /** Records an error measure (reported as the worst). */
    void measure(double e) {
        worst_ = std::isnan(e) ? INFINITY : std::max(worst_, e);
        measured_ = true;
    }
    int cases() const { return cases_; }
    /** Prints the line: "<what> (<cases> cases[, worst <e>])[ -- failed: ...]". */
    bool report(const char* format, ...) __attribute__((format(printf, 2, 3)));

private:
    int cases_ = 0;
    int failures_ = 0;
    std::string failed_;
    double worst_ = 0;
    bool measured_ = false;
};

inline bool Tally::report(const char* format, ...) {
    char text[1024];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    char extra[64] = "";
    if (measured_) {
        std::snprintf(extra, sizeof extra, ", worst %.3g", worst_);
    }
    const bool ok = failures_ == 0 && cases_ > 0;
    check(ok, "%s (%d cases%s)%s%s%s", text, cases_, extra, failures_ ? " -- " : "",
          failures_ ? (std::to_string(failures_) + " failed: ").c_str() : "", failed_.c_str());
    return ok;
}

/** Tallies by name, reported in the order first used. */
class Tallies {
public:
    Tally& operator()(const std::string& line) {
        for (auto& [name, t] : list_) {
            if (name == line) {
                return t;
            }
        }
        list_.emplace_back(line, Tally{});
        return list_.back().second;
    }
    void report() {
        for (auto& [name, t] : list_) {
            t.report("%s", name.c_str());
        }
        list_.clear();
    }

private:
    std::list<std::pair<std::string, Tally>> list_;  // stable references
};

inline void note(const char* format, ...) __attribute__((format(printf, 1, 2)));
inline void note(const char* format, ...) {
    char text[2048];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    std::printf("     %s\n", text);
    std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Guarded buffers: data at the end of its pages (16-byte aligned, as kernels load 16-byte
// chunks), an unmapped page after, canary bytes before and in the slack after.

class BufBase;
inline std::set<BufBase*>& live_buffers() {
    static std::set<BufBase*> s;
    return s;
}

class BufBase {
public:
    static constexpr unsigned char CANARY = 0xa5;
    static constexpr size_t PAGE = 4096;

    explicit BufBase(size_t bytes, const char* name) : bytes_(bytes), name_(name) {
        const size_t dataPages = (bytes + 64 + PAGE - 1) / PAGE + 1;
        mapped_ = (dataPages + 1) * PAGE;
        void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
        if (p == MAP_FAILED) {
            emu::fatal("cannot map a buffer of %zu bytes", bytes);
        }
        base_ = (unsigned char*) p;
        unsigned char* guard = base_ + dataPages * PAGE;
        mprotect(guard, PAGE, PROT_NONE);
        data_ = (unsigned char*) (((uintptr_t) guard - bytes) & ~(uintptr_t) 15);
        std::memset(base_, CANARY, (size_t) (guard - base_));
        std::memset(data_, 0xff, bytes);  // NaN for floats and doubles, -1 for integers
        live_buffers().insert(this);
    }
    virtual ~BufBase() {
        live_buffers().erase(this);
        munmap(base_, mapped_);
    }
    BufBase(const BufBase&) = delete;
    BufBase& operator=(const BufBase&) = delete;

    /** Whether the canaries around the data are intact (no write out of bounds). */
    bool intact() const {
        const unsigned char* end = base_ + mapped_ - PAGE;
        for (const unsigned char* p = data_ - 64; p < data_; p++) {
            if (*p != CANARY) {
                return false;
            }
        }
        for (const unsigned char* p = data_ + bytes_; p < end; p++) {
            if (*p != CANARY) {
                return false;
            }
        }
        return true;
    }
    const char* name() const { return name_; }
    void poison() { std::memset(data_, 0xff, bytes_); }
    /** Restores the canaries (after a reported out-of-bounds write, so it is reported once). */
    void rearm() {
        std::memset(base_, CANARY, (size_t) (data_ - base_));
        std::memset(data_ + bytes_, CANARY, (size_t) (base_ + mapped_ - PAGE - (data_ + bytes_)));
    }

protected:
    size_t bytes_;
    const char* name_;
    size_t mapped_ = 0;
    unsigned char* base_ = nullptr;
    unsigned char* data_ = nullptr;
};

template <class T>
class Buf : public BufBase {
public:
    explicit Buf(size_t n, const char* name = "buffer")
        : BufBase(std::max<size_t>(n, 1) * sizeof(T), name), n_(n) {}
    Buf(const std::vector<T>& values, const char* name = "buffer") : Buf(values.size(), name) {
        put(values);
    }
    T* p() { return (T*) data_; }
    const T* p() const { return (const T*) data_; }
    size_t size() const { return n_; }
    T& operator[](size_t i) { return p()[i]; }
    const T& operator[](size_t i) const { return p()[i]; }
    void put(const std::vector<T>& values) {
        std::memcpy(data_, values.data(), values.size() * sizeof(T));
    }
    std::vector<T> get() const { return std::vector<T>(p(), p() + n_); }
    std::vector<T> get(size_t n) const { return std::vector<T>(p(), p() + n); }

private:
    size_t n_;
};

// ---------------------------------------------------------------------------------------------
// Launches: the kernel, then the emulator's errors and every live buffer's canaries.

inline bool& launch_failed() {
    static bool f = false;
    return f;
}

inline void after_launch(const char* name) {
    for (const std::string& e : emu::take_errors()) {
        check(false, "emulator: %s", e.c_str());
        launch_failed() = true;
    }
    for (BufBase* b : live_buffers()) {
        if (!b->intact()) {
            check(false, "%s wrote out of the bounds of %s", name, b->name());
            launch_failed() = true;
            b->rearm();
        }
    }
}

#define LAUNCH(fn, gx, gy, bx, by, ...)                                 \
    do {                                                                \
        ::emu::launch_named(#fn, fn, gx, gy, bx, by, __VA_ARGS__);      \
        ::harness::after_launch(#fn);                                   \
    } while (0)

/** DeviceTiles.gridFor: 1-D grid-stride launch over count items, at most 32 blocks per SM. */
inline int grid_for(long long count, int block, int sms) {
    long long blocks = (count + block - 1) / block;
    long long cap = 32LL * std::max(1, sms);
    return (int) std::max(1LL, std::min(blocks, cap));
}

constexpr int BLOCK = 256;

// ---------------------------------------------------------------------------------------------
// Random numbers (xoshiro256**, seeded by splitmix64): the same on every platform.

class Rng {
public:
    explicit Rng(uint64_t seed) {
        for (auto& s : s_) {
            seed += 0x9e3779b97f4a7c15ull;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            s = z ^ (z >> 31);
        }
    }
    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /** Uniform in [0, 1). */
    double uniform() { return (double) (next() >> 11) * 0x1.0p-53; }
    double gaussian() {
        double u = uniform();
        while (u <= 0) {
            u = uniform();
        }
        const double v = uniform();
        return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
    }
    int below(int n) { return (int) (uniform() * n); }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4];
};

// ---------------------------------------------------------------------------------------------
// Comparisons.

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

template <class T>
inline bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

/** Index of the first element whose bits differ, or -1. */
template <class T>
inline long long first_difference(const std::vector<T>& a, const std::vector<T>& b) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); i++) {
        if (!same_bits(a[i], b[i])) {
            return (long long) i;
        }
    }
    return a.size() == b.size() ? -1 : (long long) std::min(a.size(), b.size());
}

constexpr double U32 = 0x1.0p-24;  // float unit roundoff
constexpr double U64 = 0x1.0p-53;  // double unit roundoff

/** max(worst, e), where a NaN e (a NaN result) counts as infinitely bad. */
inline double worse(double worst, double e) { return std::isnan(e) ? INFINITY : std::max(worst, e); }

/** gamma_k = k u / (1 - k u), the bound of a k-term recursive float sum or dot product. */
inline double gamma_f(int k) { return k * U32 / (1 - k * U32); }

/** exp(-gamma max(xn + yn - 2 dot, 0)) in double from float inputs (the RBF kernel value). */
inline double rbf_reference(double gamma, double xn, double yn, double dot) {
    return std::exp(-gamma * std::max(xn + yn - 2.0 * dot, 0.0));
}

/**
 * How far a float kernel value expf(-gamma fmaxf(xn + yn - 2 dot, 0)) may be from
 * rbf_reference(gamma, xn, yn, dot): the float rounding of xn + yn - 2 dot (two roundings at
 * the scale of xn + yn + 2 |dot|) plus 2 dotError (an error of the dot product itself, when the
 * kernel computes it), times the derivative gamma k; the rounding of gamma d2 (k u gamma d2);
 * expf's few ulps, one float subnormal ulp; for binary16 storage half an ulp of the half
 * (2^-11 relative, 2^-25 absolute below 2^-14). First order, times 1.25 for second-order terms
 * and another libm's expf.
 */
inline double rbf_tolerance(double k, double gamma, double xn, double yn, double dot,
                            double dotError = 0, bool half = false) {
    const double scale = xn + yn + 2.0 * std::fabs(dot);
    const double d2 = std::max(xn + yn - 2.0 * dot, 0.0);
    double tol = k * gamma * (2.02 * U32 * scale + 2.0 * dotError) + k * 1.01 * U32 * gamma * d2 +
                 4 * U32 * k + 0x1.0p-149;
    if (half) {
        tol += std::max(k * 0x1.0p-11, 0x1.0p-25);
    }
    return 1.25 * tol;
}

// ---------------------------------------------------------------------------------------------
// Schedules: the same computation under several fiber orders and the thread engine.

struct Schedule {
    emu::Engine engine;
    emu::Order order;
    uint64_t seed;
};

inline std::vector<Schedule> other_schedules(bool withThreads) {
    std::vector<Schedule> s = {{emu::Engine::Fibers, emu::Order::Reverse, 1},
                               {emu::Engine::Fibers, emu::Order::Random, 12345},
                               {emu::Engine::Fibers, emu::Order::Delays, 777},
                               {emu::Engine::Fibers, emu::Order::Delays, 4242}};
    if (withThreads) {
        s.push_back({emu::Engine::Threads, emu::Order::Forward, 1});
    }
    return s;
}

/** Runs fn under schedule s, then restores the default (fibers, forward). */
template <class F>
inline auto with_schedule(const Schedule& s, F&& fn) {
    emu::config().engine = s.engine;
    emu::config().order = s.order;
    emu::config().seed = s.seed;
    struct Restore {
        ~Restore() {
            emu::config().engine = emu::Engine::Fibers;
            emu::config().order = emu::Order::Forward;
            emu::config().seed = 1;
        }
    } restore;
    return fn();
}

inline std::string schedule_name(const Schedule& s) {
    emu::Config c;
    c.engine = s.engine;
    c.order = s.order;
    std::string out = emu::describe(c);
    if ((s.order == emu::Order::Random || s.order == emu::Order::Delays) &&
        s.engine == emu::Engine::Fibers) {
        out += "(" + std::to_string(s.seed) + ")";
    }
    return out;
}

/**
 * fn() returns a vector of results; it must give the same bits under every other schedule as
 * under the default one.
 */
template <class F>
inline void check_schedules(const char* what, bool withThreads, F&& fn) {
    auto reference = fn();
    std::string failedOn;
    long long at = -1;
    for (const Schedule& s : other_schedules(withThreads)) {
        auto t0 = std::chrono::steady_clock::now();
        auto got = with_schedule(s, fn);
        if (std::getenv("EMU_TIMING")) {
            std::printf("     (%s: %s %.2f s)\n", what, schedule_name(s).c_str(),
                        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        long long d = first_difference(reference, got);
        if (d >= 0) {
            failedOn += (failedOn.empty() ? "" : ", ") + schedule_name(s);
            at = d;
        }
    }
    check(failedOn.empty(), "%s: bit-identical under %s%s%s", what,
          withThreads ? "reverse, random and random-delay fiber orders and std::threads"
                      : "reverse, random and random-delay fiber orders",
          failedOn.empty() ? "" : "; differs under ",
          failedOn.empty() ? "" : (failedOn + " at element " + std::to_string(at)).c_str());
}

// ---------------------------------------------------------------------------------------------
// A segmentation fault (a read past a buffer into its guard page) names the kernel.

inline void on_signal(int sig) {
    char text[256];
    int len = std::snprintf(text, sizeof text,
                            "FATAL signal %d in kernel %s (an access out of a buffer's bounds?)\n",
                            sig, emu::current_kernel());
    if (write(1, text, (size_t) len) < 0) {
        // nothing more to do
    }
    _exit(4);
}

inline void install_signal_handlers() {
    static std::vector<char> altStack(1 << 16);
    stack_t ss{};
    ss.ss_sp = altStack.data();
    ss.ss_size = altStack.size();
    sigaltstack(&ss, nullptr);
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
    sigaction(SIGFPE, &sa, nullptr);
}

}  // namespace harness
