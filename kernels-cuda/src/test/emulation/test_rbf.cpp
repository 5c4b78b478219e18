// rbf.cu, rff.cu, gp.cu and argmax.cu driven as CudaKernelOperator, CudaBackend,
// CudaFeatureOperator and CudaGpVarianceTracker drive them, against double references; the
// self-kernel diagonal (the `diagonal` argument: the tile's first row when X and Y are one row
// set, else -1) is checked to be exactly 1.
#define EMU_NO_ASM_MACRO
#include "emu_check.h"

using harness::Buf;
using harness::check;
using harness::grid_for;

namespace {

constexpr int FUSED_TILE = 64;

struct Rows {
    int n;
    int d;
    std::vector<float> x;
    std::vector<float> norms;

    const float* row(int i) const { return &x[(size_t) i * d]; }
};

Rows make_rows(int n, int d, uint64_t seed, double spread = 1.0) {
    Rows r{n, d, std::vector<float>((size_t) n * d), std::vector<float>(n)};
    harness::Rng rng(seed);
    for (int i = 0; i < n; i++) {
        const double scale = rng.below(10) == 0 ? 3.0 * spread : spread;
        for (int k = 0; k < d; k++) {
            r.x[(size_t) i * d + k] = (float) (scale * rng.gaussian());
        }
        double s = 0;
        for (int k = 0; k < d; k++) {
            s += (double) r.x[(size_t) i * d + k] * r.x[(size_t) i * d + k];
        }
        r.norms[i] = (float) s;
    }
    return r;
}

double dot_exact(const Rows& a, int i, const Rows& b, int j) {
    double s = 0;
    for (int k = 0; k < a.d; k++) {
        s += (double) a.row(i)[k] * b.row(j)[k];
    }
    return s;
}

double dot_abs(const Rows& a, int i, const Rows& b, int j) {
    double s = 0;
    for (int k = 0; k < a.d; k++) {
        s += std::fabs((double) a.row(i)[k] * b.row(j)[k]);
    }
    return s;
}

// ||x_i - y_j||^2 by the difference form in double: the rows' own distance.
double rows_distance2(const Rows& x, int i, const Rows& y, int j) {
    double s = 0;
    for (int k = 0; k < x.d; k++) {
        const double v = (double) x.row(i)[k] - y.row(j)[k];
        s += v * v;
    }
    return s;
}

// exp(-gamma ||x_i - y_j||^2) in double for every pair, row-major: the rows' double kernel.
std::vector<double> rows_kernel(const Rows& x, const Rows& y, float gamma) {
    std::vector<double> k((size_t) x.n * y.n);
    for (int i = 0; i < x.n; i++) {
        for (int j = 0; j < y.n; j++) {
            k[(size_t) i * y.n + j] = std::exp(-(double) gamma * rows_distance2(x, i, y, j));
        }
    }
    return k;
}

/**
 * The GEMM's dots of rows [start, start + count) of X against all rows of Y, row-major
 * (rounded once). On the self diagonal the dot is nudged off ||x||^2 (as float32 GEMMs do), so
 * the GEMM form of d2 is not 0 there and only the `diagonal` argument makes k exactly 1.
 */
std::vector<float> gemm_dots(const Rows& x, int start, int count, const Rows& y, bool self) {
    std::vector<float> dots((size_t) count * y.n);
    for (int i = 0; i < count; i++) {
        for (int j = 0; j < y.n; j++) {
            dots[(size_t) i * y.n + j] = (float) dot_exact(x, start + i, y, j);
        }
        if (self) {
            const float nx = x.norms[start + i];
            dots[(size_t) i * y.n + start + i] = nx * (1 - 0x1.0p-20f);
        }
    }
    return dots;
}

harness::Tallies tallies;

// The far-pair repair of rbf.cu, evaluated as the kernels evaluate it (same float expressions):
// the d2 the kernels use for a kernel value at gamma, and for a plain squared distance.
float exact_d2(const float* xr, const float* yr, int dim) {
    double s = 0.0;
    for (int k = 0; k < dim; k++) {
        const double v = (double) xr[k] - (double) yr[k];
        s += v * v;
    }
    return (float) s;
}

float rounding_eps(int dim) {
    return 6e-8f * (2.0f + sqrtf((float) dim + 2.0f));
}

bool kernel_repairs(float xn, float yn, float d2, int dim, float gamma) {
    const float bound = 2.0f * gamma * rounding_eps(dim) * (xn + yn);
    return bound > 1e-4f && gamma * d2 - bound < 104.0f;
}

bool distance_repairs(float xn, float yn, float d2, int dim) {
    return 2.0f * rounding_eps(dim) * (xn + yn) > 1e-4f * d2;
}

// The kept form of a kernel value (rbf.cu's rbf_kept_value) for the exponent e: k - 1 with its
// sign bit set where e > -1/4, else k.
float kept_formula(float e) { return e > -0.25f ? -fabsf(expm1f(e)) : expf(e); }

// The kernel value a stored entry stands for: 1 + g for a kept entry with its sign bit set.
double kept_decoded(float stored, int mode) {
    return (mode == 2 && std::signbit(stored)) ? 1.0 + (double) stored : (double) stored;
}

// ---------------------------------------------------------------------------------------------
// row_norms

void row_norms_case(int rows, int dim, int sms) {
    const Rows r = make_rows(rows, dim, rows * 7 + dim);
    Buf<float> x(r.x, "X");
    Buf<float> norms(rows, "norms");
    // launchWarpPerRow: launch1d over 32 rows items.
    LAUNCH(row_norms, grid_for(32LL * rows, harness::BLOCK, sms), 1, harness::BLOCK, 1, x.p(),
           rows, dim, norms.p());
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < rows; i++) {
        double s = 0;
        for (int k = 0; k < dim; k++) {
            s += (double) r.row(i)[k] * r.row(i)[k];
        }
        // fmaf over dim / 32 terms per lane, then 5 float shuffle additions.
        const double tol = harness::gamma_f((dim + 31) / 32 + 5) * s + 1e-300;
        const double e = std::fabs(norms[i] - s) / tol;
        worst = harness::worse(worst, e);
        ok &= e <= 1;
    }
    harness::Tally& t = tallies("rbf: row_norms (warp per row) within gamma_{dim/32+5} ||x||^2 "
                                "of the double norm (error / bound)");
    t.measure(worst);
    t.add(ok, "rows=" + std::to_string(rows) + " dim=" + std::to_string(dim));
}

