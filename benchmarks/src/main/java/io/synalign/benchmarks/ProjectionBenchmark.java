package io.synalign.benchmarks;

import io.synalign.kernels.host.HostCappedSimplexProjector;
import java.util.Arrays;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The capped-simplex projection as the optimiser calls it, once per iteration on a point that
 * moved a little since the last: the O(n)-per-round warm-started Newton search
 * ({@link HostCappedSimplexProjector}) against the sort-based breakpoint walk it replaced
 * (O(n log n), kept here as the baseline). The vectors are small perturbations of the uniform
 * point with a cap of 10/n, like the optimiser's. Sizes are not powers of two.
 *
 * <p>Checked in {@link #setUp}: both give the same projection within 1e-15 (absolute; the
 * weights are at most the cap), or the run fails.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ProjectionBenchmark {

    @Param({"16001", "2000003"})
    public int n;

    private double[][] points;
    private double[] out;
    private double[] sorted;
    private HostCappedSimplexProjector newton;
    private double cap;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        cap = 10.0 / n;
        SplittableRandom random = new SplittableRandom(7);
        points = new double[8][n];
        for (int i = 0; i < n; i++) {
            points[0][i] = 1.0 / n + 3.0 / n * (random.nextDouble() - 0.5);
        }
        for (int k = 1; k < points.length; k++) {
            for (int i = 0; i < n; i++) {
                points[k][i] = points[k - 1][i] + 1e-3 / n * (random.nextDouble() - 0.5);
            }
        }
        out = new double[n];
        sorted = new double[n];
        newton = new HostCappedSimplexProjector(n, cap);
        for (double[] v : points) {
            newton.project(v, out);
            double tau = sortedThreshold(v, cap, sorted);
            for (int i = 0; i < n; i++) {
                double want = Math.min(Math.max(v[i] - tau, 0), cap);
                if (Math.abs(out[i] - want) > 1e-15) {
                    throw new IllegalStateException("projections differ at " + i + ": " + out[i]
                            + " vs " + want);
                }
            }
        }
    }

    /** The optimiser's case: a warm start from the previous threshold. */
    @Benchmark
    public double warmNewton() {
        double[] v = points[next++ & 7];
        newton.project(v, out);
        return out[0];
    }

    /** The replaced projection: sort, walk the breakpoints, clip. */
    @Benchmark
    public double sortedWalk() {
        double[] v = points[next++ & 7];
        double tau = sortedThreshold(v, cap, sorted);
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max(v[i] - tau, 0), cap);
        }
        return out[0];
    }

    /** The threshold by sorting and a descending merge walk over the 2n breakpoints. */
    static double sortedThreshold(double[] v, double cap, double[] scratch) {
        int n = v.length;
        System.arraycopy(v, 0, scratch, 0, n);
        Arrays.sort(scratch);
        int entered = 0;
        int capped = 0;
        double freeSum = 0;
        while (true) {
            double nextEnter = entered < n ? scratch[n - 1 - entered] : Double.NEGATIVE_INFINITY;
            double nextCap = capped < entered ? scratch[n - 1 - capped] - cap
                    : Double.NEGATIVE_INFINITY;
            double t = Math.max(nextEnter, nextCap);
            int free = entered - capped;
            double capMass = capped == 0 ? 0 : cap * capped;
            if (free > 0 && (t == Double.NEGATIVE_INFINITY || freeSum - free * t + capMass >= 1)) {
                double exact = 0;
                for (int k = n - entered; k < n - capped; k++) {
                    exact += scratch[k];
                }
                return (exact + capMass - 1) / free;
            }
            if (nextEnter >= nextCap) {
                freeSum += scratch[n - 1 - entered];
                entered++;
            } else {
                freeSum -= scratch[n - 1 - capped];
                capped++;
            }
        }
    }
}
