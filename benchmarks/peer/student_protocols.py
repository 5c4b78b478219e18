#!/usr/bin/env python3
"""How much `synalign evaluate`'s verdict depends on how its student is trained.

An experiment, not a benchmark: it re-implements the CLI's logistic-regression student in NumPy
(float64; minibatches of 64, Adam 1e-2, L2 1e-4 on the weights, inputs standardised with the
training part's weighted mean and deviation, labels weighted as in the CLI: real rows 1,
synthetic weights scaled to mean 1) and trains it under other protocols on the same rows:

  held-out       the CLI's: 20 % of each (label, source) stratum held out, early stopping on its
                 weighted cross-entropy (patience 10, min delta 1e-3), the best epoch kept
  real-held-out  the same real rows held out, every synthetic row trained on
  refit          the best epoch count of `held-out`, then trained again on every row
  no-held-out    every row, 100 epochs
  full-batch     every row, full-batch Adam (lr 0.1) to a gradient norm below 1e-6 or 20,000
                 steps: the convex problem's minimiser, the same for every seed

and prints macro-F1 per variant (mean and sample std over seeds) and the paired difference
real+aligned minus real+synthetic (mean and its standard error over seeds).

Inputs, in DIR: real.jsonl, test.jsonl (labelled rows), weighted.jsonl (`synalign align`'s
--out for the synthetic rows, in their order), and their embeddings real.npy, test.npy,
synth.npy (`synalign embed --in F.jsonl --out F.npy`). docs/RELIABILITY.md (session 20) has
the commands and the figures.

Usage: student_protocols.py DIR [--seeds 10] [--protocols held-out,refit,...] [--l2 1e-2]
"""
import argparse
import json
import os

import numpy as np

PROTOCOLS = ("held-out", "real-held-out", "refit", "no-held-out", "full-batch")


def load(directory):
    def rows(name):
        with open(os.path.join(directory, name)) as f:
            return [json.loads(line) for line in f if line.strip()]

    real, test, synth = rows("real.jsonl"), rows("test.jsonl"), rows("weighted.jsonl")
    classes = sorted({r["label"] for r in real})
    index = {c: i for i, c in enumerate(classes)}
    x = {n: np.load(os.path.join(directory, n + ".npy")).astype(np.float64)
         for n in ("real", "test", "synth")}
    y = {"real": np.array([index[r["label"]] for r in real]),
         "test": np.array([index[r["label"]] for r in test]),
         "synth": np.array([index[r["label"]] for r in synth])}
    w = np.array([r["synalign_weight"] for r in synth], dtype=np.float64)
    return classes, x, y, w * len(w) / w.sum()


def macro_f1(y, p, k):
    scores = []
    for c in range(k):
        tp = np.sum((p == c) & (y == c))
        denominator = 2 * tp + np.sum((p == c) & (y != c)) + np.sum((p != c) & (y == c))
        scores.append(0.0 if tp == 0 else 2 * tp / denominator)
    return float(np.mean(scores))


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class Adam:
    def __init__(self, shapes, lr):
        self.lr, self.t = lr, 0
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]

    def step(self, params, grads):
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= self.lr * (m / (1 - 0.9 ** self.t)) / (np.sqrt(v / (1 - 0.999 ** self.t)) + 1e-8)


def gradients(x, onehot, w, weights, bias, l2, denominator):
    g = w[:, None] * (softmax(x @ weights + bias) - onehot) / denominator
    return [x.T @ g + l2 * weights, g.sum(axis=0)]


def minibatch_fit(x, y, w, k, train, held, rng, epochs=100, patience=10, l2=1e-4):
    d = x.shape[1]
    onehot = np.eye(k)[y]
    weights = rng.normal(0.0, np.sqrt(2.0 / (d + k)), (d, k))
    bias = np.zeros(k)
    adam = Adam([weights.shape, bias.shape], 1e-2)
    best, best_params, best_epoch = np.inf, None, 0
    for epoch in range(1, epochs + 1):
        order = rng.permutation(train)
        for start in range(0, len(order), 64):
            b = order[start:start + 64]
            adam.step([weights, bias], gradients(x[b], onehot[b], w[b], weights, bias, l2, len(b)))
        if len(held) == 0 or w[held].sum() == 0:
            continue
        p = softmax(x[held] @ weights + bias)[np.arange(len(held)), y[held]]
        loss = -np.sum(w[held] * np.log(np.maximum(p, 1e-12))) / w[held].sum()
        if loss < best - 1e-3:
            best, best_params, best_epoch = loss, (weights.copy(), bias.copy()), epoch
        elif epoch - best_epoch >= patience:
            break
    if best_params is not None:
        weights, bias = best_params
    return weights, bias, best_epoch