// ---------------------------------------------------------------------------------------------
// rbf_tile_epilogue: CudaBackend.distanceBlocks and CudaKernelOperator.buildKernel.

void epilogue_case(int n, int start, int count, bool self, int sms) {
    const Rows x = make_rows(n, 6, 11ULL * n + start);
    const Rows other = make_rows(n + 3, 6, 13ULL * n + start);
    const Rows& y = self ? x : other;
    const float gamma = 0.05f;
    const int m = y.n;
    const std::vector<float> dots = gemm_dots(x, start, count, y, self);
    Buf<float> xnorm(std::vector<float>(x.norms.begin() + start, x.norms.begin() + start + count),
                     "xnorm (offset to the tile)");
    Buf<float> ynorm(y.norms, "ynorm");
    Buf<float> xb(x.x, "X");
    Buf<float> yb(y.x, "Y");
    char shape[128];
    std::snprintf(shape, sizeof shape, "n=%d tile [%d, %d) %s SMs=%d", n, start, start + count,
                  self ? "self" : "X != Y", sms);
    for (int mode = 0; mode < 3; mode++) {
        for (int diagonal : {self ? start : -1, -1}) {
            Buf<float> tile(dots, "tile");
            LAUNCH(rbf_tile_epilogue, grid_for((long long) count * m, harness::BLOCK, sms), 1,
                   harness::BLOCK, 1, tile.p(), xnorm.p(), ynorm.p(), count, m, gamma, mode,
                   diagonal, xb.p() + (size_t) start * x.d, yb.p(), x.d);
            bool exactDiagonal = true;
            bool formula = true;
            bool close = true;
            double worst = 0;
            for (int i = 0; i < count; i++) {
                for (int j = 0; j < m; j++) {
                    const float got = tile[(size_t) i * m + j];
                    const float dot = dots[(size_t) i * m + j];
                    const float xn = x.norms[start + i];
                    const float yn = y.norms[j];
                    if (diagonal >= 0 && i + diagonal == j) {
                        // Mode 2 keeps k = 1 as k - 1 = -0 (a flat entry).
                        exactDiagonal &= mode == 0   ? harness::same_bits(got, 0.0f)
                                         : mode == 1 ? got == 1.0f
                                                     : harness::same_bits(got, -0.0f);
                        continue;
                    }
                    const float gemm = fmaxf(xn + yn - 2.0f * dot, 0.0f);
                    const bool repaired = mode == 0 ? distance_repairs(xn, yn, gemm, x.d)
                                                    : kernel_repairs(xn, yn, gemm, x.d, gamma);
                    const float d2 = repaired ? exact_d2(x.row(start + i), y.row(j), x.d) : gemm;
                    formula &= harness::same_bits(got, mode == 0   ? d2
                                                       : mode == 1 ? expf(-gamma * d2)
                                                                   : kept_formula(-gamma * d2));
                    if (mode == 0 && repaired) {
                        // Recomputed from the rows: the double distance, rounded once.
                        double s = 0;
                        for (int k = 0; k < x.d; k++) {
                            const double v = (double) x.row(start + i)[k] - y.row(j)[k];
                            s += v * v;
                        }
                        const double e = std::fabs(got - s) / (harness::U32 * s + 0x1.0p-149);
                        worst = harness::worse(worst, e);
                        close &= e <= 1;
                    } else if (mode == 0) {
                        const double want = std::max((double) xn + yn - 2.0 * dot, 0.0);
                        const double tol = 2.02 * harness::U32 * (xn + yn + 2 * std::fabs(dot));
                        const double e = std::fabs(got - want) / (tol + 1e-300);
                        worst = harness::worse(worst, e);
                        close &= e <= 1;
                    } else {
                        const double want = harness::rbf_reference(gamma, xn, yn, dot);
                        const double e = std::fabs(kept_decoded(got, mode) - want) /
                                         harness::rbf_tolerance(want, gamma, xn, yn, dot);
                        worst = harness::worse(worst, e);
                        close &= e <= 1;
                    }
                }
            }
            const std::string what = std::string(mode == 0   ? "mode 0 (d2)"
                                                 : mode == 1 ? "mode 1 (k)"
                                                             : "mode 2 (kept: k - 1 where flat)");
            if (diagonal >= 0) {
                tallies("rbf: rbf_tile_epilogue with diagonal = tile start: d2 = 0 and k = 1 "
                        "exactly at column i + start")
                        .add(exactDiagonal, shape + (" " + what));
            }
            tallies("rbf: rbf_tile_epilogue elsewhere (and everywhere with diagonal = -1) the "
                    "GEMM form, or the rows' distance where the repair applies, bit for bit as "
                    "the float formula")
                    .add(formula, shape + (" " + what + " diagonal=" + std::to_string(diagonal)));
            harness::Tally& t = tallies("rbf: rbf_tile_epilogue within float tolerance of the "
                                        "double d2 / k (error / bound)");
            t.measure(worst);
            t.add(close, shape + (" " + what));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// rbf_weighted_rowsum: CudaKernelOperator.gemmTile (launchPerRow), output at to + start.

void weighted_rowsum_case(int n, int tileRows, bool self, bool weighted, int sms) {
    const Rows x = make_rows(n, 4, 17ULL * n + tileRows);
    const Rows other = make_rows(n / 2 + 5, 4, 19ULL * n);
    const Rows& y = self ? x : other;
    const int m = y.n;
    const float gamma = 0.1f;
    std::vector<double> w(m);
    harness::Rng rng(n + tileRows);
    for (double& v : w) {
        v = rng.gaussian();
    }
    Buf<double> wb(w, "w");
    Buf<float> ynorm(y.norms, "ynorm");
    Buf<float> xb(x.x, "X");
    Buf<float> yb(y.x, "Y");
    Buf<double> out(n, "K w");
    Buf<float> tile((size_t) tileRows * m, "K tile");
    char shape[128];
    std::snprintf(shape, sizeof shape, "n=%d m=%d tileRows=%d %s %s SMs=%d", n, m, tileRows,
                  self ? "self" : "X != Y", weighted ? "w" : "w = NULL", sms);
    for (int start = 0; start < n; start += tileRows) {
        const int count = std::min(tileRows, n - start);
        tile.put(gemm_dots(x, start, count, y, self));
        Buf<float> xnorm(std::vector<float>(x.norms.begin() + start,
                                            x.norms.begin() + start + count),
                         "xnorm (offset)");
        const int diagonal = self ? start : -1;
        LAUNCH(rbf_weighted_rowsum, std::max(1, std::min(count, 65535)), 1, harness::BLOCK, 1,
               tile.p(), xnorm.p(), ynorm.p(), weighted ? (const double*) wb.p() : nullptr, count,
               m, gamma, diagonal, out.p() + start, xb.p() + (size_t) start * x.d, yb.p(), x.d);
    }
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        long double sum = 0;
        double tol = 0;
        double abs = 0;
        for (int j = 0; j < m; j++) {
            const double wj = weighted ? w[j] : 1.0;
            if (self && i == j) {
                sum += wj;
                abs += std::fabs(wj);
                continue;
            }
            const float dot = (float) dot_exact(x, i, y, j);
            const double k = harness::rbf_reference(gamma, x.norms[i], y.norms[j], dot);
            sum += (long double) k * wj;
            abs += std::fabs(k * wj);
            tol += harness::rbf_tolerance(k, gamma, x.norms[i], y.norms[j], dot) * std::fabs(wj);
        }
        tol += (m / 256 + 16) * harness::U64 * abs + 1e-300;
        const double e = std::fabs((double) (out[i] - sum)) / tol;
        worst = harness::worse(worst, e);
        ok &= e <= 1;
    }
    harness::Tally& t = tallies("rbf: rbf_weighted_rowsum per tile (diagonal = start for the "
                                "self kernel, else -1; out + start) within the kernel values' "
                                "tolerance of the double K w, k(x, x) = 1 (error / bound)");
    t.measure(worst);
    t.add(ok, shape);
}

// ---------------------------------------------------------------------------------------------
// matrix_weighted_rowsum: the materialised K, and Phi z.

void matrix_rowsum_case(int rows, int cols, bool weighted, int sms) {
    (void) sms;
    harness::Rng rng(rows * 1000 + cols);
    std::vector<float> a((size_t) rows * cols);
    for (float& v : a) {
        v = (float) rng.gaussian();
    }
    std::vector<float> v(cols);
    for (float& x : v) {
        x = (float) rng.gaussian();
    }
    Buf<float> ab(a, "A");
    Buf<float> vb(v, "v");
    Buf<double> out(rows, "out");
    LAUNCH(matrix_weighted_rowsum, std::max(1, std::min(rows, 65535)), 1, harness::BLOCK, 1,
           ab.p(), weighted ? (const float*) vb.p() : nullptr, rows, cols, out.p());
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < rows; i++) {
        long double s = 0;
        double abs = 0;
        for (int j = 0; j < cols; j++) {
            const double t = (double) a[(size_t) i * cols + j] * (weighted ? v[j] : 1.0);
            s += t;
            abs += std::fabs(t);
        }
        // Products of floats are exact in double: only the double sums round.
        const double tol = ((cols + 255) / 256 + 12) * harness::U64 * abs + 1e-300;
        const double e = std::fabs((double) (out[i] - s)) / tol;
        worst = harness::worse(worst, e);
        ok &= e <= 1;
    }
    harness::Tally& t = tallies("rbf: matrix_weighted_rowsum (v and v = NULL) within the double "
                                "summation bound (error / bound)");
    t.measure(worst);
    t.add(ok, "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                      (weighted ? " v" : " NULL"));
}

// ---------------------------------------------------------------------------------------------
// rbf_fused_kw + sum_column_partials: CudaKernelOperator.fusedTile.

void fused_case(int n, int dim, int tileRows, bool self, bool weighted, int sms) {
    const Rows x = make_rows(n, dim, 23ULL * n + dim);
    const Rows other = make_rows(n + 70, dim, 29ULL * n + dim);
    const Rows& y = self ? x : other;
    const int cols = y.n;
    const float gamma = (float) (1.0 / (2.0 * dim));
    std::vector<double> w(cols);
    harness::Rng rng(n * 3 + dim);
    for (double& v : w) {
        v = rng.gaussian();
    }
    Buf<float> xb(x.x, "X");
    Buf<float> yb(y.x, "Y");
    Buf<float> xnorm(x.norms, "xnorm");
    Buf<float> ynorm(y.norms, "ynorm");
    Buf<double> wb(w, "w");
    Buf<double> out(n, "K w");
    const int colBlocks = (cols + FUSED_TILE - 1) / FUSED_TILE;
    // The tile scratch: tileRows x max(8, 8 colBlocks) bytes.
    Buf<double> partial((size_t) tileRows * colBlocks, "K tile (fused partials)");
    auto run = [&](const double* weights, double* to) {
        for (int start = 0; start < n; start += tileRows) {
            const int count = std::min(tileRows, n - start);
            const int rowBlocks = (count + FUSED_TILE - 1) / FUSED_TILE;
            LAUNCH(rbf_fused_kw, colBlocks, rowBlocks, 16, 16, xb.p() + (size_t) start * dim,
                   yb.p(), xnorm.p() + start, ynorm.p(), weights, count, cols, dim, gamma,
                   self ? start : -1, partial.p());
            LAUNCH(sum_column_partials, grid_for(count, harness::BLOCK, sms), 1, harness::BLOCK,
                   1, partial.p(), colBlocks, count, to + start);
        }
    };
    run(weighted ? (const double*) wb.p() : nullptr, out.p());
    char shape[128];
    std::snprintf(shape, sizeof shape, "n=%d cols=%d dim=%d tileRows=%d %s %s", n, cols, dim,
                  tileRows, self ? "self" : "X != Y", weighted ? "w" : "NULL");
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < n; i++) {
        long double sum = 0;
        double tol = 0;
        double abs = 0;
        for (int j = 0; j < cols; j++) {
            const double wj = weighted ? w[j] : 1.0;
            if (self && i == j) {
                sum += wj;
                abs += std::fabs(wj);
                continue;
            }
            const double dot = dot_exact(x, i, y, j);
            const double k = harness::rbf_reference(gamma, x.norms[i], y.norms[j], dot);
            sum += (long double) k * wj;
            abs += std::fabs(k * wj);
            // The kernel's dot: a float fmaf chain over dim terms.
            tol += harness::rbf_tolerance(k, gamma, x.norms[i], y.norms[j], dot,
                                          harness::gamma_f(dim) * dot_abs(x, i, y, j)) *
                   std::fabs(wj);
        }
        tol += (colBlocks + 24) * harness::U64 * abs + 1e-300;
        const double e = std::fabs((double) (out[i] - sum)) / tol;
        worst = harness::worse(worst, e);
        ok &= e <= 1;
    }
    harness::Tally& t = tallies("rbf: rbf_fused_kw + sum_column_partials by row tiles within the "
                                "kernel values' (and float dots') tolerance of the double K w "
                                "(error / bound)");
    t.measure(worst);
    t.add(ok, shape);
    if (self) {
        // w = e_c: out[i] = k(x_i, x_c) alone, so out[c] = 1 exactly.
        bool ones = true;
        for (int c : {0, n / 2, n - 1, std::min(n - 1, tileRows), std::min(n - 1, 64)}) {
            std::vector<double> e(cols, 0.0);
            e[c] = 1.0;
            Buf<double> eb(e, "e_c");
            Buf<double> col(n, "K e_c");
            run(eb.p(), col.p());
            ones &= col[c] == 1.0;
        }
        tallies("rbf: rbf_fused_kw self kernel with diagonal = tile start: (K e_c)_c = 1 exactly "
                "(the tile's rows meet themselves at column i + start)")
                .add(ones, shape);
    }
}

// ---------------------------------------------------------------------------------------------
// rff.cu: CudaFeatureOperator.

void rff_case(int rows, int features, int sms) {
    harness::Rng rng(rows * 31 + features);
    std::vector<float> z((size_t) rows * features);
    std::vector<float> phase(features);
    for (float& v : z) {
        v = (float) (3 * rng.gaussian());
    }
    for (float& p : phase) {
        p = (float) (6.283185307179586 * rng.uniform());
    }
    const float scale = (float) std::sqrt(2.0 / features);
    Buf<float> zb(z, "Z");
    Buf<float> pb(phase, "phase");
    LAUNCH(rff_cos, grid_for((long long) rows * features, harness::BLOCK, sms), 1, harness::BLOCK,
           1, zb.p(), pb.p(), rows, features, scale);
    bool ok = true;
    double worst = 0;
    for (int i = 0; i < rows; i++) {
        for (int f = 0; f < features; f++) {
            const float zf = z[(size_t) i * features + f];
            const double arg = (double) zf + phase[f];
            const double want = (double) scale * std::cos(arg);
            // The float sum's rounding (u |arg|, times |sin| <= 1), cosf's ulps, the product.
            const double tol = 1.25 * (scale * (harness::U32 * std::fabs(arg) + 4 * harness::U32) +
                                       2 * harness::U32 * std::fabs(want)) + 1e-300;
            const double e = std::fabs(zb[(size_t) i * features + f] - want) / tol;
            worst = harness::worse(worst, e);
            ok &= e <= 1;
        }
    }
    harness::Tally& t = tallies("rff: rff_cos within float tolerance of sqrt(2/D) cos(z + b) "
                                "(error / bound)");
    t.measure(worst);
    t.add(ok, "rows=" + std::to_string(rows) + " D=" + std::to_string(features));

    // Phi^T w: weighted_column_sums_partial on (ceil(D / 32), slices) blocks of 32 x 8, then
    // sum_slices; partial holds SLICES x D doubles.
    std::vector<float> w(rows);
    for (float& v : w) {
        v = (float) rng.gaussian();
    }
    Buf<float> wb(w, "w (float)");
    const int slices = std::max(1, std::min(256, (rows + 7) / 8));
    Buf<double> partial((size_t) 256 * features, "partial");
    Buf<double> out(features, "Phi^T w");
    LAUNCH(weighted_column_sums_partial, (features + 31) / 32, slices, 32, 8, zb.p(), wb.p(), rows,
           features, partial.p());
    LAUNCH(sum_slices, grid_for(features, harness::BLOCK, sms), 1, harness::BLOCK, 1,
           partial.p(), slices, features, out.p());
    ok = true;
    worst = 0;
    for (int f = 0; f < features; f++) {
        long double s = 0;
        double abs = 0;
        for (int i = 0; i < rows; i++) {
            const double t2 = (double) zb[(size_t) i * features + f] * w[i];
            s += t2;
            abs += std::fabs(t2);
        }
        const double tol =
                (rows / (8.0 * slices) + 8 + slices + 2) * harness::U64 * abs + 1e-300;
        const double e = std::fabs((double) (out[f] - s)) / tol;
        worst = harness::worse(worst, e);
        ok &= e <= 1;
    }
    harness::Tally& t2 = tallies("rff: weighted_column_sums_partial + sum_slices (Phi^T w) "
                                 "within the double summation bound (error / bound)");
    t2.measure(worst);
    t2.add(ok, "rows=" + std::to_string(rows) + " D=" + std::to_string(features) + " slices=" +
                       std::to_string(slices));
}

// ---------------------------------------------------------------------------------------------
// gp.cu and argmax.cu: CudaGpVarianceTracker.

void gp_case(int size, int dim, int sms) {
    // Rows sharing an offset of 1,000 per coordinate, row 1 a near-copy of row 0 (1e-3 apart):
    // the float32 GEMM form of the distance, about the origin, made k(x_1, x_0) exactly 1.
    Rows x = make_rows(size, dim, size * 5 + dim);
    harness::Rng jitter(size + 17);
    for (int k = 0; k < dim; k++) {
        if (size > 1) {
            x.x[(size_t) dim + k] = (float) (x.x[k] + 1e-3 * jitter.gaussian());
        }
    }
    for (float& v : x.x) {
        v += 1000.0f;
    }
    Buf<float> xb(x.x, "X");
    const double gamma = 1.0 / (2.0 * dim);
    bool diagonal = true;
    bool close = true;
    double worst = 0;
    for (int p : {0, 1 % size, size / 3, size - 1}) {
        Buf<double> column(size, "factor row");
        LAUNCH(gp_kernel_column, grid_for(32LL * size, harness::BLOCK, sms), 1, harness::BLOCK, 1,
               xb.p(), p, size, dim, gamma, column.p());
        diagonal &= column[p] == 1.0;
        for (int i = 0; i < size; i++) {
            if (i == p) {
                continue;
            }
            // The squared distance summed exactly (long double differences of floats), against
            // the double difference form: (dim / 32 + 5) roundings of the sum, the product with
            // gamma and exp's few ulps.
            long double d2 = 0;
            for (int k = 0; k < dim; k++) {
                const long double e = (long double) x.x[(size_t) i * dim + k] -
                                      (long double) x.x[(size_t) p * dim + k];
                d2 += e * e;
            }
            const double k = std::exp(-gamma * (double) d2);
            const double tol =
                    k * (gamma * (double) d2 * ((dim + 31) / 32 + 6) * harness::U64 +
                         4 * harness::U64) + 1e-300;
            const double e = std::fabs(column[i] - k) / tol;
            worst = harness::worse(worst, e);
            close &= e <= 1;
        }
    }
    const std::string shape = "size=" + std::to_string(size) + " dim=" + std::to_string(dim);
    tallies("gp: gp_kernel_column k(x_p, x_p) = 1 exactly").add(diagonal, shape);
    harness::Tally& t = tallies("gp: gp_kernel_column (rows offset by 1,000, a near-copy) "
                                "within a few ulps of the exactly summed distance's kernel "
                                "(error / bound)");
    t.measure(worst);
    t.add(close, shape);

    // Rank-one update and fill, against their expressions.
    harness::Rng rng(size);
    std::vector<double> factor(size);
    std::vector<double> variance(size);
    for (int i = 0; i < size; i++) {
        factor[i] = rng.gaussian();
        variance[i] = 1 + rng.uniform();
    }
    Buf<double> fb(factor, "factor");
    Buf<double> vb(variance, "variance");
    const double inv = 1.0 / std::sqrt(1.7);
    LAUNCH(gp_rank_one_update, grid_for(size, harness::BLOCK, sms), 1, harness::BLOCK, 1, fb.p(),
           vb.p(), inv, size);
    bool exact = true;
    for (int i = 0; i < size; i++) {
        const double v = factor[i] * inv;
        exact &= harness::same_bits(fb[i], v) && harness::same_bits(vb[i], variance[i] - v * v);
    }
    LAUNCH(fill_double, grid_for(size, harness::BLOCK, sms), 1, harness::BLOCK, 1, vb.p(), 1.0,
           size);
    for (int i = 0; i < size; i++) {
        exact &= vb[i] == 1.0;
    }
    tallies("gp: gp_rank_one_update and fill_double equal their expressions bit for bit (no "
            "contraction here)")
            .add(exact, shape);
}

int argmax_reference(const std::vector<double>& v, const std::vector<uint32_t>* mask) {
    int best = -1;
    for (int i = 0; i < (int) v.size(); i++) {
        if (mask && ((*mask)[i >> 5] >> (i & 31)) & 1u) {
            continue;
        }
        if (std::isnan(v[i])) {
            continue;
        }
        if (best < 0 || v[i] > v[best]) {
            best = i;
        }
    }
    return best;
}

void argmax_case(int size, int kind, bool masked) {
    harness::Rng rng(size * 13 + kind);
    std::vector<double> v(size);
    for (int i = 0; i < size; i++) {
        switch (kind) {
            case 0:
                v[i] = rng.gaussian();
                break;
            case 1:
                v[i] = (double) rng.below(3);  // many exact ties
                break;
            case 2:
                v[i] = rng.below(4) == 0 ? NAN : rng.gaussian();
                break;
            default:
                v[i] = NAN;  // nothing eligible
        }
    }
    std::vector<uint32_t> mask((size + 31) / 32, 0u);
    if (masked) {
        for (int i = 0; i < size; i++) {
            if (rng.below(3) == 0 || (kind == 1 && v[i] == 2.0 && rng.below(2) == 0)) {
                mask[i >> 5] |= 1u << (i & 31);
            }
        }
    }
    Buf<double> values(v, "variance");
    Buf<uint32_t> mb(mask, "mask");
    constexpr int ARGMAX_BLOCKS = 1024;
    Buf<double> candidateValues(ARGMAX_BLOCKS, "argmax values");
    Buf<int> candidateIndices(ARGMAX_BLOCKS, "argmax indices");
    Buf<unsigned char> best(16, "argmax result");
    const int blocks = std::min(ARGMAX_BLOCKS, (size + harness::BLOCK - 1) / harness::BLOCK);
    LAUNCH(argmax_blocks, blocks, 1, harness::BLOCK, 1, values.p(), (const int*) nullptr,
           masked ? (const unsigned int*) mb.p() : nullptr, size, candidateValues.p(),
           candidateIndices.p());
    LAUNCH(argmax_blocks, 1, 1, ARGMAX_BLOCKS, 1, candidateValues.p(), candidateIndices.p(),
           (const unsigned int*) nullptr, blocks, (double*) best.p(), (int*) (best.p() + 8));
    int got;
    std::memcpy(&got, best.p() + 8, 4);
    const int want = argmax_reference(v, masked ? &mask : nullptr);
    tallies("argmax: argmax_blocks two passes = the lowest index of the largest eligible value "
            "(mask, NaN, ties, none -> -1)")
            .add(got == want, "size=" + std::to_string(size) + " kind=" + std::to_string(kind) +
                                      (masked ? " masked" : "") + ": got " + std::to_string(got) +
                                      ", want " + std::to_string(want));
}

// ---------------------------------------------------------------------------------------------
// The far-pair repair: rows far from the origin relative to their distance (two clusters 1,000
// apart per coordinate, d = 8, sigma = 3) and exact copies at a bandwidth far below the rows'
// spread (d = 64, sigma = 0.01). The GEMM form alone gave k 5 % off in the far cluster and
// k = 0.86 for a copy. K (tile epilogue), K w (per-row sums and the fused kernel) are held to
// the double kernel of the rows within 1e-5 (the contract test's tolerance).

void far_pairs_case(bool clusters) {
    const int n = clusters ? 41 : 23;
    const int m = clusters ? 33 : 19;
    const int d = clusters ? 8 : 64;
    Rows x = make_rows(n, d, clusters ? 101 : 107);
    Rows y = make_rows(m, d, clusters ? 103 : 109);
    if (clusters) {
        for (Rows* r : {&x, &y}) {
            for (int i = 0; i < r->n; i += 2) {
                for (int k = 0; k < d; k++) {
                    r->x[(size_t) i * d + k] += 1000.0f;
                }
            }
        }
    } else {
        for (int j = 0; j < m; j += 2) {
            std::copy(x.row(j), x.row(j) + d, y.x.begin() + (size_t) j * d);
        }
    }
    for (Rows* r : {&x, &y}) {
        for (int i = 0; i < r->n; i++) {
            double s = 0;
            for (int k = 0; k < d; k++) {
                s += (double) r->row(i)[k] * r->row(i)[k];
            }
            r->norms[i] = (float) s;
        }
    }
    const double sigma = clusters ? 3.0 : 0.01;
    const float gamma = (float) (1.0 / (2.0 * sigma * sigma));
    const std::vector<double> want = rows_kernel(x, y, gamma);
    std::vector<double> w(m);
    harness::Rng rng(n * 5 + m);
    double wabs = 0;
    for (double& v : w) {
        v = rng.gaussian();
        wabs += std::fabs(v);
    }
    Buf<float> xb(x.x, "X");
    Buf<float> yb(y.x, "Y");
    Buf<float> xn(x.norms, "xnorm");
    Buf<float> yn(y.norms, "ynorm");
    Buf<double> wb(w, "w");
    const std::vector<float> dots = gemm_dots(x, 0, n, y, false);
    const char* what = clusters ? "two clusters 1,000 apart, sigma 3" : "copies at sigma 0.01";

    Buf<float> tile(dots, "tile");
    LAUNCH(rbf_tile_epilogue, grid_for((long long) n * m, harness::BLOCK, 2), 1, harness::BLOCK,
           1, tile.p(), xn.p(), yn.p(), n, m, gamma, 1, -1, xb.p(), yb.p(), d);
    double worst = 0;
    for (size_t e = 0; e < want.size(); e++) {
        worst = std::max(worst, std::fabs(tile[e] - want[e]));
    }
    check(worst <= 1e-5, "rbf: far pairs (%s): rbf_tile_epilogue k within 1e-5 of the rows' double"
                         " kernel, worst %.3g", what, worst);

    std::vector<double> kw(n, 0.0);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < m; j++) {
            kw[i] += want[(size_t) i * m + j] * w[j];
        }
    }
    Buf<float> tile2(dots, "tile");
    Buf<double> rows(n, "K w");
    LAUNCH(rbf_weighted_rowsum, n, 1, harness::BLOCK, 1, tile2.p(), xn.p(), yn.p(), wb.p(), n, m,
           gamma, -1, rows.p(), xb.p(), yb.p(), d);
    const int colBlocks = (m + FUSED_TILE - 1) / FUSED_TILE;
    const int rowBlocks = (n + FUSED_TILE - 1) / FUSED_TILE;
    Buf<double> partial((size_t) n * colBlocks, "partials");
    Buf<double> fused(n, "fused K w");
    LAUNCH(rbf_fused_kw, colBlocks, rowBlocks, 16, 16, xb.p(), yb.p(), xn.p(), yn.p(), wb.p(), n,
           m, d, gamma, -1, partial.p());
    LAUNCH(sum_column_partials, 1, 1, harness::BLOCK, 1, partial.p(), colBlocks, n, fused.p());
    double worstRows = 0;
    double worstFused = 0;
    for (int i = 0; i < n; i++) {
        worstRows = std::max(worstRows, std::fabs(rows[i] - kw[i]) / wabs);
        worstFused = std::max(worstFused, std::fabs(fused[i] - kw[i]) / wabs);
    }
    check(worstRows <= 1e-5, "rbf: far pairs (%s): rbf_weighted_rowsum K w within 1e-5 sum|w| of"
                             " the rows' double kernel, worst %.3g", what, worstRows);
    check(worstFused <= 1e-5, "rbf: far pairs (%s): rbf_fused_kw K w within 1e-5 sum|w| of the"
                              " rows' double kernel, worst %.3g", what, worstFused);
}


