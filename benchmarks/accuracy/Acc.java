import io.synalign.kernels.*;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.io.NpyReader;
import io.synalign.io.NpyWriter;
import java.io.*;
import java.nio.file.*;
import java.util.*;

/** Accuracy harness: writes nd4j's products for a float64 oracle (oracle.py) to compare. */
public class Acc {
    // The project's own .npy reader and writer (they check the header as the CLI does).
    static FloatMatrix readF32(Path p) throws IOException {
        return NpyReader.readMatrix(p);
    }
    static double[] readF64(Path p) throws IOException {
        return NpyReader.readVector(p);
    }
    static void writeF64(Path p, double[] v) throws IOException {
        NpyWriter.writeVector(p, v);
    }
    static void writeF32(Path p, float[] v) throws IOException {
        try (OutputStream out = Files.newOutputStream(p)) {
            NpyWriter.writeVector(out, v);
        }
    }
    public static void main(String[] a) throws Exception {
        Path dir = Paths.get(a[0]);
        String what = a.length > 1 ? a[1] : "all";
        FloatMatrix x = readF32(dir.resolve("X.npy"));
        FloatMatrix y = readF32(dir.resolve("Y.npy"));
        double[] w = readF64(dir.resolve("w.npy"));
        double sigma = Double.parseDouble(Files.readString(dir.resolve("sigma.txt")).trim());
        String be = System.getProperty("backend", "nd4j");
        try (KernelBackend nd = KernelBackends.create(be)) {
            int n = x.rows(), m = y.rows();
            double[] u = new double[m];
            Arrays.fill(u, 1.0 / m);
            double[] out = new double[n];
            if (what.contains("kept") || what.equals("all")) {
                long t = System.nanoTime();
                try (KernelOperator k = nd.rbfOperator(x, x, sigma, new TilePlan(true, 256, KernelStorage.FLOAT32))) {
                    k.multiply(w, out);
                    writeF64(dir.resolve(be + "_keptXX.npy"), out);
                    System.out.println("keptXX " + k.storageDescription() + " " + (System.nanoTime() - t) / 1e9);
                }
                double[] o2 = new double[n];
                try (KernelOperator k = nd.rbfOperator(x, y, sigma, new TilePlan(true, 256, KernelStorage.FLOAT32))) {
                    k.multiply(u, o2);
                    writeF64(dir.resolve(be + "_keptXY.npy"), o2);
                }
            }
            if (what.contains("tiled") || what.equals("all")) {
                long t = System.nanoTime();
                try (KernelOperator k = nd.rbfOperator(x, x, sigma, TilePlan.tiled(TilePlan.tileRowsFor(n, n, TilePlan.DEFAULT_TILE_BYTES)))) {
                    k.multiply(w, out);
                    writeF64(dir.resolve(be + "_tiledXX.npy"), out);
                    System.out.println("tiledXX " + k.storageDescription() + " " + (System.nanoTime() - t) / 1e9);
                }
                double[] o2 = new double[n];
                try (KernelOperator k = nd.rbfOperator(x, y, sigma, TilePlan.tiled(TilePlan.tileRowsFor(n, m, TilePlan.DEFAULT_TILE_BYTES)))) {
                    k.multiply(u, o2);
                    writeF64(dir.resolve(be + "_tiledXY.npy"), o2);
                }
            }
            if (what.contains("mmd") || what.equals("all")) {
                double[] v = WeightedMmd.values(nd, x, y, sigma, w);
                writeF64(dir.resolve(be + "_mmd.npy"), v);
                System.out.println("mmd " + v[0]);
            }
            if (what.contains("rff") || what.equals("all")) {
                // The oracle evaluates the map as drawn, cos(omega . x + b), in float64; the
                // backend the map the rff method uses: about the real rows' centre where
                // FeatureCentre takes one (-Dcentre=off: as drawn).
                FourierFeatures drawn = FourierFeatures.sample(x.cols(), 1024, sigma, 7);
                writeF32(dir.resolve("omega.npy"), drawn.omega());
                writeF32(dir.resolve("phase.npy"), drawn.phase());
                float[] centre = "off".equals(System.getProperty("centre")) ? null
                        : io.synalign.engine.alignment.FeatureCentre.choose(y, sigma);
                FourierFeatures map = centre == null ? drawn : drawn.centredAt(centre);
                System.out.println("rff map " + (centre == null ? "as drawn" : "centred"));
                try (FeatureOperator f = nd.fourierFeatureOperator(x, map)) {
                    double[] z = new double[1024];
                    f.transposeTimes(w, z);
                    writeF64(dir.resolve(be + "_rffT.npy"), z);
                    double[] zz = new double[1024];
                    Random r = new Random(3);
                    for (int i = 0; i < zz.length; i++) zz[i] = r.nextGaussian();
                    writeF64(dir.resolve("z.npy"), zz);
                    double[] o = new double[n];
                    f.times(zz, o);
                    writeF64(dir.resolve(be + "_rffN.npy"), o);
                }
            }
            if (what.contains("diag") || what.equals("all")) {
                int k = Math.min(n, 512);
                FloatMatrix xs = x.rowRange(0, k);
                float[] blk = new float[k * k];
                nd.rbfBlock(xs, xs, sigma, blk);
                double worst = 0; int bad = 0;
                for (int i = 0; i < k; i++) { worst = Math.max(worst, Math.abs(blk[i * k + i] - 1.0)); if (blk[i*k+i] != 1f) bad++; }
                float[] f32 = new float[k * k];
                System.arraycopy(blk, 0, f32, 0, f32.length);
                writeF32(dir.resolve(be + "_block.npy"), f32);
                // diagonal of the operators: K e_i
                double[] e = new double[n];
                double[] o = new double[n];
                double wk = 0, wt = 0;
                try (KernelOperator kk = nd.rbfOperator(x, x, sigma, new TilePlan(true, 256, KernelStorage.FLOAT32));
                     KernelOperator kt = nd.rbfOperator(x, x, sigma, TilePlan.tiled(256))) {
                    for (int i = 0; i < Math.min(n, 16); i++) {
                        e[i] = 1; kk.multiply(e, o); wk = Math.max(wk, Math.abs(o[i] - 1));
                        kt.multiply(e, o); wt = Math.max(wt, Math.abs(o[i] - 1)); e[i] = 0;
                    }
                }
                System.out.println("diag block worst |k-1| " + worst + " (" + bad + " not 1) kept " + wk + " tiled " + wt);
            }
        }
    }
}
