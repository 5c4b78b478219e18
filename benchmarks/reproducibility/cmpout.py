#!/usr/bin/env python3
"""Compare two SynAlign outputs: .npy weights (max abs / relative difference), JSON summaries
(every field except timing ones), other files byte for byte. Usage: cmpout.py BASE OTHER..."""
import json, sys, os, hashlib
import numpy as np

TIMING = {"seconds", "peak_rss_bytes", "trace.seconds", "wall_seconds", "elapsed", "started", "finished",
          "created", "timestamp", "date"}

def flat(o, p=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield from flat(v, f"{p}.{k}" if p else k)
    elif isinstance(o, list) and any(isinstance(v, (dict, list)) for v in o):
        for i, v in enumerate(o):
            yield from flat(v, f"{p}[{i}]")
    else:
        yield p, o

def timing(key):
    last = key.split(".")[-1]
    return key in TIMING or last in TIMING or "second" in last or "time" in last.lower() or "rss" in last

def cmp(a, b):
    if a.endswith(".npy"):
        x, y = np.load(a), np.load(b)
        if x.shape != y.shape:
            return f"shape {x.shape} vs {y.shape}"
        if np.array_equal(x, y) and open(a,'rb').read() == open(b,'rb').read():
            return "identical"
        d = np.abs(x.astype(np.float64) - y.astype(np.float64))
        rel = d / np.maximum(np.abs(x), 1e-300)
        return (f"DIFFER: {np.count_nonzero(d)} of {x.size} values, max abs {d.max():.3g}, "
                f"max rel {rel[np.abs(x) > 0].max() if np.any(np.abs(x) > 0) else 0:.3g}, "
                f"sum |dw| {d.sum():.3g}")
    if a.endswith(".json"):
        try:
            ja, jb = dict(flat(json.load(open(a)))), dict(flat(json.load(open(b))))
        except Exception:
            pass
        else:
            out = []
            for k in sorted(set(ja) | set(jb)):
                if timing(k):
                    continue
                va, vb = ja.get(k), jb.get(k)
                if va != vb:
                    if isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb) and all(isinstance(t,(int,float)) for t in va+vb):
                        dd = max((abs(p - q) for p, q in zip(va, vb)), default=0)
                        out.append(f"{k}: list differs, max abs {dd:.3g}")
                    elif isinstance(va, (int, float)) and isinstance(vb, (int, float)):
                        out.append(f"{k}: {va!r} vs {vb!r} (diff {vb - va:.3g}, rel {abs(vb-va)/max(abs(va),1e-300):.3g})")
                    else:
                        out.append(f"{k}: {str(va)[:80]!r} vs {str(vb)[:80]!r}")
            return "identical (timing aside)" if not out else "DIFFER: " + "; ".join(out)
    ha = hashlib.sha256(open(a, 'rb').read()).hexdigest()
    hb = hashlib.sha256(open(b, 'rb').read()).hexdigest()
    return "identical" if ha == hb else f"DIFFER (sha256 {ha[:12]} vs {hb[:12]})"

base = sys.argv[1]
for other in sys.argv[2:]:
    if os.path.isdir(base):
        for root, _, files in os.walk(base):
            for f in sorted(files):
                pa = os.path.join(root, f)
                pb = os.path.join(other, os.path.relpath(pa, base))
                if not os.path.exists(pb):
                    print(f"{other}: {os.path.relpath(pa, base)} missing"); continue
                print(f"{other}/{os.path.relpath(pa, base)}: {cmp(pa, pb)}")
    else:
        print(f"{other}: {cmp(base, other)}")
