package io.synalign.engine.exploration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.reference.ReferenceBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The selector's edges that its main oracle test does not reach (mutation testing, helper
 * pit28): the settings' and arguments' checks, the neighbour tie when the kept set is full, a
 * noise so large that covered rows fall below it (they still condition), the degenerate-setting
 * warnings, the reported wall time, and a tracker that finds no row.
 */
class ExplorationSelectorEdgesTest {

    @Test
    void settingsAndArgumentsAreCheckedNamingTheBadValue() {
        String scale = assertThrows(IllegalArgumentException.class,
                () -> new SelectionConfig(null, 1e-6, -1, 1, 0L)).getMessage();
        assertTrue(scale.contains("length scale"), scale);
        for (double noise : new double[] {-1e-9, Double.NaN, Double.POSITIVE_INFINITY}) {
            String m = assertThrows(IllegalArgumentException.class,
                    () -> new SelectionConfig(Bandwidth.auto(), noise, -1, 1, 0L)).getMessage();
            assertTrue(m.contains("noise") && m.contains(String.valueOf(noise)), m);
        }
        String first = assertThrows(IllegalArgumentException.class,
                () -> new SelectionConfig(Bandwidth.auto(), 1e-6, -2, 1, 0L)).getMessage();
        assertTrue(first.contains("first") && first.contains("-2"), first);
        String group = assertThrows(IllegalArgumentException.class,
                () -> new SelectionConfig(Bandwidth.auto(), 1e-6, -1, 0, 0L)).getMessage();
        assertTrue(group.contains("group size") && group.contains("0"), group);
        // The boundaries themselves are settings.
        new SelectionConfig(Bandwidth.auto(), 0.0, -1, 1, 0L);

        String backend = assertThrows(IllegalArgumentException.class,
                () -> new ExplorationSelector(null, SelectionConfig.defaults())).getMessage();
        assertTrue(backend.contains("backend"), backend);
        String config = assertThrows(IllegalArgumentException.class,
                () -> new ExplorationSelector(new ReferenceBackend(), null)).getMessage();
        assertTrue(config.contains("config"), config);

        ExplorationSelector selector = new ExplorationSelector(new ReferenceBackend(),
                SelectionConfig.defaults());
        String none = assertThrows(IllegalArgumentException.class,
                () -> selector.select(null, 1, ProgressListener.NONE)).getMessage();
        assertTrue(none.contains("null"), none);
    }

