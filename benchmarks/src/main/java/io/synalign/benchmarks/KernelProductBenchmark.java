package io.synalign.benchmarks;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
 * The fused kernel-times-vector product {@code K w} (tiled: GEMM per tile, exp epilogue,
 * weighted row sum; K never materialised), the RBF kernel block, and ND4J's own SGEMM on the
 * same shapes, so the fused product can be quoted as a fraction of the SGEMM rate
 * (flops counted as {@code 2 n m d} for both). Sizes are deliberately not powers of two.
 *
 * <p>Results are checked in {@link #setUp}: a few rows of the fused product are compared with
 * a double-precision direct sum, and the run fails if they disagree.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=6g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class KernelProductBenchmark {

    @Param({"nd4j"})
    public String backend;

    @Param({"4099"})
    public int rows;

    @Param({"4093"})
    public int cols;

    @Param({"384"})
    public int dim;

    /**
     * K_XX instead of K_XY ({@code cols} then ignored): the tiled product computes the blocks
     * on and above the diagonal only and uses each both ways (docs/PERFORMANCE.md, symt30).
     */
    @Param({"false"})
    public boolean self;

    private static final double SIGMA = 0.5;

    private KernelBackend kernels;
    private KernelOperator tiled;
    private FloatMatrix x;
    private FloatMatrix y;
    private double[] w;
    private double[] out;
    private float[] block;
    private INDArray a;
    private INDArray b;
    private INDArray c;

    @Setup(Level.Trial)
    public void setUp() {
        x = SyntheticEmbeddings.clustered(rows, dim, 16, 1.0, 0, 1);
        y = self ? x : SyntheticEmbeddings.clustered(cols, dim, 16, 1.0, 0, 2);
        kernels = KernelBackends.create(backend);
        tiled = kernels.rbfOperator(x, y, SIGMA,
                TilePlan.tiled(TilePlan.tileRowsFor(rows, y.rows(), TilePlan.DEFAULT_TILE_BYTES)));
        w = SyntheticEmbeddings.uniform(y.rows(), 3);
        out = new double[rows];
        block = new float[rows * y.rows()];
        tiled.multiply(w, out);
        BenchmarkChecks.checkKernelProduct(x, y, SIGMA, w, out, 5);
        kernels.rbfBlock(x, y, SIGMA, block);
        BenchmarkChecks.checkKernelBlock(x, y, SIGMA, block, 5);
        a = Nd4j.create(x.data(), new long[] {rows, dim}, 'c').castTo(DataType.FLOAT);
        b = Nd4j.create(y.data(), new long[] {y.rows(), dim}, 'c').castTo(DataType.FLOAT);
        c = Nd4j.create(DataType.FLOAT, rows, y.rows());
        sgemm();
        BenchmarkChecks.checkGemm(x, y, c.data().asFloat(), 5);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tiled.close();
        kernels.close();
    }

    /** Fused, tiled {@code K w}: the MMD learner's per-iteration product. */
    @Benchmark
    public double[] fusedKernelTimesVector() {
        tiled.multiply(w, out);
        return out;
    }

    /** One full RBF kernel block, materialised into a float array. */
    @Benchmark
    public float[] rbfBlock() {
        kernels.rbfBlock(x, y, SIGMA, block);
        return block;
    }

    /** ND4J's SGEMM {@code X Y^T} on the same shapes: the rate the fused product is quoted against. */
    @Benchmark
    public INDArray sgemm() {
        return Nd4j.gemm(a, b, c, false, true, 1.0, 0.0);
    }
}
