"""Float64 oracle: kernel products and MMD^2 of given weights, about the data's mean."""
import numpy as np, sys, json

def centred(*sets):
    c = np.concatenate([s.astype(np.float64) for s in sets]).mean(0)
    return [s.astype(np.float64) - c for s in sets]

def rbf64(a, b, sigma):
    d2 = (a*a).sum(1)[:, None] + (b*b).sum(1)[None, :] - 2.0*(a @ b.T)
    np.maximum(d2, 0, out=d2)
    return np.exp(d2 / (-2.0*sigma*sigma))

def kprod(a, b, w, sigma, block=2048):
    """K(a,b) w and |K| |w| (same, K >= 0) row by row, float64."""
    out = np.empty(len(a)); outabs = np.empty(len(a))
    for i in range(0, len(a), block):
        k = rbf64(a[i:i+block], b, sigma)
        out[i:i+block] = k @ w
        outabs[i:i+block] = k @ np.abs(w)
    return out, outabs

def mmd2_terms(r, s, w, sigma, block=2048):
    m = len(r)
    ss = sr = rr = 0.0
    for i in range(0, len(s), block):
        si = s[i:i+block]
        ss += w[i:i+block] @ (rbf64(si, s, sigma) @ w)
        sr += w[i:i+block] @ rbf64(si, r, sigma).sum(1)
    for j in range(0, m, block):
        rr += rbf64(r[j:j+block], r, sigma).sum()
    return ss, 2.0*sr/m, rr/(m*m)

def mmd2(r, s, w, sigma):
    a, b, c = mmd2_terms(r, s, w, sigma)
    return a - b + c
