import io.synalign.kernels.*;
import io.synalign.io.NpyReader;
import java.nio.file.*;
import java.util.*;

/**
 * Where the float32 error of nd4j's kept K_SS product comes from at a flat bandwidth (helper
 * gemv28, docs/RELIABILITY.md "Wide bandwidths, continued").
 *
 * <p>{@code java -cp synalign.jar:. FlatNoise DIR SIGMA W.npy [POINTS] [STEP]}: DIR holds S.npy and
 * R.npy (float32), W.npy a weight vector (float64, e.g. a reference fit's). Along a line of
 * POINTS weight vectors STEP apart (2-norm, zero-sum, on W's support) it splits the error of
 * {@code w^T (K w)} against the float64 reference backend's kept K into the stored values'
 * rounding (nd4j's K read column by column: a product with e_j is exact), w's rounding to float
 * ({@code (K~ - 1 1^T)(fl(w) - w)}) and the GEMV sums (the rest), and prints each one's r.m.s.
 * change from point to point: what the optimiser sees as noise (the split models w rounded once
 * to float, as before gemv28; since, with w's low part multiplied too, and since helper flat32,
 * whose flat panels sum the double w in double, read the total). Then the fixed errors of the
 * linear term and the constant, and the tiled K_SS's noise (tiles of 256 rows, and the fit's
 * tiles of 32 MiB). O(n^2) memory in double (n = 1,500:
 * 36 MB twice).
 */
