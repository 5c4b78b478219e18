#!/usr/bin/env python3
"""Writes a text alignment problem of any size for `synalign align` (text form), block by block.

  python3 benchmarks/text/make_text_scale.py --synthetic 10000000 --real 2000 --labels 6 --out DIR

DIR/R.jsonl, DIR/S.jsonl: records {"id", "text", "label"} (labels in random order, as a
generator writes them); DIR/R.npy, DIR/S.npy: float32 embeddings, one row per record, each
label a Gaussian cluster, the synthetic clusters shifted and wider than the real ones so that
alignment has work to do. Memory: one block of rows at a time (any --synthetic fits).
"""
import argparse
import json
import os

import numpy as np


def header(rows, cols):
    """A NumPy .npy v1.0 header for a C-order float32 array of rows x cols."""
    d = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (rows, cols)
    pad = 64 - (10 + len(d) + 1) % 64
    d = d + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + len(d).to_bytes(2, "little") + d.encode("latin1")


def write(prefix, n, dim, centres, spread, shift, seed, block, out):
    rng = np.random.default_rng(seed)
    labels = len(centres)
    with open(os.path.join(out, prefix + ".npy"), "wb") as npy, \
            open(os.path.join(out, prefix + ".jsonl"), "w", encoding="utf-8") as jsonl:
        npy.write(header(n, dim))
        for start in range(0, n, block):
            count = min(block, n - start)
            lab = rng.integers(0, labels, count)
            x = centres[lab] + shift + spread * rng.standard_normal((count, dim), dtype=np.float32)
            npy.write(x.astype("<f4", copy=False).tobytes())
            lines = []
            for k in range(count):
                i = start + k
                lines.append(json.dumps({"id": f"{prefix}{i}",
                                         "text": f"{prefix} text number {i} about topic {lab[k]}",
                                         "label": f"topic{lab[k]}"}))
            jsonl.write("\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--synthetic", type=int, required=True)
    p.add_argument("--real", type=int, default=2000)
    p.add_argument("--labels", type=int, default=6)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--block", type=int, default=500_000)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    centres = (rng.standard_normal((a.labels, a.dim)) / np.sqrt(a.dim) * 4).astype(np.float32)
    write("R", a.real, a.dim, centres, 1.0 / np.sqrt(a.dim), 0.0, a.seed + 1, a.block, a.out)
    write("S", a.synthetic, a.dim, centres, 1.5 / np.sqrt(a.dim), 0.3 / np.sqrt(a.dim),
          a.seed + 2, a.block, a.out)


if __name__ == "__main__":
    main()
