// symk.cu driven as CudaSymmetricKernelOperator drives it: build (per band of tile rows the
// dots of the band's rows against every row from the band on, row-major with ld = n - 32 first,
// as the cuBLAS GEMM leaves them, then symk_pack), and the product (symk_weights, symk_fused,
// symk_col_reduce). Checked: every stored entry (unit diagonal, zero padding, exactly symmetric
// diagonal tiles, k - 1 in exactly the flat tiles, values against a double reference), and K w
// against double references of the stored values and of the exact kernel, also for flat kernels
// (a bandwidth 30 and 100 times the median distance).
#define EMU_NO_ASM_MACRO
#include "emu_check.h"

using harness::Buf;
using harness::check;

namespace {

constexpr int TILE = 32;

long long tiles(long long n) {
    const long long nt = (n + TILE - 1) / TILE;
    return nt * (nt + 1) / 2;
}

/** First tile of panel I (symk_panel). */
long long panel(long long I, long long nt) { return I * nt - I * (I - 1) / 2; }

struct Data {
    int n;
    int d;
    std::vector<float> x;      // n x d
    std::vector<float> norms;  // ||x_i||^2, rounded once
    float gamma;

    /**
     * x_a . x_b as a float32 GEMM may give it: a float fmaf chain, in increasing k above the
     * diagonal (a < b) and decreasing k below it, so dot(a, b) and dot(b, a) may differ in the
     * last bits (as tiled or split-k GEMMs do): symk_pack must read the upper one for both.
     */
    float dot(int a, int b) const {
        float s = 0.0f;
        if (a <= b) {
            for (int k = 0; k < d; k++) {
                s = std::fmaf(x[(size_t) a * d + k], x[(size_t) b * d + k], s);
            }
        } else {
            for (int k = d - 1; k >= 0; k--) {
                s = std::fmaf(x[(size_t) a * d + k], x[(size_t) b * d + k], s);
            }
        }
        return s;
    }
};

/** The median of ||x_i - x_j|| over pairs i < j, in double. */
double median_distance(const Data& data) {
    std::vector<double> dist;
    for (int i = 0; i < data.n; i++) {
        for (int j = i + 1; j < data.n; j++) {
            double s = 0;
            for (int k = 0; k < data.d; k++) {
                const double v = (double) data.x[(size_t) i * data.d + k] -
                                 data.x[(size_t) j * data.d + k];
                s += v * v;
            }
            dist.push_back(std::sqrt(s));
        }
    }
    std::nth_element(dist.begin(), dist.begin() + dist.size() / 2, dist.end());
    return dist[dist.size() / 2];
}

void set_norms(Data& data) {
    data.norms.resize(data.n);
    for (int i = 0; i < data.n; i++) {
        double s = 0;
        for (int k = 0; k < data.d; k++) {
            s += (double) data.x[(size_t) i * data.d + k] * data.x[(size_t) i * data.d + k];
        }
        data.norms[i] = (float) s;
    }
}

Data make_data(int n, uint64_t seed, int d = 5) {
    Data data;
    data.n = n;
    data.d = d;
    harness::Rng rng(seed);
    data.x.resize((size_t) n * data.d);
    for (int i = 0; i < n; i++) {
        // Mostly a cloud, some outliers (tiny kernel values: binary16 subnormals and zeros), some
        // exact duplicates of earlier rows (d2 = 0 off the diagonal).
        const int kind = rng.below(12);
        const double scale = kind == 0 ? 3.0 : kind == 1 ? 6.0 : 1.0;
        for (int k = 0; k < data.d; k++) {
            data.x[(size_t) i * data.d + k] = (float) (scale * rng.gaussian());
        }
        if (kind == 2 && i > 0) {
            const int j = rng.below(i);
            std::copy_n(&data.x[(size_t) j * data.d], data.d, &data.x[(size_t) i * data.d]);
        }
    }
    data.norms.resize(n);
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < data.d; k++) {
            s += (double) data.x[(size_t) i * data.d + k] * data.x[(size_t) i * data.d + k];
        }
        data.norms[i] = (float) s;
    }
    const double sigma2 = data.d;  // typical d2 = 2 d: k ~ exp(-1)
    data.gamma = (float) (1.0 / (2 * sigma2));
    return data;
}

