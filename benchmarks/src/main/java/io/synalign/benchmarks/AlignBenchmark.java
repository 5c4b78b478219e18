package io.synalign.benchmarks;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * End-to-end MMD weight learning (bandwidth, kernel, optimisation) with the default settings at
 * several sizes {@code synthetic x real x dim}. The synthetic set drifts from the real one (a
 * share of it comes from shifted centres), and every run checks that the learned weights lower
 * MMD^2 by at least half, so a broken learner cannot post a time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class AlignBenchmark {

    @Param({"nd4j"})
    public String backend;

    /** synthetic x real x dim. */
    @Param({"2000x500x384", "16000x4000x384"})
    public String shape;

    @Param({"auto"})
    public String method;

    private KernelBackend kernels;
    private FloatMatrix real;
    private FloatMatrix synthetic;
    private AlignmentConfig config;

    @Setup(Level.Trial)
    public void setUp() {
        String[] parts = shape.split("x");
        int n = Integer.parseInt(parts[0]);
        int m = Integer.parseInt(parts[1]);
        int d = Integer.parseInt(parts[2]);
        real = SyntheticEmbeddings.clustered(m, d, 16, 1.0, 0, 21);
        FloatMatrix onDistribution = SyntheticEmbeddings.clustered(n - n / 3, d, 16, 1.0, 0, 22);
        FloatMatrix drifted = SyntheticEmbeddings.clustered(n / 3, d, 16, 1.0, 0.05, 23);
        float[] s = new float[n * d];
        System.arraycopy(onDistribution.data(), 0, s, 0, onDistribution.data().length);
        System.arraycopy(drifted.data(), 0, s, onDistribution.data().length, drifted.data().length);
        synthetic = new FloatMatrix(n, d, s);
        kernels = KernelBackends.create(backend);
        config = AlignmentConfig.defaults().withMethod(
                io.synalign.engine.alignment.AlignmentMethod.parse(method));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
    }

    @Benchmark
    public AlignmentResult align() {
        AlignmentResult r = new MmdWeightLearner(kernels, config).fit(real, synthetic,
                ProgressListener.NONE);
        // The drifted third puts the uniform MMD^2 well above 0: a kernel that came out all
        // zero (or NaN) would report 0 -> 0 and pass the halving check alone.
        if (!(r.mmd2Uniform() > 1e-6 && r.mmd2Weighted() <= 0.5 * r.mmd2Uniform())) {
            throw new IllegalStateException("alignment did not halve MMD^2: " + r.mmd2Uniform()
                    + " -> " + r.mmd2Weighted());
        }
        double sum = 0;
        for (double w : r.weights()) {
            if (!(w >= 0)) {
                throw new IllegalStateException("a weight is " + w);
            }
            sum += w;
        }
        if (r.weights().length != synthetic.rows() || Math.abs(sum - 1) > 1e-9) {
            throw new IllegalStateException(r.weights().length + " weights summing to " + sum);
        }
        return r;
    }
}
