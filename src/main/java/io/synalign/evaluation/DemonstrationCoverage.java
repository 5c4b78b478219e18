package io.synalign.evaluation;

import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.alignment.WeightedMmd;
import io.synalign.generation.Seeds;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * How well a set of demonstrations covers the real rows it was chosen from: MMD^2 between the
 * chosen rows (uniform) and all the real rows ({@link WeightedMmd}), next to the same measure
 * for random choices of the same number of rows. GP exploration-aware selection ("Few-shot LLM
 * Synthetic Data with Distribution Matching", WWW 2025) picks rows the GP is least sure about,
 * so its demonstrations should spread over the real set and score a lower MMD^2 than random
 * picks. When every row is chosen both values are exactly 0: the sets are equal, and the MMD
 * estimate of a backend that sums in float32 (nd4j) would report its rounding (2.2e-8) as a
 * coverage gap.
 *
 * <p>The bandwidth is the median heuristic over the real rows (seeded; 1 for a single row). The
 * random baseline draws {@code draws} sets of k distinct rows uniformly (partial Fisher-Yates,
 * draw i seeded by {@code Seeds.mix(seed, i)}) and reports their mean ± sample std. Cost
 * O((draws + 1) (k^2 + k n + n^2) d) for n real rows of dimension d.
 */
public final class DemonstrationCoverage {

    /** Random draws of the baseline by default. */
    public static final int DEFAULT_DRAWS = 20;

    /**
     * @param demonstrations distinct rows chosen, k
     * @param realRows rows chosen from, n
     * @param gp MMD^2 of the chosen rows against all rows
     * @param random MMD^2 of k random distinct rows against all rows, over the draws
     * @param bandwidth the sigma used
     */
    public record Coverage(int demonstrations, int realRows, double gp, MeanStd random,
            double bandwidth) {
    }

    private DemonstrationCoverage() {
    }

    /**
     * @param real the rows chosen from (n &gt;= 1)
     * @param chosen indices of the chosen rows; repeats count once
     * @param draws random sets for the baseline, {@code >= 1}
     * @throws IllegalArgumentException when nothing is chosen, an index is not a row, or draws &lt; 1
     */
    public static Coverage measure(KernelBackend backend, FloatMatrix real, int[] chosen, int draws,
            long seed) {
        int n = real.rows();
        if (draws < 1) {
            throw new IllegalArgumentException("draws must be >= 1, got " + draws);
        }
        int[] distinct = Arrays.stream(chosen).distinct().sorted().toArray();
        if (distinct.length == 0) {
            throw new IllegalArgumentException("no demonstrations chosen");
        }
        if (distinct[0] < 0 || distinct[distinct.length - 1] >= n) {
            throw new IllegalArgumentException("demonstration index out of range [0, " + n + "): "
                    + (distinct[0] < 0 ? distinct[0] : distinct[distinct.length - 1]));
        }
        int k = distinct.length;
        // Rows all alike (or one row): every MMD^2 among them is 0 whatever sigma.
        double sigma = MedianHeuristic.allRowsEqual(real) ? 1.0
                : WeightedMmd.bandwidth(backend, seed, real);
        double[] random = new double[draws];
        if (k == n) {
            // Every row chosen, by the GP and by each random draw alike: MMD^2 is 0 (class comment).
            return new Coverage(k, n, 0.0, MeanStd.of(random), sigma);
        }
        double gp = WeightedMmd.mmd2(backend, real.selectRows(distinct), real, sigma);
        int[] pool = new int[n];
        for (int i = 0; i < draws; i++) {
            for (int j = 0; j < n; j++) {
                pool[j] = j;
            }
            SplittableRandom r = new SplittableRandom(Seeds.mix(seed, i));
            for (int j = 0; j < k; j++) {
                int t = j + r.nextInt(n - j);
                int swap = pool[j];
                pool[j] = pool[t];
                pool[t] = swap;
            }
            random[i] = WeightedMmd.mmd2(backend, real.selectRows(Arrays.copyOf(pool, k)), real,
                    sigma);
        }
        return new Coverage(k, n, gp, MeanStd.of(random), sigma);
    }
}