/**
 * make_data's rows at a bandwidth `factor` times their median distance (a flat kernel); with
 * `groups`, the rows from n / 3 on moved by an offset that puts an exponent near -20 between the
 * two groups, so tiles within a group are flat and those across it are not.
 */
Data make_flat_data(int n, int d, double factor, bool groups, uint64_t seed) {
    Data data = make_data(n, seed, d);
    const double sigma = factor * median_distance(data);
    if (groups) {
        const float offset = (float) (sigma * std::sqrt(40.0 / d));
        for (size_t e = (size_t) (n / 3) * d; e < data.x.size(); e++) {
            data.x[e] += offset;
        }
        set_norms(data);
    }
    data.gamma = (float) (1.0 / (2 * sigma * sigma));
    return data;
}

/** The kept triangle, built band by band as CudaSymmetricKernelOperator.build does. */
struct Kept {
    int n;
    int nt;
    int half;
    Buf<unsigned char> kernel;

    Kept(const Data& data, int half, int band, int sms)
        : n(data.n),
          nt((data.n + TILE - 1) / TILE),
          half(half),
          kernel((size_t) tiles(data.n) * TILE * TILE * (half ? 2 : 4), "kept K") {
        (void) sms;
        Buf<float> norms(data.norms, "norms");
        Buf<float> xrows(data.x, "X");
        band = std::max(1, std::min(nt, band));
        Buf<float> dots((size_t) band * TILE * n, "band dots");
        for (int first = 0; first < nt; first += band) {
            const int bandTiles = std::min(band, nt - first);
            const int start = first * TILE;
            const int rows = std::min(bandTiles * TILE, n - start);
            const int cols = n - start;
            // The GEMM: rows x cols, row-major, ld = cols; the rest of the scratch is whatever
            // it was (poisoned here, so that a read of it shows).
            dots.poison();
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    dots[(size_t) i * cols + j] = data.dot(start + i, start + j);
                }
            }
            long long blocks = 0;
            for (int i = first; i < first + bandTiles; i++) {
                blocks += nt - i;
            }
            LAUNCH(symk_pack, (unsigned) blocks, 1, harness::BLOCK, 1, dots.p(), (long long) cols,
                   norms.p(), n, nt, first, bandTiles, data.gamma, half, (void*) kernel.p(),
                   xrows.p(), data.d);
        }
    }

    /** Stored entry (r, c) of tile (I, J), I <= J, as a float. */
    float stored(long long tile, int e) const {
        if (half) {
            uint16_t h;
            std::memcpy(&h, kernel.p() + 2 * (tile * TILE * TILE + e), 2);
            return emu::half_to_float(h);
        }
        float f;
        std::memcpy(&f, kernel.p() + 4 * (tile * TILE * TILE + e), 4);
        return f;
    }

    /** Whether tile number `tile` holds k - 1 (a flat tile): its first entry's sign bit. */
    bool flat(long long tile) const { return std::signbit(stored(tile, 0)); }

    /** Tile number of (i, j) and the entry's index in it, from the upper triangle. */
    std::pair<long long, int> locate(int i, int j) const {
        if (i > j) {
            std::swap(i, j);
        }
        const int I = i / TILE;
        const int J = j / TILE;
        return {panel(I, nt) + (J - I), (i % TILE) * TILE + (j % TILE)};
    }

    /** The stored entry for K[i][j] (k, or k - 1 in a flat tile). */
    float at(int i, int j) const {
        const auto [tile, e] = locate(i, j);
        return stored(tile, e);
    }

    /** K[i][j] as the stored entry stands for it: 1 + g in a flat tile, in double. */
    double value(int i, int j) const {
        const auto [tile, e] = locate(i, j);
        const float v = stored(tile, e);
        return flat(tile) ? 1.0 + (double) v : (double) v;
    }

    /** Whether K[i][j] lies in a flat tile. */
    bool flat_at(int i, int j) const { return flat(locate(i, j).first); }

    /**
     * y = K w: symk_weights on the double weights (a warp per 32-row block, as
     * launchWarpPerRow), then symk_fused (rows and the column partials of every tile above the
     * diagonal) and symk_col_reduce, on nt blocks each (as CudaSymmetricKernelOperator launches
     * them) or on `grid` blocks (the kernels' grid-stride loops over tile rows and columns).
     * `ones` passes w = NULL (all ones: rowSums).
     */
    std::vector<double> multiply(const std::vector<double>& w, int sms, int grid = 0,
                                 bool ones = false) {
        Buf<double> wd(w, "w");
        Buf<float> wf(n, "w (float)");
        Buf<double> wsum(nt, "w block sums");
        Buf<double> rowSums(n, "row pass sums");
        Buf<float> colpart((size_t) nt * (nt + 1) / 2 * TILE, "column partials");
        Buf<double> out(n, "K w");
        LAUNCH(symk_weights, harness::grid_for(32LL * nt, harness::BLOCK, sms), 1, harness::BLOCK,
               1, ones ? nullptr : (const double*) wd.p(), n, nt, wf.p(), wsum.p());
        const unsigned blocks = grid > 0 ? grid : nt;
        LAUNCH(symk_fused, blocks, 1, harness::BLOCK, 1, (const void*) kernel.p(), half, wf.p(),
               (const double*) wsum.p(), n, nt, rowSums.p(), colpart.p());
        LAUNCH(symk_col_reduce, blocks, 1, harness::BLOCK, 1, (const float*) colpart.p(),
               (const double*) rowSums.p(), (const void*) kernel.p(), half,
               (const double*) wsum.p(), n, nt, out.p());
        return out.get();
    }
};