def full_batch_fit(x, y, w, k, l2):
    onehot = np.eye(k)[y]
    weights, bias = np.zeros((x.shape[1], k)), np.zeros(k)
    adam = Adam([weights.shape, bias.shape], 0.1)
    for _ in range(20000):
        g = gradients(x, onehot, w, weights, bias, l2, w.sum())
        if np.sqrt(sum(np.sum(a * a) for a in g)) < 1e-6:
            break
        adam.step([weights, bias], g)
    return weights, bias


def held_out(strata, rng, fraction=0.2):
    held = []
    for s in np.unique(strata):
        rows = rng.permutation(np.where(strata == s)[0])
        held.extend(rows[:int(np.floor(fraction * len(rows)))])
    held = np.array(sorted(held), dtype=int)
    return np.setdiff1d(np.arange(len(strata)), held), held


def standardised(x, w, rows, *others):
    mean = (w[rows, None] * x[rows]).sum(axis=0) / w[rows].sum()
    sd = np.sqrt((w[rows, None] * (x[rows] - mean) ** 2).sum(axis=0) / w[rows].sum())
    sd[sd < 1e-12] = 1.0
    return [(a - mean) / sd for a in (x,) + others]


def score(protocol, x, y, w, n_real, k, test_x, test_y, seed, l2):
    rng = np.random.default_rng(seed)
    everything = np.arange(len(y))
    if protocol == "full-batch":
        z, zt = standardised(x, w, everything, test_x)
        weights, bias = full_batch_fit(z, y, w, k, l2)
    elif protocol == "no-held-out":
        z, zt = standardised(x, w, everything, test_x)
        weights, bias, _ = minibatch_fit(z, y, w, k, everything, np.array([], int), rng)
    else:
        strata = np.where(everything < n_real, y, k + y)
        train, held = held_out(strata, rng)
        if protocol == "real-held-out":
            held = held[held < n_real]
            train = np.setdiff1d(everything, held)
        z, zt = standardised(x, w, train, test_x)
        weights, bias, best_epoch = minibatch_fit(z, y, w, k, train, held, rng)
        if protocol == "refit":
            z, zt = standardised(x, w, everything, test_x)
            weights, bias, _ = minibatch_fit(z, y, w, k, everything, np.array([], int), rng,
                                             epochs=max(best_epoch, 1))
    return macro_f1(test_y, (zt @ weights + bias).argmax(axis=1), k)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--protocols", default=",".join(PROTOCOLS))
    parser.add_argument("--l2", type=float, default=1e-2, help="full-batch's L2 (mean loss)")
    args = parser.parse_args()
    classes, x, y, synth_w = load(args.directory)
    k, n_real = len(classes), len(y["real"])
    variants = {
        "real": (x["real"], y["real"], np.ones(n_real)),
        "real+synthetic": (np.vstack([x["real"], x["synth"]]),
                           np.concatenate([y["real"], y["synth"]]),
                           np.ones(n_real + len(synth_w))),
        "real+aligned": (np.vstack([x["real"], x["synth"]]),
                         np.concatenate([y["real"], y["synth"]]),
                         np.concatenate([np.ones(n_real), synth_w])),
    }
    for protocol in args.protocols.split(","):
        if protocol not in PROTOCOLS:
            parser.error(f"unknown protocol {protocol!r}; one of {', '.join(PROTOCOLS)}")
        seeds = 1 if protocol == "full-batch" else args.seeds
        results = {v: np.array([score(protocol, vx, vy, vw, n_real, k, x["test"], y["test"], s,
                                      args.l2) for s in range(seeds)])
                   for v, (vx, vy, vw) in variants.items()}
        cells = "  ".join(f"{v} {r.mean():.4f}" + (f" ± {r.std(ddof=1):.4f}" if seeds > 1 else "")
                          for v, r in results.items())
        diff = results["real+aligned"] - results["real+synthetic"]
        se = f" ± {diff.std(ddof=1) / np.sqrt(seeds):.4f} (se)" if seeds > 1 else ""
        print(f"{protocol:14s} {cells}  aligned-synthetic {diff.mean():+.4f}{se}", flush=True)


if __name__ == "__main__":
    main()
