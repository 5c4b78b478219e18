#!/usr/bin/env python3
"""fp16 storage of a kept K_SS at wide bandwidths, simulated in float64 (helper cudaplan31).

The cuda backend keeps K_SS as its upper triangle in 32 x 32 tiles (symk.cu, symk_pack): a tile
whose every exponent -d^2 / (2 sigma^2) is above -1/4 is "flat" and stores g = k - 1
(-|expm1f(e)|), any other stores k (expf(e), 1 on the diagonal), in float32 or IEEE half.
This script builds both storages from the same float32 exponents (d^2 in double rounded to
float32, as the far-pair repair leaves them; gamma = 1 / (2 sigma^2) in float32), rounds them
with NumPy's float16 (round to nearest even, subnormals kept: what cvt.rn.f16.f32 does), and
fits the MMD weights once on each stored K_SS (K_SR's row sums exact, in float64, as the tiled
rbf.cu sums them in double), on the capped simplex (cap B / n, B = 10 as the CLI's default),
by accelerated projected gradient with restarts, run far past SynAlign's 500 iterations so
that what differs is the stored K and not the optimiser. Every product is in float64: the
float32 partial sums' noise (helper symk29) is not simulated, only the storage.

Both fits' weights are then scored by the float64 MMD^2 from G = expm1(-d^2 / (2 sigma^2))
(so the ones of k = 1 + g, which cancel for weights summing to 1, are never added), with the
float64 fit's as the reference. Printed per bandwidth (a multiple of the median distance of
the rows, the median heuristic's own scale): the share of flat tiles, the uniform weights'
MMD^2, each fit's MMD^2 and fp16 / fp32.

Usage: python3 fp16flat.py [--n 1500] [--m 500] [--d 32] [--seed 1] [--iters 4000]
       [--ratios 1,2,3,5,10,30,100] [--data gauss|clusters|npy:FOLDER]
"""
import argparse
import numpy as np


def rows(kind, n, m, d, rng):
    if kind.startswith("npy:"):
        # A folder with R.npy and S.npy (numpy_peer.py make-data): n and m rows drawn from them.
        folder = kind[4:]
        r_all = np.load(folder + "/R.npy", mmap_mode="r")
        s_all = np.load(folder + "/S.npy", mmap_mode="r")
        real = np.asarray(r_all[np.sort(rng.choice(r_all.shape[0], m, replace=False))])
        s = np.asarray(s_all[np.sort(rng.choice(s_all.shape[0], n, replace=False))])
        s = s[rng.permutation(n)]
        return real.astype(np.float32).astype(np.float64), s.astype(np.float32).astype(np.float64)
    if kind == "gauss":
        real = rng.standard_normal((m, d))
        # 60 % of S drawn as R is, 40 % shifted and wider: weights can undo the difference.
        k = int(0.6 * n)
        s = np.vstack([rng.standard_normal((k, d)),
                       0.6 + 1.4 * rng.standard_normal((n - k, d))])
    else:
        centres = 4.0 * rng.standard_normal((8, d))
        real = centres[rng.integers(0, 8, m)] + rng.standard_normal((m, d))
        # S over-draws two clusters.
        p = np.array([0.3, 0.3] + [0.4 / 6] * 6)
        s = centres[rng.choice(8, n, p=p)] + rng.standard_normal((n, d))
    s = s[rng.permutation(n)]
    return real.astype(np.float32).astype(np.float64), s.astype(np.float32).astype(np.float64)


def sqdist(a, b):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def stored_kss(d2, sigma, half):
    """K_SS as symk.cu stores it (float32 or half), read back as float64; flat tiles as 1 + g."""
    n = d2.shape[0]
    gamma = np.float32(1.0 / (2.0 * sigma * sigma))
    ex = (-gamma * d2.astype(np.float32)).astype(np.float32)
    np.fill_diagonal(ex, np.float32(-0.0))
    nt = (n + 31) // 32
    k = np.empty((n, n))
    flat_tiles = 0
    tiles = 0
    store = np.float16 if half else np.float32
    for i in range(nt):
        for j in range(i, nt):
            tiles += 1
            r = slice(32 * i, min(n, 32 * i + 32))
            c = slice(32 * j, min(n, 32 * j + 32))
            e = ex[r, c]
            if i == j:
                off = ~np.eye(e.shape[0], dtype=bool)
                flat = bool(np.all(e[off] > np.float32(-0.25)))
            else:
                flat = bool(np.all(e > np.float32(-0.25)))
            if flat:
                flat_tiles += 1
                g = -np.abs(np.expm1(e.astype(np.float64)).astype(np.float32))
                v = 1.0 + g.astype(store).astype(np.float64)
            else:
                kk = np.exp(e.astype(np.float64)).astype(np.float32)
                if i == j:
                    np.fill_diagonal(kk, np.float32(1.0))
                v = kk.astype(store).astype(np.float64)
            k[r, c] = v
            k[c, r] = v.T
    return k, flat_tiles / tiles