/** exp(-gamma max(na + nb - 2 dot, 0)) in double from the float inputs; 1 on the diagonal. */
double reference_entry(const Data& data, int i, int j) {
    if (i == j) {
        return 1.0;
    }
    const int a = std::min(i, j);
    const int b = std::max(i, j);
    return harness::rbf_reference(data.gamma, data.norms[a], data.norms[b], data.dot(a, b));
}

/** harness::rbf_tolerance for entry (i, j); 0 on the diagonal (exactly 1). */
double entry_tolerance(const Data& data, int i, int j, double k, int half) {
    if (i == j) {
        return 0;
    }
    const int a = std::min(i, j);
    const int b = std::max(i, j);
    return harness::rbf_tolerance(k, data.gamma, data.norms[a], data.norms[b], data.dot(a, b), 0,
                                  half != 0);
}

/** The exponent of symk_pack for (i, j), i != j, as the kernel evaluates it. */
float pack_exponent(const Data& data, int i, int j) {
    const int a = std::min(i, j);
    const int b = std::max(i, j);
    const float dot = data.dot(a, b);
    const float d2 = fmaxf(data.norms[a] + data.norms[b] - 2.0f * dot, 0.0f);
    return -data.gamma * d2;
}

/** The float formula of symk_pack for (i, j), i != j: k, or k - 1 in a flat tile. */
float pack_formula(const Data& data, int i, int j, bool flat) {
    const float e = pack_exponent(data, i, j);
    return flat ? -fabsf(expm1f(e)) : expf(e);
}

/** Whether symk_pack should keep tile (I, J) as k - 1: every exponent within n above -1/4. */
bool tile_is_flat(const Data& data, int I, int J) {
    for (int r = 0; r < TILE; r++) {
        for (int c = 0; c < TILE; c++) {
            const int i = I * TILE + r;
            const int j = J * TILE + c;
            if (i < data.n && j < data.n && i != j && !(pack_exponent(data, i, j) > -0.25f)) {
                return false;
            }
        }
    }
    return true;
}

harness::Tallies tallies;

