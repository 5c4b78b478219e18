package io.synalign.benchmarks;

import io.synalign.engine.ProgressListener;
import io.synalign.engine.retrieval.InnerProductSearch;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Random;
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
 * The exact top-k search of {@code synalign negatives} ({@link InnerProductSearch}) on unit rows
 * of awkward sizes, next to the backend's bare {@code innerProducts} of the same shapes (the
 * GEMM floor the search cannot go below). The hits of the first queries are checked against a
 * double-precision brute force after the run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class TopKSearchBenchmark {

    @Param({"nd4j"})
    public String backend;

    @Param({"1999"})
    public int queries;

    @Param({"50021"})
    public int corpus;

    @Param({"384"})
    public int dim;

    @Param({"10"})
    public int k;

    private KernelBackend kernels;
    private FloatMatrix q;
    private FloatMatrix c;
    private float[] block;
    /** The ragged last tile's output, made once (not inside the measured method). */
    private float[] lastBlock;
    private InnerProductSearch.Hits last;

    @Setup(Level.Trial)
    public void setUp() {
        kernels = KernelBackends.create(backend);
        q = unit(queries, dim, new Random(1));
        c = unit(corpus, dim, new Random(2));
        block = new float[queries * 8192];
        lastBlock = new float[queries * Math.max(1, corpus % 8192)];
    }

    static FloatMatrix unit(int rows, int d, Random r) {
        float[] v = new float[rows * d];
        for (int i = 0; i < rows; i++) {
            double n = 0;
            for (int t = 0; t < d; t++) {
                double g = r.nextGaussian();
                v[i * d + t] = (float) g;
                n += g * g;
            }
            for (int t = 0; t < d; t++) {
                v[i * d + t] /= (float) Math.sqrt(n);
            }
        }
        return new FloatMatrix(rows, d, v);
    }

    @Benchmark
    public InnerProductSearch.Hits search() {
        last = InnerProductSearch.search(kernels, q, c, k, null, ProgressListener.NONE);
        return last;
    }

    /** The same products as {@link #search}, 8,192 corpus rows at a time, with no selection. */
    @Benchmark
    public float[] productsOnly() {
        for (int s = 0; s < corpus; s += 8192) {
            FloatMatrix tile = c.rowRange(s, Math.min(corpus, s + 8192));
            float[] out = tile.rows() * queries == block.length ? block : lastBlock;
            kernels.innerProducts(q, tile, out);
        }
        return block;
    }

    @TearDown(Level.Trial)
    public void check() {
        if (last != null) {
            for (int i = 0; i < 5; i++) {
                double kth = Double.NEGATIVE_INFINITY;
                double[] s = new double[corpus];
                for (int j = 0; j < corpus; j++) {
                    for (int t = 0; t < dim; t++) {
                        s[j] += (double) q.get(i, t) * c.get(j, t);
                    }
                }
                double[] sorted = s.clone();
                java.util.Arrays.sort(sorted);
                kth = sorted[corpus - k];
                java.util.Set<Integer> hits = new java.util.HashSet<>();
                for (int r = 0; r < k; r++) {
                    if (s[last.index(i, r)] < kth - 1e-5 || !hits.add(last.index(i, r))) {
                        throw new IllegalStateException("benchmark result check failed: query " + i
                                + " hit " + r + " (row " + last.index(i, r) + ": below the k-th score"
                                + " or a repeat)");
                    }
                }
            }
        }
        kernels.close();
    }
}
