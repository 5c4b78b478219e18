// vector.cu driven as CudaVectorOps drives it: element-wise passes on grid-stride launches of
// DeviceTiles.gridFor(n, 256, SMs) blocks (bit for bit against the plain C++ expression, the
// host backends' Java loops), reductions as block partials plus one vec_finish block (within
// 1e-13 of the sum of |terms|, repeatable bit for bit).
#define EMU_NO_ASM_MACRO
#include "emu_check.h"

using harness::Buf;
using harness::check;
using harness::grid_for;

namespace {

constexpr int WIDTH = 5;

/** CudaVectorOps: its scratch partials (WIDTH x the most blocks) and results. */
struct Ops {
    int sms;
    int maxBlocks;
    Buf<double> partials;
    Buf<double> results;

    explicit Ops(int multiprocessors)
        : sms(multiprocessors),
          maxBlocks(32 * std::max(1, multiprocessors)),
          partials((size_t) WIDTH * maxBlocks, "reduction partials"),
          results(8, "reduction results") {}

    int blocks(long long n) const { return grid_for(n, harness::BLOCK, sms); }

    void launch1d_fill(double* v, long long n, double value) {
        LAUNCH(vec_fill, blocks(n), 1, harness::BLOCK, 1, v, n, value);
    }

    std::vector<double> finish(int blocks, int width) {
        LAUNCH(vec_finish, 1, 1, harness::BLOCK, 1, partials.p(), blocks, width, results.p());
        return results.get(width);
    }

    std::vector<double> stepStatistics(const double* next, const double* y, const double* hnext,
                                       const double* hy, const double* h, long long n) {
        const int b = blocks(n);
        LAUNCH(vec_step_stats_partial, b, 1, harness::BLOCK, 1, next, y, hnext, hy, h, n,
               partials.p());
        return finish(b, WIDTH);
    }

