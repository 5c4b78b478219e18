import numpy as np, sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); from oracle import *
d = sys.argv[1]
X = np.load(f'{d}/X.npy'); Y = np.load(f'{d}/Y.npy'); w = np.load(f'{d}/w.npy'); sig = float(open(f'{d}/sigma.txt').read())
c = np.concatenate([X, Y]).astype(np.float64).mean(0); x = X - c; y = Y - c
m = len(y); u = np.full(m, 1.0/m)
kxx, _ = kprod(x, x, w, sig); kxy, _ = kprod(x, y, u, sig)
for t in ['kept', 'tiled']:
    a = np.load(f'{d}/nd4j_{t}XX.npy'); b = np.load(f'{d}/nd4j_{t}XY.npy')
    print(t, 'w.Kw err', w @ a - w @ kxx, 'of', w @ kxx, ' 2w.Ku err', 2*(w @ b - w @ kxy), 'of', 2*w@kxy,
          ' sum err', (w@a - 2*w@b) - (w@kxx - 2*w@kxy))
