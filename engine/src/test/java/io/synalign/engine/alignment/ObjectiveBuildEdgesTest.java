package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.RowSource;
import io.synalign.kernels.TilePlan;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How {@link MmdObjectives} builds an objective, beyond the objective's values (which
 * {@link MmdObjectiveTest} checks): the stages it reports, where it stops for an interrupt, its
 * check of the backend's K_SS, rff's mean features over several row blocks of R, nystrom's
 * landmark draw and reads, and the eigenvalues its {@code G} keeps; each against what the
 * javadoc states, computed independently here (in double where it is a number).
 */
class ObjectiveBuildEdgesTest {

    @AfterEach
    void clearTheInterrupt() {
        Thread.interrupted();
    }

    /** One progress event. */
    record Event(String stage, long done, long total, String detail) {
        @Override
        public String toString() {
            return stage + " " + done + "/" + total + " " + detail;
        }
    }

    /** Records every event. */
    static final class Recorder implements ProgressListener {
        final List<Event> events = new ArrayList<>();

        @Override
        public void onProgress(String stage, long done, long total, String detail) {
            events.add(new Event(stage, done, total, detail));
        }

        List<Event> of(String stage) {
            return events.stream().filter(e -> e.stage().equals(stage)).toList();
        }
    }

    /**
     * {@code backend} with each kernel operator it builds passed through {@code change}: the
     * operator's number among those built (from 0) to a rows() reported (identity: the real
     * count), and an interrupt of the calling thread right after the row sums of the operators
     * numbered in {@code interruptAfterRowSums}. Closes are recorded in {@code closed}.
     */
    private static KernelBackend instrumented(KernelBackend backend, IntUnaryOperator rowsShift,
            Set<Integer> interruptAfterRowSums, List<Integer> closed) {
        int[] built = {0};
        return (KernelBackend) Proxy.newProxyInstance(KernelBackend.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, (proxy, method, args) -> {
                    Object result = invoke(backend, method, args);
                    if (!method.getName().equals("rbfOperator")) {
                        return result;
                    }
                    KernelOperator op = (KernelOperator) result;
                    int number = built[0]++;
                    return Proxy.newProxyInstance(KernelOperator.class.getClassLoader(),
                            new Class<?>[] {KernelOperator.class}, (p, m, a) -> {
                                Object r = invoke(op, m, a);
                                switch (m.getName()) {
                                    case "rows":
                                        return op.rows() + rowsShift.applyAsInt(number);
                                    case "rowSums":
                                        if (interruptAfterRowSums.contains(number)) {
                                            Thread.currentThread().interrupt();
                                        }
                                        return r;
                                    case "close":
                                        closed.add(number);
                                        return r;
                                    default:
                                        return r;
                                }
                            });
                });
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * The kernel objective reports its three stages in order, naming K_SS kept or tiled as
     * planned and then as built; an interrupt that arrives while the K_SR or the K_RR row sums
     * finish (after the backend's own checks) stops the build before the next stage, with the
     * status kept and every operator closed.
     */
    @Test
    void theKernelObjectiveReportsItsStagesAndStopsAtAnInterruptBetweenThem() {
        Random random = new Random(31);
        FloatMatrix real = TestBackends.gaussian(11, 3, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(7, 3, random, 1.0, 0.5);
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (boolean keep : new boolean[] {true, false}) {
                Recorder recorder = new Recorder();
                TilePlan plan = keep ? new TilePlan(true, 7) : MmdObjectives.tiledPlan(7, 7);
                try (MmdObjective objective = MmdObjectives.kernel(backend, synthetic, real, 1.3,
                        plan, recorder)) {
                    List<Event> events = recorder.events;
                    assertEquals(4, events.size(), "events " + events);
                    assertEquals(List.of(new Event("kernel", 0, 3, "K_SR row sums"),
                            new Event("kernel", 1, 3, "K_RR row sums"),
                            new Event("kernel", 2, 3, keep ? "K_SS (to keep)" : "K_SS (tiled)")),
                            events.subList(0, 3), "plan " + plan);
                    Event last = events.get(3);
                    assertEquals("kernel 3/3", last.stage() + " " + last.done() + "/"
                            + last.total(), "last event " + last);
                    assertTrue(last.detail().startsWith("K_SS ")
                            && last.detail().length() > "K_SS ".length(), last.detail());
                }
            }
            // Operators built: 0 K_SR, 1 K_RR, 2 K_SS.
            for (int stage = 0; stage < 2; stage++) {
                List<Integer> closed = new ArrayList<>();
                Recorder recorder = new Recorder();
                KernelBackend interrupting = instrumented(backend, k -> 0, Set.of(stage), closed);
                int at = stage;
                CancellationException e = assertThrows(CancellationException.class,
                        () -> MmdObjectives.kernel(interrupting, synthetic, real, 1.3,
                                MmdObjectives.tiledPlan(7, 7), recorder),
                        "interrupted after operator " + at + "'s row sums: the build went on");
                assertTrue(Thread.interrupted(), "the interrupt status is kept");
                assertTrue(e.getMessage().contains("MMD kernel row sums"), e.getMessage());
                assertEquals(stage + 1, recorder.events.size(),
                        "events after the interrupt in stage " + stage + ": " + recorder.events);
                assertEquals(stage + 1, closed.size(), "operators closed " + closed);
            }
        }
    }

    /** A backend whose K_SS has another row count than S is refused, K_SS closed. */
    @Test
    void aKssOfTheWrongSizeIsRefusedNamingBothCounts() {
        Random random = new Random(32);
        FloatMatrix real = TestBackends.gaussian(5, 2, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(7, 2, random, 1.0, 0.5);
        try (KernelBackend backend = TestBackends.create("reference")) {
            List<Integer> closed = new ArrayList<>();
            KernelBackend lying = instrumented(backend, k -> k == 2 ? 1 : 0, Set.of(), closed);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> MmdObjectives.kernel(lying, synthetic, real, 1.0,
                            new TilePlan(true, 7), ProgressListener.NONE));
            assertEquals("backend built a 8-row K_SS for n = 7", e.getMessage());
            assertEquals(List.of(0, 1, 2), closed, "operators closed");
        }
    }

    static List<String> backendNames() {
        return TestBackends.available();
    }

    /**
     * rff over R of several row blocks (2,100 rows at D = 8,192: blocks of 1,024 rows, the last
     * ragged): {@code mu_R}, and so the constant {@code ||mu_R||^2}, against the definition's
     * features averaged in double from the map's own frequencies and phases; the stages
     * reported, one per block and one for Phi_S; the form described as rff's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backendNames")
    void rffMeanFeaturesOverSeveralBlocksOfRAreTheDefinitionsMean(String backendName) {
        int m = 2_100;
        int d = 3;
        int features = 8_192;
        assertEquals(1_024, MmdObjectives.featureBlockRows(m, features), "test setup: block");
        assertEquals(3, MmdObjectives.featureBlocks(m, features), "test setup: blocks");
        Random random = new Random(33);
        FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.2);
        FloatMatrix synthetic = TestBackends.gaussian(5, d, random, 1.0, 0.5);
        FourierFeatures map = FourierFeatures.sample(d, features, 1.7, 12);
        double scale = Math.sqrt(2.0 / features);
        double[] expected = new double[features];
        for (int j = 0; j < m; j++) {
            for (int f = 0; f < features; f++) {
                double t = map.phase()[f];
                for (int c = 0; c < d; c++) {
                    t += (double) real.get(j, c) * map.omega()[c * features + f];
                }
                expected[f] += scale * Math.cos(t);
            }
        }
        double constant = 0;
        for (int f = 0; f < features; f++) {
            expected[f] /= m;
            constant += expected[f] * expected[f];
        }
        // Features in float32 (phases from a float GEMM): errors of 1e-7 of a feature's scale.
        double tolerance = 1e-5 * scale;
        try (KernelBackend backend = TestBackends.create(backendName)) {
            double[] mu = MmdObjectives.meanFeatures(backend, real, map, ProgressListener.NONE);
            for (int f = 0; f < features; f++) {
                assertEquals(expected[f], mu[f], tolerance, "mu_R feature " + f);
            }
            Recorder recorder = new Recorder();
            try (MmdObjective objective = MmdObjectives.fourier(backend,
                    RowSource.of(synthetic), real, map, Long.MAX_VALUE, recorder)) {
                assertEquals(constant, objective.constant(), 1e-5 * constant, "||mu_R||^2");
                assertEquals(List.of(new Event("kernel", 0, 4, "Phi_R block 1/3"),
                        new Event("kernel", 1, 4, "Phi_R block 2/3"),
                        new Event("kernel", 2, 4, "Phi_R block 3/3"),
                        new Event("kernel", 3, 4, "Phi_S"),
                        new Event("kernel", 4, 4, "done")), recorder.of("kernel"));
                assertTrue(objective.formDescription().startsWith("random features Phi_S 5 x "),
                        objective.formDescription());
            }
        }
    }

    /** nystrom reports its three stages, in order. */
    @Test
    void theNystromObjectiveReportsItsStages() {
        Random random = new Random(34);
        FloatMatrix real = TestBackends.gaussian(9, 2, random, 1.0, 0.0);
        FloatMatrix synthetic = TestBackends.gaussian(13, 2, random, 1.0, 0.5);
        Recorder recorder = new Recorder();
        try (KernelBackend backend = TestBackends.create("reference");
                MmdObjective objective = MmdObjectives.nystrom(backend, synthetic, real, 1.2, 6,
                        3, Long.MAX_VALUE, recorder)) {
            assertEquals(List.of(new Event("kernel", 0, 3, "K_LL"),
                    new Event("kernel", 1, 3, "K_LR row sums"),
                    new Event("kernel", 2, 3, "K_SL"),
                    new Event("kernel", 3, 3, "done")), recorder.of("kernel"));
        }
    }

    /** Floyd's algorithm as the javadoc states it: indices of {@code min(count, total)} picks. */
    private static long[] floyd(long total, int count, long seed) {
        int r = (int) Math.min(count, total);
        SplittableRandom random = new SplittableRandom(seed);
        Set<Long> chosen = new HashSet<>();
        for (long j = total - r; j < total; j++) {
            long t = random.nextLong(j + 1);
            chosen.add(chosen.contains(t) ? j : t);
        }
        return chosen.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /**
     * The landmarks are the rows of R union S (R first) at the indices Floyd's algorithm draws
     * from the seed, in index order, on awkward sizes: every row (count at or past the total),
     * all but one, picks from R only, from S only, both; the picks from S are read in one read
     * per run of consecutive indices.
     */
    @Test
    void landmarksAreFloydsPicksReadOncePerRun() {
        int[][] cases = {
            // m, n, count, seed
            {1, 1, 1, 5}, {1, 1, 2, 5}, {1, 1, 9, 5}, {7, 5, 11, 3}, {7, 5, 12, 3},
            {7, 5, 100, 3}, {60, 3, 2, 1}, {60, 3, 2, 2}, {1, 40, 39, 8}, {13, 29, 17, 4},
            {13, 29, 41, 6}, {3, 97, 50, 7}, {97, 3, 50, 9}, {2, 30, 4, 11}, {2, 30, 4, 12},
        };
        boolean allFromR = false;
        boolean allFromS = false;
        boolean longRun = false;
        for (int[] c : cases) {
            int m = c[0];
            int n = c[1];
            int count = c[2];
            long seed = c[3];
            int d = 3;
            Random random = new Random(seed * 1000 + m);
            FloatMatrix real = TestBackends.gaussian(m, d, random, 1.0, 0.0);
            FloatMatrix synthetic = TestBackends.gaussian(n, d, random, 1.0, 5.0);
            long[] picks = floyd(m + n, count, seed);
            List<long[]> reads = new ArrayList<>();
            RowSource source = ObservedRows.of(RowSource.of(synthetic), "synthetic",
                    (start, rows) -> reads.add(new long[] {start, rows}));
            FloatMatrix landmarks = MmdObjectives.landmarkRows(real, source, count, seed);
            String label = "m=" + m + " n=" + n + " count=" + count + " seed=" + seed;
            assertEquals(picks.length, landmarks.rows(), label + ": landmark count");
            assertEquals(d, landmarks.cols(), label);
            List<long[]> runs = new ArrayList<>();
            for (int i = 0; i < picks.length; i++) {
                FloatMatrix from = picks[i] < m ? real : synthetic;
                int row = (int) (picks[i] < m ? picks[i] : picks[i] - m);
                for (int k = 0; k < d; k++) {
                    assertEquals(from.get(row, k), landmarks.get(i, k), label + ": landmark " + i
                            + " (row " + picks[i] + " of the union), column " + k);
                }
                if (picks[i] >= m) {
                    if (!runs.isEmpty() && runs.get(runs.size() - 1)[0]
                            + runs.get(runs.size() - 1)[1] == row) {
                        runs.get(runs.size() - 1)[1]++;
                    } else {
                        runs.add(new long[] {row, 1});
                    }
                }
            }
            assertEquals(runs.stream().map(Arrays::toString).toList(),
                    reads.stream().map(Arrays::toString).toList(), label + ": reads of S");
            allFromR |= picks.length > 0 && picks[picks.length - 1] < m;
            allFromS |= picks.length > 0 && picks[0] >= m;
            longRun |= runs.stream().anyMatch(run -> run[1] > 2);
        }
        assertTrue(allFromR && allFromS && longRun, "test setup: a case of picks from R only ("
                + allFromR + "), from S only (" + allFromS + "), a run of 3 or more (" + longRun
                + ")");
    }

    /**
     * Each row of the union is a landmark equally often over seeds: one of 3 rows (m = 2,
     * n = 1) and 2 of 5 (m = 3, n = 2) over 3,000 seeds, every row within 5 standard
     * deviations of its expected count.
     */
    @Test
    void everyRowIsALandmarkEquallyOftenOverSeeds() {
        int[][] cases = {{2, 1, 1}, {3, 2, 2}};
        int seeds = 3_000;
        for (int[] c : cases) {
            int m = c[0];
            int n = c[1];
            int count = c[2];
            int total = m + n;
            // Each row holds its index in the union.
            float[] realRows = new float[m];
            float[] syntheticRows = new float[n];
            for (int i = 0; i < m; i++) {
                realRows[i] = i;
            }
            for (int i = 0; i < n; i++) {
                syntheticRows[i] = m + i;
            }
            FloatMatrix real = new FloatMatrix(m, 1, realRows);
            FloatMatrix synthetic = new FloatMatrix(n, 1, syntheticRows);
            int[] hits = new int[total];
            for (long seed = 0; seed < seeds; seed++) {
                FloatMatrix picks = MmdObjectives.landmarkRows(real, synthetic, count, seed);
                for (int i = 0; i < picks.rows(); i++) {
                    hits[(int) picks.get(i, 0)]++;
                }
            }
            double p = (double) count / total;
            double mean = seeds * p;
            double sd = Math.sqrt(seeds * p * (1 - p));
            for (int i = 0; i < total; i++) {
                assertTrue(Math.abs(hits[i] - mean) < 5 * sd, "row " + i + " of " + total
                        + " picked " + hits[i] + " times in " + seeds + " draws of " + count
                        + ", expected " + mean + " +- " + 5 * sd);
            }
        }
    }

    /**
     * {@code G^T} keeps the eigenvalues of K_LL above {@value MmdObjectives#NYSTROM_EIGEN_FLOOR}
     * of the largest, largest first, each row an eigenvector over the root of its eigenvalue:
     * against the eigenvalues of K_LL from its definition in double by cyclic Jacobi rotations,
     * on 60 landmarks wide against the bandwidth (a largest eigenvalue of about 30, and a
     * spectrum falling through the floor to float32 rounding), and on 23 far apart (K about I:
     * all kept).
     */
    @Test
    void theInverseRootKeepsTheEigenvaluesAboveTheFloorLargestFirst() {
        for (int[] c : new int[][] {{60, 2}, {23, 5}}) {
            int r = c[0];
            int d = c[1];
            Random random = new Random(35 + r);
            FloatMatrix points = TestBackends.gaussian(r, d, random, r == 60 ? 1.0 : 40.0, 0.0);
            double sigma = 2.0;
            double[][] k = new double[r][r];
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < r; j++) {
                    k[i][j] = TestBackends.rbf(points, i, points, j, sigma);
                }
            }
            double[] values = jacobiEigenvalues(k);
            Arrays.sort(values);
            double largest = values[r - 1];
            double floor = MmdObjectives.NYSTROM_EIGEN_FLOOR * largest;
            // K_LL is rounded to float32 (about 1e-7 of the largest): eigenvalues near the floor
            // may move across it; those a factor of 2 clear of it may not.
            int surely = 0;
            int atMost = 0;
            for (double v : values) {
                surely += v > 2 * floor ? 1 : 0;
                atMost += v > floor / 2 ? 1 : 0;
            }
            try (KernelBackend backend = TestBackends.create("reference")) {
                double[][] g = MmdObjectives.inverseRootT(backend, points, sigma);
                String label = "r=" + r + ": kept " + g.length + ", eigenvalues above twice the"
                        + " floor " + surely + ", above half of it " + atMost;
                assertTrue(g.length >= surely && g.length <= atMost, label);
                if (r == 60) {
                    assertTrue(atMost < r && largest > 10, "test setup: " + label
                            + ", largest eigenvalue " + largest);
                }
                for (int f = 0; f < g.length; f++) {
                    double norm2 = 0;
                    for (double x : g[f]) {
                        norm2 += x * x;
                    }
                    double lambda = values[r - 1 - f];
                    if (lambda > 1e-2 * largest) {
                        // ||v / sqrt(lambda)||^2 = 1 / lambda; K_LL's rounding moves lambda by
                        // about 1e-7 of the largest.
                        assertEquals(1 / lambda, norm2, 1e-5 * largest / (lambda * lambda),
                                label + ": row " + f);
                        // g^T K g = 1 for v / sqrt(lambda).
                        double quad = 0;
                        for (int i = 0; i < r; i++) {
                            double s = 0;
                            for (int j = 0; j < r; j++) {
                                s += k[i][j] * g[f][j];
                            }
                            quad += g[f][i] * s;
                        }
                        assertEquals(1.0, quad, 1e-4, label + ": g^T K g of row " + f);
                    }
                }
            }
        }
    }

    /** The eigenvalues of a symmetric matrix by cyclic Jacobi rotations, in double. */
    private static double[] jacobiEigenvalues(double[][] input) {
        int r = input.length;
        double[][] a = new double[r][];
        for (int i = 0; i < r; i++) {
            a[i] = input[i].clone();
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0;
            for (int p = 0; p < r; p++) {
                for (int q = p + 1; q < r; q++) {
                    off += a[p][q] * a[p][q];
                }
            }
            if (off < 1e-30) {
                break;
            }
            for (int p = 0; p < r; p++) {
                for (int q = p + 1; q < r; q++) {
                    if (a[p][q] == 0) {
                        continue;
                    }
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta)
                            + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double cos = 1 / Math.sqrt(t * t + 1);
                    double sin = t * cos;
                    for (int k = 0; k < r; k++) {
                        double akp = a[k][p];
                        double akq = a[k][q];
                        a[k][p] = cos * akp - sin * akq;
                        a[k][q] = sin * akp + cos * akq;
                    }
                    for (int k = 0; k < r; k++) {
                        double apk = a[p][k];
                        double aqk = a[q][k];
                        a[p][k] = cos * apk - sin * aqk;
                        a[q][k] = sin * apk + cos * aqk;
                    }
                }
            }
        }
        double[] values = new double[r];
        for (int i = 0; i < r; i++) {
            values[i] = a[i][i];
        }
        return values;
    }
}
