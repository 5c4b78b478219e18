package io.synalign.spark;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.engine.labelled.LabelMode;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Spark RFF-MMD against the single-machine rff path on the same generated data (global mode,
 * fixed iteration count: tolerance 1e-12 so every run does all of them), for growing numbers
 * of synthetic rows. Prints one line per size: set-up and optimisation seconds of both, Spark
 * passes, seconds per iteration, rows per second per iteration, and the largest weight
 * difference relative to the largest weight (the run fails if it exceeds 1e-3, or if weights
 * are invalid). Run by {@code spark/bench.sh}.
 *
 * <p>Arguments: master backend d D iterations real partitions n1 [n2 ...].
 */
public final class SparkRffBenchmark {

    private SparkRffBenchmark() {
    }

    public static void main(String[] args) {
        String master = args[0];
        String backendName = args[1];
        int d = Integer.parseInt(args[2]);
        int features = Integer.parseInt(args[3]);
        int iterations = Integer.parseInt(args[4]);
        int m = Integer.parseInt(args[5]);
        int partitions = Integer.parseInt(args[6]);
        SparkSession spark = SparkSession.builder().master(master).appName("synalign-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withFeatures(features).withIterations(iterations, 1e-12)
                .withBandwidth(Bandwidth.auto()).withSeed(1);
        System.out.printf(Locale.ROOT, "# master=%s backend=%s d=%d D=%d iterations=%d real=%d"
                + " partitions=%d%n", master, backendName, d, features, iterations, m, partitions);
        System.out.printf(Locale.ROOT, "%-9s %-8s %-8s %-8s %-8s %-7s %-10s %-10s %-12s %-12s %s%n",
                "n", "sp_set", "sp_opt", "sm_set", "sm_opt", "passes", "sp_s/it", "sm_s/it",
                "sp_rows/s", "sm_rows/s", "max_rel_diff");
        for (int a = 7; a < args.length; a++) {
            int n = Integer.parseInt(args[a]);
            // Spark: rows generated on the executors.
            JavaRDD<EmbeddedRecord> r = GeneratedRows.rdd(sc, 1, m, d, 0.0, partitions);
            JavaRDD<EmbeddedRecord> s = GeneratedRows.rdd(sc, 2, n, d, 1.0, partitions);
            LabelGroups groups = LabelGroups.of(LabelMode.GLOBAL, false, RowIndexer.count(r),
                    RowIndexer.count(s), config.seed());
            JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups)
                    .persist(StorageLevel.MEMORY_ONLY());
            JavaRDD<IndexedRow> si = RowIndexer.index(s, groups)
                    .persist(StorageLevel.MEMORY_ONLY());
            ri.count();
            si.count();
            SparkAlignmentResult result = new SparkWeightLearner(sc, new SparkAlignmentConfig(
                    config, LabelMode.GLOBAL, backendName, 0)).fit(groups, ri, si);
            double[] sparkWeights = new double[n];
            for (Map.Entry<Long, Double> e : result.weightsByRow(si).collectAsMap().entrySet()) {
                sparkWeights[(int) (long) e.getKey()] = e.getValue();
            }
            ri.unpersist();
            si.unpersist();
            LabelFit fit = result.fits().get(0);
            if (fit.iterations() != iterations) {
                throw new IllegalStateException("Spark ran " + fit.iterations() + " iterations");
            }
            // Single machine on the same rows.
            SparkWeightLearnerTest.Rows real = GeneratedRows.local(1, m, d, 0.0);
            SparkWeightLearnerTest.Rows synthetic = GeneratedRows.local(2, n, d, 1.0);
            AlignmentResult local;
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                local = new MmdWeightLearner(backend, config).fit(real.vectors(),
                        synthetic.vectors(), null);
            }
            double[] t = local.trace().seconds();
            double smSetup = t[0];
            double smOptimise = t[t.length - 1] - t[0];
            double diff = 0;
            double max = 0;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                if (!(sparkWeights[i] >= 0)) {
                    throw new IllegalStateException("weight " + sparkWeights[i] + " of row " + i);
                }
                sum += sparkWeights[i];
                diff = Math.max(diff, Math.abs(sparkWeights[i] - local.weights()[i]));
                max = Math.max(max, local.weights()[i]);
            }
            if (Math.abs(sum - 1) > 1e-9 || diff > 1e-3 * max
                    || !(fit.mmd2Weighted() < fit.mmd2Uniform())) {
                throw new IllegalStateException("n=" + n + ": sum " + sum + ", max difference "
                        + diff + " against max weight " + max + ", MMD^2 " + fit.mmd2Uniform()
                        + " -> " + fit.mmd2Weighted());
            }
            double spPerIt = result.optimiseSeconds() / iterations;
            double smPerIt = smOptimise / iterations;
            System.out.printf(Locale.ROOT,
                    "%-9d %-8.2f %-8.2f %-8.2f %-8.2f %-7d %-10.4f %-10.4f %-12.0f %-12.0f %.2e%n",
                    n, result.setupSeconds(), result.optimiseSeconds(), smSetup, smOptimise,
                    result.passes(), spPerIt, smPerIt, n / spPerIt, n / smPerIt, diff / max);
        }
        spark.stop();
    }
}
