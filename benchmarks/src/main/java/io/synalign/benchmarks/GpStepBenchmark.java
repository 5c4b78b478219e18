package io.synalign.benchmarks;

import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.util.BitSet;
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
 * One step of the incremental GP selector: argmax of the posterior variance over uncovered rows,
 * then one rank-one update (kernel column O(N d) + factor product O(N t)). Each measured batch
 * runs {@value #STEPS} consecutive steps starting from rank {@value #START_RANK}, so the
 * reported time divided by {@value #STEPS} is the cost of one step at ranks 100..300.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxbytes=6g"})
@Warmup(iterations = 2, batchSize = GpStepBenchmark.STEPS)
@Measurement(iterations = 5, batchSize = GpStepBenchmark.STEPS)
public class GpStepBenchmark {

    static final int STEPS = 200;
    static final int START_RANK = 100;

    @Param({"nd4j"})
    public String backend;

    @Param({"20011"})
    public int rows;

    @Param({"384"})
    public int dim;

    private KernelBackend kernels;
    private GpVarianceTracker tracker;
    private final BitSet covered = new BitSet();

    @Setup(Level.Trial)
    public void setUp() {
        FloatMatrix x = SyntheticEmbeddings.clustered(rows, dim, 32, 1.0, 0, 7);
        kernels = KernelBackends.create(backend);
        tracker = kernels.gpVarianceTracker(x, 0.7, 1e-6, START_RANK + STEPS);
    }

    @Setup(Level.Iteration)
    public void warmTracker() {
        tracker.reset();
        covered.clear();
        for (int i = 0; i < START_RANK; i++) {
            step();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tracker.close();
        kernels.close();
    }

    /** One pick: argmax over uncovered rows, then the rank-one update. */
    @Benchmark
    public int step() {
        int pick = tracker.argmax(covered);
        if (pick < 0 || covered.get(pick)) {
            throw new IllegalStateException("argmax returned an invalid row " + pick);
        }
        covered.set(pick);
        tracker.condition(pick);
        if (!(tracker.variance(pick) < 1e-3)) {
            throw new IllegalStateException("variance at a conditioned row did not collapse: "
                    + tracker.variance(pick));
        }
        return pick;
    }
}
