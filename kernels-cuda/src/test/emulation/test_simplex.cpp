// simplex.cu driven as CudaCappedSimplexProjector drives it (scan, start, batches of round
// pairs with a state read after each batch, clip; the threshold kept on the device as the next
// warm start), against the sort-based breakpoint walk (SortedSimplexOracle) and, round for round,
// the host algorithm (CappedSimplexThreshold.find), both transliterated to C++ below.
#define EMU_NO_ASM_MACRO
#include <stdexcept>

#include "emu_check.h"

using harness::Buf;
using harness::check;
using harness::grid_for;

namespace {

constexpr int WIDTH = 5;
constexpr int FIRST_ROUNDS = 8;
constexpr int BISECT_EVERY = 8;
constexpr int MAX_ROUNDS = 4096;

// ---------------------------------------------------------------------------------------------
// io.synalign.kernels.SortedSimplexOracle (test sources), line for line.

struct OracleSets {
    double tau;
    long double exactTau;  // the same segment's root with the free values summed in long double
    double freeAbsSum;     // sum of |v_i| over the free set
    int free;
};

OracleSets oracle_sets(const std::vector<double>& v, double cap);

double oracle_threshold(const std::vector<double>& v, double cap) {
    return oracle_sets(v, cap).tau;
}

OracleSets oracle_sets(const std::vector<double>& v, double cap) {
    const int n = (int) v.size();
    std::vector<double> sorted(v);
    std::sort(sorted.begin(), sorted.end());
    int entered = 0;
    int capped = 0;
    double freeSum = 0;
    while (true) {
        const double nextEnter = entered < n ? sorted[n - 1 - entered] : -INFINITY;
        const double nextCap = capped < entered ? sorted[n - 1 - capped] - cap : -INFINITY;
        const double t = std::max(nextEnter, nextCap);
        const int free = entered - capped;
        const double capMass = capped == 0 ? 0 : cap * capped;
        if (free > 0 && (t == -INFINITY || freeSum - free * t + capMass >= 1)) {
            double exactFreeSum = 0;
            long double longSum = 0;
            double absSum = 0;
            for (int k = n - entered; k < n - capped; k++) {
                exactFreeSum += sorted[k];
                longSum += sorted[k];
                absSum += std::fabs(sorted[k]);
            }
            return {(exactFreeSum + capMass - 1) / free,
                    (longSum + (long double) capMass - 1) / free, absSum, free};
        }
        if (t == -INFINITY) {
            throw std::runtime_error("no threshold");
        }
        if (nextEnter >= nextCap) {
            freeSum += sorted[n - 1 - entered];
            entered++;
        } else {
            freeSum -= sorted[n - 1 - capped];
            capped++;
        }
    }
}

std::vector<double> oracle_project(const std::vector<double>& v, double cap) {
    const int n = (int) v.size();
    const double c = cap >= 1 ? INFINITY : cap;
    std::vector<double> out(n);
    if (cap * n <= 1 + 1e-12) {
        std::fill(out.begin(), out.end(), 1.0 / n);
        return out;
    }
    const double tau = oracle_threshold(v, c);
    for (int i = 0; i < n; i++) {
        out[i] = std::min(std::max(v[i] - tau, 0.0), c);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// io.synalign.kernels.host.CappedSimplexThreshold.find, line for line (Java's Math.min / max
// on finite values are std::min / max).

struct FindResult {
    double threshold;  // about origin
    double origin;
    int rounds;
    double absolute() const { return origin + threshold; }
};

bool within_a_factor_of_two(double min, double max) {
    return (min > 0 && max <= 2 * min) || (max < 0 && min >= 2 * max);
}

FindResult find(const std::vector<double>& v, double cap, double warm) {
    const int n = (int) v.size();
    double min = INFINITY;
    double max = -INFINITY;
    double sum = 0;
    for (double value : v) {
        if (!std::isfinite(value)) {
            throw std::invalid_argument("non-finite");
        }
        min = std::min(min, value);
        max = std::max(max, value);
        sum += value;
    }
    const double origin = within_a_factor_of_two(min, max) ? max : 0;
    double lo = (min - origin) - 1.0 / n;
    double hi = max - origin;
    double t = warm - origin;
    if (!(t > lo && t < hi)) {
        t = (sum - 1) / n - origin;
        if (!(t > lo && t < hi)) {
            t = lo + 0.5 * (hi - lo);
        }
    }
    for (int round = 1; round <= MAX_ROUNDS; round++) {
        int free = 0;
        int capped = 0;
        double freeSum = 0;
        for (double value : v) {
            const double shifted = value - origin;
            const double d = shifted - t;
            if (d >= cap) {
                capped++;
            } else if (d > 0) {
                free++;
                freeSum += shifted;
            }
        }
        const double capMass = capped == 0 ? 0 : cap * capped;
        double newton = NAN;
        double phi;
        if (free > 0) {
            newton = (freeSum + capMass - 1) / free;
            if (newton == t) {
                return {t, origin, round};
            }
            phi = freeSum - free * t + capMass;
        } else {
            phi = capMass;
            if (phi == 1) {
                return {t, origin, round};
            }
        }
        if (phi >= 1) {
            lo = t;
        } else {
            hi = t;
        }
        const double mid = lo + 0.5 * (hi - lo);
        if (!(mid > lo && mid < hi)) {
            return {newton >= lo && newton <= hi ? newton : lo, origin, round};
        }
        const bool newtonInside = newton > lo && newton < hi;
        t = newtonInside && round % BISECT_EVERY != 0 ? newton : mid;
    }
    throw std::runtime_error("no threshold after MAX_ROUNDS");
}

// ---------------------------------------------------------------------------------------------
// CudaCappedSimplexProjector with CudaVectorOps' scratch.

struct Projection {
    bool ok = false;
    std::string error;      // "NaN" / "Infinity" / "rounds" when not ok
    double state[8];        // the last state read
    int launchedRounds = 0;  // round pairs launched
    int readBacks = 0;
};

class Projector {
public:
    Projector(int sms, long long n, double cap)
        : sms_(sms),
          n_(n),
          cap_(cap >= 1 ? INFINITY : cap),
          singlePoint_(cap * n <= 1 + 1e-12),
          maxBlocks_(32 * std::max(1, sms)),
          partials_((size_t) WIDTH * maxBlocks_, "reduction partials"),
          state_(8, "projection state") {
        // No warm start yet: state[0] = NaN (vec_fill, launch1d over 8 values).
        LAUNCH(vec_fill, grid_for(8, harness::BLOCK, sms), 1, harness::BLOCK, 1, state_.p(), 8LL,
               (double) NAN);
    }

    double cap() const { return cap_; }
    bool singlePoint() const { return singlePoint_; }
    int blocks() const { return grid_for(n_, harness::BLOCK, sms_); }
    double deviceState(int k) const { return state_[k]; }

    Projection project(const double* in, double* out) {
        Projection p;
        if (singlePoint_) {
            LAUNCH(vec_fill, grid_for(n_, harness::BLOCK, sms_), 1, harness::BLOCK, 1, out, n_,
                   1.0 / n_);
            p.ok = true;
            return p;
        }
        const int blocks = this->blocks();
        // The warm start kept if this search fails (CudaCappedSimplexProjector.threshold()).
        const double previous = projected_ ? state_[7] + state_[0] : NAN;
        projected_ = false;
        LAUNCH(simplex_scan_partial, blocks, 1, harness::BLOCK, 1, in, n_, partials_.p());
        LAUNCH(simplex_start, 1, 1, harness::BLOCK, 1, partials_.p(), blocks, n_, state_.p());
        int launched = 0;
        int batch = nextRounds_;
        while (true) {
            for (int r = 0; r < batch; r++) {
                LAUNCH(simplex_round_partial, blocks, 1, harness::BLOCK, 1, in, n_, cap_,
                       state_.p(), partials_.p());
                LAUNCH(simplex_round_update, 1, 1, harness::BLOCK, 1, partials_.p(), blocks, cap_,
                       state_.p());
            }
            launched += batch;
            std::memcpy(p.state, state_.p(), sizeof p.state);
            p.readBacks++;
            p.launchedRounds = launched;
            if (p.state[5] > 0 || p.state[6] > 0) {
                p.error = p.state[5] > 0 ? "NaN" : "Infinity";
                restore(previous);
                return p;
            }
            if (p.state[3] != 0) {
                break;
            }
            if (launched >= MAX_ROUNDS) {
                p.error = "rounds";
                restore(previous);
                return p;
            }
            batch = FIRST_ROUNDS;
        }
        LAUNCH(simplex_clip, grid_for(n_, harness::BLOCK, sms_), 1, harness::BLOCK, 1, in, n_,
               cap_, state_.p(), out);
        nextRounds_ = std::max(2, std::min(FIRST_ROUNDS, (int) p.state[4] + 1));
        projected_ = true;
        p.ok = true;
        return p;
    }

    // The Java projector's recovery: state[0] = the last good threshold about 0, state[7] = 0.
    void restore(double previous) {
        LAUNCH(vec_fill, 1, 1, harness::BLOCK, 1, state_.p(), 1LL, previous);
        LAUNCH(vec_fill, 1, 1, harness::BLOCK, 1, state_.p() + 7, 1LL, 0.0);
    }

private:
    int sms_;
    long long n_;
    double cap_;
    bool singlePoint_;
    int maxBlocks_;
    Buf<double> partials_;
    Buf<double> state_;
    int nextRounds_ = FIRST_ROUNDS;
    bool projected_ = false;
};

// ---------------------------------------------------------------------------------------------
// Inputs: VectorOpsContractTest.regime and perturbed.

std::vector<double> regime(int n, harness::Rng& rng, int kind) {
    std::vector<double> v(n);
    for (int i = 0; i < n; i++) {
        switch (kind % 5) {
            case 0:
                v[i] = rng.gaussian();
                break;
            case 1:
                v[i] = 1.0 / n + 1e-3 * rng.gaussian() / n;
                break;
            case 2:
                v[i] = 1e4 + 50 * std::floor(4 * rng.uniform());
                break;
            case 3:
                v[i] = std::pow(rng.uniform() + 1e-300, -2) - 3 + 0.1 * rng.gaussian();
                break;
            default:
                v[i] = i % 3 == 0 ? 5 + rng.uniform() : -rng.uniform();
        }
    }
    return v;
}

std::vector<double> perturbed(const std::vector<double>& v, harness::Rng& rng, int trial) {
    std::vector<double> out(v);
    double spread = 0;
    for (double value : v) {
        spread = std::max(spread, std::fabs(value));
    }
    for (double& x : out) {
        x += 1e-3 * spread * rng.gaussian() / (1 + trial);
    }
    return out;
}

harness::Tallies tallies;

void projections(int sms, int n, const char* capName, double capArg, int trials) {
    Projector projector(sms, n, capArg);
    const double cap = projector.cap();
    harness::Rng rng(97ULL * n + (uint64_t) (capArg * 1000) + sms);
    Buf<double> v(n, "v");
    Buf<double> out(n, "out");
    std::vector<double> values;
    double warm = NAN;  // the host algorithm's warm start: the previous threshold
    char shape[128];
    std::snprintf(shape, sizeof shape, "n=%d cap=%s SMs=%d grid=%d", n, capName, sms,
                  projector.blocks());
    for (int trial = 0; trial < trials; trial++) {
        values = trial < 5 ? regime(n, rng, trial) : perturbed(values, rng, trial);
        v.put(values);
        out.poison();
        const Projection p = projector.project(v.p(), out.p());
        char where[192];
        std::snprintf(where, sizeof where, "%s trial %d", shape, trial);
        if (!tallies("simplex: every projection completes (no NaN/Infinity report, < 4096 "
                     "rounds)").add(p.ok, std::string(where) + ": " + p.error)) {
            continue;
        }
        const std::vector<double> got = out.get();
        const std::vector<double> want = oracle_project(values, capArg);
        double scale = 1;
        for (double x : values) {
            scale = std::max(scale, std::fabs(x));
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            worst = harness::worse(worst, std::fabs(got[i] - want[i]) / scale);
        }
        harness::Tally& t = tallies(
                "simplex: projection within 1e-15 max(1, max|v|) of the sort-based walk (n <= 4099, "
                "as VectorOpsContractTest), caps none / 1.01/n / 10/n, cold then warm starts "
                "(error / max(1, max|v|))");
        t.measure(worst);
        if (n <= 4099) {
            t.add(worst <= 1e-15, std::string(where) + ": error " +
                                          std::to_string(worst / 1e-15) + "e-15");
        } else {
            harness::Tally& big = tallies(
                    "simplex: (info) n=70001, |projection - sort-based walk| / max(1, max|v|): "
                    "1e-15 is the n <= 4099 contract; the rounding-bound check covers n=70001");
            big.measure(worst);
            big.add(true, "");
        }
        double sum = 0;
        bool inBox = true;
        double largest = 0;
        for (int i = 0; i < n; i++) {
            inBox &= got[i] >= 0 && got[i] <= std::max(cap, 1.0 / n) * (1 + 1e-15);
            sum += got[i];
            largest = std::max(largest, std::fabs(values[i]));
        }
        if (!projector.singlePoint()) {
            // Against the projection at the exactly summed root of the oracle's segment: within
            // the rounding of the device's sum, (depth u sum_free |v| + the final add, subtract
            // and divide) / |F|, depth = values per thread + 2 x 10 shuffle levels + the blocks
            // per thread of the one-block total, plus the rounding of v_i - tau. (The projection,
            // not tau: on a flat piece of phi, c |U| = 1, the threshold is not unique.)
            const OracleSets sets = oracle_sets(values, cap);
            const int blocks = projector.blocks();
            const long long perThread =
                    (n + (long long) blocks * 256 - 1) / ((long long) blocks * 256);
            const double depth = (double) perThread + 20 + (blocks + 255) / 256 + 2;
            double largestOut = 0;
            for (int i = 0; i < n; i++) {
                largestOut = std::max(largestOut, std::fabs(got[i]));
            }
            const double bound =
                    (depth * harness::U64 * sets.freeAbsSum +
                     2 * harness::U64 * std::fabs((double) (sets.exactTau * sets.free) + 1)) /
                            sets.free +
                    4 * harness::U64 * std::fabs((double) sets.exactTau) +
                    2 * harness::U64 * largestOut;
            double error = 0;
            for (int i = 0; i < n; i++) {
                long double e = (long double) values[i] - sets.exactTau;
                e = std::min(std::max(e, (long double) 0), (long double) cap);
                error = std::max(error, (double) std::fabs((long double) got[i] - e));
            }
            harness::Tally& tb = tallies(
                    "simplex: projection within the device sum's rounding bound of the projection "
                    "at the exactly summed threshold, every n (error / bound)");
            tb.measure(error / bound);
            tb.add(error <= bound, std::string(where) + ": error " + std::to_string(error) +
                                           ", bound " + std::to_string(bound));
        }
        tallies("simplex: 0 <= w_i <= max(cap, 1/n) and sum w = 1 within 1e-14 + 4e-16 n "
                "(1 + max|v|)")
                .add(inBox && std::fabs(sum - 1) <= 1e-14 + 4e-16 * n * (1 + largest),
                     std::string(where) + ": sum - 1 = " + std::to_string(sum - 1));
        if (projector.singlePoint()) {
            continue;
        }
        // simplex_clip against its expression, with the device's threshold and origin.
        const double tau = p.state[0];
        const double origin = p.state[7];
        bool clipExact = true;
        for (int i = 0; i < n; i++) {
            clipExact &= harness::same_bits(
                    got[i], std::fmin(std::fmax((v[i] - origin) - tau, 0.0), cap));
        }
        tallies("simplex: simplex_clip equals min(max((v - origin) - tau, 0), cap) bit for bit")
                .add(clipExact, where);
        // Round for round against the host algorithm from the same warm start.
        const FindResult host = find(values, cap, warm);
        // About 0 the first point and the rounds' sums agree in both (each side's scan and rounds
        // add in the same order), so the rounds are equal. About max v the all-free first point
        // is (sum v - 1) / n - max v while the rounds sum v_i - max v: whether the two meet in
        // the first round depends on how each side's order rounds, so one round either way.
        const int roundGap = std::abs(host.rounds - (int) p.state[4]);
        const bool sameRounds = origin == 0 ? roundGap == 0 : roundGap <= 1;
        if (roundGap != 0 && origin != 0) {
            tallies("simplex: (info) about max v, rounds one apart from the host's").add(true, "");
        }
        const bool sameThreshold = harness::same_bits(host.threshold, tau);
        tallies("simplex: origin (state[7]) equals CappedSimplexThreshold.find's bit for bit "
                "(max v when every value is within a factor of two of it, else 0)")
                .add(harness::same_bits(host.origin, origin),
                     std::string(where) + ": device " + std::to_string(origin) + ", host " +
                             std::to_string(host.origin));
        tallies("simplex: rounds (state[4]) equal CappedSimplexThreshold.find's from the same "
                "warm start (within one when the origin is max v)")
                .add(sameRounds, std::string(where) + ": device " +
                                         std::to_string((int) p.state[4]) + ", host " +
                                         std::to_string(host.rounds));
        harness::Tally& th = tallies(
                "simplex: threshold within 1e-15 max(1, max|v|) of CappedSimplexThreshold.find's "
                "(|difference| / scale; bit-identical unless the free sums' order matters)");
        th.measure(std::fabs(host.threshold - tau) / scale);
        th.add(std::fabs(host.threshold - tau) <= 1e-15 * scale,
               std::string(where) + ": device " + std::to_string(tau) + ", host " +
                       std::to_string(host.threshold));
        if (!sameThreshold) {
            tallies("simplex: (info) thresholds not bit-identical to the host algorithm's")
                    .add(true, "");
        }
        tallies("simplex: the state read back says done, with no NaN or infinity")
                .add(p.state[3] == 1.0 && p.state[5] == 0.0 && p.state[6] == 0.0, where);
        warm = origin + tau;
    }
}

/** NaN and infinite inputs: counted in state[5] and state[6], no round runs, then recovery. */
void bad_inputs(int sms, int n) {
    Projector projector(sms, n, 10.0 / n);
    harness::Rng rng(n + 5);
    std::vector<double> values = regime(n, rng, 0);
    Buf<double> v(n, "v");
    Buf<double> out(n, "out");
    char shape[96];
    std::snprintf(shape, sizeof shape, "n=%d SMs=%d", n, sms);
    for (auto [nans, infinities] : {std::pair{1, 0}, std::pair{0, 1}, std::pair{3, 2}}) {
        std::vector<double> bad(values);
        int placedNan = 0;
        int placedInf = 0;
        for (int k = 0; k < nans + infinities && k < n; k++) {
            const int at = (int) (((long long) k * 7919 + n / 2) % n);
            if (std::isnan(bad[at]) || std::isinf(bad[at])) {
                continue;
            }
            if (placedNan < nans) {
                bad[at] = NAN;
                placedNan++;
            } else {
                bad[at] = k % 2 ? -INFINITY : INFINITY;
                placedInf++;
            }
        }
        v.put(bad);
        const Projection p = projector.project(v.p(), out.p());
        const bool ok = !p.ok && p.state[5] == placedNan && p.state[6] == placedInf &&
                        p.state[3] == 1.0 && p.state[4] == 0.0 && p.readBacks == 1;
        tallies("simplex: NaN / infinite inputs counted exactly in state[5] / state[6], done at "
                "once (no round runs), reported after the first batch")
                .add(ok, std::string(shape) + ": " + std::to_string(placedNan) + " NaN, " +
                                 std::to_string(placedInf) + " inf -> state " +
                                 std::to_string(p.state[5]) + ", " + std::to_string(p.state[6]) +
                                 ", done " + std::to_string(p.state[3]) + ", rounds " +
                                 std::to_string(p.state[4]));
    }
    // The next (valid) projection works, whatever the bad one left in state[0].
    v.put(values);
    const Projection p = projector.project(v.p(), out.p());
    const std::vector<double> want = oracle_project(values, 10.0 / n);
    double worst = 0;
    double scale = 1;
    for (int i = 0; i < n; i++) {
        scale = std::max(scale, std::fabs(values[i]));
    }
    for (int i = 0; i < n; i++) {
        worst = harness::worse(worst, std::fabs(out[i] - want[i]) / scale);
    }
    tallies("simplex: a valid projection after a rejected one matches the oracle")
            .add(p.ok && worst <= 1e-15, shape);
}

}  // namespace

void test_simplex() {
    const int sizes[] = {1, 7, 257, 1000, 4099, 70001};
    for (int sms : {2, 132}) {
        for (int n : sizes) {
            // 70001 values on 274 blocks (132 SMs) is the slow case: two trials per cap.
            const int trials = n < 10000 ? 15 : sms < 10 ? 7 : 2;
            projections(sms, n, "none", INFINITY, trials);
            projections(sms, n, "1.01/n", std::min(1.0, 1.01 / n), trials);
            projections(sms, n, "10/n", std::min(1.0, 10.0 / n), trials);
        }
        for (int n : {7, 1000, 70001}) {
            if (n < 10000 || sms < 10) {
                bad_inputs(sms, n);
            }
        }
    }
    tallies.report();
    // VectorOpsContractTest.warmStartedProjectionsOfNearbyPointsTakeFewRounds.
    {
        const int n = 5003;
        const double cap = 10.0 / n;
        harness::Rng rng(3);
        std::vector<double> values = regime(n, rng, 1);
        Projector projector(2, n, cap);
        Buf<double> v(values, "v");
        Buf<double> out(n, "out");
        Projection first = projector.project(v.p(), out.p());
        const double oracle = oracle_threshold(values, cap);
        for (double& x : values) {
            x += 1e-6 / n * rng.gaussian();
        }
        v.put(values);
        Projection second = projector.project(v.p(), out.p());
        // nextRounds = max(2, min(8, rounds + 1)) round pairs are launched before the read.
        const int batch = std::max(2, std::min(FIRST_ROUNDS, (int) first.state[4] + 1));
        check(first.ok && std::fabs(first.state[7] + first.state[0] - oracle) <= 1e-15 &&
                      second.ok &&
                      second.state[4] <= 3 && second.launchedRounds == batch &&
                      second.readBacks == 1,
              "simplex: n=5003 cap=10/n: threshold within 1e-15 of the oracle (%.3g), then a "
              "nearby point takes %d rounds (<= 3) from the warm start, in one batch of %d "
              "launched (first projection: %d rounds)",
              std::fabs(first.state[7] + first.state[0] - oracle), (int) second.state[4],
              second.launchedRounds,
              (int) first.state[4]);
    }
    // In place (out aliasing v), as projectsInPlaceAndTheSinglePointSet.
    {
        harness::Rng rng(5);
        std::vector<double> values = regime(50, rng, 0);
        Buf<double> v(values, "v");
        Buf<double> out(50, "out");
        Projector projector(2, 50, 0.05);
        projector.project(v.p(), out.p());
        Projector again(2, 50, 0.05);
        again.project(v.p(), v.p());
        check(harness::same_bits(out.get(), v.get()),
              "simplex: projecting in place (out = v) gives the same bits");
        Projector single(2, 50, 0.02);  // cap n = 1: the single point 1/n
        Projection p = single.project(v.p(), out.p());
        bool uniform = p.ok;
        for (int i = 0; i < 50; i++) {
            uniform &= out[i] == 1.0 / 50;
        }
        check(uniform, "simplex: cap n = 1 fills 1/n (vec_fill)");
    }
    // Values sharing a large offset, as HostVectorOpsTest.projectionOfValuesSharingALargeOffset:
    // the offset plus a few of its ulps. Every value is within a factor of two of the largest, so
    // the search runs about it, and the projection is the oracle's on the exact differences
    // (about 0, 1e16 x 3 projected to 0, and 1e16 plus 0, 2 or 4 to weights summing to 682).
    {
        struct Case {
            double offset;
            int n;
            double ratio;
        };
        for (const Case c : {Case{1e16, 3, 1}, Case{1e13, 17, 1}, Case{1e16, 1025, 1},
                             Case{-2.9e47, 1025, 1}, Case{1e16, 1025, 3}, Case{1e8, 1025, 10},
                             Case{-1e300, 64, 64}, Case{1e6, 1025, 1}}) {
            const int n = c.n;
            const double cap = std::min(1.0, c.ratio / n);
            const double ulp = std::nextafter(std::fabs(c.offset), INFINITY) - std::fabs(c.offset);
            harness::Rng rng(n);
            std::vector<double> values(n);
            std::vector<int> k(n);
            int top = 0;
            for (int i = 0; i < n; i++) {
                k[i] = n == 1025 && c.offset != 1e6 ? i % 3 : (int) (7 * rng.uniform()) % 7;
                values[i] = c.offset + k[i] * ulp;
                top = std::max(top, k[i]);
            }
            std::vector<double> shifted(n);
            bool exact = true;
            for (int i = 0; i < n; i++) {
                shifted[i] = (k[i] - top) * ulp;
                exact &= shifted[i] == values[i] - (c.offset + top * ulp);
            }
            const std::vector<double> want = oracle_project(shifted, cap);
            Projector projector(2, n, cap);
            Buf<double> v(values, "v");
            Buf<double> out(n, "out");
            const Projection p = projector.project(v.p(), out.p());
            const std::vector<double> got = out.get();
            double worst = 0;
            double sum = 0;
            bool inBox = true;
            for (int i = 0; i < n; i++) {
                worst = harness::worse(worst, std::fabs(got[i] - want[i]));
                inBox &= got[i] >= 0 && got[i] <= std::max(projector.cap(), 1.0 / n) * (1 + 1e-15);
                sum += got[i];
            }
            const FindResult host = find(values, projector.cap(), NAN);
            const Projection again = projector.project(v.p(), out.p());
            const std::vector<double> warmGot = out.get();
            double warmWorst = 0;
            for (int i = 0; i < n; i++) {
                warmWorst = harness::worse(warmWorst, std::fabs(warmGot[i] - got[i]));
            }
            check(exact && p.ok && again.ok && worst <= 1e-15 && inBox &&
                          std::fabs(sum - 1) <= 1e-13 && warmWorst <= 1e-15 &&
                          (projector.singlePoint() ||
                           (harness::same_bits(p.state[7], values[0] - k[0] * ulp + top * ulp) &&
                            harness::same_bits(host.origin, p.state[7]) &&
                            harness::same_bits(host.threshold, p.state[0]) &&
                            host.rounds == (int) p.state[4])),
                  "simplex: offset %g, n=%d, cap=%g/n: the projection of the exact differences "
                  "(error %.3g, sum - 1 = %.3g, warm again %.3g), origin = max v, threshold and "
                  "rounds (%d) the host's",
                  c.offset, n, c.ratio, worst, sum - 1, warmWorst, (int) p.state[4]);
        }
    }
    // Same bits under every schedule (threads on a small grid).
    for (int n : {257, 4099}) {
        auto run = [n] {
            harness::Rng rng(n * 3 + 1);
            // Heavy tails (many rounds) on fibers; near-uniform (few rounds) on std::threads.
            std::vector<double> values = regime(n, rng, n <= 257 ? 1 : 3);
            Projector projector(2, n, 10.0 / n);
            Buf<double> v(values, "v");
            Buf<double> out(n, "out");
            Projection p = projector.project(v.p(), out.p());
            std::vector<double> result = out.get();
            result.insert(result.end(), p.state, p.state + 8);
            return result;
        };
        harness::check_schedules(("simplex: projection n=" + std::to_string(n) + " SMs=2").c_str(),
                                 n <= 257, run);
    }
}