void build_and_multiply(int n, int half, int band, int sms) {
    const Data data = make_data(n, 1000ULL * n + 7);
    Kept kept(data, half, band, sms);
    const int nt = kept.nt;
    char shape[96];
    std::snprintf(shape, sizeof shape, "n=%d %s band=%d of %d tile rows", n,
                  half ? "fp16" : "fp32", std::min(band, nt), nt);

    // Every stored entry.
    bool padding = true;
    bool diagonal = true;
    bool symmetric = true;
    bool formula = true;
    bool flatness = true;
    bool close = true;
    double worst = 0;
    std::string where;
    for (int I = 0; I < nt; I++) {
        for (int J = I; J < nt; J++) {
            const long long tile = panel(I, nt) + (J - I);
            const bool flat = kept.flat(tile);
            flatness &= flat == tile_is_flat(data, I, J);
            for (int r = 0; r < TILE; r++) {
                for (int c = 0; c < TILE; c++) {
                    const int i = I * TILE + r;
                    const int j = J * TILE + c;
                    const float k = kept.stored(tile, r * TILE + c);
                    if (i >= n || j >= n) {
                        if (!harness::same_bits(k, 0.0f)) {
                            padding = false;
                        }
                        continue;
                    }
                    if (i == j) {
                        diagonal &= flat ? harness::same_bits(k, -0.0f) : k == 1.0f;
                        continue;
                    }
                    if (I == J && !harness::same_bits(k, kept.stored(tile, c * TILE + r))) {
                        symmetric = false;
                    }
                    float want = pack_formula(data, i, j, flat);
                    if (half) {
                        want = emu::half_to_float(emu::float_to_half(want));
                    }
                    formula &= harness::same_bits(k, want);
                    const double ref = reference_entry(data, i, j);
                    const double tol = entry_tolerance(data, i, j, ref, half);
                    const double e = std::fabs(kept.value(i, j) - ref) / tol;
                    if (!(e <= 1.0) && close) {
                        close = false;
                        char text[160];
                        std::snprintf(text, sizeof text, "(%d, %d): %.9g vs %.9g, tolerance %.3g",
                                      i, j, (double) k, ref, tol);
                        where = text;
                    }
                    worst = harness::worse(worst, e);
                }
            }
        }
    }
    tallies("symk: symk_pack writes 0 in every padding entry (i or j >= n)").add(padding, shape);
    tallies("symk: symk_pack writes exactly 1 on the diagonal (k - 1 = -0 in a flat tile)")
            .add(diagonal, shape);
    tallies("symk: symk_pack keeps a tile as k - 1 exactly where every exponent within n is "
            "above -1/4").add(flatness, shape);
    tallies("symk: diagonal tiles exactly symmetric").add(symmetric, shape);
    tallies("symk: entries equal the float formula of (min(i,j), max(i,j)) (expm1f in a flat "
            "tile), rounded to binary16 for fp16, bit for bit (the right dots element, band "
            "offsets, ld)")
            .add(formula, shape);
    harness::Tally& tc = tallies(
            "symk: entries within tolerance of exp(-gamma d2) in double (float d2 rounding, "
            "expf ulps, binary16 rounding) (error / tolerance)");
    tc.measure(worst);
    tc.add(close, std::string(shape) + " " + where);

    // Products: random weights (multiply) and all ones (rowSums).
    harness::Rng rng(n * 31 + half);
    std::vector<double> w(n);
    for (double& v : w) {
        v = rng.gaussian();
    }
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            std::fill(w.begin(), w.end(), 1.0);
        }
        const std::vector<double> y = kept.multiply(w, sms, 0, pass == 1);
        bool okStored = true;
        bool okExact = true;
        double worstStored = 0;
        double worstExact = 0;
        for (int i = 0; i < n; i++) {
            long double sumStored = 0;
            double absStored = 0; // the float partials' terms
            double absAll = 0;    // every term added in double
            long double sumExact = 0;
            double tolExact = 0;
            for (int j = 0; j < n; j++) {
                // The tiles' float partials take w as floats; a flat tile's 1 takes w in double.
                const double wf = (float) w[j];
                const double k = kept.at(i, j);
                const bool flat = kept.flat_at(i, j);
                const double term = flat ? w[j] + k * wf : k * wf;
                sumStored += (long double) term;
                absStored += std::fabs(k * wf);
                absAll += std::fabs(k * wf) + (flat ? std::fabs(w[j]) : 0.0);
                const double ref = reference_entry(data, i, j);
                sumExact += (long double) ref * (flat ? w[j] : wf);
                tolExact += entry_tolerance(data, i, j, ref, half) * std::fabs(wf);
            }
            // Each tile adds a 32-term float dot (fmaf) into double: gamma_32 sum |K w|, plus
            // the double sums (a few dozen additions).
            // A flat tile's weights enter through their block's double sum (5 more additions).
            const double tolStored = harness::gamma_f(32) * absStored +
                                     (2 * nt + 21) * harness::U64 * absAll + 1e-300;
            const double eStored = std::fabs((double) (y[i] - sumStored)) / tolStored;
            const double eExact =
                    std::fabs((double) (y[i] - sumExact)) / (tolStored + tolExact);
            okStored &= eStored <= 1;
            okExact &= eExact <= 1;
            worstStored = harness::worse(worstStored, eStored);
            worstExact = harness::worse(worstExact, eExact);
        }
        const char* what = pass == 0 ? "K w" : "K 1 (rowSums)";
        harness::Tally& ts = tallies(std::string("symk: ") + what +
                                      " (symk_fused + symk_col_reduce) within gamma_32 sum |K w| of the "
                                     "double product of the stored entries (error / bound)");
        ts.measure(worstStored);
        ts.add(okStored, shape);
        harness::Tally& te = tallies(std::string("symk: ") + what +
                                     " within the entry and product tolerances of the double "
                                     "product of exp(-gamma d2) (error / bound)");
        te.measure(worstExact);
        te.add(okExact, shape);
        const std::vector<double> again = kept.multiply(w, sms, 0, pass == 1);
        tallies("symk: a repeated product is bit-identical").add(harness::same_bits(y, again),
                                                                shape);
    }

    // One-hot weights: y = column p of K, exactly (a single non-zero term per row and column).
    bool columns = true;
    std::string bad;
    for (int p : {0, 31, 32, n / 2, n - 1}) {
        if (p < 0 || p >= n) {
            continue;
        }
        std::vector<double> e(n, 0.0);
        e[p] = 1.0;
        const std::vector<double> y = kept.multiply(e, sms);
        for (int j = 0; j < n; j++) {
            if (!harness::same_bits(y[j], kept.value(j, p))) {
                if (columns) {
                    bad = "p=" + std::to_string(p) + " row " + std::to_string(j) + ": " +
                          std::to_string(y[j]) + " vs " + std::to_string(kept.value(j, p));
                }
                columns = false;
            }
        }
        columns &= y[p] == 1.0;
    }
    tallies("symk: K e_p is column p of K exactly, y_p = 1 (p in {0, 31, 32, n/2, n-1})")
            .add(columns, std::string(shape) + " " + bad);
}


