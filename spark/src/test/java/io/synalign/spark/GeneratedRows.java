package io.synalign.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import io.synalign.kernels.FloatMatrix;

/**
 * Reproducible random embeddings, a pure function of (side, row index), so that executors
 * generate their rows themselves and the driver can build the same matrix locally. Label
 * {@code p} for 3 rows in 5, {@code q} otherwise; label q is shifted by 1 in column 1, and
 * {@code shift} times a uniform is added to column 0 (the synthetic/real mismatch).
 */
final class GeneratedRows {

    private GeneratedRows() {
    }

    static String label(long i) {
        return i % 5 < 3 ? "p" : "q";
    }

    static float[] vector(long side, long i, int d, double shift) {
        SplittableRandom random = new SplittableRandom(side * 0x9E3779B97F4A7C15L + i);
        float[] v = new float[d];
        for (int j = 0; j < d; j++) {
            v[j] = (float) (random.nextGaussian() + (j == 1 && label(i).equals("q") ? 1 : 0)
                    + (j == 0 ? shift * random.nextDouble() : 0));
        }
        return v;
    }

    static JavaRDD<EmbeddedRecord> rdd(JavaSparkContext sc, long side, int n, int d, double shift,
            int partitions) {
        List<int[]> ranges = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            ranges.add(new int[] {(int) ((long) n * p / partitions),
                    (int) ((long) n * (p + 1) / partitions)});
        }
        return sc.parallelize(ranges, partitions).flatMap(range -> {
            List<EmbeddedRecord> out = new ArrayList<>(range[1] - range[0]);
            for (int i = range[0]; i < range[1]; i++) {
                out.add(new EmbeddedRecord(label(i), vector(side, i, d, shift)));
            }
            return out.iterator();
        });
    }

    static SparkWeightLearnerTest.Rows local(long side, int n, int d, double shift) {
        List<String> labels = new ArrayList<>(n);
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) {
            labels.add(label(i));
            System.arraycopy(vector(side, i, d, shift), 0, data, i * d, d);
        }
        return new SparkWeightLearnerTest.Rows(labels, new FloatMatrix(n, d, data));
    }
}