// ---------------------------------------------------------------------------------------------
// Flat kernels: a bandwidth `factor` times the median distance (30 x: every k within about 1e-2
// of 1, 100 x: 1e-3). K w on the three product paths (rbf_weighted_rowsum over GEMM dots,
// rbf_fused_kw, and the kept form: rbf_tile_epilogue mode 2 + rbf_kept_rowsum) against the
// kernel of the rows in double, within 1e-5 of sum_j |k_ij - 1| |w_j| (the backend contract's
// flat-kernel measure, Errors.flatScale): a float32 k keeps 1 - k only to 3e-8 absolutely, so
// k w summed in double misses this by up to 6e-4 at 100 x. With `groups`, the rows from a third
// on are moved away (an exponent near -20 across), so K mixes flat and steep entries.

double median_distance(const Rows& x, const Rows& y) {
    std::vector<double> d;
    for (int i = 0; i < x.n; i++) {
        for (int j = 0; j < y.n; j++) {
            d.push_back(std::sqrt(rows_distance2(x, i, y, j)));
        }
    }
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    return d[d.size() / 2];
}

void shift_from(Rows& r, int from, float offset) {
    for (int i = from; i < r.n; i++) {
        double s = 0;
        for (int k = 0; k < r.d; k++) {
            r.x[(size_t) i * r.d + k] += offset;
            s += (double) r.x[(size_t) i * r.d + k] * r.x[(size_t) i * r.d + k];
        }
        r.norms[i] = (float) s;
    }
}

