#!/usr/bin/env python3
"""Peer comparison: SynAlign against a straightforward NumPy implementation of the same math,
on the same .npy inputs, in one run.

  align:  NumPy accelerated projected gradient (FISTA, fixed step 1/L with L from power
          iteration) on the capped simplex, kernel matrices precomputed in float32, 300 steps.
          SynAlign runs `synalign align` with its defaults. Both weight vectors are then scored
          by the same independent float64 MMD^2 code, and the script reports whether SynAlign
          reached NumPy's MMD^2 reduction and the wall-time ratio.
  select: NumPy GP selection that refits the posterior at every step (Cholesky + solve), and a
          NumPy incremental (pivoted-Cholesky) version, against `synalign select`.
  negatives: exact top-k by inner product (the search of `synalign negatives`) over unit rows:
          NumPy brute force in tiles (float32 matmul + argpartition, a running top-k per query)
          against the engine's InnerProductSearch (benchmarks.jar TopKSearchRun); both hit
          lists are compared, and the wall-time ratio of the two searches is reported.

Usage (from the repository root, after `mvn -q -DskipTests package`):
  python3 benchmarks/peer/numpy_peer.py make-data --synthetic 16000 --real 4000 --dim 384 --out /tmp/peer
  python3 benchmarks/peer/numpy_peer.py align --data /tmp/peer
  python3 benchmarks/peer/numpy_peer.py select --embeddings /tmp/peer/R.npy --count 300
  python3 benchmarks/peer/numpy_peer.py negatives --queries 10000 --corpus 1000000 --k 10
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCHER = os.path.join(ROOT, "synalign")


def clustered_chunks(rows, dim, clusters, spread, shift, seed, shift_from=0, chunk=None):
    """Unit-norm rows around random unit centres (a stand-in for sentence embeddings), as float32
    arrays of at most chunk rows; the rows from index shift_from on have every coordinate of
    their centre moved by shift. The rows do not depend on chunk: each row's arithmetic is its
    own, and the generator's draws come in the same order."""
    centres = np.random.default_rng(42).standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    which = rng.integers(0, clusters, rows)
    chunk = chunk or max(rows, 1)
    for lo in range(0, rows, chunk):
        hi = min(rows, lo + chunk)
        x = centres[which[lo:hi]]
        x[max(0, shift_from - lo):] += shift
        x += spread / np.sqrt(dim) * rng.standard_normal((hi - lo, dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        yield x.astype(np.float32)


def clustered(rows, dim, clusters, spread, shift, seed, shift_from=0):
    """clustered_chunks in one array."""
    parts = list(clustered_chunks(rows, dim, clusters, spread, shift, seed, shift_from))
    return np.concatenate(parts) if parts else np.zeros((0, dim), np.float32)


def write_block(job):
    """One block of a blocked synthetic set, written into the .npy at path in chunks of 2^17
    rows (about 1 GB of float64 scratch), so that many blocks can be written at once."""
    path, rows_total, dim, b, start, stop, seed, first_drifted = job
    out = np.lib.format.open_memmap(path, mode="r+")
    assert out.shape == (rows_total, dim)
    row = start
    for x in clustered_chunks(stop - start, dim, 16, 1.0, 0.05, seed + 1000 + b,
                              shift_from=max(0, first_drifted - start), chunk=1 << 17):
        out[row:row + len(x)] = x
        row += len(x)
    out.flush()
    del out


def save_atomically(path, write):
    """write(file) into path + '.partial', then renamed: a killed run leaves no plausible file,
    and a failed one no partial file."""
    partial = path + ".partial"
    try:
        write(partial)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    os.replace(partial, path)


def save_npy(path, array):
    def write(partial):
        with open(partial, "wb") as f:
            np.save(f, array)
    save_atomically(path, write)


def make_data(args):
    os.makedirs(args.out, exist_ok=True)
    real = clustered(args.real, args.dim, 16, 1.0, 0.0, args.seed + 1)
    save_npy(os.path.join(args.out, "R.npy"), real)
    n_drift = args.synthetic // 3
    if args.synthetic <= args.block:
        synthetic = np.concatenate([
            clustered(args.synthetic - n_drift, args.dim, 16, 1.0, 0.0, args.seed + 2),
            clustered(n_drift, args.dim, 16, 1.0, 0.05, args.seed + 3)])
        save_npy(os.path.join(args.out, "S.npy"), synthetic)
    else:
        # Too large to build in memory: written block by block into a memory-mapped .npy, each
        # block seeded from its index (the first two thirds near the real clusters, the last
        # third drifted, as above, but not the same rows as an in-memory set of that size). The
        # block that holds the first drifted row drifts from that row on. (Before 2026-12-05 a
        # block drifted only when it began in the last third, so at 2.5 M, 5 M and 10 M rows 20,
        # 20 and 30 % of the rows drifted and at 2 M none; the figures in docs/PERFORMANCE.md
        # dated earlier were measured on such sets.)
        # Blocks are independent, so they are written in parallel (--workers processes).
        def write(path):
            out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                            shape=(args.synthetic, args.dim))
            del out
            jobs = [(path, args.synthetic, args.dim, b, start,
                     min(args.synthetic, start + args.block), args.seed,
                     args.synthetic - n_drift)
                    for b, start in enumerate(range(0, args.synthetic, args.block))]
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
            workers = max(1, min(len(jobs), args.workers or cpus or 1))
            if workers == 1:
                for job in jobs:
                    write_block(job)
            else:
                # An executor, not a Pool: a worker killed (say, by the OOM killer) raises
                # BrokenProcessPool here instead of leaving the pool waiting for ever.
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor
                with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                    for _ in pool.map(write_block, jobs):
                        pass
        save_atomically(os.path.join(args.out, "S.npy"), write)
    print(f"wrote {args.out}/R.npy {real.shape} and {args.out}/S.npy ({args.synthetic}, {args.dim})")


def sq_dists(a, b):
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    np.maximum(d2, 0, out=d2)
    return d2


def rbf(a, b, sigma):
    return np.exp(sq_dists(a, b) / (-2.0 * sigma * sigma))


def exact_mmd2(real, synthetic, w, sigma, block=2048):
    """Independent float64 V-statistic MMD^2(w), computed in row blocks."""
    r = real.astype(np.float64)
    s = synthetic.astype(np.float64)
    m = len(r)
    ss = sr = rr = 0.0
    for i in range(0, len(s), block):
        si = s[i:i + block]
        ss += w[i:i + block] @ (rbf(si, s, sigma) @ w)
        sr += w[i:i + block] @ rbf(si, r, sigma).sum(1)
    for j in range(0, m, block):
        rr += rbf(r[j:j + block], r, sigma).sum()
    return ss - 2.0 * sr / m + rr / (m * m)


def project_capped_simplex(v, cap):
    """Euclidean projection onto {w >= 0, w <= cap, sum w = 1} by bisection on the shift."""
    lo, hi = v.min() - cap, v.max()
    for _ in range(100):
        tau = 0.5 * (lo + hi)
        if np.clip(v - tau, 0.0, cap).sum() > 1.0:
            lo = tau
        else:
            hi = tau
    return np.clip(v - 0.5 * (lo + hi), 0.0, cap)


def numpy_apg(real, synthetic, sigma, ratio, steps):
    """FISTA on the capped simplex with a precomputed float32 kernel; returns weights, timings."""
    t0 = time.perf_counter()
    n, m = len(synthetic), len(real)
    kss = rbf(synthetic, synthetic, sigma)
    b = rbf(synthetic, real, sigma).mean(1, dtype=np.float64)
    t_kernel = time.perf_counter() - t0
    v = np.ones(n, dtype=np.float32) / np.sqrt(n)
    for _ in range(30):  # power iteration for lambda_max(K_SS)
        v = kss @ v
        v /= np.linalg.norm(v)
    lipschitz = 2.0 * float(v @ (kss @ v)) * 1.01
    cap = min(1.0, ratio / n)
    w = np.full(n, 1.0 / n)
    y = w.copy()
    t = 1.0
    for _ in range(steps):
        grad = 2.0 * (kss @ y.astype(np.float32)) - 2.0 * b
        w_next = project_capped_simplex(y - grad / lipschitz, cap)
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = w_next + ((t - 1.0) / t_next) * (w_next - w)
        w, t = w_next, t_next
    return w, time.perf_counter() - t0, t_kernel


def run_synalign(args_list):
    t0 = time.perf_counter()
    proc = subprocess.run([LAUNCHER] + args_list, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"synalign failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, proc.stdout


def report_cap(summary_path):
    """The weight cap SynAlign says it ran with (its summary's max_weight_ratio)."""
    with open(summary_path) as f:
        return float(json.load(f)["max_weight_ratio"])


def align(args):
    real = np.load(os.path.join(args.data, "R.npy"))
    synthetic = np.load(os.path.join(args.data, "S.npy"))
    n, m, d = len(synthetic), len(real), real.shape[1]
    print(f"align: {n} synthetic x {m} real x {d}, numpy {np.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        out, summary = os.path.join(tmp, "w.npy"), os.path.join(tmp, "summary.json")
        wall, _ = run_synalign(["align", "--real-embeddings", os.path.join(args.data, "R.npy"),
                                "--synthetic-embeddings", os.path.join(args.data, "S.npy"),
                                "--out", out, "--summary", summary, "--quiet",
                                # The same cap on both sides (it was NumPy's alone: SynAlign ran
                                # at its default 10 under "--max-weight-ratio 1000000").
                                "--max-weight-ratio", repr(args.max_weight_ratio)]
                               + args.synalign_args)
        ours = np.load(out)
        if report_cap(summary) != args.max_weight_ratio:
            sys.exit(f"synalign ran with max_weight_ratio {report_cap(summary)}, the peer with"
                     f" {args.max_weight_ratio}")
        with open(summary) as f:
            report = json.load(f)
    cap = min(1.0, args.max_weight_ratio / n) * (1 + 1e-9)
    if ours.shape != (n,) or not np.all(ours >= 0) or abs(ours.sum() - 1) > 1e-6 or ours.max() > cap:
        sys.exit(f"synalign's weights are invalid: shape {ours.shape}, min {ours.min():.3g},"
                 f" max {ours.max():.3g} (cap {cap:.3g}), sum {ours.sum():.9f}")
    sigma = report["bandwidth"]
    peer_w, peer_seconds, peer_kernel = numpy_apg(real, synthetic, sigma, args.max_weight_ratio, args.steps)
    uniform = np.full(n, 1.0 / n)
    mmd_uniform = exact_mmd2(real, synthetic, uniform, sigma)
    mmd_ours = exact_mmd2(real, synthetic, ours, sigma)
    mmd_peer = exact_mmd2(real, synthetic, peer_w, sigma)
    reached = mmd_ours <= mmd_peer
    # Time for SynAlign to reach NumPy's final MMD^2: the first trace entry at or below it (the
    # trace holds SynAlign's own float32 objective), plus the process overhead outside the engine
    # (JVM start, reading inputs, writing outputs), so that it is an end-to-end figure.
    trace_s, trace_f = report["trace"]["seconds"], report["trace"]["mmd2"]
    overhead = wall - report["seconds"]
    to_reach = next((overhead + t for t, f in zip(trace_s, trace_f) if f <= mmd_peer), float("nan"))
    iters_to_reach = next((i for i, f in enumerate(trace_f) if f <= mmd_peer), None)
    print(f"  bandwidth                {sigma:.6g} (SynAlign's median heuristic, given to both)")
    print(f"  MMD^2 uniform            {mmd_uniform:.6e}")
    print(f"  MMD^2 numpy APG {args.steps} steps {mmd_peer:.6e}  ({100 * (1 - mmd_peer / mmd_uniform):.2f} % reduction)")
    print(f"  MMD^2 synalign           {mmd_ours:.6e}  ({100 * (1 - mmd_ours / mmd_uniform):.2f} % reduction,"
          f" {report['iterations']} iterations, method {report['method']}, backend {report['backend']})")
    print(f"  numpy wall time          {peer_seconds:.2f} s (kernel {peer_kernel:.2f} s)")
    print(f"  synalign wall time       {wall:.2f} s end to end incl. JVM start ({report['seconds']:.2f} s in the engine)")
    print(f"  synalign to reach numpy's MMD^2 {to_reach:.2f} s end to end (iteration {iters_to_reach}, from its trace)")
    print(f"  time ratio, full default run / numpy        {wall / peer_seconds:.3f}; final MMD^2 at or below numpy's: {reached}")
    print(f"  time ratio, reaching numpy's MMD^2 / numpy  {to_reach / peer_seconds:.3f}")
    if not reached:
        sys.exit("synalign's final MMD^2 is above numpy's: the comparison does not hold")


def select_refit(x, count, ell, noise, first):
    n = len(x)
    picks = [first]
    covered = np.zeros(n, dtype=bool)
    covered[first] = True
    for _ in range(1, count):
        xc = x[picks]
        kxc = rbf(x, xc, ell).astype(np.float64)
        kcc = rbf(xc, xc, ell).astype(np.float64) + noise * np.eye(len(picks))
        chol = np.linalg.cholesky(kcc)
        w = np.linalg.solve(chol, kxc.T)
        var = 1.0 - (w * w).sum(0)
        var[covered] = -np.inf
        p = int(np.argmax(var))
        picks.append(p)
        covered[p] = True
    return picks


def select_incremental(x, count, ell, noise, first):
    n = len(x)
    norms = (x * x).sum(1)
    factors = np.zeros((n, count), dtype=np.float64)
    var = np.ones(n)
    covered = np.zeros(n, dtype=bool)
    picks = []
    p = first
    for t in range(count):
        picks.append(p)
        covered[p] = True
        d2 = np.maximum(norms + norms[p] - 2.0 * (x @ x[p]), 0)
        col = np.exp(d2 / (-2.0 * ell * ell)) - factors[:, :t] @ factors[p, :t]
        col /= np.sqrt(var[p] + noise)
        factors[:, t] = col
        var -= col * col
        masked = np.where(covered, -np.inf, var)
        p = int(np.argmax(masked))
    return picks


def median_length_scale(x, seed=0, sample=2000):
    """Median pairwise distance over a seeded sample of rows (the median heuristic)."""
    rows = np.random.default_rng(seed).choice(len(x), size=min(sample, len(x)), replace=False)
    d = np.sqrt(sq_dists(x[rows], x[rows]).astype(np.float64))
    d = d[np.triu_indices(len(rows), k=1)]
    return float(np.median(d[d > 0]))


def select(args):
    x = np.load(args.embeddings)
    ell = median_length_scale(x)  # given to both sides, so they run the same GP
    flags = ["--length-scale", repr(ell), "--noise", repr(args.noise), "--quiet"] + args.synalign_args
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "picks.txt")
        run_synalign(["select", "--embeddings", args.embeddings, "--count", "2", "--out", out] + flags)
        wall, _ = run_synalign(["select", "--embeddings", args.embeddings, "--count", str(args.count),
                                "--out", out] + flags)
        ours = [int(line) for line in open(out)]
    t0 = time.perf_counter()
    incremental = select_incremental(x, args.count, ell, args.noise, ours[0])
    t_inc = time.perf_counter() - t0
    t0 = time.perf_counter()
    refit = select_refit(x, args.count, ell, args.noise, ours[0])
    t_refit = time.perf_counter() - t0
    agree_inc = len(set(ours) & set(incremental)) / args.count
    agree_refit = len(set(ours) & set(refit)) / args.count
    print(f"select: {args.count} of {x.shape[0]} x {x.shape[1]}, length scale {ell:.6g}, first pick {ours[0]}")
    print(f"  synalign select          {wall:.2f} s end to end incl. JVM start")
    print(f"  numpy incremental        {t_inc:.2f} s  (picks shared with synalign: {100 * agree_inc:.1f} %)")
    print(f"  numpy refit every step   {t_refit:.2f} s  (picks shared with synalign: {100 * agree_refit:.1f} %)")
    print(f"  speed-up vs numpy refit  {t_refit / wall:.1f}x; vs numpy incremental {t_inc / wall:.2f}x")
    # float32 (synalign) vs float64 (numpy) may order near-ties differently; more than that is a bug.
    if min(agree_inc, agree_refit) < 0.95:
        sys.exit("synalign's picks differ from numpy's in more than 5 % of cases")


def numpy_topk(q, c, k, query_tile=1024, corpus_tile=65536):
    """Exact top-k of q @ c.T per row, best first (ties: lower index), in tiles of at most
    query_tile x corpus_tile float32 scores."""
    n = q.shape[0]
    best_idx = np.full((n, k), -1, dtype=np.int64)
    best_val = np.full((n, k), -np.inf, dtype=np.float32)
    for qs in range(0, n, query_tile):
        qt = q[qs:qs + query_tile]
        vals = best_val[qs:qs + query_tile]
        idx = best_idx[qs:qs + query_tile]
        for cs in range(0, c.shape[0], corpus_tile):
            scores = qt @ c[cs:cs + corpus_tile].T
            kk = min(k, scores.shape[1])
            part = np.argpartition(-scores, kk - 1, axis=1)[:, :kk]
            cand_val = np.concatenate([vals, np.take_along_axis(scores, part, axis=1)], axis=1)
            cand_idx = np.concatenate([idx, part + cs], axis=1)
            order = np.lexsort((cand_idx, -cand_val), axis=1)[:, :k]
            vals = np.take_along_axis(cand_val, order, axis=1)
            idx = np.take_along_axis(cand_idx, order, axis=1)
        best_val[qs:qs + query_tile] = vals
        best_idx[qs:qs + query_tile] = idx
    return best_idx, best_val


def negatives(args):
    with tempfile.TemporaryDirectory() as tmp:
        q = clustered(args.queries, args.dim, 64, 1.0, 0.0, args.seed + 1)
        c = clustered(args.corpus, args.dim, 64, 1.0, 0.0, args.seed + 2)
        qf, cf, out = (os.path.join(tmp, f) for f in ("Q.npy", "C.npy", "hits.npy"))
        np.save(qf, q)
        np.save(cf, c)
        jar = os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar")
        cmd = ["java", f"-Xmx{args.heap}", "-cp", jar, "io.synalign.benchmarks.TopKSearchRun", qf, cf,
               str(args.k), out, args.backend]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit("TopKSearchRun failed:\n" + run.stderr[-4000:])
        java = json.loads(run.stdout.strip().splitlines()[-1])
        java_hits = np.load(out)
    t0 = time.perf_counter()
    np_idx, np_val = numpy_topk(q, c, args.k)
    t_np = time.perf_counter() - t0
    same = float(np.mean([len(set(a) & set(b)) / args.k for a, b in zip(java_hits, np_idx)]))
    exact = float(np.mean(np.all(java_hits == np_idx, axis=1)))
    print(json.dumps({"queries": args.queries, "corpus": args.corpus, "dim": args.dim, "k": args.k,
                      "synalign_s": java["seconds"], "numpy_s": round(t_np, 3),
                      "ratio": round(java["seconds"] / t_np, 3), "hit_overlap": round(same, 5),
                      "rows_identical": round(exact, 5), "backend": args.backend}))
    # float32 GEMMs with different blocking may swap near-ties; more than that is a bug.
    if same < 0.999:
        sys.exit("synalign's hits differ from numpy's in more than 0.1 % of cases")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make-data")
    mk.add_argument("--synthetic", type=int, default=16000)
    mk.add_argument("--real", type=int, default=4000)
    mk.add_argument("--dim", type=int, default=384)
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--workers", type=int, default=0,
                    help="processes writing blocks at once (default: the CPU count)")
    mk.add_argument("--block", type=int, default=1_000_000,
                    help="synthetic sets larger than this are written block by block")
    mk.add_argument("--out", required=True)
    al = sub.add_parser("align")
    al.add_argument("--data", required=True, help="folder with R.npy and S.npy")
    al.add_argument("--steps", type=int, default=300)
    al.add_argument("--max-weight-ratio", type=float, default=10.0)
    al.add_argument("synalign_args", nargs="*", help="extra flags for synalign align (after --)")
    se = sub.add_parser("select")
    se.add_argument("--embeddings", required=True)
    se.add_argument("--count", type=int, default=300)
    se.add_argument("--noise", type=float, default=1e-6)
    se.add_argument("synalign_args", nargs="*", help="extra flags for synalign select (after --)")
    ne = sub.add_parser("negatives")
    ne.add_argument("--queries", type=int, default=10000)
    ne.add_argument("--corpus", type=int, default=100000)
    ne.add_argument("--dim", type=int, default=384)
    ne.add_argument("--k", type=int, default=10)
    ne.add_argument("--seed", type=int, default=0)
    ne.add_argument("--backend", default="nd4j")
    ne.add_argument("--heap", default="12g")
    args = p.parse_args()
    {"make-data": make_data, "align": align, "select": select, "negatives": negatives}[args.cmd](args)


if __name__ == "__main__":
    main()