    @Test
    void aNullProgressListenerIsNone() {
        FloatMatrix x = ExplorationSelectorTest.clustered(29, 4, 6L);
        ExplorationSelector selector = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.auto(), 1e-6, -1, 2, 0L));
        assertArrayEquals(selector.select(x, 9, ProgressListener.NONE).picks(),
                selector.select(x, 9, null).picks());
    }

    /**
     * A row at the kept neighbours' worst distance that arrives once the kept set is full does not
     * displace the lower index: rows 1 and 2 are both 1 from row 0, and G = 2 keeps one.
     */
    @Test
    void aTieWithTheLastKeptNeighbourKeepsTheLowerIndex() {
        FloatMatrix x = FloatMatrix.of(new double[][] {{0}, {1}, {-1}, {5}, {-1}});
        SelectionResult r = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(1.0), 1e-6, 0, 2, 0L)).select(x, 1, null);
        assertArrayEquals(new int[] {0, 1}, r.groups().get(0));
        // Two kept: row 3 (at 25) is displaced by row 4, strictly closer; rows 2 and 4 tie.
        SelectionResult g3 = new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(1.0), 1e-6, 0, 3, 0L)).select(x, 1, null);
        assertArrayEquals(new int[] {0, 1, 2}, g3.groups().get(0));

        NearestUncovered nearest = new NearestUncovered(x, 2);
        String m = assertThrows(IllegalArgumentException.class,
                () -> nearest.group(0, 3, new BitSet())).getMessage();
        assertTrue(m.contains("3") && m.contains("2"), m);
    }

    /**
     * With a noise s^2 above what a covered row's variance falls to (a near neighbour of a pick
     * keeps about 1 - 1/(1 + s^2) of its prior), every covered row must still join C: the picks
     * and their variances against the from-scratch posterior on all covered rows, in the first
     * round (awkward sizes, reference backend, double precision).
     */
    @Test
    void aLargeNoiseStillConditionsOnEveryCoveredRow() {
        for (double noise : new double[] {0.3, 2.0}) {
            int n = 41;
            FloatMatrix x = ExplorationSelectorTest.clustered(n, 3, 17L);
            int g = 3;
            int count = 13; // 13 groups of 3 cover 39 of 41 rows: one round
            SelectionConfig config = new SelectionConfig(Bandwidth.of(1.7), noise, -1, g, 0L);
            SelectionResult r = new ExplorationSelector(new ReferenceBackend(), config)
                    .select(x, count, null);
            List<Integer> conditioning = new ArrayList<>();
            BitSet covered = new BitSet(n);
            int below = 0;
            for (int k = 0; k < count; k++) {
                double[] var = FromScratchPosterior.variances(x, 1.7, noise, conditioning);
                int pick = r.picks()[k];
                if (k > 0) {
                    int best = -1;
                    for (int i = covered.nextClearBit(0); i < n; i = covered.nextClearBit(i + 1)) {
                        if (best < 0 || var[i] > var[best]) {
                            best = i;
                        }
                    }
                    assertEquals(best, pick, "noise " + noise + ", pick " + k);
                }
                assertEquals(var[pick], r.pickVariances()[k], 1e-9, "noise " + noise + ", pick " + k);
                for (int row : r.groups().get(k)) {
                    double[] now = FromScratchPosterior.variances(x, 1.7, noise, conditioning);
                    if (now[row] < noise) {
                        below++;
                    }
                    covered.set(row);
                    conditioning.add(row);
                }
            }
            assertTrue(below > 0, "no covered row fell below the noise " + noise + ": the test tests nothing");
        }
    }

    /** Runs {@code work}, returning what slf4j-simple wrote to System.err meanwhile. */
    private static String logsOf(Runnable work) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            work.run();
        } finally {
            System.setErr(stderr);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        stderr.print(logs);
        return logs;
    }

    /**
     * The class comment's WARN: a fixed length scale far below the rows' distances (the paper's
     * l = 0.1 on BERT-scale rows) leaves every variance at 1 and says so, naming l; a noise far
     * above the signal variance does the same and is named instead; the auto length scale, and
     * a first group that covers every row (nothing left to judge), say nothing.
     */
    @Test
    void aDegenerateSettingIsWarnedAboutOnceAndOnlyThen() {
        FloatMatrix x = ExplorationSelectorTest.gaussian(50, 768, 7L);
        Supplier<ExplorationSelector> paper = () -> new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(0.1), 1e-6, 0, 2, 0L));
        String scale = logsOf(() -> paper.get().select(x, 5, null));
        assertTrue(scale.contains("GP length scale l=0.1 is far below"), scale);
        assertEquals(1, scale.split("far below", -1).length - 1, "warned once: " + scale);

        String noise = logsOf(() -> new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.auto(), 1e17, 0, 2, 0L)).select(x, 3, null));
        assertTrue(noise.contains("GP noise s^2=1.0E17 is so far above"), noise);
        assertFalse(noise.contains("far below"), noise);

        String auto = logsOf(() -> new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.auto(), 1e-6, 0, 2, 0L)).select(x, 5, null));
        assertFalse(auto.contains("WARN"), auto);

        String whole = logsOf(() -> new ExplorationSelector(new ReferenceBackend(),
                new SelectionConfig(Bandwidth.of(0.1), 1e-6, 0, 50, 0L)).select(x, 1, null));
        assertFalse(whole.contains("WARN"), whole);
    }

    /** The reported seconds are this call's wall time: within what the caller measured around it. */
    @Test
    void theReportedSecondsLieWithinTheCallsWallTime() {
        FloatMatrix x = ExplorationSelectorTest.clustered(31, 5, 2L);
        ExplorationSelector selector = new ExplorationSelector(new ReferenceBackend(),
                SelectionConfig.defaults());
        long before = System.nanoTime();
        SelectionResult r = selector.select(x, 7, null);
        double around = (System.nanoTime() - before) / 1e9;
        assertTrue(r.seconds() >= 0 && r.seconds() <= around, r.seconds() + " s within " + around + " s");
    }

    /**
     * A tracker that finds no row to pick (every uncovered variance NaN: no shipped backend gets
     * there, the input being finite) stops the selection with a message naming the pick and the
     * backend, not an index error.
     */
    @Test
    void aTrackerThatFindsNoRowStopsTheSelectionNamingThePick() {
        FloatMatrix x = ExplorationSelectorTest.clustered(19, 3, 8L);
        ReferenceBackend reference = new ReferenceBackend();
        KernelBackend noRow = (KernelBackend) Proxy.newProxyInstance(
                KernelBackend.class.getClassLoader(), new Class<?>[] {KernelBackend.class},
                (proxy, method, args) -> {
                    Object out = invoke(method, reference, args);
                    if (method.getName().equals("gpVarianceTracker")) {
                        GpVarianceTracker tracker = (GpVarianceTracker) out;
                        return Proxy.newProxyInstance(GpVarianceTracker.class.getClassLoader(),
                                new Class<?>[] {GpVarianceTracker.class},
                                (p, m, a) -> m.getName().equals("argmax") ? -1 : invoke(m, tracker, a));
                    }
                    return out;
                });
        String m = assertThrows(IllegalStateException.class,
                () -> new ExplorationSelector(noRow, new SelectionConfig(Bandwidth.of(1.0), 1e-6, -1, 1, 0L))
                        .select(x, 3, null)).getMessage();
        assertTrue(m.contains("pick 2 of 3") && m.contains(reference.name()), m);
    }

    /**
     * {@link ExplorationSelector#completedGroups} (tested until now only from the generation
     * module, outside the engine's own tests) against a brute-force ranking in double: a short
     * group gains the rows nearest its pick that it lacks, ties to the lowest index, up to
     * {@code min(size, N)}; a full one is returned as it is. Real selections of awkward sizes,
     * whose last group of a round is short, and duplicated rows for ties.
     */
    @Test
    void completedGroupsGainThePicksNearestMissingRows() {
        for (int[] shape : new int[][] {{23, 4, 3, 17}, {41, 3, 5, 30}, {7, 2, 4, 9}, {5, 3, 9, 2}}) {
            int n = shape[0];
            FloatMatrix distinct = ExplorationSelectorTest.clustered(n, shape[1], 5L + n);
            // Every third row a copy of the one before: ties in distance.
            int[] order = IntStream.range(0, n).map(i -> i % 3 == 2 ? i - 1 : i).toArray();
            FloatMatrix x = distinct.selectRows(order);
            int size = shape[2];
            SelectionResult r = new ExplorationSelector(new ReferenceBackend(),
                    new SelectionConfig(Bandwidth.auto(), 1e-6, -1, size, 0L)).select(x, shape[3], null);
            List<int[]> completed = ExplorationSelector.completedGroups(x, r.groups(), size);
            assertEquals(r.groups().size(), completed.size());
            int want = Math.min(size, n);
            int shortOnes = 0;
            for (int k = 0; k < completed.size(); k++) {
                int[] group = r.groups().get(k);
                int[] got = completed.get(k);
                if (group.length == want) {
                    assertTrue(group == got, "a full group is returned as it is");
                    continue;
                }
                shortOnes++;
                java.util.Set<Integer> in = new java.util.HashSet<>();
                for (int row : group) {
                    in.add(row);
                }
                int pick = group[0];
                int[] extra = IntStream.range(0, n).filter(i -> !in.contains(i)).boxed()
                        .sorted(java.util.Comparator.<Integer>comparingDouble(
                                i -> FromScratchPosterior.distance2(x, pick, i)).thenComparingInt(i -> i))
                        .limit(want - group.length).mapToInt(Integer::intValue).toArray();
                int[] expected = java.util.Arrays.copyOf(group, want);
                System.arraycopy(extra, 0, expected, group.length, extra.length);
                assertArrayEquals(expected, got, "group " + k + " of N=" + n + ", size " + size);
            }
            if (n != 5) {
                assertTrue(shortOnes > 0, "N=" + n + ": no short group, the test tests nothing");
            }
        }
        // A size beyond N: every row, the pick first.
        FloatMatrix x = ExplorationSelectorTest.clustered(4, 2, 3L);
        int[] all = ExplorationSelector.completedGroups(x, List.of(new int[] {2}), 9).get(0);
        assertEquals(4, all.length);
        assertEquals(2, all[0]);
        assertEquals(4, IntStream.of(all).distinct().count());
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
