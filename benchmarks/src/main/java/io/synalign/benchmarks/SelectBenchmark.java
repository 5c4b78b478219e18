package io.synalign.benchmarks;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.engine.exploration.ExplorationSelector;
import io.synalign.engine.exploration.SelectionConfig;
import io.synalign.engine.exploration.SelectionResult;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.Arrays;
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
 * End-to-end {@code select}: {@code count} picks out of N rows with the incremental
 * (pivoted-Cholesky) selector, against {@link RefitGpSelector}, which refits the GP posterior
 * at every step. Both use the same length scale and first pick; {@link #setUp} checks that the
 * refit selector's picks equal the incremental ones (up to float32 near-ties, at least 95 % of
 * them), so the two compute the same selection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxbytes=8g"})
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class SelectBenchmark {

    @Param({"nd4j"})
    public String backend;

    @Param({"20000"})
    public int rows;

    @Param({"384"})
    public int dim;

    @Param({"300"})
    public int count;

    private KernelBackend kernels;
    private FloatMatrix x;
    private SelectionConfig config;
    private double lengthScale;
    private int first;

    @Setup(Level.Trial)
    public void setUp() {
        x = SyntheticEmbeddings.clustered(rows, dim, 64, 1.0, 0, 11);
        kernels = KernelBackends.create(backend);
        SelectionResult probe = new ExplorationSelector(kernels,
                new SelectionConfig(Bandwidth.auto(), SelectionConfig.DEFAULT_NOISE, -1, 1, 0))
                .select(x, count, ProgressListener.NONE);
        lengthScale = probe.lengthScale();
        first = probe.picks()[0];
        config = new SelectionConfig(Bandwidth.of(lengthScale), SelectionConfig.DEFAULT_NOISE,
                first, 1, 0);
        // Check the configuration that is timed, not the probe.
        int[] timed = incremental();
        int[] refit = refitEveryStep();
        long same = Arrays.stream(refit).filter(p -> contains(timed, p)).count();
        if (same < 0.95 * count) {
            throw new IllegalStateException("refit and incremental selections disagree: only "
                    + same + " of " + count + " picks in common");
        }
    }

    private static boolean contains(int[] values, int v) {
        for (int value : values) {
            if (value == v) {
                return true;
            }
        }
        return false;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kernels.close();
    }

    @Benchmark
    public int[] incremental() {
        return new ExplorationSelector(kernels, config).select(x, count, ProgressListener.NONE).picks();
    }

    @Benchmark
    public int[] refitEveryStep() {
        return RefitGpSelector.select(kernels, x, count, lengthScale,
                SelectionConfig.DEFAULT_NOISE, first);
    }
}
