package io.synalign.engine.clustering;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * k-means++ seeding (Arthur &amp; Vassilvitskii, "k-means++: The Advantages of Careful Seeding",
 * SODA 2007): the first centre is a uniformly random row, each further centre a row drawn with
 * probability proportional to its squared distance D(x)^2 to the nearest centre chosen so far.
 * Gives an O(log k)-competitive start in expectation.
 *
 * <p>Each new centre costs one backend distance block {@code squaredDistances(x, centre)} (N x 1,
 * O(N d)) and an O(N) update of D^2, so seeding is O(N k d) time and O(N) memory. When every
 * remaining row coincides with a centre (D^2 sums to 0: fewer distinct rows than k) the centre is
 * drawn uniformly among rows not yet chosen.
 */
final class KMeansPlusPlus {

    private KMeansPlusPlus() {
    }

    /** k rows of x, in the order drawn, as a {@code k x d} row-major double array. */
    static double[] seed(KernelBackend backend, FloatMatrix x, int k, long seed) {
        int n = x.rows();
        int d = x.cols();
        SplittableRandom random = new SplittableRandom(seed);
        double[] centroids = new double[k * d];
        double[] nearest = new double[n];
        Arrays.fill(nearest, Double.POSITIVE_INFINITY);
        float[] column = new float[n];
        BitSet chosen = new BitSet(n);
        int row = random.nextInt(n);
        for (int c = 0; c < k; c++) {
            if (c > 0) {
                row = drawProportional(nearest, chosen, random);
            }
            chosen.set(row);
            for (int j = 0; j < d; j++) {
                centroids[c * d + j] = x.data()[row * d + j];
            }
            if (c + 1 < k) {
                backend.squaredDistances(x, x.selectRows(new int[] {row}), column);
                for (int i = 0; i < n; i++) {
                    nearest[i] = Math.min(nearest[i], Math.max(0.0, column[i]));
                }
            }
        }
        return centroids;
    }

    /** A row drawn with probability proportional to {@code weights}, uniform among unchosen rows
     * when all weights are 0. */
    private static int drawProportional(double[] weights, BitSet chosen, SplittableRandom random) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        if (total > 0 && Double.isFinite(total)) {
            double target = random.nextDouble() * total;
            double cumulative = 0;
            int last = -1;
            for (int i = 0; i < weights.length; i++) {
                if (weights[i] > 0) {
                    cumulative += weights[i];
                    last = i;
                    if (cumulative > target) {
                        return i;
                    }
                }
            }
            return last; // rounding left target at or above the final partial sum
        }
        int free = weights.length - chosen.cardinality();
        int skip = random.nextInt(free);
        int i = chosen.nextClearBit(0);
        for (int s = 0; s < skip; s++) {
            i = chosen.nextClearBit(i + 1);
        }
        return i;
    }
}
