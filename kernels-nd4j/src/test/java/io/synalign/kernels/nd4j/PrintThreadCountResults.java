package io.synalign.kernels.nd4j;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.host.HostVector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.Random;

/**
 * Run by {@link ThreadCountDeterminismTest} in child JVMs with different native thread counts:
 * prints, per product of the CPU path, {@code name=<sha256 of the result's bits>} and the worker
 * count, for fixed seeded inputs of awkward sizes.
 */
final class PrintThreadCountResults {

    private PrintThreadCountResults() {
    }

    public static void main(String[] args) throws NoSuchAlgorithmException {
        int n = 1_037;
        int m = 523;
        int d = 37;
        int features = 301;
        Random random = new Random(23);
        FloatMatrix x = matrix(random, n, d);
        FloatMatrix y = matrix(random, m, d);
        double[] w = new double[m];
        double[] v = new double[n];
        double[] z = new double[features];
        for (int j = 0; j < m; j++) {
            w[j] = random.nextDouble();
        }
        for (int i = 0; i < n; i++) {
            v[i] = random.nextDouble();
        }
        for (int f = 0; f < features; f++) {
            z[f] = random.nextGaussian();
        }
        double sigma = 4.1;
        System.out.println("workers=" + PinnedWorkers.count());
        try (KernelBackend backend = KernelBackends.create("nd4j")) {
            try (KernelOperator kept = backend.rbfOperator(x, y, sigma, new TilePlan(true, 97))) {
                double[] out = new double[n];
                kept.multiply(w, out);
                print("keptCross", out);
            }
            try (KernelOperator kept = backend.rbfOperator(x, x, sigma, new TilePlan(true, 97))) {
                double[] out = new double[n];
                kept.multiply(v, out);
                print("keptSelf", out);
            }
            try (KernelOperator tiled = backend.rbfOperator(x, y, sigma, TilePlan.tiled(211))) {
                double[] out = new double[n];
                tiled.multiply(w, out);
                print("tiled", out);
            }
            // K_XX tiled: the blocks on and above the diagonal, each used both ways (symt30).
            try (KernelOperator tiled = backend.rbfOperator(x, x, sigma, TilePlan.tiled(211))) {
                double[] out = new double[n];
                tiled.multiply(v, out);
                print("tiledSelf", out);
                DeviceVector[] in = {new HostVector(v.clone()), new HostVector(reversed(v))};
                DeviceVector[] outs = {new HostVector(new double[n]),
                    new HostVector(new double[n])};
                tiled.multiplyEach(in, outs);
                double[] both = new double[2 * n];
                System.arraycopy(HostVector.array(outs[0]), 0, both, 0, n);
                System.arraycopy(HostVector.array(outs[1]), 0, both, n, n);
                print("tiledSelfEach", both);
            }
            // Flat (every block shifted): the double sums on both sides of each block.
            try (KernelOperator tiled = backend.rbfOperator(x, x, 100 * sigma,
                    TilePlan.tiled(211))) {
                double[] out = new double[n];
                tiled.multiply(v, out);
                print("tiledSelfFlat", out);
            }
            // Kept and flat (every cell shifted): the shifted panels' pass in double (helper
            // flat32), its mirrored shares per group; panels up to 1,037 columns (chunks of
            // 1,024 and 13), the last of 13 rows (a short group of four). Review32s.
            try (KernelOperator kept = backend.rbfOperator(x, x, 100 * sigma,
                    new TilePlan(true, 97))) {
                double[] both = new double[2 * n];
                double[] out = new double[n];
                kept.multiply(v, out);
                System.arraycopy(out, 0, both, 0, n);
                kept.rowSums(out);
                System.arraycopy(out, 0, both, n, n);
                print("keptSelfFlat", both);
            }
            FourierFeatures map = FourierFeatures.sample(d, features, sigma, 5);
            try (FeatureOperator phi = backend.fourierFeatureOperator(x, map)) {
                double[] t = new double[features];
                phi.transposeTimes(v, t);
                print("featuresTransposeTimes", t);
                double[] out = new double[n];
                phi.times(z, out);
                print("featuresTimes", out);
            }
            float[] d2 = new float[n * n];
            backend.squaredDistances(x, x, d2);
            print("squaredDistances", d2);
            float[] dots = new float[n * m];
            backend.innerProducts(x, y, dots);
            print("innerProducts", dots);
            FloatBuffer direct = ByteBuffer.allocateDirect(4 * n * m)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            backend.innerProducts(x, y, direct);
            direct.get(dots);
            print("innerProductsDirect", dots);
            // Larger than the other products' inputs: OpenBLAS split these GEMVs by its thread
            // count only from a few thousand rows on (4,099 x 129: three counts, three results).
            print("gpVariances", gpVariances(backend, matrix(random, 4_099, 129)));
        }
    }

    /**
     * The variances after conditioning on {@value #GP_PICKS} rows, each the largest variance
     * left (the exploration step's greedy pick), so a pick that moved would show too.
     */
    private static double[] gpVariances(KernelBackend backend, FloatMatrix x) {
        double[] variances = new double[x.rows()];
        try (GpVarianceTracker tracker = backend.gpVarianceTracker(x, Math.sqrt(x.cols()), 1e-3,
                GP_PICKS)) {
            BitSet picked = new BitSet();
            for (int t = 0; t < GP_PICKS; t++) {
                int p = tracker.argmax(picked);
                picked.set(p);
                tracker.condition(p);
            }
            tracker.variances(variances);
        }
        return variances;
    }

    private static final int GP_PICKS = 23;

    private static double[] reversed(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[v.length - 1 - i] - 0.5;
        }
        return r;
    }

    private static FloatMatrix matrix(Random random, int rows, int cols) {
        float[] data = new float[rows * cols];
        for (int k = 0; k < data.length; k++) {
            data[k] = (float) (random.nextGaussian() + 0.5);
        }
        return new FloatMatrix(rows, cols, data);
    }

    private static void print(String name, double[] values) throws NoSuchAlgorithmException {
        ByteBuffer bytes = ByteBuffer.allocate(8 * values.length);
        for (double value : values) {
            bytes.putLong(Double.doubleToRawLongBits(value));
        }
        System.out.println(name + "=" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(bytes.array())));
    }

    private static void print(String name, float[] values) throws NoSuchAlgorithmException {
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length);
        for (float value : values) {
            bytes.putInt(Float.floatToRawIntBits(value));
        }
        System.out.println(name + "=" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(bytes.array())));
    }
}
