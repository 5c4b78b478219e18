package io.synalign.benchmarks;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
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
 * One product with a kept self-kernel K_SS, the optimiser's per-iteration cost on the exact
 * path: the upper triangle in 32-row panels (what {@code nd4j} keeps now: half the bytes) against
 * the full float32 matrix read by one SGEMV (what it kept before; a second row-set object with the
 * same rows makes the backend keep the full matrix). Run the two in separate forks' blocks (JMH
 * does), never interleaved: a multi-threaded OpenBLAS call leaves its threads spinning, which
 * slows whatever runs next.
 *
 * <p>Checked in {@link #setUp}: a few rows of both products against a double-precision sum.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxbytes=8g",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=14g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
public class KeptKernelBenchmark {

    @Param({"nd4j"})
    public String backend;

    @Param({"16001"})
    public int rows;

    @Param({"triangle", "full"})
    public String layout;

    private static final double SIGMA = 1.0;

    private KernelBackend kernels;
    private KernelOperator kept;
    private double[] w;
    private double[] out;

    @Setup(Level.Trial)
    public void setUp() {
        FloatMatrix x = SyntheticEmbeddings.clustered(rows, 384, 16, 1.0, 0, 1);
        FloatMatrix y = layout.equals("full")
                ? new FloatMatrix(rows, 384, x.data().clone()) : x;
        kernels = KernelBackends.create(backend);
        kept = kernels.rbfOperator(x, y, SIGMA, new TilePlan(true, 512));
        w = SyntheticEmbeddings.uniform(rows, 3);
        out = new double[rows];
        kept.multiply(w, out);
        BenchmarkChecks.checkKernelProduct(x, x, SIGMA, w, out, 5);
        System.out.println("[KeptKernelBenchmark] " + layout + ": " + kept.storageDescription());
    }

    @Benchmark
    public double product() {
        kept.multiply(w, out);
        return out[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kept.close();
        kernels.close();
    }
}