void flat_case(double factor, int n, int m, int d, bool groups) {
    const bool self = m == 0;
    Rows x = make_rows(n, d, 97ULL * n + d);
    Rows other = make_rows(self ? 1 : m, d, 89ULL * m + d);
    const double sigma = factor * median_distance(x, self ? x : other);
    if (groups) {
        const float offset = (float) (sigma * std::sqrt(40.0 / d)); // exponent -20 across
        shift_from(x, n / 3, offset);
        shift_from(other, other.n / 3, offset);
    }
    const Rows& y = self ? x : other;
    m = y.n;
    const float gamma = (float) (1.0 / (2.0 * sigma * sigma));
    const std::vector<double> kd = rows_kernel(x, y, gamma);
    std::vector<double> w(m);
    harness::Rng rng(n * 7 + m);
    for (double& v : w) {
        v = rng.gaussian();
    }
    Buf<float> xb(x.x, "X");
    Buf<float> yb(y.x, "Y");
    Buf<float> xn(x.norms, "xnorm");
    Buf<float> yn(y.norms, "ynorm");
    Buf<double> wb(w, "w");
    const std::vector<float> dots = gemm_dots(x, 0, n, y, self);
    const int diagonal = self ? 0 : -1;
    const int colBlocks = (m + FUSED_TILE - 1) / FUSED_TILE;
    const int rowBlocks = (n + FUSED_TILE - 1) / FUSED_TILE;
    Buf<float> kept(dots, "kept K");
    LAUNCH(rbf_tile_epilogue, grid_for((long long) n * m, harness::BLOCK, 2), 1, harness::BLOCK,
           1, kept.p(), xn.p(), yn.p(), n, m, gamma, 2, diagonal, xb.p(), yb.p(), d);
    char shape[128];
    std::snprintf(shape, sizeof shape, "%g x the median, %d x %d, d = %d%s%s", factor, n, m, d,
                  self ? ", self" : "", groups ? ", two groups" : "");
    for (bool weighted : {true, false}) {
        const double* v = weighted ? (const double*) wb.p() : nullptr;
        Buf<float> tile(dots, "tile");
        Buf<double> rows(n, "rbf_weighted_rowsum");
        LAUNCH(rbf_weighted_rowsum, n, 1, harness::BLOCK, 1, tile.p(), xn.p(), yn.p(), v, n, m,
               gamma, diagonal, rows.p(), xb.p(), yb.p(), d);
        Buf<double> partial((size_t) n * colBlocks, "partials");
        Buf<double> fused(n, "rbf_fused_kw");
        LAUNCH(rbf_fused_kw, colBlocks, rowBlocks, 16, 16, xb.p(), yb.p(), xn.p(), yn.p(), v, n,
               m, d, gamma, diagonal, partial.p());
        LAUNCH(sum_column_partials, 1, 1, harness::BLOCK, 1, partial.p(), colBlocks, n,
               fused.p());
        Buf<double> keptOut(n, "rbf_kept_rowsum");
        LAUNCH(rbf_kept_rowsum, n, 1, harness::BLOCK, 1, kept.p(), v, n, m, keptOut.p());
        double worst[3] = {0, 0, 0};
        for (int i = 0; i < n; i++) {
            long double want = 0;
            double scale = 0;
            for (int j = 0; j < m; j++) {
                const double wj = weighted ? w[j] : 1.0;
                const double k = kd[(size_t) i * m + j];
                want += (long double) k * wj;
                scale += std::fabs(k - 1.0) * std::fabs(wj);
            }
            const double got[3] = {rows[i], fused[i], keptOut[i]};
            for (int p = 0; p < 3; p++) {
                const double e = std::fabs((double) (got[p] - want)) / (1e-5 * scale + 1e-300);
                worst[p] = harness::worse(worst[p], e);
            }
        }
        const char* names[3] = {"rbf_weighted_rowsum", "rbf_fused_kw", "rbf_kept_rowsum (mode 2)"};
        for (int p = 0; p < 3; p++) {
            harness::Tally& t = tallies(std::string("rbf: flat kernels: ") + names[p] +
                                        " K w within 1e-5 sum |k - 1| |w| of the rows' double "
                                        "kernel (error / bound)");
            t.measure(worst[p]);
            t.add(worst[p] <= 1, std::string(shape) + (weighted ? " w" : " w = NULL"));
        }
    }
}

}  // namespace

