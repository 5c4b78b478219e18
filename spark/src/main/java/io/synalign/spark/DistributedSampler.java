package io.synalign.spark;

import io.synalign.engine.alignment.WeightedSampler;
import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;

/**
 * Draws rows by weight without replacement on Spark: the Efraimidis–Spirakis A-Res scheme
 * ("Weighted random sampling with a reservoir", Information Processing Letters 97(5), 2006)
 * with the single-machine {@code WeightedSampler}'s key function, so that for the same weights
 * and seed both draw the same rows.
 *
 * <p>Algorithm: row i (global index) gets the key {@code log(-log u_i) - log w_i} with
 * {@code u_i} the i-th SplitMix64 uniform of the seed; since that uniform depends on the seed
 * and i alone ({@code state_i = seed + (i + 1) * 0x9E3779B97F4A7C15}), every executor computes
 * its rows' keys independently. The rows with the {@code N} smallest keys are drawn (ties by
 * the lowest row index, as on a single machine): Spark's {@code takeOrdered}, i.e. a bounded
 * heap of N per partition merged on the driver. Rows with weight 0 are never drawn.
 * Cost: O(N_rows log N) on the executors, O(N) keys to the driver.
 */
public final class DistributedSampler {

    private DistributedSampler() {
    }

    /** A row's key; ordered by key, then row. */
    @com.esotericsoftware.kryo.DefaultSerializer(KryoRecord.class)
    record Keyed(double key, long row) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** Orders keys ascending, ties by row index. */
    static final class KeyOrder implements Comparator<Keyed>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Keyed a, Keyed b) {
            int c = Double.compare(a.key(), b.key());
            return c != 0 ? c : Long.compare(a.row(), b.row());
        }
    }

    /**
     * Draws {@code n} distinct rows.
     *
     * @param weights {@code (global row, weight)}, weights finite and {@code >= 0}
     * @param n rows to draw, {@code 0 <= n <=} the number of positive weights
     * @param seed seeds the uniforms
     * @return the drawn global row indices in increasing order
     * @throws IllegalArgumentException on a bad weight or when n exceeds the support
     */
    public static long[] sample(JavaPairRDD<Long, Double> weights, int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot draw " + n + " rows");
        }
        JavaRDD<Keyed> keys = weights.filter(t -> {
            double w = t._2();
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalArgumentException("weight " + w + " of row " + t._1()
                        + " is not a finite number >= 0");
            }
            return w > 0;
        }).map(t -> new Keyed(key(t._1(), t._2(), seed), t._1()));
        if (n == 0) {
            return new long[0];
        }
        // Counted first: takeOrdered sizes a queue of n in every task, so an n far beyond the
        // support (a typo, a sample of 10^9) would fail the executors for memory instead of
        // being refused here, by the caller's rule, with the fit kept.
        long support = keys.count();
        if (support < n) {
            throw new IllegalArgumentException("cannot draw " + n + " rows without replacement"
                    + " from " + support + " rows with positive weight");
        }
        List<Keyed> top = keys.takeOrdered(n, new KeyOrder());
        if (top.size() < n) {
            throw new IllegalArgumentException("cannot draw " + n + " rows without replacement"
                    + " from " + top.size() + " rows with positive weight");
        }
        return top.stream().mapToLong(Keyed::row).sorted().toArray();
    }

    /** {@code log(-log u_row) - log w}: the single-machine sampler's key of that row. */
    static double key(long row, double weight, long seed) {
        return WeightedSampler.key(row, weight, seed);
    }
}
