import numpy as np, json, sys
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); from oracle import *
R = np.load('/tmp/peer-16k/R.npy'); S = np.load('/tmp/peer-16k/S.npy')
r, s = centred(R, S)
for tag in sys.argv[1:]:
    js = json.load(open(f'/tmp/peer-16k/{tag}.json')) if tag.startswith('W') else json.load(open(tag + '.json'))
    w = np.load(f'/tmp/peer-16k/{tag}.npy' if tag.startswith('W') else tag + '.npy').astype(np.float64)
    sig = js['bandwidth']; w = w / w.sum()
    a, b, c = mmd2_terms(r, s, w, sig)
    u = np.full(len(s), 1.0/len(s))
    au, bu, cu = mmd2_terms(r, s, u, sig)
    m64 = a-b+c; mu = au-bu+cu
    print(tag, 'terms', a, b, c, 'float64 mmd2', m64, 'reported', js['mmd2_weighted'], 'rel err', js['mmd2_weighted']/m64-1,
          '| uniform', mu, 'reported', js['mmd2_uniform'], 'rel', js['mmd2_uniform']/mu-1)