    double reduce(const double* a, const double* bvec, long long n, int mode) {
        const int b = blocks(n);
        LAUNCH(vec_reduce_partial, b, 1, harness::BLOCK, 1, a, bvec, n, mode, partials.p());
        return finish(b, 1)[0];
    }
};

/** Values of mixed signs and magnitudes (1e-3 .. 1e3), with some zeros and exact ties. */
std::vector<double> values(size_t n, harness::Rng& rng) {
    std::vector<double> v(n);
    for (size_t i = 0; i < n; i++) {
        const int kind = rng.below(10);
        if (kind == 0) {
            v[i] = 0.0;
        } else if (kind == 1) {
            v[i] = 0.25 * (double) rng.below(9) - 1.0;
        } else {
            v[i] = rng.gaussian() * std::pow(10.0, 6 * rng.uniform() - 3);
        }
    }
    return v;
}

/** Within tol * sum |terms| of the long-double sum of the terms. */
bool close_to(double got, long double exact, long double absSum, double tol, double* error) {
    const long double e = std::fabs((long double) got - exact);
    *error = absSum > 0 ? (double) (e / absSum) : (double) e;
    return e <= tol * absSum || (absSum == 0 && got == 0);
}

harness::Tallies tallies;

void elementwise(int sms, long long n) {
    harness::Rng rng(1000003ULL * n + sms);
    const auto xv = values(n, rng);
    const auto pv = values(n, rng);
    const auto yv = values(n, rng);
    const auto hv = values(n, rng);
    const auto hyv = values(n, rng);
    Ops ops(sms);
    const int grid = ops.blocks(n);
    char shape[96];
    std::snprintf(shape, sizeof shape, "n=%lld SMs=%d grid=%d", n, sms, grid);

    auto exact = [&](const char* what, const std::vector<double>& got,
                     const std::vector<double>& want) {
        const long long d = harness::first_difference(got, want);
        char detail[256] = "";
        if (d >= 0) {
            std::snprintf(detail, sizeof detail, "%s: element %lld got %.17g, want %.17g", shape,
                          d, got[d], want[d]);
        }
        tallies(std::string("vector: ") + what +
                " equals the C++ expression bit for bit, n in {1, 7, 257, 1000, 4099, 70001}, "
                "SMs in {2, 132}")
                .add(d < 0, detail);
    };

    {
        Buf<double> v(n, "v");
        ops.launch1d_fill(v.p(), n, -0.3);
        exact("vec_fill", v.get(), std::vector<double>(n, -0.3));
    }
    {
        const double beta = 0.7310585786300049;
        std::vector<double> want(n);
        for (long long i = 0; i < n; i++) {
            want[i] = xv[i] + beta * (xv[i] - pv[i]);
        }
        Buf<double> x(xv, "x");
        Buf<double> prev(pv, "previous");
        Buf<double> out(n, "out");
        LAUNCH(vec_extrapolate, grid, 1, harness::BLOCK, 1, x.p(), prev.p(), beta, n, out.p());
        exact("vec_extrapolate", out.get(), want);
        // out aliasing previous, as the optimiser calls it.
        LAUNCH(vec_extrapolate, grid, 1, harness::BLOCK, 1, x.p(), prev.p(), beta, n, prev.p());
        exact("vec_extrapolate (out = previous)", prev.get(), want);
    }
    {
        const double inverseStep = 1.0 / 3.7;
        std::vector<double> want(n);
        for (long long i = 0; i < n; i++) {
            const double gradient = 2.0 * (hyv[i] - hv[i]);
            want[i] = yv[i] - gradient * inverseStep;
        }
        Buf<double> y(yv, "y");
        Buf<double> hy(hyv, "hy");
        Buf<double> h(hv, "h");
        Buf<double> out(n, "out");
        LAUNCH(vec_gradient_step, grid, 1, harness::BLOCK, 1, y.p(), hy.p(), h.p(), inverseStep,
               n, out.p());
        exact("vec_gradient_step", out.get(), want);
    }
    {
        Buf<double> v(xv, "v");
        std::vector<double> want(n);
        for (long long i = 0; i < n; i++) {
            want[i] = xv[i] + (-1.0 / 7);
        }
        LAUNCH(vec_add_scalar, grid, 1, harness::BLOCK, 1, v.p(), n, -1.0 / 7);
        exact("vec_add_scalar", v.get(), want);
        for (long long i = 0; i < n; i++) {
            want[i] = want[i] * 1.1;
        }
        LAUNCH(vec_scale, grid, 1, harness::BLOCK, 1, v.p(), n, 1.1);
        exact("vec_scale", v.get(), want);
    }
    {
        const double alpha = 0.3;
        const double beta = -1.0 / 3;
        std::vector<double> want(n);
        for (long long i = 0; i < n; i++) {
            want[i] = alpha * xv[i] + beta * yv[i];
        }
        Buf<double> x(xv, "x");
        Buf<double> y(yv, "y");
        Buf<double> out(n, "out");
        LAUNCH(vec_combine, grid, 1, harness::BLOCK, 1, alpha, x.p(), beta, y.p(), n, out.p());
        exact("vec_combine", out.get(), want);
        LAUNCH(vec_combine, grid, 1, harness::BLOCK, 1, alpha, x.p(), beta, y.p(), n, x.p());
        exact("vec_combine (out = x)", x.get(), want);
        x.put(xv);
        LAUNCH(vec_combine, grid, 1, harness::BLOCK, 1, alpha, x.p(), beta, y.p(), n, y.p());
        exact("vec_combine (out = y)", y.get(), want);
    }
    {
        std::vector<double> v = xv;
        // Ends of the float range, ties and NaN.
        const double specials[] = {1e300, -1e300, 1e-300, 3.4028235677973366e38,
                                   3.4028235677973362e38, 1.0000000596046448, NAN, 1.401298464324817e-45,
                                   7.006492321624085e-46};
        for (size_t k = 0; k < sizeof specials / sizeof specials[0] && k < (size_t) n; k++) {
            v[(k * 7919) % n] = specials[k];
        }
        Buf<double> in(v, "v");
        Buf<float> out(n, "out");
        LAUNCH(vec_to_float, grid, 1, harness::BLOCK, 1, in.p(), n, out.p());
        std::vector<float> want(n);
        for (long long i = 0; i < n; i++) {
            want[i] = (float) v[i];
        }
        const long long d = harness::first_difference(out.get(), want);
        tallies("vector: vec_to_float equals (float) v bit for bit (incl. overflow, float "
                "subnormals, NaN), every n and SMs")
                .add(d < 0, std::string(shape) + ": element " + std::to_string(d));
    }
}

void reductions(int sms, long long n) {
    harness::Rng rng(7000003ULL * n + sms);
    const auto next = values(n, rng);
    const auto y = values(n, rng);
    const auto hnext = values(n, rng);
    const auto hy = values(n, rng);
    const auto h = values(n, rng);
    Ops ops(sms);
    Buf<double> bn(next, "next");
    Buf<double> by(y, "y");
    Buf<double> bhn(hnext, "hnext");
    Buf<double> bhy(hy, "hy");
    Buf<double> bh(h, "h");
    char shape[96];
    std::snprintf(shape, sizeof shape, "n=%lld SMs=%d grid=%d", n, sms, ops.blocks(n));
    const double tol = 1e-13;

    // Step statistics.
    long double exact[5] = {0, 0, 0, 0, 0};
    long double abs[5] = {0, 0, 0, 0, 0};
    for (long long i = 0; i < n; i++) {
        const long double d = (long double) next[i] - y[i];
        const long double t[5] = {d * d, d * ((long double) hnext[i] - hy[i]),
                                  std::fabs(d) * (std::fabs((long double) hnext[i]) +
                                                  std::fabs((long double) hy[i])),
                                  (long double) next[i] * hnext[i], (long double) h[i] * next[i]};
        for (int k = 0; k < 5; k++) {
            exact[k] += t[k];
            abs[k] += std::fabs(t[k]);
        }
    }
    const auto stats = ops.stepStatistics(bn.p(), by.p(), bhn.p(), bhy.p(), bh.p(), n);
    {
        harness::Tally& t = tallies(
                "vector: vec_step_stats_partial + vec_finish: the 5 sums within 1e-13 of "
                "sum |terms| (relative error to sum |terms|)");
        for (int k = 0; k < 5; k++) {
            double e;
            const bool ok = close_to(stats[k], exact[k], abs[k], tol, &e);
            t.measure(e);
            t.add(ok, std::string(shape) + " sum " + std::to_string(k));
        }
        const auto again = ops.stepStatistics(bn.p(), by.p(), bhn.p(), bhy.p(), bh.p(), n);
        tallies("vector: step statistics repeat bit for bit")
                .add(harness::same_bits(stats, again), shape);
    }

    // dot, sum, distance squared.
    const char* names[3] = {"dot (mode 0)", "sum (mode 1)", "distanceSquared (mode 2)"};
    for (int mode = 0; mode < 3; mode++) {
        long double e = 0;
        long double a = 0;
        for (long long i = 0; i < n; i++) {
            long double t;
            if (mode == 0) {
                t = (long double) next[i] * y[i];
            } else if (mode == 1) {
                t = next[i];
            } else {
                const long double r = (long double) next[i] - y[i];
                t = r * r;
            }
            e += t;
            a += std::fabs(t);
        }
        const double got = ops.reduce(bn.p(), mode == 1 ? nullptr : by.p(), n, mode);
        double err;
        const bool ok = close_to(got, e, a, tol, &err);
        harness::Tally& t = tallies(std::string("vector: vec_reduce_partial ") + names[mode] +
                                    " + vec_finish within 1e-13 of sum |terms|");
        t.measure(err);
        t.add(ok, shape);
        const double again = ops.reduce(bn.p(), mode == 1 ? nullptr : by.p(), n, mode);
        tallies(std::string("vector: ") + names[mode] + " repeats bit for bit")
                .add(harness::same_bits(got, again), shape);
    }
}

/** vec_finish alone on many blocks: integer partials, so every order is exact. */
void finish_alone(int blocks) {
    const int sms = (blocks + 31) / 32;
    Ops ops(std::max(1, sms));
    std::vector<double> p((size_t) WIDTH * ops.maxBlocks, NAN);
    long double want[WIDTH] = {0, 0, 0, 0, 0};
    harness::Rng rng(blocks);
    for (int b = 0; b < blocks; b++) {
        for (int k = 0; k < WIDTH; k++) {
            const double v = (double) ((long long) (rng.next() >> 40) - (1LL << 23));
            p[(size_t) b * WIDTH + k] = v;
            want[k] += v;
        }
    }
    ops.partials.put(p);
    bool ok = true;
    for (int width : {1, 3, 5}) {
        std::vector<double> q(p);
        // Width w reads partials[b * w + k]: lay the first w columns out that way.
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < width; k++) {
                q[(size_t) b * width + k] = p[(size_t) b * WIDTH + k];
            }
        }
        ops.partials.put(q);
        const auto got = ops.finish(blocks, width);
        for (int k = 0; k < width; k++) {
            ok &= got[k] == (double) want[k];
        }
    }
    check(ok, "vector: vec_finish of %d block partials, widths 1, 3, 5: exact", blocks);
}

}  // namespace

void test_vector() {
    const long long lengths[] = {1, 7, 257, 1000, 4099, 70001};
    for (int sms : {2, 132}) {
        for (long long n : lengths) {
            elementwise(sms, n);
            reductions(sms, n);
        }
    }
    tallies.report();
    for (int blocks : {1, 255, 256, 257, 4224}) {
        finish_alone(blocks);
    }
    // Races: the reductions give the same bits under every schedule (threads on small grids).
    for (long long n : {1000LL, 4099LL, 70001LL}) {
        auto run = [n] {
            harness::Rng rng(n);
            const auto a = values(n, rng);
            const auto b = values(n, rng);
            Ops ops(2);
            Buf<double> ba(a, "a");
            Buf<double> bb(b, "b");
            std::vector<double> out = ops.stepStatistics(ba.p(), bb.p(), ba.p(), bb.p(), ba.p(), n);
            for (int mode = 0; mode < 3; mode++) {
                out.push_back(ops.reduce(ba.p(), bb.p(), n, mode));
            }
            return out;
        };
        harness::check_schedules(("vector: reductions n=" + std::to_string(n) + " SMs=2").c_str(),
                                 n <= 1000, run);
    }
}
