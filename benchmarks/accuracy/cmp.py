"""Compare nd4j outputs in a case dir with the float64 oracle."""
import numpy as np, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); from oracle import *
d = sys.argv[1]; be = sys.argv[2] if len(sys.argv) > 2 else 'nd4j'
X = np.load(f'{d}/X.npy'); Y = np.load(f'{d}/Y.npy'); w = np.load(f'{d}/w.npy')
sig = float(open(f'{d}/sigma.txt').read())
c = np.concatenate([X, Y]).astype(np.float64).mean(0)
x = X.astype(np.float64) - c; y = Y.astype(np.float64) - c
n, m = len(x), len(y); u = np.full(m, 1.0/m)
res = {}
def rep(name, got, ref, refabs):
    e = got - ref
    res[name] = (np.linalg.norm(e)/np.linalg.norm(refabs), np.max(np.abs(e)/np.maximum(refabs, 1e-300)))
    print(f'{name:8s} normwise {res[name][0]:.2e}  worst entry (rel |K||w|) {res[name][1]:.2e}')
kxx = kxy = None
if os.path.exists(f'{d}/{be}_keptXX.npy') or os.path.exists(f'{d}/{be}_tiledXX.npy'):
    kxx, kxxa = kprod(x, x, w, sig); kxy, kxya = kprod(x, y, u, sig)
    for t in ['kept', 'tiled']:
        if os.path.exists(f'{d}/{be}_{t}XX.npy'):
            rep(t+'XX', np.load(f'{d}/{be}_{t}XX.npy'), kxx, kxxa)
            rep(t+'XY', np.load(f'{d}/{be}_{t}XY.npy'), kxy, kxya)
            g = 2*(np.load(f'{d}/{be}_{t}XX.npy') - np.load(f'{d}/{be}_{t}XY.npy')); g64 = 2*(kxx-kxy)
            print(f'{t}grad  normwise vs ||g||: {np.linalg.norm(g-g64)/np.linalg.norm(g64):.2e}  vs |K||w|: {np.linalg.norm(g-g64)/np.linalg.norm(2*(kxxa+kxya)):.2e}')
if os.path.exists(f'{d}/{be}_mmd.npy'):
    a, b, cc = mmd2_terms(y, x, w, sig)
    m64 = a - b + cc; got = np.load(f'{d}/{be}_mmd.npy')[0]
    print(f'mmd2    float64 {m64:.9e} reported {got:.9e} rel {got/m64-1:.2e}  (terms {a:.4e} {b:.4e} {cc:.4e})')
if os.path.exists(f'{d}/{be}_rffT.npy'):
    om = np.load(f'{d}/omega.npy').astype(np.float64).reshape(X.shape[1], -1); ph = np.load(f'{d}/phase.npy').astype(np.float64)
    D = len(ph); Xd = X.astype(np.float64)
    zT = np.zeros(D); zTa = np.zeros(D); z = np.load(f'{d}/z.npy'); o = np.empty(n); oa = np.empty(n)
    for i in range(0, n, 2048):
        P = np.sqrt(2.0/D)*np.cos(Xd[i:i+2048] @ om + ph)
        zT += P.T @ w[i:i+2048]; zTa += np.abs(P).T @ np.abs(w[i:i+2048])
        o[i:i+2048] = P @ z; oa[i:i+2048] = np.abs(P) @ np.abs(z)
    rep('rffT', np.load(f'{d}/{be}_rffT.npy'), zT, zTa)
    rep('rffN', np.load(f'{d}/{be}_rffN.npy'), o, oa)
if os.path.exists(f'{d}/{be}_block.npy'):
    k = int(np.sqrt(np.load(f'{d}/{be}_block.npy').size)); B = np.load(f'{d}/{be}_block.npy').reshape(k, k)
    K = rbf64(x[:k], x[:k], sig)
    print(f'block   normwise {np.linalg.norm(B-K)/np.linalg.norm(K):.2e} worst {np.max(np.abs(B-K)):.2e} diag!=1: {(np.diag(B)!=1).sum()}')