public class FlatNoise {
    public static void main(String[] a) throws Exception {
        FloatMatrix s = NpyReader.readMatrix(Paths.get(a[0], "S.npy"));
        FloatMatrix r = NpyReader.readMatrix(Paths.get(a[0], "R.npy"));
        double sigma = Double.parseDouble(a[1]);
        double[] w0 = NpyReader.readVector(Paths.get(a[2]));
        int n = s.rows(), m = r.rows();
        try (KernelBackend nd = KernelBackends.create("nd4j");
             KernelBackend ref = KernelBackends.create("reference");
             KernelOperator kn = nd.rbfOperator(s, s, sigma, new TilePlan(true, 256, KernelStorage.FLOAT32));
             KernelOperator kr = ref.rbfOperator(s, s, sigma, new TilePlan(true, 256, KernelStorage.FLOAT32))) {
            System.out.println("nd4j " + kn.storageDescription() + " / ref " + kr.storageDescription());
            // nd4j's stored matrix, column by column (a GEMV with one nonzero is exact).
            double[][] kt = new double[n][];
            double[] e = new double[n];
            for (int j = 0; j < n; j++) {
                e[j] = 1; kt[j] = new double[n]; kn.multiply(e, kt[j]); e[j] = 0;
            }
            double[][] kx = new double[n][];
            for (int j = 0; j < n; j++) {
                e[j] = 1; kx[j] = new double[n]; kr.multiply(e, kx[j]); e[j] = 0;
            }
            // the direction: a zero-sum random perturbation on the support of w0
            Random rnd = new Random(5);
            double[] d = new double[n];
            double sd = 0; int cnt = 0;
            for (int i = 0; i < n; i++) if (w0[i] > 0) { d[i] = rnd.nextGaussian(); sd += d[i]; cnt++; }
            for (int i = 0; i < n; i++) if (w0[i] > 0) d[i] -= sd / cnt;
            double dn = 0; for (double v : d) dn += v * v; dn = Math.sqrt(dn);
            int T = Integer.parseInt(a.length > 3 ? a[3] : "40");
            double step = Double.parseDouble(a.length > 4 ? a[4] : "1e-7");
            double[] tot = new double[T], sto = new double[T], gem = new double[T], wr = new double[T];
            double[] out = new double[n];
            for (int t = 0; t < T; t++) {
                double[] w = w0.clone();
                for (int i = 0; i < n; i++) w[i] += t * step * d[i] / dn;
                kn.multiply(w, out);
                double[] exact = prod(kx, w), stored = prod(kt, w);
                double[] wf = new double[n]; for (int i = 0; i < n; i++) wf[i] = (float) w[i];
                double[] storedF = prod(kt, wf);
                double sw = 0, swf = 0; for (int i = 0; i < n; i++) { sw += w[i]; swf += wf[i]; }
                // the code computes G fl(w) + 1 sum w: the rounding's share is (K~ - 1 1^T)(fl(w) - w)
                double[] wround = new double[n];
                for (int i = 0; i < n; i++) wround[i] = storedF[i] - stored[i] - (swf - sw);
                tot[t] = dot(w, out) - dot(w, exact);
                sto[t] = dot(w, stored) - dot(w, exact);
                wr[t] = dot(w, wround);
                gem[t] = dot(w, out) - dot(w, stored) - wr[t];
                if (t < 3 || t == T - 1) {
                    System.out.printf(Locale.ROOT, "t=%d w'Kw exact %.17g  errors in w'Kw: total %.3e storage %.3e w-rounding %.3e gemv-sums %.3e | entry max |gemv| %.3e%n",
                        t, dot(w, exact), tot[t], sto[t], wr[t], gem[t], maxAbsDiff(out, stored, wround));
                }
            }
            System.out.printf(Locale.ROOT, "over %d points %.0e apart: w'Kw error  total sd of steps %.3e | storage %.3e | w-rounding %.3e | gemv-sums %.3e%n",
                T, step, sdDiff(tot), sdDiff(sto), sdDiff(wr), sdDiff(gem));
            System.out.printf(Locale.ROOT, "  levels: total %.3e storage %.3e w-rounding %.3e gemv %.3e%n", mean(tot), mean(sto), mean(wr), mean(gem));
            // linear term h = (1/m) K_SR 1 (tiled row sums, as the engine takes it)
            double[] hn = new double[n], hr = new double[n];
            try (KernelOperator o = nd.rbfOperator(s, r, sigma, TilePlan.tiled(256))) { o.rowSums(hn); }
            try (KernelOperator o = ref.rbfOperator(s, r, sigma, TilePlan.tiled(256))) { o.rowSums(hr); }
            double hm = 0, hs = 0;
            for (int i = 0; i < n; i++) { double x = (hn[i] - hr[i]) / m; hm = Math.max(hm, Math.abs(x)); }
            for (int i = 0; i < n; i++) hs += w0[i] * (hn[i] - hr[i]) / m;
            System.out.printf(Locale.ROOT, "h = K_SR 1/m: max entry error %.3e; its share of f at w0 (-2 w'dh) %.3e (fixed)%n", hm, -2 * hs);
            double[] rn = new double[m], rr = new double[m];
            try (KernelOperator o = nd.rbfOperator(r, r, sigma, TilePlan.tiled(256))) { o.rowSums(rn); }
            try (KernelOperator o = ref.rbfOperator(r, r, sigma, TilePlan.tiled(256))) { o.rowSums(rr); }
            double cs = 0; for (int j = 0; j < m; j++) cs += (rn[j] - rr[j]); cs /= (double) m * m;
            System.out.printf(Locale.ROOT, "c error %.3e (fixed)%n", cs);
            // the tiled K_SS path too: tiles of 256 rows, and the fit's plan (tiles of 32 MiB,
            // as MmdObjectives.tiledPlan: blocks of about 530 x 530 at n = 1,500)
            for (int tileRows : new int[] {256, TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES)}) {
                try (KernelOperator o = nd.rbfOperator(s, s, sigma, TilePlan.tiled(tileRows))) {
                    double[] tt = new double[T];
                    for (int t = 0; t < T; t++) {
                        double[] w = w0.clone();
                        for (int i = 0; i < n; i++) w[i] += t * step * d[i] / dn;
                        o.multiply(w, out);
                        tt[t] = dot(w, out) - dot(w, prod(kx, w));
                    }
                    System.out.printf(Locale.ROOT, "tiled K_SS (tiles of %d rows): w'Kw error level %.3e sd of steps %.3e%n", tileRows, mean(tt), sdDiff(tt));
                }
            }
        }
    }
    static double[] prod(double[][] cols, double[] w) {
        int n = w.length; double[] o = new double[n];
        for (int j = 0; j < n; j++) { double x = w[j]; if (x == 0) continue; double[] c = cols[j]; for (int i = 0; i < n; i++) o[i] += c[i] * x; }
        return o;
    }
    static double dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
    static double mean(double[] a) { double s = 0; for (double v : a) s += v; return s / a.length; }
    static double sdDiff(double[] a) { double s = 0; for (int i = 1; i < a.length; i++) s += (a[i] - a[i-1]) * (a[i] - a[i-1]); return Math.sqrt(s / (a.length - 1)); }
    static double maxAbsDiff(double[] o, double[] st, double[] wr) { double m = 0; for (int i = 0; i < o.length; i++) m = Math.max(m, Math.abs(o[i] - st[i] - wr[i])); return m; }
}
