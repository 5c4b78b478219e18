"""mkcase.py DIR n m d kind [sigma_factor] [scale]: X (n x d), Y (m x d) float32, w, sigma."""
import numpy as np, sys, os
d_, n, m, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
kind = sys.argv[5]; sf = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
scale = float(sys.argv[7]) if len(sys.argv) > 7 else 1.0
os.makedirs(d_, exist_ok=True)
rng = np.random.default_rng(n * 7 + d)
if kind == 'peer':
    S = np.load('/tmp/peer-16k/S.npy', mmap_mode='r'); R = np.load('/tmp/peer-16k/R.npy', mmap_mode='r')
    X = np.array(S[:n]); Y = np.array(R[:m])
elif kind == 'clusters':   # 20 gaussian clusters, rows normalised like embeddings
    C = rng.standard_normal((20, d))
    def draw(k): 
        z = C[rng.integers(0, 20, k)] + 0.7 * rng.standard_normal((k, d)); return z / np.linalg.norm(z, axis=1, keepdims=True)
    X = draw(n); Y = draw(m)
elif kind == 'offset':     # rows sharing a large offset: every coordinate + scale
    X = rng.standard_normal((n, d)) + scale; Y = rng.standard_normal((m, d)) + scale; scale = 1.0
elif kind == 'mixednorm':  # half the rows at norm 1e-3, half at 1e3 (directions random)
    def draw(k):
        z = rng.standard_normal((k, d)); z /= np.linalg.norm(z, axis=1, keepdims=True)
        return z * np.where(rng.random((k, 1)) < 0.5, 1e-3, 1e3)
    X = draw(n); Y = draw(m)
elif kind == 'neardup':    # near-duplicate rows: 50 bases far out, copies differing by 1e-4 of the norm
    B = rng.standard_normal((50, d)) * 10 + 100
    def draw(k):
        b = B[rng.integers(0, 50, k)]; return b + 1e-4 * np.linalg.norm(b, axis=1, keepdims=True) * rng.standard_normal((k, d)) / np.sqrt(d)
    X = draw(n); Y = draw(m)
elif kind == 'constcols':  # half the columns constant (a bias of 100), the rest N(0,1)
    X = rng.standard_normal((n, d)); Y = rng.standard_normal((m, d)); X[:, ::2] = 100; Y[:, ::2] = 100
elif kind == 'heavy':      # Student-t with 1.5 degrees of freedom: heavy-tailed rows
    X = rng.standard_t(1.5, (n, d)); Y = rng.standard_t(1.5, (m, d))
else:
    raise SystemExit(kind)
X = (X * scale).astype(np.float32); Y = (Y * scale).astype(np.float32)
np.save(f'{d_}/X.npy', X); np.save(f'{d_}/Y.npy', Y)
# median heuristic on a 1,000-row sample of the union, in float64 about the mean
U = np.concatenate([X, Y]).astype(np.float64); U = U[rng.choice(len(U), min(1000, len(U)), replace=False)]
U -= U.mean(0); d2 = (U*U).sum(1)[:, None] + (U*U).sum(1)[None, :] - 2 * U @ U.T
med = np.sqrt(np.median(d2[np.triu_indices(len(U), 1)]))
sigma = med * sf
open(f'{d_}/sigma.txt', 'w').write(repr(float(sigma)))
if kind == 'peer' and n == 16000:
    w = np.load('/tmp/peer-16k/W-s25.npy')
else:
    w = np.exp(rng.standard_normal(n)); w[rng.random(n) < 0.5] = 0
w = w / w.sum(); np.save(f'{d_}/w.npy', w.astype(np.float64))
print(d_, X.shape, Y.shape, 'sigma', sigma)