/**
 * A flat kernel's products keep each value's distance from 1: K w and K 1 within 1e-5 of
 * sum_j |k_ij - 1| |w_j| of the kernel of the rows in double (the backend contract's flat-kernel
 * measure), at 30 and 100 times the median bandwidth; in binary16, within that plus the
 * rounding of what is stored (2^-11 of |k - 1| or k, 2^-25 below the normal range). Stored as k,
 * float32 misses this by up to 6e-4 and binary16 by far more (k near 1 rounds to 2^-11).
 */
void flat_products(int n, int d, double factor, bool groups, int half) {
    const Data data = make_flat_data(n, d, factor, groups, 77ULL * n + d);
    Kept kept(data, half, 2, 2);
    harness::Rng rng(n + d);
    std::vector<double> w(n);
    for (double& v : w) {
        v = rng.gaussian();
    }
    char shape[128];
    std::snprintf(shape, sizeof shape, "%g x the median, n=%d d=%d %s%s", factor, n, d,
                  half ? "fp16" : "fp32", groups ? ", two groups" : "");
    int flatTiles = 0;
    bool flatness = true;
    for (int I = 0; I < kept.nt; I++) {
        for (int J = I; J < kept.nt; J++) {
            const bool flat = kept.flat(panel(I, kept.nt) + (J - I));
            flatTiles += flat ? 1 : 0;
            flatness &= flat == tile_is_flat(data, I, J);
        }
    }
    tallies("symk: flat kernels: symk_pack keeps a tile as k - 1 exactly where every exponent "
            "within n is above -1/4").add(flatness, std::string(shape) + " flat tiles " +
                                                        std::to_string(flatTiles));
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            std::fill(w.begin(), w.end(), 1.0);
        }
        const std::vector<double> y = kept.multiply(w, 2, 0, pass == 1);
        double worst = 0;
        for (int i = 0; i < n; i++) {
            long double want = 0;
            double scale = 0;
            double stored = 0;
            for (int j = 0; j < n; j++) {
                double s2 = 0;
                for (int k = 0; k < d; k++) {
                    const double v = (double) data.x[(size_t) i * d + k] - data.x[(size_t) j * d + k];
                    s2 += v * v;
                }
                const double k = std::exp(-(double) data.gamma * s2);
                want += (long double) k * w[j];
                scale += std::fabs(k - 1.0) * std::fabs(w[j]);
                stored += (std::ldexp(std::fabs(kept.at(i, j)), -11) + std::ldexp(1.0, -25)) *
                          std::fabs(w[j]);
            }
            const double bound = 1e-5 * scale + (half ? stored : 0.0) + 1e-300;
            worst = harness::worse(worst, std::fabs((double) (y[i] - want)) / bound);
        }
        harness::Tally& t = tallies(std::string("symk: flat kernels: ") +
                                    (pass == 0 ? "K w" : "K 1") +
                                    " within 1e-5 sum |k - 1| |w| of the rows' double kernel "
                                    "(fp16: plus its rounding) (error / bound)");
        t.measure(worst);
        t.add(worst <= 1 && flatTiles > 0,
              std::string(shape) + " flat tiles " + std::to_string(flatTiles));
    }
}

}  // namespace

