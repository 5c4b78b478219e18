package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@link VectorOps} contract, checked against plain double loops written here (the
 * independent oracle) on random vectors of awkward lengths: element-wise passes to within a few
 * ulps of the operands (a device may fuse a multiply and an add), reductions to within
 * {@code 1e-13} of the sum of the absolute terms (any summation order passes, a wrong term does
 * not), and the capped-simplex projection to within 1e-15 (times {@code max(1, max |v_i|)}, the scale
 * at which both round) of the sort-based breakpoint walk ({@link SortedSimplexOracle}), cold and
 * warm started, for every cap regime. Outputs hold garbage (NaN) before each pass, and slices are
 * copied to and from nonzero offsets of sentinel-filled vectors with every value checked. Each
 * backend's test class extends it and supplies {@link #ops()}; public with protected hooks, like
 * {@link BackendContractTest}, for backends outside this package.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class VectorOpsContractTest {

    /** The operations under test. */
    protected abstract VectorOps ops();

    /** Lengths: singletons, primes, one past a power of two. */
    protected IntStream lengths() {
        return IntStream.of(1, 2, 7, 257, 1000, 4099);
    }

    static double[] random(int n, long seed, double scale) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * (r.nextDouble() - 0.3);
        }
        return v;
    }

    /** |got - want| within a few ulps of the largest operand magnitude of each element. */
    static void assertElementwise(double[] want, double[] got, double[] magnitude, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            double bound = 4 * Math.ulp(Math.abs(magnitude[i])) + Double.MIN_NORMAL;
            assertTrue(Math.abs(got[i] - want[i]) <= bound, what + "[" + i + "] = " + got[i]
                    + ", want " + want[i]);
        }
    }

    static void assertSum(double want, double got, double absTerms, String what) {
        assertTrue(Math.abs(got - want) <= 1e-13 * absTerms + Double.MIN_NORMAL, what + " = "
                + got + ", want " + want + " (sum of |terms| " + absTerms + ")");
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void copiesReadsWritesAndFills(int n) {
        VectorOps ops = ops();
        double[] values = random(n, n, 3);
        try (DeviceVector a = ops.of(values); DeviceVector b = ops.zeros(n)) {
            assertEquals(n, a.length());
            assertArrayEquals(new double[n], ops.toArray(b));
            ops.fill(b, Double.NaN);
            ops.copy(a, b);
            assertArrayEquals(values, ops.toArray(b));
            double[] other = random(n, n + 1, 5);
            ops.write(other, b);
            assertArrayEquals(other, ops.toArray(b));
            assertArrayEquals(values, ops.toArray(a), "copy and write leave the source alone");
            // A slice moves between vectors of different lengths (a block of rows), at offsets
            // (the engine writes block c at c * chunk) into sentinels: exactly the slice changes.
            try (DeviceVector part = ops.zeros(Math.max(1, n / 2))) {
                int len = Math.max(1, n / 2);
                int from = n - len;
                ops.copyRange(a, from, part, 0, len);
                double[] got = ops.toArray(part);
                for (int i = 0; i < len; i++) {
                    assertEquals(values[from + i], got[i], 0.0);
                }
                int slice = Math.max(1, len / 2);
                int last = n + 4 - slice;
                for (int[] offsets : new int[][] {{0, 3}, {len - slice, 1}, {1, last / 2},
                        {0, last}}) {
                    int fromOffset = Math.min(offsets[0], len - slice);
                    int toOffset = Math.min(offsets[1], last);
                    double[] sentinels = new double[n + 4];
                    for (int i = 0; i < sentinels.length; i++) {
                        sentinels[i] = -1e30 - 1e15 * i;
                    }
                    try (DeviceVector target = ops.of(sentinels)) {
                        ops.copyRange(part, fromOffset, target, toOffset, slice);
                        double[] after = ops.toArray(target);
                        for (int i = 0; i < after.length; i++) {
                            boolean copied = i >= toOffset && i < toOffset + slice;
                            assertEquals(copied ? values[from + fromOffset + i - toOffset]
                                    : sentinels[i], after[i], 0.0, "copyRange(part, "
                                    + fromOffset + ", target, " + toOffset + ", " + slice
                                    + ") at " + i);
                        }
                        ops.copyRange(part, 0, target, toOffset, 0);
                        assertArrayEquals(after, ops.toArray(target), "an empty slice copies"
                                + " nothing");
                    }
                }
                assertThrows(IndexOutOfBoundsException.class,
                        () -> ops.copyRange(a, 1, part, 0, n));
                // Offsets whose sum with the length wraps past Long.MAX_VALUE (it was accepted
                // and copied a few values from the start).
                long huge = 1L << 62;
                assertThrows(IndexOutOfBoundsException.class,
                        () -> ops.copyRange(a, huge, part, huge, huge + 3));
                assertThrows(IndexOutOfBoundsException.class,
                        () -> ops.copyRange(a, 0, part, Long.MAX_VALUE, 2));
            }
            ops.fill(b, -0.25);
            double[] read = new double[n];
            ops.read(b, read);
            for (double v : read) {
                assertEquals(-0.25, v);
            }
        }
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void elementwisePassesMatchPlainLoops(int n) {
        VectorOps ops = ops();
        double[] x = random(n, 11L * n, 1e-3);
        double[] p = random(n, 13L * n, 1e-3);
        double[] hy = random(n, 17L * n, 2);
        double[] h = random(n, 19L * n, 2);
        double beta = 0.731;
        double inverseStep = 1.0 / 37.5;
        double[] wantY = new double[n];
        double[] magY = new double[n];
        double[] wantStep = new double[n];
        double[] magStep = new double[n];
        double[] wantCombination = new double[n];
        double[] magCombination = new double[n];
        for (int i = 0; i < n; i++) {
            wantY[i] = x[i] + beta * (x[i] - p[i]);
            magY[i] = Math.abs(x[i]) + beta * (Math.abs(x[i]) + Math.abs(p[i]));
            double g = 2 * (hy[i] - h[i]);
            wantStep[i] = x[i] - g * inverseStep;
            magStep[i] = Math.abs(x[i]) + 2 * (Math.abs(hy[i]) + Math.abs(h[i])) * inverseStep;
            wantCombination[i] = -1.5 * x[i] + 0.25 * hy[i];
            magCombination[i] = 1.5 * Math.abs(x[i]) + 0.25 * Math.abs(hy[i]);
        }
        try (DeviceVector xv = ops.of(x); DeviceVector pv = ops.of(p);
                DeviceVector hyv = ops.of(hy); DeviceVector hv = ops.of(h);
                DeviceVector out = ops.zeros(n)) {
            ops.fill(out, Double.NaN);
            ops.extrapolate(xv, pv, beta, out);
            assertElementwise(wantY, ops.toArray(out), magY, "extrapolate");
            ops.fill(out, Double.NaN);
            ops.gradientStep(xv, hyv, hv, inverseStep, out);
            assertElementwise(wantStep, ops.toArray(out), magStep, "gradientStep");
            ops.fill(out, Double.NaN);
            ops.linearCombination(-1.5, xv, 0.25, hyv, out);
            assertElementwise(wantCombination, ops.toArray(out), magCombination,
                    "linearCombination");
            ops.copy(hyv, out);
            ops.add(out, -0.125);
            double[] shifted = ops.toArray(out);
            ops.scale(out, 3.0);
            double[] scaled = ops.toArray(out);
            for (int i = 0; i < n; i++) {
                assertEquals(hy[i] - 0.125, shifted[i], 0.0, "add");
                assertEquals((hy[i] - 0.125) * 3.0, scaled[i], 0.0, "scale");
            }
            // The extrapolation may write over one of its inputs (beta = 0 copies x).
            ops.extrapolate(xv, pv, 0.0, pv);
            assertArrayEquals(x, ops.toArray(pv));
        }
    }

    @ParameterizedTest(name = "n = {0}")
    @MethodSource("lengths")
    void reductionsMatchPlainSums(int n) {
        VectorOps ops = ops();
        double[] next = random(n, 23L * n, 1e-2);
        double[] y = random(n, 29L * n, 1e-2);
        double[] hNext = random(n, 31L * n, 1);
        double[] hy = random(n, 37L * n, 1);
        double[] h = random(n, 41L * n, 1);
        double[] want = new double[8];
        double[] abs = new double[8];
        for (int i = 0; i < n; i++) {
            double d = next[i] - y[i];
            want[0] += d * d;
            abs[0] += d * d;
            want[1] += d * (hNext[i] - hy[i]);
            abs[1] += Math.abs(d * (hNext[i] - hy[i]));
            want[2] += Math.abs(d) * (Math.abs(hNext[i]) + Math.abs(hy[i]));
            abs[2] = want[2];
            want[3] += next[i] * hNext[i];
            abs[3] += Math.abs(next[i] * hNext[i]);
            want[4] += h[i] * next[i];
            abs[4] += Math.abs(h[i] * next[i]);
            want[5] += hy[i];
            abs[5] += Math.abs(hy[i]);
            want[6] += (h[i] - hy[i]) * (h[i] - hy[i]);
            abs[6] = want[6];
        }
        try (DeviceVector a = ops.of(next); DeviceVector b = ops.of(y);
                DeviceVector c = ops.of(hNext); DeviceVector d = ops.of(hy);
                DeviceVector e = ops.of(h)) {
            StepStatistics s = ops.stepStatistics(a, b, c, d, e);
            assertSum(want[0], s.stepNorm2(), abs[0], "stepNorm2");
            assertSum(want[1], s.curvature(), abs[1], "curvature");
            assertSum(want[2], s.curvatureScale(), abs[2], "curvatureScale");
            assertSum(want[3], s.quadratic(), abs[3], "quadratic");
            assertSum(want[4], s.cross(), abs[4], "cross");
            assertSum(want[3], ops.dot(a, c), abs[3], "dot");
            assertSum(want[5], ops.sum(d), abs[5], "sum");
            assertSum(want[6], ops.distanceSquared(e, d), abs[6], "distanceSquared");
            // Repeated reductions are bit-identical.
            assertEquals(s, ops.stepStatistics(a, b, c, d, e));
        }
    }

    /** (n, B): cap B / n; B >= n is no cap; B = 1 the single point. */
    Stream<Arguments> projectionCases() {
        return Stream.of(
                Arguments.of(1, 1.0), Arguments.of(2, 1.5), Arguments.of(7, 1.0),
                Arguments.of(7, 1.3), Arguments.of(7, 100.0), Arguments.of(257, 1.01),
                Arguments.of(257, 2.0), Arguments.of(257, 10.0), Arguments.of(1000, 1e6),
                Arguments.of(4099, 10.0), Arguments.of(4099, 1e9));
    }

    /**
     * Vectors in five regimes: Gaussian around 0 (many clipped at 0), small perturbations of the
     * uniform point (the optimiser's regime), a large offset with many exact ties, heavy tails,
     * and a mostly-capped spike.
     */
    static double[] regime(int n, Random random, int kind) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind % 5) {
                case 0 -> random.nextGaussian();
                case 1 -> 1.0 / n + 1e-3 * random.nextGaussian() / n;
                case 2 -> 1e4 + 50 * Math.floor(4 * random.nextDouble());
                case 3 -> Math.pow(random.nextDouble(), -2) - 3 + 0.1 * random.nextGaussian();
                default -> i % 3 == 0 ? 5 + random.nextDouble() : -random.nextDouble();
            };
        }
        return v;
    }

    @ParameterizedTest(name = "n = {0}, B = {1}")
    @MethodSource("projectionCases")
    void projectionEqualsTheSortBasedWalkColdAndWarm(int n, double ratio) {
        VectorOps ops = ops();
        double cap = Math.min(1.0, ratio / n);
        Random random = new Random(97L * n + (long) ratio);
        try (CappedSimplexProjector projector = ops.cappedSimplex(n, cap);
                DeviceVector v = ops.zeros(n); DeviceVector out = ops.zeros(n)) {
            assertEquals(n, projector.dimension());
            for (int trial = 0; trial < 15; trial++) {
                // Trials 5..14 walk the optimiser's way: each vector a small move from the last,
                // so every projection starts warm from the previous threshold.
                double[] values = trial < 5 ? regime(n, random, trial)
                        : perturbed(ops.toArray(v), random, trial);
                ops.write(values, v);
                ops.fill(out, Double.NaN);
                projector.project(v, out);
                double[] want = SortedSimplexOracle.project(values, cap);
                double[] got = ops.toArray(out);
                // 1e-15 at the input's scale: both sum the free values, in different orders.
                double scale = 1;
                for (double value : values) {
                    scale = Math.max(scale, Math.abs(value));
                }
                for (int i = 0; i < n; i++) {
                    assertEquals(want[i], got[i], 1e-15 * scale, "trial " + trial
                            + ", coordinate " + i);
                }
                double sum = 0;
                double largest = 0;
                for (int i = 0; i < n; i++) {
                    assertTrue(got[i] >= 0 && got[i] <= Math.max(cap, 1.0 / n) * (1 + 1e-15));
                    sum += got[i];
                    largest = Math.max(largest, Math.abs(values[i]));
                }
                // Each v_i - tau is rounded at the scale of max |v|.
                assertEquals(1.0, sum, 1e-14 + 4e-16 * n * (1 + largest));
            }
        }
    }

    private static double[] perturbed(double[] v, Random random, int trial) {
        double[] out = v.clone();
        double spread = 0;
        for (double value : v) {
            spread = Math.max(spread, Math.abs(value));
        }
        for (int i = 0; i < out.length; i++) {
            out[i] += 1e-3 * spread * random.nextGaussian() / (1 + trial);
        }
        return out;
    }

    @Test
    void warmStartedProjectionsOfNearbyPointsTakeFewRounds() {
        VectorOps ops = ops();
        int n = 5003;
        double cap = 10.0 / n;
        Random random = new Random(3);
        double[] values = regime(n, random, 1);
        try (CappedSimplexProjector projector = ops.cappedSimplex(n, cap);
                DeviceVector v = ops.of(values); DeviceVector out = ops.zeros(n)) {
            projector.project(v, out);
            double first = projector.threshold();
            assertEquals(SortedSimplexOracle.threshold(values, cap), first, 1e-15);
            for (int i = 0; i < n; i++) {
                values[i] += 1e-6 / n * random.nextGaussian();
            }
            ops.write(values, v);
            projector.project(v, out);
            // Warm: the segment barely moves, so a Newton step and its confirmation suffice.
            assertTrue(projector.rounds() <= 3, projector.rounds() + " rounds from a warm start");
        }
    }

    @Test
    void projectsInPlaceAndTheSinglePointSet() {
        VectorOps ops = ops();
        double[] values = regime(50, new Random(5), 0);
        try (CappedSimplexProjector projector = ops.cappedSimplex(50, 0.05);
                DeviceVector v = ops.of(values); DeviceVector out = ops.zeros(50)) {
            projector.project(v, out);
            projector.project(v, v);
            assertArrayEquals(ops.toArray(out), ops.toArray(v), 0.0);
        }
        try (CappedSimplexProjector single = ops.cappedSimplex(7, 1.0 / 7);
                DeviceVector v = ops.of(regime(7, new Random(6), 3));
                DeviceVector out = ops.zeros(7)) {
            single.project(v, out);
            for (double w : ops.toArray(out)) {
                assertEquals(1.0 / 7, w, 1e-16);
            }
        }
    }

    @Test
    void refusesEmptySetsAndNonFiniteVectors() {
        VectorOps ops = ops();
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> ops.cappedSimplex(10, 0.05));
        assertTrue(empty.getMessage().contains("0.05"), empty.getMessage());
        try (CappedSimplexProjector projector = ops.cappedSimplex(3, 1);
                DeviceVector v = ops.of(new double[] {1, Double.NaN, 0});
                DeviceVector out = ops.zeros(3)) {
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class, () -> {
                projector.project(v, out);
                projector.threshold();
            });
            assertTrue(nan.getMessage().contains("NaN"), nan.getMessage());
        }
    }

    /**
     * Values that share a large offset: the projection searches about the largest value,
     * so it gives the projection of the exact differences (the oracle on {@code v - offset},
     * exact here, as every value is the offset plus a few of its ulps). About 0 it lost the
     * bracket's 1/n and every difference: {1e16, 1e16, 1e16} projected to 0, and 1e16 plus 0, 2
     * or 4 to weights summing to 682. The cuda projector searches about the same origin
     * ({@code simplex.cu}, state[7]); about 0 it gave sums of 2.5 at 1e16 and 0.9155 at 1e12.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "offset {0}, n = {1}, B = {2}")
    @org.junit.jupiter.params.provider.CsvSource({"1e16, 3, 1", "1e13, 17, 1", "1e16, 1025, 1",
        "-2.9e47, 1025, 1", "1e16, 1025, 3", "1e8, 1025, 10", "-1e300, 64, 64", "1e6, 1025, 1"})
    void projectionOfValuesSharingALargeOffset(double offset, int n, double ratio) {
        double cap = Math.min(1.0, ratio / n);
        double ulp = Math.ulp(offset);
        java.util.Random random = new java.util.Random(n);
        double[] v = new double[n];
        int[] k = new int[n];
        int top = 0;
        for (int i = 0; i < n; i++) {
            k[i] = n == 1025 && offset != 1e6 ? i % 3 : random.nextInt(7);
            v[i] = offset + k[i] * ulp;
            top = Math.max(top, k[i]);
        }
        // The oracle on the differences from the largest value, exact: a few ulps of the offset
        // (the oracle, too, sums about 0, and differences of 1e285 would drown its 1/n).
        double[] shifted = new double[n];
        for (int i = 0; i < n; i++) {
            shifted[i] = (k[i] - top) * ulp;
            org.junit.jupiter.api.Assertions.assertEquals(shifted[i], v[i] - (offset + top * ulp),
                    0.0, "exact");
        }
        double[] want = SortedSimplexOracle.project(shifted, cap);
        try (CappedSimplexProjector projector = ops().cappedSimplex(n, cap);
                DeviceVector in = ops().of(v); DeviceVector out = ops().zeros(n)) {
            projector.project(in, out);
            double[] got = ops().toArray(out);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                org.junit.jupiter.api.Assertions.assertEquals(want[i], got[i], 1e-15,
                        "coordinate " + i);
                assertTrue(got[i] >= 0 && got[i] <= cap * (1 + 1e-15), "within the cap");
                sum += got[i];
            }
            org.junit.jupiter.api.Assertions.assertEquals(1.0, sum, 1e-13);
            // A second projection warm-started from the first threshold agrees.
            projector.project(in, out);
            org.junit.jupiter.api.Assertions.assertArrayEquals(got, ops().toArray(out), 1e-15);
        }
    }
}
