#!/usr/bin/env python3
"""GPU peer comparison: SynAlign's `--backend cuda` against the same algorithm written in PyTorch
on the same GPU, on the same .npy inputs as numpy_peer.py, in one run.

  align: PyTorch accelerated projected gradient (FISTA, fixed step 1/L with L from power
         iteration) on the capped simplex {w >= 0, w <= B/n, sum w = 1}, minimising the weighted
         MMD^2 w^T K_SS w - 2 w^T K_SR 1/m. K_SS is kept on the GPU when it fits --memory-budget,
         otherwise K_SS y is recomputed every step in row tiles (one GEMM + exp + GEMV per tile),
         the same exact/tiled split SynAlign makes. float32 kernels (TF32 off), float64 weights.
         SynAlign runs `synalign align --backend cuda` with the same bandwidth. Both weight
         vectors are scored by the same float64 MMD^2 code (on the GPU, in blocks); the script
         reports both MMD^2 reductions and the wall-time ratio.

Usage (on the device machine, see benchmarks/gpu/run-on-device.sh):
  python3 benchmarks/peer/torch_peer.py make-data --synthetic 200000 --real 20000 --out /tmp/peer
  python3 benchmarks/peer/torch_peer.py align --data /tmp/peer --iterations 100 \
      --synalign "runtime/bin/java -jar synalign.jar" -- --method tiled
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import numpy_peer  # noqa: E402  (same data generator, so both peers read identical inputs)

try:
    import torch
except ImportError:  # make-data and --help work without torch
    torch = None


def need_cuda():
    if torch is None:
        sys.exit("PyTorch is not installed")
    if not torch.cuda.is_available():
        sys.exit("PyTorch sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False  # FP32 GEMMs, as SynAlign's default
    torch.backends.cudnn.allow_tf32 = False
    return torch.device("cuda")


def sq_dists(a, b, a_norm=None, b_norm=None):
    a_norm = (a * a).sum(1) if a_norm is None else a_norm
    b_norm = (b * b).sum(1) if b_norm is None else b_norm
    d2 = a_norm[:, None] + b_norm[None, :] - 2.0 * (a @ b.T)
    return d2.clamp_(min=0)


def rbf(a, b, sigma):
    return torch.exp(sq_dists(a, b) * (-0.5 / (sigma * sigma)))


class KernelOperator:
    """y -> K_SS y, materialised when it fits the budget, else recomputed in row tiles."""

    def __init__(self, s, sigma, budget_bytes, tile_bytes=1 << 30):
        self.s = s
        self.norm = (s * s).sum(1)
        self.gamma = -0.5 / (sigma * sigma)
        n = s.shape[0]
        self.k = None
        if 4 * n * n <= budget_bytes:
            self.k = torch.exp(sq_dists(s, s, self.norm, self.norm) * self.gamma)
        self.tile = max(1, min(n, tile_bytes // (4 * n)))

    def __matmul__(self, y):
        if self.k is not None:
            return self.k @ y
        out = torch.empty_like(y)
        for i in range(0, self.s.shape[0], self.tile):
            block = sq_dists(self.s[i:i + self.tile], self.s, self.norm[i:i + self.tile], self.norm)
            out[i:i + self.tile] = torch.exp_(block.mul_(self.gamma)) @ y
        return out

    def materialised(self):
        return self.k is not None


def project_capped_simplex(v, cap, iterations=60):
    """Euclidean projection onto the capped simplex by bisection on the shift (float64)."""
    lo = v.min() - cap
    hi = v.max()
    for _ in range(iterations):
        tau = 0.5 * (lo + hi)
        over = torch.clamp(v - tau, 0.0, cap).sum() > 1.0
        lo = torch.where(over, tau, lo)
        hi = torch.where(over, hi, tau)
    return torch.clamp(v - 0.5 * (lo + hi), 0.0, cap)


def torch_apg(real, synthetic, sigma, ratio, steps, budget):
    """FISTA on the capped simplex; returns (weights, seconds, set-up seconds, materialised)."""
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    n, m = synthetic.shape[0], real.shape[0]
    kss = KernelOperator(synthetic, sigma, budget)
    b = torch.zeros(n, dtype=torch.float64, device=synthetic.device)
    r_norm = (real * real).sum(1)
    s_norm = kss.norm
    for i in range(0, n, kss.tile):
        block = sq_dists(synthetic[i:i + kss.tile], real, s_norm[i:i + kss.tile], r_norm)
        b[i:i + kss.tile] = torch.exp_(block.mul_(kss.gamma)).sum(1, dtype=torch.float64) / m
    v = torch.ones(n, dtype=torch.float32, device=synthetic.device) / np.sqrt(n)
    for _ in range(30):  # power iteration for lambda_max(K_SS)
        v = kss @ v
        v /= torch.linalg.vector_norm(v)
    lipschitz = 2.0 * float(v @ (kss @ v)) * 1.01
    torch.cuda.synchronize()
    t_setup = time.perf_counter() - t0
    cap = min(1.0, ratio / n)
    w = torch.full((n,), 1.0 / n, dtype=torch.float64, device=synthetic.device)
    y = w.clone()
    t = 1.0
    for _ in range(steps):
        grad = 2.0 * (kss @ y.float()).double() - 2.0 * b
        w_next = project_capped_simplex(y - grad / lipschitz, cap)
        t_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        y = w_next + ((t - 1.0) / t_next) * (w_next - w)
        w, t = w_next, t_next
    torch.cuda.synchronize()
    return w, time.perf_counter() - t0, t_setup, kss.materialised()


def exact_mmd2(real, synthetic, w, sigma, block=1024):
    """Independent float64 V-statistic MMD^2(w), in row blocks on the GPU."""
    r = real.double()
    s = synthetic.double()
    w = w.double()
    m = r.shape[0]
    ss = sr = rr = 0.0
    for i in range(0, s.shape[0], block):
        si = s[i:i + block]
        ss += float(w[i:i + block] @ (rbf(si, s, sigma) @ w))
        sr += float(w[i:i + block] @ rbf(si, r, sigma).sum(1))
    for j in range(0, m, block):
        rr += float(rbf(r[j:j + block], r, sigma).sum())
    return ss - 2.0 * sr / m + rr / (m * m)


def run_synalign(command, args_list):
    t0 = time.perf_counter()
    proc = subprocess.run(shlex.split(command) + args_list, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"synalign failed ({proc.returncode}): {proc.stderr.strip()}")
    return elapsed, proc.stdout


def align(args):
    device = need_cuda()
    real_np = np.load(os.path.join(args.data, "R.npy"))
    synthetic_np = np.load(os.path.join(args.data, "S.npy"))
    n, m, d = len(synthetic_np), len(real_np), real_np.shape[1]
    print(f"align: {n} synthetic x {m} real x {d}, torch {torch.__version__},"
          f" {torch.cuda.get_device_name(0)}")
    bandwidth = args.bandwidth
    if bandwidth is None:
        bandwidth = numpy_peer.median_length_scale(np.concatenate([real_np, synthetic_np]))
    with tempfile.TemporaryDirectory() as tmp:
        out, summary = os.path.join(tmp, "w.npy"), os.path.join(tmp, "summary.json")
        wall, _ = run_synalign(args.synalign, [
            "align", "--real-embeddings", os.path.join(args.data, "R.npy"),
            "--synthetic-embeddings", os.path.join(args.data, "S.npy"), "--out", out,
            "--summary", summary, "--quiet", "--backend", "cuda", "--bandwidth", repr(bandwidth),
            "--iterations", str(args.iterations), "--tolerance", "1e-300",
            "--max-weight-ratio", repr(args.max_weight_ratio)] + args.synalign_args)
        ours = np.load(out)
        with open(summary) as f:
            report = json.load(f)
    sigma = report["bandwidth"]
    real = torch.from_numpy(real_np).to(device)
    synthetic = torch.from_numpy(synthetic_np).to(device)
    uniform = torch.full((n,), 1.0 / n, dtype=torch.float64, device=device)
    mmd_uniform = exact_mmd2(real, synthetic, uniform, sigma)
    mmd_ours = exact_mmd2(real, synthetic, torch.from_numpy(ours).to(device), sigma)
    figures = {"n": n, "m": m, "d": d, "bandwidth": sigma, "iterations": args.iterations,
               "mmd2_uniform": mmd_uniform, "mmd2_torch": None, "mmd2_synalign": mmd_ours,
               "mmd2_ratio": None, "torch_seconds": None, "torch_setup_seconds": None,
               "torch_kept_kss": None, "synalign_engine_seconds": report["seconds"],
               "synalign_wall_seconds": wall, "synalign_method": report["method"],
               "synalign_backend": report["backend"],
               "synalign_kernel_storage": report.get("kernel_storage"),
               "synalign_iterations": report["iterations"]}

    def write_figures():
        if args.summary_out:
            with open(args.summary_out + ".tmp", "w") as f:
                json.dump(figures, f, indent=2)
            os.replace(args.summary_out + ".tmp", args.summary_out)

    # SynAlign's side first: if the peer is cut off by the step's time limit, these remain.
    write_figures()
    print(f"  bandwidth                {sigma:.6g} (given to both)")
    print(f"  MMD^2 uniform            {mmd_uniform:.6e}")
    print(f"  MMD^2 synalign           {mmd_ours:.6e}  ({100 * (1 - mmd_ours / mmd_uniform):.2f} %"
          f" reduction, {report['iterations']} iterations, method {report['method']},"
          f" backend {report['backend']})")
    print(f"  synalign wall time       {wall:.2f} s end to end incl. JVM start"
          f" ({report['seconds']:.2f} s in the engine)")
    peer_w, peer_seconds, peer_setup, materialised = torch_apg(
        real, synthetic, sigma, args.max_weight_ratio, args.iterations, args.memory_budget)
    mmd_peer = exact_mmd2(real, synthetic, peer_w, sigma)
    print(f"  MMD^2 torch APG {args.iterations} steps {mmd_peer:.6e}"
          f"  ({100 * (1 - mmd_peer / mmd_uniform):.2f} % reduction,"
          f" K_SS {'kept' if materialised else 'tiled'})")
    print(f"  torch wall time          {peer_seconds:.2f} s (set-up {peer_setup:.2f} s)")
    print(f"  speed-up, torch / synalign engine {peer_seconds / report['seconds']:.2f}x;"
          f" end to end {peer_seconds / wall:.2f}x")
    ratio = mmd_ours / mmd_peer if mmd_peer > 0 else float("nan")
    print(f"  MMD^2 synalign / torch   {ratio:.4f} (target <= 1.01)")
    figures.update({"mmd2_torch": mmd_peer, "mmd2_ratio": ratio, "torch_seconds": peer_seconds,
                    "torch_setup_seconds": peer_setup, "torch_kept_kss": materialised})
    write_figures()
    if report["backend"] != "cuda":
        sys.exit(f"synalign ran on backend {report['backend']}, not cuda")
    if mmd_ours > mmd_peer * 1.01 + 1e-12:
        sys.exit("synalign's final MMD^2 is more than 1 % above torch's: the comparison does not"
                 " hold")


def score(args):
    """The float64 MMD^2 of a weights file (uniform too), for a run whose own report is not
    float64 (an fp16 kept K reports its own objective): the same scoring as align's."""
    device = need_cuda()
    real = torch.from_numpy(np.load(os.path.join(args.data, "R.npy"))).to(device)
    synthetic = torch.from_numpy(np.load(os.path.join(args.data, "S.npy"))).to(device)
    w = torch.from_numpy(np.load(args.weights)).to(device)
    n = synthetic.shape[0]
    if w.shape != (n,):
        sys.exit(f"{args.weights}: {tuple(w.shape)} weights for {n} synthetic rows")
    uniform = torch.full((n,), 1.0 / n, dtype=torch.float64, device=device)
    figures = {"bandwidth": args.bandwidth, "weights": args.weights,
               "mmd2_uniform": exact_mmd2(real, synthetic, uniform, args.bandwidth),
               "mmd2_weighted": exact_mmd2(real, synthetic, w, args.bandwidth)}
    print(f"  MMD^2 (float64) {figures['mmd2_uniform']:.6e} uniform ->"
          f" {figures['mmd2_weighted']:.6e} weighted, bandwidth {args.bandwidth:.6g}")
    with open(args.out + ".tmp", "w") as f:
        json.dump(figures, f, indent=2)
    os.replace(args.out + ".tmp", args.out)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make-data")
    mk.add_argument("--synthetic", type=int, default=200000)
    mk.add_argument("--real", type=int, default=20000)
    mk.add_argument("--dim", type=int, default=384)
    mk.add_argument("--seed", type=int, default=0)
    mk.add_argument("--workers", type=int, default=0,
                    help="processes writing blocks at once (default: the CPU count)")
    mk.add_argument("--block", type=int, default=1_000_000,
                    help="synthetic sets larger than this are written block by block")
    mk.add_argument("--out", required=True)
    al = sub.add_parser("align")
    al.add_argument("--data", required=True, help="folder with R.npy and S.npy")
    al.add_argument("--iterations", type=int, default=100)
    al.add_argument("--max-weight-ratio", type=float, default=10.0)
    al.add_argument("--bandwidth", type=float, default=None,
                    help="default: the median heuristic over a seeded sample of all rows")
    al.add_argument("--memory-budget", type=int, default=40 << 30,
                    help="bytes the torch peer may keep K_SS in (else it tiles)")
    al.add_argument("--synalign", default=os.environ.get("SYNALIGN_CMD",
                                                         os.path.join(ROOT, "synalign")),
                    help="command that runs synalign (default $SYNALIGN_CMD or ./synalign)")
    al.add_argument("--summary-out", default=None,
                    help="also write both sides' figures to this JSON file")
    al.add_argument("synalign_args", nargs="*", help="extra flags for synalign align (after --)")
    sc = sub.add_parser("score", help="float64 MMD^2 of a weights file at a given bandwidth")
    sc.add_argument("--data", required=True, help="folder with R.npy and S.npy")
    sc.add_argument("--weights", required=True, help="a .npy of n weights")
    sc.add_argument("--bandwidth", type=float, required=True)
    sc.add_argument("--out", required=True, help="JSON file for the figures")
    args = p.parse_args()
    {"make-data": numpy_peer.make_data, "align": align, "score": score}[args.cmd](args)


if __name__ == "__main__":
    main()
