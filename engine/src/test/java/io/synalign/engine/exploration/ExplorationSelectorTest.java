package io.synalign.engine.exploration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.MedianHeuristic;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.reference.ReferenceBackend;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ExplorationSelectorTest {

    /** Clustered Gaussian rows: a few centres with unequal spreads, so variances differ a lot. */
    static FloatMatrix clustered(int n, int d, long seed) {
        Random random = new Random(seed);
        int centres = 4;
        double[][] centre = new double[centres][d];
        for (double[] c : centre) {
            for (int j = 0; j < d; j++) {
                c[j] = 3 * random.nextGaussian();
            }
        }
        double[][] rows = new double[n][d];
        for (int i = 0; i < n; i++) {
            int c = random.nextInt(centres);
            double spread = 0.3 + c * 0.4;
            for (int j = 0; j < d; j++) {
                rows[i][j] = centre[c][j] + spread * random.nextGaussian();
            }
        }
        return FloatMatrix.of(rows);
    }

    /** Standard normal rows, like BERT outputs in scale: distances around sqrt(2 d). */
    static FloatMatrix gaussian(int n, int d, long seed) {
        Random random = new Random(seed);
        double[][] rows = new double[n][d];
        for (double[] row : rows) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextGaussian();
            }
        }
        return FloatMatrix.of(rows);
    }

    /** Backends x (N, d, G, count, first, length scale or NaN for auto). */
    static Stream<Arguments> cases() {
        List<Object[]> shapes = List.of(
                new Object[] {57, 5, 1, 57, -1, 1.5},   // G=1, every row picked, no new round
                new Object[] {101, 33, 1, 40, 3, Double.NaN},
                new Object[] {101, 33, 2, 80, -1, Double.NaN}, // 51 picks cover all: a 2nd round
                new Object[] {101, 5, 2, 101, 7, 1.0},  // 2 resets
                new Object[] {57, 33, 3, 57, 0, Double.NaN}, // 19 picks a round: 2 resets
                new Object[] {101, 5, 3, 70, -1, 2.0},
                new Object[] {7, 3, 2, 7, -1, Double.NaN},
                new Object[] {1, 4, 3, 1, -1, Double.NaN});
        List<Arguments> all = new ArrayList<>();
        for (String backend : TestBackends.names()) {
            for (Object[] s : shapes) {
                all.add(Arguments.of(backend, s[0], s[1], s[2], s[3], s[4], s[5]));
            }
        }
        return all.stream();
    }

    /**
     * Replays the selection against the from-scratch oracle: before every pick, the posterior
     * variance of every row given C = all rows covered so far in this round is recomputed by a
     * fresh double-precision Cholesky, and the pick must be its argmax over uncovered rows (ties
     * to the lowest index); every group must be the pick and its G-1 nearest uncovered rows by
     * brute-force distance; rounds reset when every row is covered.
     */
    @ParameterizedTest(name = "{0}: N={1} d={2} G={3} count={4} first={5} l={6}")
    @MethodSource("cases")
    void everyPickIsTheArgmaxOfTheFromScratchPosterior(String backendName, int n, int d, int g,
            int count, int first, double fixedL) {
        FloatMatrix x = clustered(n, d, 1000L * n + 10L * d + g);
        Bandwidth l = Double.isNaN(fixedL) ? Bandwidth.auto() : Bandwidth.of(fixedL);
        SelectionConfig config = new SelectionConfig(l, SelectionConfig.DEFAULT_NOISE, first, g, 11L);
        boolean exact = backendName.equals(TestBackends.EXACT);
        SelectionResult result;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            result = new ExplorationSelector(backend, config).select(x, count, ProgressListener.NONE);
            assertEquals(backend.name(), result.backend());
        }
        assertEquals(count, result.picks().length);
        assertEquals(count, result.groups().size());
        assertEquals(count, result.pickVariances().length);
        if (l.isAuto() && n > 1) {
            double median = MedianHeuristic.estimate(new ReferenceBackend(),
                    MedianHeuristic.DEFAULT_SAMPLE, 11L, x);
            assertEquals(median, result.lengthScale(), 1e-4 * median);
        } else if (!l.isAuto()) {
            assertEquals(fixedL, result.lengthScale());
        }

        double lengthScale = result.lengthScale();
        List<Integer> conditioning = new ArrayList<>();
        BitSet covered = new BitSet(n);
        BitSet pickedEver = new BitSet(n);
        int rounds = 0;
        for (int k = 0; k < count; k++) {
            boolean roundStart = false;
            if (k > 0 && covered.cardinality() == n) {
                conditioning.clear();
                covered.clear();
                rounds++;
                roundStart = true;
            }
            double[] var = FromScratchPosterior.variances(x, lengthScale, config.noise(),
                    conditioning);
            int pick = result.picks()[k];
            assertFalse(covered.get(pick), "pick " + k + " = row " + pick + " is already covered");
            int expected;
            if (k == 0) {
                expected = first >= 0 ? first : FromScratchPosterior.nearestToMean(x);
            } else if (roundStart) {
                // Every variance is the prior 1: the lowest-index row never picked before.
                expected = pickedEver.nextClearBit(0);
            } else if (rounds > 0) {
                // Later rounds: the uncovered rows never picked before, if any are left.
                BitSet excluded = (BitSet) covered.clone();
                excluded.or(pickedEver);
                expected = excluded.nextClearBit(0) < n ? argmaxUncovered(var, excluded)
                        : argmaxUncovered(var, covered);
            } else {
                expected = argmaxUncovered(var, covered);
            }
            if (exact || k == 0 || roundStart) {
                assertEquals(expected, pick, "pick " + k);
            } else {
                // float32 backends: two rows whose variances agree to float rounding may come
                // out in either order, and both are correct picks. The chosen row's true
                // (from-scratch) variance must be within float32 accumulation error (t rank-one
                // updates of ~1e-7 each) of the true maximum.
                assertTrue(var[pick] >= var[expected] - 1e-5, "pick " + k + ": row " + pick
                        + " has variance " + var[pick] + ", the maximum is " + var[expected]
                        + " at row " + expected);
            }
            assertEquals(var[pick], result.pickVariances()[k], exact ? 1e-9 : 1e-4,
                    "reported variance of pick " + k);

            int[] group = result.groups().get(k);
            assertEquals(pick, group[0], "group " + k + " starts with its pick");
            int uncovered = n - covered.cardinality();
            assertEquals(Math.min(g, uncovered), group.length, "size of group " + k);
            checkNeighbours(x, group, covered, exact, k);
            pickedEver.set(pick);
            for (int row : group) {
                assertFalse(covered.get(row), "row " + row + " covered twice in a round");
                covered.set(row);
                conditioning.add(row);
            }
        }
        assertEquals(rounds, result.rounds());
    }

    private static int argmaxUncovered(double[] var, BitSet covered) {
        int best = -1;
        for (int i = covered.nextClearBit(0); i < var.length; i = covered.nextClearBit(i + 1)) {
            if (best < 0 || var[i] > var[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The group's neighbours are the nearest uncovered rows to its pick, by brute force. */
    private static void checkNeighbours(FloatMatrix x, int[] group, BitSet covered, boolean exact,
            int k) {
        int pick = group[0];
        int[] byDistance = IntStream.range(0, x.rows())
                .filter(i -> i != pick && !covered.get(i))
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(
                        i -> FromScratchPosterior.distance2(x, pick, i)).thenComparingInt(i -> i))
                .mapToInt(Integer::intValue)
                .toArray();
        int[] neighbours = java.util.Arrays.copyOfRange(group, 1, group.length);
        int[] expected = java.util.Arrays.copyOf(byDistance, neighbours.length);
        if (exact) {
            assertArrayEquals(expected, neighbours, "neighbours of pick " + k);
            return;
        }
        // float32 GEMM distances may swap neighbours whose distances agree to rounding.
        double kth = neighbours.length == 0 ? 0
                : FromScratchPosterior.distance2(x, pick, expected[expected.length - 1]);
        for (int r : neighbours) {
            assertFalse(covered.get(r) || r == pick, "neighbour " + r + " of pick " + k);
            assertTrue(FromScratchPosterior.distance2(x, pick, r) <= kth * (1 + 1e-5) + 1e-5,
                    "neighbour " + r + " of pick " + k + " is not among the nearest");
        }
        assertEquals(neighbours.length, java.util.Arrays.stream(neighbours).distinct().count());
    }

    static Stream<String> backends() {
        return TestBackends.names().stream();
    }

    /**
     * The paper's reference setting, l = 0.1 on raw 768-d BERT-scale vectors (distances ~39):
     * exp(-39^2 / 0.02) underflows to 0, so every posterior variance stays exactly 1 and the
     * argmax with ties to the lowest index walks the rows in index order. This is why the length
     * scale defaults to auto.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void paperLengthScaleOnBertScaleVectorsDegeneratesToIndexOrder(String backendName) {
        FloatMatrix x = gaussian(50, 768, 7L);
        int count = 20;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            SelectionResult r = new ExplorationSelector(backend,
                    new SelectionConfig(Bandwidth.of(0.1), SelectionConfig.DEFAULT_NOISE, 0, 1, 0L))
                    .select(x, count, ProgressListener.NONE);
            assertArrayEquals(IntStream.range(0, count).toArray(), r.picks());
            for (double v : r.pickVariances()) {
                assertEquals(1.0, v, 0.0);
            }
            // With the paper's G = 2 each pick is simply the lowest-index uncovered row.
            SelectionResult g2 = new ExplorationSelector(backend,
                    new SelectionConfig(Bandwidth.of(0.1), SelectionConfig.DEFAULT_NOISE, 0, 2, 0L))
                    .select(x, count, ProgressListener.NONE);
            BitSet covered = new BitSet();
            for (int k = 0; k < count; k++) {
                assertEquals(covered.nextClearBit(0), g2.picks()[k], "G=2 pick " + k);
                assertEquals(1.0, g2.pickVariances()[k], 0.0);
                for (int row : g2.groups().get(k)) {
                    covered.set(row);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void autoLengthScaleOnTheSameVectorsIsNotIndexOrder(String backendName) {
        FloatMatrix x = gaussian(50, 768, 7L);
        int count = 20;
        try (KernelBackend backend = KernelBackends.create(backendName)) {
            SelectionResult r = new ExplorationSelector(backend,
                    new SelectionConfig(Bandwidth.auto(), SelectionConfig.DEFAULT_NOISE, 0, 1, 0L))
                    .select(x, count, ProgressListener.NONE);
            assertNotEquals(IntStream.range(0, count).boxed().toList(),
                    IntStream.of(r.picks()).boxed().toList());
            // Distances concentrate near sqrt(2 * 768) ~ 39; the median heuristic lands there.
            assertTrue(r.lengthScale() > 30 && r.lengthScale() < 50, "l = " + r.lengthScale());
            for (int k = 1; k < count; k++) {
                assertTrue(r.pickVariances()[k] < 0.99, "variance of pick " + k + " = "
                        + r.pickVariances()[k]);
            }
        }
    }

    @Test
    void theFirstPickDefaultsToTheRowNearestTheMean() {
        FloatMatrix x = clustered(73, 6, 3L);
        SelectionResult r = new ExplorationSelector(new ReferenceBackend(), SelectionConfig.defaults())
                .select(x, 1, ProgressListener.NONE);
        assertEquals(FromScratchPosterior.nearestToMean(x), r.picks()[0]);
        assertEquals(1.0, r.pickVariances()[0], 0.0);
        // Rows at -1, 1, -1, 1: all are at distance 1 from the mean 0; the lowest index wins.
        FloatMatrix tied = FloatMatrix.of(new double[][] {{-1}, {1}, {-1}, {1}});
        assertEquals(0, new ExplorationSelector(new ReferenceBackend(), SelectionConfig.defaults())
                .select(tied, 1, ProgressListener.NONE).picks()[0]);
    }

    /**
     * Later rounds pick a row picked before only when every uncovered row was: 50 distinct rows,
     * 50 picks in groups of 3 (17 picks a round). Excluding earlier picks at each round's first
     * pick only replayed earlier picks from the second pick of a round on (24 distinct picks
     * here then, 43 now).
     */
    @Test
    void laterRoundsRepeatAPickOnlyWhenEveryUncoveredRowWasPicked() {
        int n = 50;
        FloatMatrix x = clustered(n, 8, 7L);
        SelectionConfig config = new SelectionConfig(Bandwidth.auto(), 1e-6, -1, 3, 0L);
        SelectionResult r = new ExplorationSelector(new ReferenceBackend(), config)
                .select(x, n, ProgressListener.NONE);
        assertEquals(2, r.rounds());
        BitSet covered = new BitSet(n);
        BitSet pickedEver = new BitSet(n);
        for (int k = 0; k < n; k++) {
            if (covered.cardinality() == n) {
                covered.clear();
            }
            int pick = r.picks()[k];
            if (pickedEver.get(pick)) {
                for (int i = covered.nextClearBit(0); i < n; i = covered.nextClearBit(i + 1)) {
                    assertTrue(pickedEver.get(i), "pick " + k + " repeats row " + pick
                            + " while row " + i + " is uncovered and never picked: "
                            + java.util.Arrays.toString(r.picks()));
                }
            }
            pickedEver.set(pick);
            for (int row : r.groups().get(k)) {
                covered.set(row);
            }
        }
    }

    /**
     * More picks than rows continue the selection: its first N picks are those of a selection
     * of N, and after every row has been picked a new cycle starts, in which a row is picked
     * again only when every uncovered row was picked in the cycle already. With G = 1 each round
     * is a cycle, so each block of N picks is a permutation of the rows.
     */
    @Test
    void moreThanNPicksContinueTheSelectionInCycles() {
        int n = 20;
        FloatMatrix x = clustered(n, 6, 11L);
        for (int g : new int[] {1, 3}) {
            SelectionConfig config = new SelectionConfig(Bandwidth.auto(), 1e-6, -1, g, 0L);
            SelectionResult shorter = new ExplorationSelector(new ReferenceBackend(), config)
                    .select(x, n, ProgressListener.NONE);
            SelectionResult r = new ExplorationSelector(new ReferenceBackend(), config)
                    .select(x, 3 * n + 1, ProgressListener.NONE);
            assertEquals(3 * n + 1, r.picks().length);
            for (int k = 0; k < n; k++) {
                assertEquals(shorter.picks()[k], r.picks()[k], "G=" + g + ", pick " + k);
                assertArrayEquals(shorter.groups().get(k), r.groups().get(k), "G=" + g);
            }
            BitSet covered = new BitSet(n);
            BitSet inCycle = new BitSet(n);
            for (int k = 0; k < r.picks().length; k++) {
                if (covered.cardinality() == n) {
                    covered.clear();
                }
                if (inCycle.cardinality() == n) {
                    inCycle.clear();
                }
                int pick = r.picks()[k];
                if (inCycle.get(pick)) {
                    for (int i = covered.nextClearBit(0); i < n; i = covered.nextClearBit(i + 1)) {
                        assertTrue(inCycle.get(i), "G=" + g + ": pick " + k + " repeats row "
                                + pick + " while row " + i + " is uncovered and not yet picked in"
                                + " the cycle");
                    }
                }
                inCycle.set(pick);
                for (int row : r.groups().get(k)) {
                    covered.set(row);
                }
            }
            if (g == 1) {
                for (int c = 0; c < 3; c++) {
                    assertArrayEquals(IntStream.range(0, n).toArray(), java.util.Arrays.stream(
                            r.picks(), c * n, (c + 1) * n).sorted().toArray(), "cycle " + c);
                }
                assertEquals(3, r.rounds());
            }
        }
    }

    /** A group size far above N covers every row at once, without sizing buffers by it. */
    @Test
    void aGroupSizeAboveTheRowCountCoversEveryRowInOneGroup() {
        int n = 50;
        FloatMatrix x = clustered(n, 8, 9L);
        SelectionConfig config = new SelectionConfig(Bandwidth.auto(), 1e-6, -1,
                Integer.MAX_VALUE, 0L);
        SelectionResult r = new ExplorationSelector(new ReferenceBackend(), config)
                .select(x, 3, ProgressListener.NONE);
        assertEquals(n, r.groups().get(0).length);
        assertEquals(2, r.rounds());
        assertEquals(3, java.util.Arrays.stream(r.picks()).distinct().count());
    }

    @Test
    void aCompletedRoundCoversEveryRowExactlyOnce() {
        int n = 23;
        FloatMatrix x = clustered(n, 4, 5L);
        for (int g = 1; g <= 4; g++) {
            SelectionConfig config = new SelectionConfig(Bandwidth.auto(), 1e-6, -1, g, 0L);
            int perRound = (n + g - 1) / g;
            SelectionResult r = new ExplorationSelector(new ReferenceBackend(), config)
                    .select(x, Math.min(n, perRound + 1), ProgressListener.NONE);
            int[] times = new int[n];
            for (int k = 0; k < perRound; k++) {
                for (int row : r.groups().get(k)) {
                    times[row]++;
                }
            }
            for (int i = 0; i < n; i++) {
                assertEquals(1, times[i], "G=" + g + ": row " + i + " covered " + times[i] + " times");
            }
            assertEquals(perRound < n ? 1 : 0, r.rounds(), "G=" + g);
        }
    }

    @Test
    void neighboursTiedInDistanceGoToTheLowestIndex() {
        // Rows on a line at 3, 1, 2, 4, 0, 2 (index order): row 5 duplicates row 2.
        FloatMatrix x = FloatMatrix.of(new double[][] {{3}, {1}, {2}, {4}, {0}, {2}});
        ExplorationSelector g4 = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(1.0), 1e-6, 2, 4, 0L));
        // From row 2 (at 2): row 5 at 0, then rows 0 (at 3) and 1 (at 1) tie at 1, then 3 and 4.
        assertArrayEquals(new int[] {2, 5, 0, 1}, g4.select(x, 1, ProgressListener.NONE)
                .groups().get(0));
        ExplorationSelector g3 = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(1.0), 1e-6, 5, 3, 0L));
        // From row 5 (at 2): row 2 at 0, then rows 0 and 1 tie at 1: the lower index 0 wins.
        assertArrayEquals(new int[] {5, 2, 0}, g3.select(x, 1, ProgressListener.NONE)
                .groups().get(0));
    }

    @Test
    void duplicateRowsWithZeroNoiseStayFinite() {
        // Each of 9 distinct rows appears 3 times; with s^2 = 0, conditioning on a duplicate of a
        // row already in C would divide 0 by 0. Such rows are covered without conditioning.
        FloatMatrix distinct = clustered(9, 3, 9L);
        int[] order = new int[27];
        for (int i = 0; i < 27; i++) {
            order[i] = (i * 7) % 9;
        }
        FloatMatrix x = distinct.selectRows(order);
        SelectionResult r = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(1.0), 0.0, -1, 3, 0L)).select(x, 27,
                ProgressListener.NONE);
        for (double v : r.pickVariances()) {
            assertTrue(Double.isFinite(v) && v >= -1e-9 && v <= 1.0, "variance " + v);
        }
        // In exact arithmetic a duplicate adds nothing to C: the oracle conditions on each
        // distinct covered row once and must agree with every pick within a round.
        List<Integer> conditioning = new ArrayList<>();
        BitSet covered = new BitSet();
        BitSet pickedEver = new BitSet();
        for (int k = 0; k < 27; k++) {
            boolean roundStart = false;
            if (k > 0 && covered.cardinality() == 27) {
                conditioning.clear();
                covered.clear();
                roundStart = true;
            }
            double[] var = FromScratchPosterior.variances(x, 1.0, 0.0, conditioning);
            int pick = r.picks()[k];
            if (k > 0 && !roundStart) {
                int expected = argmaxUncovered(var, covered);
                assertEquals(var[expected], var[pick], 1e-9, "pick " + k);
            }
            assertEquals(var[pick], r.pickVariances()[k], 1e-9);
            pickedEver.set(pick);
            for (int row : r.groups().get(k)) {
                covered.set(row);
                boolean known = conditioning.stream().anyMatch(
                        c -> FromScratchPosterior.distance2(x, c, row) == 0);
                if (!known) {
                    conditioning.add(row);
                }
            }
        }
    }

    @Test
    void progressIsReportedAfterEveryPick() {
        FloatMatrix x = clustered(31, 5, 2L);
        List<long[]> calls = new ArrayList<>();
        List<String> details = new ArrayList<>();
        new ExplorationSelector(new ReferenceBackend(), SelectionConfig.defaults()).select(x, 9,
                (stage, done, total, detail) -> {
                    assertEquals("select", stage);
                    calls.add(new long[] {done, total});
                    details.add(detail);
                });
        assertEquals(9, calls.size());
        for (int k = 0; k < 9; k++) {
            assertArrayEquals(new long[] {k + 1, 9}, calls.get(k));
            assertTrue(details.get(k).startsWith("var="), details.get(k));
        }
    }

    @Test
    void badArgumentsAreRejectedNamingTheValues() {
        FloatMatrix x = clustered(57, 3, 1L);
        ExplorationSelector selector = new ExplorationSelector(new ReferenceBackend(),
                SelectionConfig.defaults());
        String zero = assertThrows(IllegalArgumentException.class,
                () -> selector.select(x, 0, ProgressListener.NONE)).getMessage();
        assertTrue(zero.contains("count=0") && zero.contains("N=57"), zero);
        String first = assertThrows(IllegalArgumentException.class,
                () -> new ExplorationSelector(new ReferenceBackend(),
                        new SelectionConfig(Bandwidth.auto(), 1e-6, 57, 1, 0L))
                        .select(x, 3, ProgressListener.NONE)).getMessage();
        assertTrue(first.contains("first=57") && first.contains("N=57"), first);
        String empty = assertThrows(IllegalArgumentException.class,
                () -> selector.select(FloatMatrix.zeros(0, 3), 1, ProgressListener.NONE))
                .getMessage();
        assertTrue(empty.contains("0 rows"), empty);
    }

    /**
     * Cancelling a selection by interrupting its thread (session 22's review: ignored, all picks
     * ran): it stops before the pick after the interrupt with a {@link CancellationException},
     * the status kept; after {@link Thread#interrupted()} the thread selects again, the same
     * picks as a selection never interrupted. Picks are counted through progress, not timed.
     */
    @Test
    void anInterruptStopsTheSelectionBeforeItsNextPick() {
        FloatMatrix x = gaussian(300, 6, 4);
        try (KernelBackend backend = new ReferenceBackend()) {
            ExplorationSelector selector = new ExplorationSelector(backend, SelectionConfig.defaults());
            SelectionResult uninterrupted = selector.select(x, 40, ProgressListener.NONE);
            List<Long> picks = new ArrayList<>();
            try {
                assertThrows(CancellationException.class, () -> selector.select(x, 40,
                        (stage, done, total, detail) -> {
                            picks.add(done);
                            if (done == 5) {
                                Thread.currentThread().interrupt();
                            }
                        }), "the selection ran on after the interrupt");
                assertEquals(List.of(1L, 2L, 3L, 4L, 5L), picks, "picks made");
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status is kept");

                Thread.interrupted();
                Thread.currentThread().interrupt();
                assertThrows(CancellationException.class,
                        () -> selector.select(x, 40, ProgressListener.NONE),
                        "a selection on an already interrupted thread");
            } finally {
                Thread.interrupted();
            }
            assertArrayEquals(uninterrupted.picks(),
                    selector.select(x, 40, ProgressListener.NONE).picks(),
                    "a later selection on the same thread");
        }
    }
}
