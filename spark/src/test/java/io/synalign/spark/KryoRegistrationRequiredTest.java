package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Tuple2;

/**
 * A whole fit with {@code spark.serializer=KryoSerializer} and
 * {@code spark.kryo.registrationRequired=true}, registering what the job registers
 * ({@link SynAlignSparkJob#KRYO_CLASSES}, {@link KryoClasses#withOurs}): every
 * class the fit ships through the application's serializer (parallelized records, shuffled
 * rows, broadcast maps and weights, the products' task results, the sampler's draws) must be
 * registered, and the weights are the Java serializer's bit for bit. Before helper review31 the
 * job registered {@code FeatureChunks} alone, and the fit failed on the first other class
 * shipped ({@code EmbeddedRecord}, {@code IndexedRow}, {@code FeatureMaps},
 * {@code double[][]}, {@code ChunkSum}, ...).
 *
 * <p>Run in a child JVM: a JVM has one SparkContext, and the module's tests share theirs
 * ({@link TestSpark}), which uses Java serialization. The fit runs on RDDs as
 * {@link SparkWeightLearnerTest} runs it, not through the job's DataFrames: Spark SQL's own
 * classes (its schemas' {@code ArrayType}, in the task results of JSON schema inference) are
 * not registered by Spark either, so under {@code registrationRequired} a user registers those
 * for any Spark SQL job; the job registers only its own.
 */
class KryoRegistrationRequiredTest {

    private static final int D = 5;
    private static final long SEED = 31;

    @TempDir
    Path dir;

    private static SparkWeightLearnerTest.Rows[] rows() {
        Random random = new Random(SEED);
        SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, D, 0, "a", 37,
                "b", 23);
        SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, D, 1.5, "a",
                71, "b", 45);
        return new SparkWeightLearnerTest.Rows[] {real, synthetic};
    }

    private static AlignmentConfig config() {
        return SparkWeightLearnerTest.config(24, 30, SEED);
    }

    @Test
    void aWholeFitRunsWithKryoRegistrationRequiredAndGivesTheSameWeights() throws Exception {
        SparkWeightLearnerTest.Rows[] rows = rows();
        double[] expected = SparkWeightLearnerTest.spark(LabelMode.PER_LABEL, config(), rows[0],
                rows[1], true, 3, null);

        Path weights = dir.resolve("weights.txt");
        Path log = dir.resolve("child.log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // Spark's --add-opens and module flags from the surefire argLine, not its agents.
            if (arg.startsWith("--add-") || arg.startsWith("-XX:+IgnoreUnrecognized")
                    || arg.startsWith("-Djdk.") || arg.startsWith("-Dio.netty")) {
                command.add(arg);
            }
        }
        command.addAll(List.of("-Xmx1g", "-cp", System.getProperty("java.class.path"),
                KryoRegistrationRequiredTest.class.getName(), weights.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean ended = child.waitFor(5, TimeUnit.MINUTES);
        if (!ended) {
            child.destroyForcibly();
        }
        String output = Files.readString(log);
        assertTrue(ended, "the child fit did not end: " + tail(output));
        assertEquals(0, child.exitValue(), tail(output));
        List<String> lines = Files.readAllLines(weights);
        assertEquals(expected.length, lines.size(), "one weight per synthetic row");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Double.doubleToLongBits(expected[i]),
                    Double.doubleToLongBits(Double.parseDouble(lines.get(i))),
                    "row " + i + ": Kryo's fit " + lines.get(i) + ", Java's " + expected[i]);
        }
    }

    /**
     * The child: the fit on a local[2] context with Kryo, registration required and the job's
     * registrations, its weights written one a line to {@code args[0]}; exit status 1 on
     * failure, with the stack trace on stderr.
     */
    public static void main(String[] args) throws Exception {
        SparkConf conf = new SparkConf(false).setMaster("local[2]").setAppName("kryo-required")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .set("spark.kryo.registrationRequired", "true")
                .set(SynAlignSparkJob.KRYO_CLASSES, KryoClasses.withOurs(null));
        int status = 0;
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            SparkWeightLearnerTest.Rows[] rows = rows();
            JavaRDD<EmbeddedRecord> r = sc.parallelize(rows[0].records(true), 3);
            JavaRDD<EmbeddedRecord> s = sc.parallelize(rows[1].records(true), 3);
            LabelGroups groups = LabelGroups.of(LabelMode.PER_LABEL, true, RowIndexer.count(r),
                    RowIndexer.count(s), SEED);
            JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups)
                    .persist(StorageLevel.MEMORY_ONLY());
            JavaRDD<IndexedRow> si = RowIndexer.index(s, groups)
                    .persist(StorageLevel.MEMORY_ONLY());
            SparkAlignmentResult result = new SparkWeightLearner(sc, new SparkAlignmentConfig(
                    config(), LabelMode.PER_LABEL, "reference", 2)).fit(groups, ri, si);
            double[] w = new double[rows[1].labels().size()];
            for (Map.Entry<Long, Double> e : result.weightsByRow(si).collectAsMap().entrySet()) {
                w[(int) (long) e.getKey()] = e.getValue();
            }
            // The job's draw too (its keyed weights shuffle and its picks broadcast).
            long[] picks = DistributedSampler.sample(si.mapToPair(x -> new Tuple2<>(x.row(),
                    w[(int) x.row()])), 10, SEED);
            sc.broadcast(picks).value();
            List<String> lines = new ArrayList<>();
            for (double v : w) {
                lines.add(Double.toString(v));
            }
            Files.write(Path.of(args[0]), lines);
        } catch (Exception | Error e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    private static String tail(String output) {
        return output.length() <= 8000 ? output : output.substring(output.length() - 8000);
    }
}