void test_rbf() {
    for (int rows : {1, 7, 100, 1000}) {
        for (int dim : {1, 5, 33, 100}) {
            row_norms_case(rows, dim, rows % 2 ? 2 : 132);
        }
    }
    for (int sms : {2, 132}) {
        epilogue_case(1, 0, 1, true, sms);
        epilogue_case(65, 0, 65, true, sms);
        epilogue_case(300, 128, 128, true, sms);
        epilogue_case(300, 256, 44, true, sms);
        epilogue_case(70, 10, 33, false, sms);
    }
    for (bool self : {true, false}) {
        for (bool weighted : {true, false}) {
            weighted_rowsum_case(1, 1, self, weighted, 2);
            weighted_rowsum_case(300, 128, self, weighted, 2);
            weighted_rowsum_case(300, 300, self, weighted, 132);
            weighted_rowsum_case(130, 7, self, weighted, 2);
        }
    }
    for (auto [rows, cols] : {std::pair{1, 1}, std::pair{7, 300}, std::pair{300, 7},
                              std::pair{100, 1000}}) {
        matrix_rowsum_case(rows, cols, true, 2);
        matrix_rowsum_case(rows, cols, false, 2);
    }
    for (bool self : {true, false}) {
        fused_case(1, 1, 1, self, true, 2);
        fused_case(63, 5, 63, self, true, 2);
        fused_case(64, 16, 64, self, false, 132);
        fused_case(65, 17, 65, self, true, 2);
        fused_case(200, 33, 70, self, true, 2);
        fused_case(200, 3, 64, self, false, 132);
        fused_case(150, 8, 128, self, true, 2);
    }
    for (auto [rows, features] : {std::pair{1, 1}, std::pair{7, 33}, std::pair{100, 64},
                                  std::pair{3000, 40}}) {
        rff_case(rows, features, rows % 2 ? 2 : 132);
    }
    for (auto [size, dim] : {std::pair{1, 3}, std::pair{33, 40}, std::pair{500, 7}}) {
        gp_case(size, dim, size % 2 ? 2 : 132);
    }
    far_pairs_case(true);
    far_pairs_case(false);
    for (double factor : {30.0, 100.0}) {
        flat_case(factor, 7, 257, 3, false);
        flat_case(factor, 257, 300, 16, false);
        flat_case(factor, 130, 0, 384, false);
        flat_case(factor, 257, 0, 5, false);
    }
    flat_case(30.0, 377, 651, 12, true);
    flat_case(30.0, 300, 0, 12, true);
    for (int size : {1, 300, 5000, 300000}) {
        for (int kind = 0; kind < 4; kind++) {
            argmax_case(size, kind, false);
            argmax_case(size, kind, true);
        }
    }
    tallies.report();
    // Past 65535 rows launchPerRow's grid is smaller than the row count: each block loops over
    // rows, reusing its block-sum slots. 130 rows on 3 blocks, every fiber order: the same bits
    // as on 130 blocks.
    {
        const Rows x = make_rows(130, 9, 77);
        const std::vector<float> dots = gemm_dots(x, 0, 130, x, true);
        Buf<float> tile(dots, "tile");
        Buf<float> xn(x.norms, "norms");
        Buf<float> xrows(x.x, "X");
        std::vector<double> w(130);
        std::vector<float> wf(130);
        harness::Rng rng(12);
        for (int j = 0; j < 130; j++) {
            w[j] = rng.gaussian();
            wf[j] = (float) w[j];
        }
        Buf<double> wb(w, "w");
        Buf<float> wfb(wf, "w (float)");
        // A kept K with flat and steep entries (rbf_tile_epilogue's mode 2 at gamma 0.02).
        Buf<float> kept(dots, "kept K");
        LAUNCH(rbf_tile_epilogue, grid_for(130LL * 130, harness::BLOCK, 2), 1, harness::BLOCK, 1,
               kept.p(), xn.p(), xn.p(), 130, 130, 0.02f, 2, 0, xrows.p(), xrows.p(), 9);
        auto run = [&](unsigned grid) {
            Buf<double> a(130, "out");
            Buf<double> b(130, "out");
            Buf<double> c(130, "out");
            LAUNCH(rbf_weighted_rowsum, grid, 1, harness::BLOCK, 1, tile.p(), xn.p(), xn.p(),
                   wb.p(), 130, 130, 0.05f, 0, a.p(), xrows.p(), xrows.p(), 9);
            LAUNCH(matrix_weighted_rowsum, grid, 1, harness::BLOCK, 1, tile.p(), wfb.p(), 130,
                   130, b.p());
            LAUNCH(rbf_kept_rowsum, grid, 1, harness::BLOCK, 1, kept.p(), wb.p(), 130, 130,
                   c.p());
            std::vector<double> out = a.get();
            for (const std::vector<double>& more : {b.get(), c.get()}) {
                out.insert(out.end(), more.begin(), more.end());
            }
            return out;
        };
        const std::vector<double> want = run(130);
        std::string differs;
        for (unsigned grid : {1u, 3u}) {
            for (const harness::Schedule& s : harness::other_schedules(false)) {
                if (!harness::same_bits(harness::with_schedule(s, [&] { return run(grid); }),
                                        want)) {
                    differs += " grid " + std::to_string(grid) + " " + harness::schedule_name(s);
                }
            }
        }
        check(differs.empty(), "rbf: rbf_weighted_rowsum, matrix_weighted_rowsum and "
                               "rbf_kept_rowsum, 130 rows on 1 and 3 blocks, every fiber order: "
                               "the same bits as on 130 blocks%s",
              differs.c_str());
    }
    // Same bits under every schedule: the fused product and a per-row sum.
    {
        auto run = [] {
            const Rows x = make_rows(130, 17, 3);
            Buf<float> xb(x.x, "X");
            Buf<float> xn(x.norms, "norms");
            std::vector<double> w(130, 0.5);
            Buf<double> wb(w, "w");
            Buf<double> partial(130 * 3, "partials");
            Buf<double> out(130, "out");
            LAUNCH(rbf_fused_kw, 3, 3, 16, 16, xb.p(), xb.p(), xn.p(), xn.p(), wb.p(), 130, 130,
                   17, 0.05f, 0, partial.p());
            LAUNCH(sum_column_partials, 1, 1, harness::BLOCK, 1, partial.p(), 3, 130, out.p());
            std::vector<float> dots = gemm_dots(x, 0, 130, x, true);
            Buf<float> tile(dots, "tile");
            Buf<double> rows(130, "rows");
            LAUNCH(rbf_weighted_rowsum, 130, 1, harness::BLOCK, 1, tile.p(), xn.p(), xn.p(),
                   wb.p(), 130, 130, 0.05f, 0, rows.p(), xb.p(), xb.p(), 17);
            std::vector<double> result = out.get();
            const std::vector<double> r = rows.get();
            result.insert(result.end(), r.begin(), r.end());
            return result;
        };
        harness::check_schedules("rbf: fused K w and rbf_weighted_rowsum n=130", false, run);
    }
}