def project(v, cap):
    """Euclidean projection onto {w : 0 <= w <= cap, sum w = 1} (bisection on the shift)."""
    lo, hi = v.min() - cap, v.max()
    for _ in range(100):
        t = 0.5 * (lo + hi)
        s = np.clip(v - t, 0.0, cap).sum()
        if s > 1.0:
            lo = t
        else:
            hi = t
    return np.clip(v - 0.5 * (lo + hi), 0.0, cap)


def fit(h, b, cap, iters):
    """min w^T H w - 2 b^T w on the capped simplex; H = K_SS - 1 1^T (same minimiser)."""
    n = h.shape[0]
    # The step: the largest eigenvalue of H on the simplex's tangent space (sum w fixed), by
    # power iteration on P H P, P = I - 1 1^T / n (H's own largest may be the ones direction).
    x = np.random.default_rng(0).standard_normal(n)
    for _ in range(200):
        x -= x.mean()
        x = h @ x
        x -= x.mean()
        x /= np.linalg.norm(x)
    lip = 2.0 * abs(float(x @ (h @ x))) * 1.05
    w = np.full(n, 1.0 / n)
    y, t = w.copy(), 1.0
    f = lambda u: float(u @ (h @ u) - 2.0 * b @ u)
    fw = f(w)
    for _ in range(iters):
        nw = project(y - (2.0 * (h @ y - b)) / lip, cap)
        fn = f(nw)
        if fn > fw:  # restart
            y, t = w.copy(), 1.0
            continue
        nt = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        y = nw + ((t - 1) / nt) * (nw - w)
        w, fw, t = nw, fn, nt
    return w


def mmd2(w, v, gss, gsr, grr):
    return float(w @ (gss @ w) - 2.0 * w @ (gsr @ v) + v @ (grr @ v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--m", type=int, default=500)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--iters", type=int, default=4000)
    ap.add_argument("--ratios", default="1,2,3,5,10,30,100")
    ap.add_argument("--data", default="gauss")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    real, s = rows(a.data, a.n, a.m, a.d, rng)
    dss, dsr, drr = sqdist(s, s), sqdist(s, real), sqdist(real, real)
    both = np.vstack([s, real])
    iu = np.triu_indices(both.shape[0], 1)
    dist = np.sqrt(sqdist(both, both)[iu])
    median = float(np.median(dist))
    q10 = float(np.quantile(dist, 0.10))
    v = np.full(a.m, 1.0 / a.m)
    cap = min(1.0, 10.0 / a.n)
    print(f"{a.data} n={a.n} m={a.m} d={s.shape[1]} seed={a.seed} median={median:.4f} iters={a.iters}")
    print(f"10th percentile distance / median = {q10 / median:.4f}")
    print("ratio | k at the 10th percentile | flat tiles | uniform | float64 fit | fp32 fit"
          " | fp16 fit | fp16/fp32")
    for r in [float(x) for x in a.ratios.split(",")]:
        sigma = r * median
        c = 1.0 / (2.0 * sigma * sigma)
        gss, gsr, grr = np.expm1(-c * dss), np.expm1(-c * dsr), np.expm1(-c * drr)
        b = gsr @ v  # K_SR v less the ones (sum v = 1): exact, as rbf.cu sums it in double
        out = {}
        for name in ("f64", "fp32", "fp16"):
            if name == "f64":
                h, flat = gss, None
            else:
                k, flat = stored_kss(dss, sigma, name == "fp16")
                h = k - 1.0
                share = flat
            out[name] = mmd2(fit(h, b, cap, a.iters), v, gss, gsr, grr)
        uni = mmd2(np.full(a.n, 1.0 / a.n), v, gss, gsr, grr)
        k10 = np.exp(-(q10 / sigma) ** 2 / 2)
        print(f"{r:g} | {k10:.4f} | {share:.3f} | {uni:.4e} | {out['f64']:.4e} | {out['fp32']:.4e} |"
              f" {out['fp16']:.4e} | {out['fp16'] / out['fp32']:.3f}", flush=True)


if __name__ == "__main__":
    main()