void test_symk() {
    for (int n : {1, 31, 33, 100, 257}) {
        const int nt = (n + TILE - 1) / TILE;
        for (int half : {0, 1}) {
            // One tile row per band, two, and all in one band.
            std::vector<int> bands = {1, std::min(2, nt), nt};
            std::sort(bands.begin(), bands.end());
            bands.erase(std::unique(bands.begin(), bands.end()), bands.end());
            for (int band : bands) {
                build_and_multiply(n, half, band, n % 2 ? 2 : 132);
            }
        }
    }
    for (int half : {0, 1}) {
        for (double factor : {30.0, 100.0}) {
            flat_products(257, 16, factor, false, half);
            flat_products(100, 384, factor, false, half);
            flat_products(33, 3, factor, false, half);
        }
        flat_products(300, 12, 30.0, true, half);
    }
    tallies.report();
    for (int half : {0, 1}) {
        auto run = [half] {
            const Data data = make_data(100, 99);
            Kept kept(data, half, 2, 2);
            std::vector<double> w(100);
            harness::Rng rng(5);
            for (double& v : w) {
                v = rng.gaussian();
            }
            std::vector<double> out = kept.multiply(w, 2);
            for (long long t = 0; t < tiles(100) * TILE * TILE; t++) {
                out.push_back(kept.stored(0, (int) t));
            }
            return out;
        };
        harness::check_schedules(half ? "symk: fp16 build and product n=100"
                                      : "symk: fp32 build and product n=100",
                                 true, run);
    }
    // Fewer blocks than tile rows: each block loops over several (the kernels' grid-stride
    // loops, which reuse the shared sums), same bits as one block per tile row.
    {
        const Data data = make_data(300, 41);
        Kept kept(data, 0, 10, 2);
        std::vector<double> w(300);
        harness::Rng rng(8);
        for (double& v : w) {
            v = rng.gaussian();
        }
        const std::vector<double> want = kept.multiply(w, 2);
        std::string differs;
        for (int grid : {1, 3}) {
            for (const harness::Schedule& s : harness::other_schedules(false)) {
                const auto got = harness::with_schedule(s, [&] { return kept.multiply(w, 2, grid); });
                if (!harness::same_bits(got, want)) {
                    differs += " grid " + std::to_string(grid) + " " + harness::schedule_name(s);
                }
            }
        }
        check(differs.empty(), "symk: n=300 (10 tile rows) on 1 and 3 blocks, every fiber order: "
                               "the same bits as on 10 blocks%s",
              differs.c_str());
    }
}
