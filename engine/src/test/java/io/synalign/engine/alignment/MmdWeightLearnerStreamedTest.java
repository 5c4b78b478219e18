package io.synalign.engine.alignment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.ProgressListener;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.ForwardingKernelBackend;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.RowSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link MmdWeightLearner}'s paths for synthetic rows from a {@link RowSource} that is not one
 * matrix, in milliseconds: {@link StreamedRowsTest} covers them at sizes too slow for a mutation
 * run, so PIT (helper pit31) left them unkilled. Small awkward sizes (53 synthetic rows in blocks
 * of 11, chunks of 7 rows forced with {@code synalign.rff.chunkRows}, so both the blocks and the
 * chunk grid end ragged), the float64 reference backend, each result checked against an
 * independent reference: the whole-matrix path's weights, and MMD^2 written out in double
 * ({@link TestBackends#directMmd2}).
 */
class MmdWeightLearnerStreamedTest {

    private static final int N = 53;
    private static final int M = 29;
    private static final int D = 5;

    @AfterEach
    void clearChunkSize() {
        System.clearProperty("synalign.rff.chunkRows");
    }

    private static List<FloatMatrix> blocks(FloatMatrix m, int size) {
        List<FloatMatrix> out = new ArrayList<>();
        for (int start = 0; start < m.rows(); start += size) {
            out.add(m.rowRange(start, Math.min(m.rows(), start + size)));
        }
        return out;
    }

    private static FloatMatrix real() {
        return MmdWeightLearnerTest.mixture(M, D, 0, new Random(3101));
    }

    private static FloatMatrix synthetic() {
        return MmdWeightLearnerTest.halfShifted(N, D, new Random(3102));
    }

    private static double[] uniform(int n) {
        double[] w = new double[n];
        Arrays.fill(w, 1.0 / n);
        return w;
    }

    /** MMD^2 reported within 1e-9 (relative) of its definition in double. */
    private static void assertExactMmd(AlignmentResult result, FloatMatrix synthetic,
            FloatMatrix real, String what) {
        assertEquals("exact", result.mmdEstimator(), what + ": the exact report ran");
        double uniform = TestBackends.directMmd2(synthetic, real, uniform(synthetic.rows()),
                result.bandwidth());
        double weighted = TestBackends.directMmd2(synthetic, real, result.weights(),
                result.bandwidth());
        assertTrue(weighted < 0.5 * uniform, what + ": the fit must work: " + weighted + " vs "
                + uniform);
        assertEquals(uniform, result.mmd2Uniform(), 1e-9 * uniform, what + ", uniform MMD^2");
        assertEquals(weighted, result.mmd2Weighted(), 1e-9 * uniform, what + ", fitted MMD^2");
    }

    /**
     * rff and nystrom on the rows as 5 blocks (the last of 9 rows) give the whole matrix's fit:
     * the median heuristic's bandwidth read through the source, the weights within 1e-12 of the
     * largest (the products follow the chunk grid, not the storage), the same iterations; the
     * exact MMD^2 report reads S whole from the source after the fit and equals MMD^2's
     * definition in double, at feature budgets of no chunk, 3 of the 8 chunks, and all.
     */
    @ParameterizedTest
    @EnumSource(value = AlignmentMethod.class, names = {"RFF", "NYSTROM"})
    void streamedFitsAreTheMatrixFitWithTheExactMmdOfTheDefinition(AlignmentMethod method) {
        System.setProperty("synalign.rff.chunkRows", "7");
        FloatMatrix real = real();
        FloatMatrix synthetic = synthetic();
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method).withFeatures(24)
                .withSeed(7).withIterations(30, 1e-12);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, config);
            AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
            assertEquals(method, whole.method());
            assertExactMmd(whole, synthetic, real, method + " on the matrix");
            double largest = Arrays.stream(whole.weights()).max().orElseThrow();
            long chunk = 4L * 7 * 24;
            for (long keep : new long[] {0, 3 * chunk, Long.MAX_VALUE}) {
                String what = method + ", keep " + keep;
                AlignmentResult streamed = learner.withFeatureBudget(keep).fit(real,
                        RowSource.ofBlocks(blocks(synthetic, 11)), ProgressListener.NONE);
                assertEquals(method, streamed.method(), what);
                assertEquals(whole.bandwidth(), streamed.bandwidth(), 0.0, what + ", bandwidth");
                assertEquals(whole.iterations(), streamed.iterations(), what);
                for (int i = 0; i < N; i++) {
                    assertEquals(whole.weights()[i], streamed.weights()[i], 1e-12 * largest,
                            what + ", row " + i);
                }
                assertExactMmd(streamed, synthetic, real, what);
                assertTrue(streamed.kernelStorage().contains(keep == Long.MAX_VALUE
                        ? "in 8 chunks of 7 rows, 8 kept" : keep == 0
                        ? "in 8 chunks of 7 rows, 0 kept" : "in 8 chunks of 7 rows, 3 kept"),
                        what + ": " + streamed.kernelStorage());
            }
        }
    }

    /**
     * exact, tiled and auto read a blocked source into one matrix and fit it as that matrix:
     * the same weights, bit for bit, and MMD^2 of the definition, with no exact report after
     * the fit (their objective is MMD^2 itself; the report is for rff's and nystrom's).
     */
    @ParameterizedTest
    @EnumSource(value = AlignmentMethod.class, names = {"EXACT", "TILED", "AUTO"})
    void methodsThatNeedOneMatrixReadTheSourceWhole(AlignmentMethod method) {
        FloatMatrix real = real();
        FloatMatrix synthetic = synthetic();
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method).withSeed(7)
                .withIterations(30, 1e-12);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, config);
            AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
            List<String> stages = new ArrayList<>();
            AlignmentResult blocked = learner.fit(real,
                    RowSource.ofBlocks(blocks(synthetic, 11)),
                    (stage, done, total, detail) -> stages.add(stage));
            assertEquals(whole.method(), blocked.method());
            assertEquals(AlignmentMethod.EXACT, method == AlignmentMethod.AUTO ? blocked.method()
                    : AlignmentMethod.EXACT, "auto fits 53 rows exactly");
            // Their objective is exact: no second pass to report it.
            assertTrue(!stages.contains("evaluate"), method + ": an exact report ran: " + stages);
            for (int i = 0; i < N; i++) {
                assertEquals(whole.weights()[i], blocked.weights()[i], 0.0, method + " row " + i);
            }
            assertExactMmd(blocked, synthetic, real, method + " on blocks");
        }
    }

    /**
     * The fit's resident row copies ({@link KernelBackend#keepResident}, device memory on cuda,
     * counted through {@link ClosingBackend}): one of S and one of R for the methods that keep
     * kernel operators (exact, tiled), whether S came as a matrix or as blocks, all closed by
     * the end; none for rff and nystrom, which stream S chunk by chunk; auto on a matrix makes
     * them before its plan (which sees their memory) and, when the plan chooses rff, releases
     * them before the first feature is built; auto on a source makes them once its plan has
     * chosen a kernel method (S is not read whole before that) and asks the plan again, so
     * that, as on a matrix, the plan that stands saw them, and every kernel operator is built
     * while both are open. Before helper fwd32 auto on a source made none (on cuda each kernel
     * operator then kept its own upload of S, unplanned).
     */
    @Test
    void residentRowCopiesAreMadeForTheKernelMethodsOnly() {
        System.setProperty("synalign.rff.chunkRows", "7");
        FloatMatrix real = real();
        FloatMatrix synthetic = synthetic();
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (AlignmentMethod method : AlignmentMethod.values()) {
                for (boolean asBlocks : new boolean[] {false, true}) {
                    // auto under a 1 KiB budget: K_SS (53 x 53 doubles) does not fit, rff runs.
                    for (long budget : method == AlignmentMethod.AUTO
                            ? new long[] {AlignmentConfig.defaults().memoryBudgetBytes(), 1024}
                            : new long[] {AlignmentConfig.defaults().memoryBudgetBytes()}) {
                        String what = method + (asBlocks ? " on blocks" : " on a matrix")
                                + ", budget " + budget;
                        ClosingBackend account = ClosingBackend.counting("keepResident");
                        List<List<String>> openAtFeatures = new ArrayList<>();
                        // "plan k" / "operator k": a plan's budget question or a kernel
                        // operator's build, with k resident copies open at that moment.
                        List<String> events = new ArrayList<>();
                        KernelBackend counted = account.wrap(backend);
                        KernelBackend observed = (KernelBackend) java.lang.reflect.Proxy
                                .newProxyInstance(KernelBackend.class.getClassLoader(),
                                        new Class<?>[] {KernelBackend.class},
                                        (proxy, m, args) -> {
                                            if (m.getName().equals("fourierFeatureOperator")) {
                                                openAtFeatures.add(account.stillOpen()
                                                        .stream().filter("Residency"::equals)
                                                        .toList());
                                            }
                                            long copies = account.stillOpen().stream()
                                                    .filter("Residency"::equals).count();
                                            if (m.getName().equals("residentBudgetBytes")) {
                                                events.add("plan " + copies);
                                            } else if (m.getName().equals("rbfOperator")) {
                                                events.add("operator " + copies);
                                            }
                                            try {
                                                return m.invoke(counted, args);
                                            } catch (java.lang.reflect.InvocationTargetException e) {
                                                throw e.getCause();
                                            }
                                        });
                        AlignmentConfig config = AlignmentConfig.defaults().withMethod(method)
                                .withFeatures(16).withSeed(7).withIterations(5, 1e-12)
                                .withBandwidth(Bandwidth.of(2.0)).withMemoryBudget(budget);
                        MmdWeightLearner learner = new MmdWeightLearner(observed, config);
                        AlignmentResult result = asBlocks
                                ? learner.fit(real, RowSource.ofBlocks(blocks(synthetic, 11)),
                                        ProgressListener.NONE)
                                : learner.fit(real, synthetic, ProgressListener.NONE);
                        boolean kernels = result.method() == AlignmentMethod.EXACT
                                || result.method() == AlignmentMethod.TILED;
                        int expected = method == AlignmentMethod.EXACT
                                || method == AlignmentMethod.TILED
                                || method == AlignmentMethod.AUTO && (!asBlocks || kernels)
                                ? 2 : 0;
                        assertEquals(expected, account.calls(), what + " (ran "
                                + result.method() + "): resident copies made");
                        assertEquals(List.of(), account.stillOpen(), what + ": left open");
                        if (kernels) {
                            int first = events.indexOf(events.stream()
                                    .filter(e -> e.startsWith("operator")).findFirst()
                                    .orElseThrow());
                            assertEquals("plan 2", events.subList(0, first).stream()
                                    .filter(e -> e.startsWith("plan")).reduce((a, b) -> b)
                                    .orElse("no plan"), what + ": the plan that stands did not"
                                    + " see both copies: " + events);
                            assertTrue(events.stream().filter(e -> e.startsWith("operator"))
                                    .allMatch("operator 2"::equals), what + ": a kernel operator"
                                    + " built without both copies open: " + events);
                        }
                        if (method == AlignmentMethod.AUTO && budget == 1024) {
                            assertEquals(AlignmentMethod.RFF, result.method(), what);
                            assertTrue(!openAtFeatures.isEmpty() && openAtFeatures.stream()
                                    .allMatch(List::isEmpty), what
                                    + ": resident copies open while rff's features were built: "
                                    + openAtFeatures);
                        }
                    }
                }
            }
        }
    }

    /**
     * A backend whose kept-K budget is the host's while no resident copy is open and 0 while
     * one is (a device whose free memory the copies took): the planner's view of cuda, whose
     * budget is the device's free memory at plan time, on the reference's arithmetic.
     */
    private static final class CopiesTakeTheBudget extends ForwardingKernelBackend {
        int open;
        /** Copies open as each feature operator was built (review32e). */
        final List<Integer> openAtFeatures = new ArrayList<>();

        @Override
        public io.synalign.kernels.FeatureOperator fourierFeatureOperator(FloatMatrix x,
                io.synalign.kernels.FourierFeatures map) {
            openAtFeatures.add(open);
            return delegate().fourierFeatureOperator(x, map);
        }

        /** A chunk read in pieces (helper chunkgrid34) is a feature operator built too. */
        @Override
        public io.synalign.kernels.FeatureOperator fourierFeatureOperator(
                io.synalign.kernels.RowPieces x, io.synalign.kernels.FourierFeatures map) {
            openAtFeatures.add(open);
            return delegate().fourierFeatureOperator(x, map);
        }

        CopiesTakeTheBudget(KernelBackend delegate) {
            super(delegate);
        }

        @Override
        public long residentBudgetBytes(long hostBudgetBytes) {
            return open > 0 ? 0 : delegate().residentBudgetBytes(hostBudgetBytes);
        }

        @Override
        public Residency keepResident(FloatMatrix rows) {
            Residency inner = delegate().keepResident(rows);
            open++;
            boolean[] closed = {false};
            return () -> {
                if (!closed[0]) {
                    closed[0] = true;
                    open--;
                    inner.close();
                }
            };
        }
    }

    /**
     * Auto on a source plans as auto on a matrix: where K_SS fits until the row copies are
     * made and not beside them, the matrix's plan (copies first) streams, and so does the
     * source's second plan, asked with the copies open, which closes them before rff's first
     * feature: the same method and weights bit for bit as the matrix, no copy left open. Before
     * helper fwd32 the source's one plan, made without copies, kept K_SS (exact) where the
     * matrix's fit ran rff.
     */
    @Test
    void autoOnASourcePlansBesideItsRowCopiesAsOnAMatrix() {
        System.setProperty("synalign.rff.chunkRows", "7");
        FloatMatrix real = real();
        FloatMatrix synthetic = synthetic();
        AlignmentConfig config = AlignmentConfig.defaults().withMethod(AlignmentMethod.AUTO)
                .withFeatures(16).withSeed(7).withIterations(20, 1e-12)
                .withBandwidth(Bandwidth.of(2.0));
        try (KernelBackend reference = TestBackends.create("reference")) {
            CopiesTakeTheBudget backend = new CopiesTakeTheBudget(reference);
            MmdWeightLearner learner = new MmdWeightLearner(backend, config);
            AlignmentResult whole = learner.fit(real, synthetic, ProgressListener.NONE);
            assertEquals(AlignmentMethod.RFF, whole.method(), "the matrix's plan saw its copies");
            assertEquals(0, backend.open, "matrix: copies left open");
            AlignmentResult blocked = learner.fit(real, RowSource.ofBlocks(blocks(synthetic, 11)),
                    ProgressListener.NONE);
            assertEquals(whole.method(), blocked.method(), "the source's plan: "
                    + blocked.method() + ", the matrix's: " + whole.method());
            assertEquals(0, backend.open, "source: copies left open");
            // Closed before rff's first feature, not only at the fit's end (review32e: with
            // the second plan's release removed the copies stayed open through the fit).
            assertTrue(!backend.openAtFeatures.isEmpty() && backend.openAtFeatures.stream()
                    .allMatch(k -> k == 0), "copies open as features were built: "
                    + backend.openAtFeatures);
            for (int i = 0; i < N; i++) {
                assertEquals(whole.weights()[i], blocked.weights()[i], 0.0, "row " + i);
            }
            // Without the copies' effect both keep K_SS: the budget is what decided.
            assertEquals(AlignmentMethod.EXACT, new MmdWeightLearner(reference, config)
                    .fit(real, RowSource.ofBlocks(blocks(synthetic, 11)), ProgressListener.NONE)
                    .method());
        }
    }

    /** Thrown by {@link WideSource} at its first chunk read: streaming began, the test stops. */
    private static final class StreamingBegan extends RuntimeException {
        StreamingBegan() {
            super("a chunk was read: the rows stream");
        }
    }

    /**
     * {@code rows} rows of {@code cols} columns that are never materialised: reading them whole
     * throws (so a test can tell, and nothing of the heap is taken), a chunk read records itself
     * and stops the fit ({@link StreamingBegan}).
     */
    private static final class WideSource implements RowSource {
        final long rows;
        final int cols;
        volatile boolean readWhole;
        volatile int chunkReads;

        WideSource(long rows, int cols) {
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        public long rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public String name() {
            return "wide.npy";
        }

        @Override
        public void read(long start, int count, float[] out) {
            chunkReads++;
            throw new StreamingBegan();
        }

        @Override
        public FloatMatrix toMatrix() {
            readWhole = true;
            throw new IllegalStateException("wide.npy read whole: " + rows + " x " + cols);
        }
    }

    /**
     * auto on a source whose K_SS fits the budget (1,000 rows: 3.8 MiB) but whose rows do not
     * fit the heap: more than half of it (0.6 of the heap's maximum, within one Java array on
     * a heap below 14 GiB), and more values than one array holds. The plan counted K_SS, not
     * the rows, which exact needs whole on the heap; so auto takes rff, which streams them:
     * its plan is announced (no features kept, so it streams every pass) and a chunk is read
     * (the source then stops the fit), and the rows
     * are never read whole. Before review32e auto read them whole after its plan chose exact:
     * OutOfMemoryError for a real source (here the source's "read whole" error), and on the
     * wide one an error naming method exact, which nobody asked for.
     */
    @Test
    void autoOnASourceLargerThanTheHeapStreamsItInsteadOfReadingItWhole() {
        // One-row chunks: a chunk of these rows is up to 8.6 MiB (a default chunk would be the
        // whole source).
        System.setProperty("synalign.rff.chunkRows", "1");
        int n = 1000;
        long heap = Runtime.getRuntime().maxMemory();
        int overHalfTheHeap = (int) Math.min((Integer.MAX_VALUE - 8L) / n,
                heap / 10 * 6 / Float.BYTES / n + 1);
        int pastOneArray = (Integer.MAX_VALUE - 8) / n + 1;
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (int cols : new int[] {overHalfTheHeap, pastOneArray}) {
                String what = n + " x " + cols + " rows, heap " + heap;
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(AlignmentMethod.AUTO).withFeatures(4)
                        .withSeed(7).withBandwidth(Bandwidth.of(1.0))
                        .withMemoryBudget(1L << 30)).withFeatureBudget(0);
                WideSource source = new WideSource(n, cols);
                List<String> plans = new ArrayList<>();
                ProgressListener listener = new ProgressListener() {
                    @Override
                    public void onProgress(String stage, long done, long total, String detail) {
                    }

                    @Override
                    public void onPlan(String plan) {
                        plans.add(plan);
                    }
                };
                RuntimeException stopped = assertThrows(RuntimeException.class,
                        () -> learner.fit(FloatMatrix.zeros(2, cols), source, listener), what);
                assertTrue(!source.readWhole, what + ": read whole (" + stopped + ")");
                assertTrue(source.chunkReads > 0 && hasCause(stopped, StreamingBegan.class),
                        what + ": the rows did not stream: " + stopped);
                assertTrue(plans.size() == 1 && plans.get(0).startsWith("rff "),
                        what + ": rff's plan announced: " + plans);
            }
        }
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A resident copy of R refused with an Error (an OutOfMemoryError of its staging) closes the
     * copy of S already made, as a RuntimeException does: exact on a matrix (copies before the
     * plan) and auto on a source (copies after its first plan). Before review32e only a
     * RuntimeException closed it: S's copy stayed open ("1 copies left open").
     */
    @Test
    void aResidentCopyOfRRefusedWithAnErrorClosesThatOfS() {
        try (KernelBackend reference = TestBackends.create("reference")) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.AUTO}) {
                int[] open = {0};
                int[] made = {0};
                KernelBackend backend = new ForwardingKernelBackend(reference) {
                    @Override
                    public Residency keepResident(FloatMatrix rows) {
                        if (++made[0] == 2) {
                            throw new OutOfMemoryError("injected: R's resident copy");
                        }
                        Residency inner = delegate().keepResident(rows);
                        open[0]++;
                        boolean[] closed = {false};
                        return () -> {
                            if (!closed[0]) {
                                closed[0] = true;
                                open[0]--;
                                inner.close();
                            }
                        };
                    }
                };
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(method).withBandwidth(Bandwidth.of(2.0)));
                OutOfMemoryError e = assertThrows(OutOfMemoryError.class,
                        () -> learner.fit(real(), method == AlignmentMethod.AUTO
                                ? RowSource.ofBlocks(blocks(synthetic(), 11))
                                : RowSource.of(synthetic()), null), method.name());
                assertEquals("injected: R's resident copy", e.getMessage());
                assertEquals(2, made[0], method + ": copies asked for");
                assertEquals(0, open[0], method + ": " + open[0] + " copies left open");
            }
        }
    }

    /**
     * A source that is one matrix ({@link RowSource#of}) is that matrix's fit: checked up front,
     * whole, with the matrix path's messages (no source name), a NaN named with its row; and
     * the matrix path's own null checks name the shape of the side given.
     */
    @Test
    void aSourceOfOneMatrixIsCheckedAsTheMatrix() {
        FloatMatrix real = real();
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.RFF).withSeed(7));
            assertEquals("real and synthetic must not be null (real null, synthetic 53 x 5)",
                    assertThrows(IllegalArgumentException.class, () -> learner.fit(null,
                            synthetic(), null)).getMessage());
            assertEquals("real and synthetic must not be null (real 29 x 5, synthetic null)",
                    assertThrows(IllegalArgumentException.class, () -> learner.fit(real,
                            (FloatMatrix) null, null)).getMessage());
            assertEquals("need at least one row in each: real is 29 x 5, synthetic is 0 x 5",
                    assertThrows(IllegalArgumentException.class, () -> learner.fit(real,
                            RowSource.of(FloatMatrix.zeros(0, D)), null)).getMessage());
            assertEquals("column counts differ: real is 29 x 5, synthetic is 4 x 3",
                    assertThrows(IllegalArgumentException.class, () -> learner.fit(real,
                            RowSource.of(FloatMatrix.zeros(4, 3)), null)).getMessage());
            float[] bad = synthetic().data().clone();
            bad[4 * D + 2] = Float.NaN;
            String message = assertThrows(IllegalArgumentException.class, () -> learner.fit(
                    real, RowSource.of(new FloatMatrix(N, D, bad)), null)).getMessage();
            assertEquals(assertThrows(IllegalArgumentException.class, () -> learner.fit(real,
                    new FloatMatrix(N, D, bad), null)).getMessage(), message);
            assertTrue(message.contains("synthetic") && message.contains("row 4")
                    && message.contains("NaN"), message);
        }
    }

    /**
     * A source of {@code 2^31 - 9} rows of one column, the most a weight vector and one Java
     * array hold: taken (exact then reads it whole: the source's {@code toMatrix}, which here
     * says so instead of allocating 8 GiB); one row more is refused, naming it. With two
     * columns, the most rows whose values one array holds are read whole, one row more is
     * refused naming the methods that stream.
     */
    @Test
    void theLargestSourceOneArrayHoldsIsTakenAndOneRowMoreRefused() {
        long most = Integer.MAX_VALUE - 8L;
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.EXACT).withBandwidth(Bandwidth.of(1.0)));
            FloatMatrix real = FloatMatrix.zeros(3, 1);
            assertEquals(readWholeOrBeyondTheHeap(most, 1, "huge.npy read whole: 2147483639 rows"),
                    assertThrows(RuntimeException.class,
                            () -> learner.fit(real, huge(most, 1), null)).getMessage());
            assertEquals("huge.npy: 2147483640 synthetic rows are more than one weight vector"
                    + " holds (2147483639)", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(real, huge(most + 1, 1), null)).getMessage());
            // Two columns: rows a weight vector holds, one value more than an array does.
            FloatMatrix real2 = FloatMatrix.zeros(3, 2);
            long half = most / 2 + 1;
            assertEquals("huge.npy: 1073741820 x 2 synthetic values are more than one Java array"
                    + " holds, and method exact needs them in one; methods rff and nystrom stream"
                    + " rows of any number", assertThrows(IllegalArgumentException.class,
                            () -> learner.fit(real2, huge(half, 2), null)).getMessage());
            assertEquals(readWholeOrBeyondTheHeap(half - 1, 2,
                    "huge.npy read whole: 1073741819 rows"), assertThrows(RuntimeException.class,
                            () -> learner.fit(real2, huge(half - 1, 2), null)).getMessage());
        }
    }

    /**
     * What exact on {@link #huge} rows within one array says: the source's "read whole" where
     * their bytes fit the heap's maximum, else the heap refusal (helper heap32; 8 GiB of rows
     * under surefire's -Xmx3g), which also says the array check passed.
     */
    private static String readWholeOrBeyondTheHeap(long rows, int cols, String readWhole) {
        long bytes = 4L * rows * cols;
        long heap = Runtime.getRuntime().maxMemory();
        return bytes <= heap ? readWhole : "huge.npy: " + rows + " x " + cols
                + " synthetic rows take " + MethodSelector.human(bytes) + " (" + bytes
                + " bytes) as floats, more than the JVM's whole heap ("
                + MethodSelector.human(heap) + " at most), and method exact reads them whole"
                + " into it; method rff (--method rff) streams them, or give the JVM a larger"
                + " heap with -Xmx";
    }

    /**
     * A named exact or tiled on a source whose rows' bytes (4 n d) exceed the heap's maximum,
     * within one Java array: refused with one line naming the method, the shape, the bytes, the
     * heap's maximum and the remedies, before any row is read (the source records every read and
     * whole read; the bandwidth is the median heuristic's, whose sample reads the source, so
     * the refusal must come before it too). Rows of exactly the heap's bytes (4 n d = maxMemory,
     * checked where the maximum is a multiple of 4 KiB) are not refused by this rule. Before
     * helper heap32 the fit read the sample and then the rows whole: OutOfMemoryError for a real
     * source (here the source's "read whole" error).
     */
    @Test
    void aNamedKernelMethodRefusesRowsBeyondTheHeapBeforeReadingThem() {
        long heap = Runtime.getRuntime().maxMemory();
        int cols = 1024;
        long rows = heap / (4L * cols) + 1;
        org.junit.jupiter.api.Assumptions.assumeTrue(rows * cols <= Integer.MAX_VALUE - 8,
                "a heap of " + heap + " bytes: rows beyond it are beyond one array too");
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.TILED}) {
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(method).withSeed(7));
                CountingSource source = new CountingSource(rows, cols);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> learner.fit(FloatMatrix.zeros(2, cols), source, null),
                        method.cliName());
                long bytes = 4L * rows * cols;
                assertEquals("big.npy: " + rows + " x " + cols + " synthetic rows take "
                        + MethodSelector.human(bytes) + " (" + bytes + " bytes) as floats, more"
                        + " than the JVM's whole heap (" + MethodSelector.human(heap)
                        + " at most), and method " + method.cliName() + " reads them whole into"
                        + " it; method rff (--method rff) streams them, or give the JVM a larger"
                        + " heap with -Xmx", e.getMessage());
                assertEquals(0, source.reads, method + ": rows read before the refusal");
                assertTrue(!source.readWhole, method + ": read whole");
            }
            // Exactly the heap's bytes: past the rows' own rule, but the fit's whole heap
            // (rows, R, the reference's K_SS, the optimiser's vectors: heap33) is over it, so
            // it is refused by that rule, still before any row is read.
            if (heap % (4L * cols) == 0) {
                CountingSource atTheHeap = new CountingSource(heap / (4L * cols), cols);
                MmdWeightLearner exact = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                        .withMethod(AlignmentMethod.EXACT).withBandwidth(Bandwidth.of(1.0)));
                String message = assertThrows(IllegalArgumentException.class,
                        () -> exact.fit(FloatMatrix.zeros(2, cols), atTheHeap, null))
                        .getMessage();
                assertTrue(message.startsWith("big.npy: method exact on the reference backend"
                        + " would hold "), message);
                assertTrue(message.contains("more than the JVM's whole heap ("
                        + MethodSelector.human(heap) + " at most)"), message);
                assertEquals(0, atTheHeap.reads, "rows read before the heap refusal");
                assertTrue(!atTheHeap.readWhole, "read whole before the heap refusal");
            }
        }
    }

    /**
     * A named exact on a source whose rows alone fit the heap (4 n d within its maximum) but
     * whose rows with the optimiser's vectors do not: refused (heap33), and the refusal offers
     * no {@code --method tiled}, which keeps no K_SS but needs the same rows and vectors and is
     * refused in turn (asserted). heap33's message offered tiled wherever the backend keeps
     * K_SS on the heap; fails there. The rows are one fewer than the heap's bytes allow
     * (4 d bytes below it), the vectors 112 n bytes over what is left (review33).
     */
    @Test
    void aRefusalOffersTiledOnlyWhereTiledWouldFit() {
        long heap = Runtime.getRuntime().maxMemory();
        int cols = 1024;
        long rows = heap / (4L * cols) - 1;
        org.junit.jupiter.api.Assumptions.assumeTrue(rows * cols <= Integer.MAX_VALUE - 8,
                "a heap of " + heap + " bytes: its rows are beyond one array");
        assertTrue(4L * rows * cols <= heap && 4L * rows * cols + 112L * rows > heap);
        try (KernelBackend backend = TestBackends.create("reference")) {
            for (AlignmentMethod method : new AlignmentMethod[] {AlignmentMethod.EXACT,
                    AlignmentMethod.TILED}) {
                CountingSource source = new CountingSource(rows, cols);
                MmdWeightLearner learner = new MmdWeightLearner(backend, AlignmentConfig
                        .defaults().withMethod(method).withBandwidth(Bandwidth.of(1.0)));
                String message = assertThrows(IllegalArgumentException.class,
                        () -> learner.fit(FloatMatrix.zeros(2, cols), source, null),
                        method.cliName()).getMessage();
                assertTrue(message.startsWith("big.npy: method " + method.cliName()
                        + " on the reference backend would hold "), message);
                assertTrue(message.endsWith("more than the JVM's whole heap ("
                        + MethodSelector.human(heap) + " at most); method rff (--method rff)"
                        + " streams the rows, or give the JVM a larger heap with -Xmx"),
                        message);
                assertTrue(!message.contains("tiled (--method tiled)"), message);
                if (method == AlignmentMethod.EXACT) {
                    // n^2 is past one array: the reference's "beyond what it addresses"
                    // (Long.MAX_VALUE) in words, not as "8.0 EiB" of K_SS.
                    assertTrue(message.contains("K_SS, " + rows + " x " + rows + ", beyond"
                            + " what reference addresses, "), message);
                    assertTrue(!message.contains("EiB"), message);
                }
                assertEquals(0, source.reads, method + ": rows read before the refusal");
            }
        }
    }

    /** Rows served on demand (zeros, never held): counts reads; reading them whole throws. */
    private static final class CountingSource implements RowSource {
        final long rows;
        final int cols;
        int reads;
        boolean readWhole;

        CountingSource(long rows, int cols) {
            this.rows = rows;
            this.cols = cols;
        }

        @Override
        public long rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public String name() {
            return "big.npy";
        }

        @Override
        public void read(long start, int count, float[] out) {
            RowSource.checkRead(this, start, count, out);
            reads++;
            Arrays.fill(out, 0, count * cols, start % 2 == 0 ? 0.5f : -0.5f);
        }

        @Override
        public FloatMatrix toMatrix() {
            readWhole = true;
            throw new IllegalStateException("big.npy read whole");
        }
    }

    /**
     * auto on a blocked source whose first plan keeps K_SS (S is read whole) and whose second,
     * with the row copies open, streams (rff; {@link CopiesTakeTheBudget}): rff's chunks are
     * recomputed from that matrix in every pass (no feature kept), so the source is read once,
     * whole, and never again; the weights are bit for bit those of a named rff on the same
     * blocks, which reads its chunks from them in every pass (the chunk grid, of 7 rows,
     * ragged against the blocks of 11, is the same). Before helper heap32 the source was read
     * again in every pass (rows read: N for the whole read, then N per pass).
     */
    @Test
    void autoWhoseSecondPlanStreamsReadsItsChunksFromTheRowsReadWhole() {
        System.setProperty("synalign.rff.chunkRows", "7");
        FloatMatrix real = real();
        FloatMatrix synthetic = synthetic();
        AlignmentConfig config = AlignmentConfig.defaults().withFeatures(16).withSeed(7)
                .withIterations(20, 1e-12).withBandwidth(Bandwidth.of(2.0));
        try (KernelBackend reference = TestBackends.create("reference")) {
            long[] rowsRead = {0};
            RowSource blocks = RowSource.ofBlocks(blocks(synthetic, 11));
            RowSource counted = new RowSource() {
                @Override
                public long rows() {
                    return blocks.rows();
                }

                @Override
                public int cols() {
                    return blocks.cols();
                }

                @Override
                public String name() {
                    return "counted blocks";
                }

                @Override
                public void read(long start, int count, float[] out) {
                    rowsRead[0] += count;
                    blocks.read(start, count, out);
                }
            };
            AlignmentResult auto = new MmdWeightLearner(new CopiesTakeTheBudget(reference),
                    config.withMethod(AlignmentMethod.AUTO)).withFeatureBudget(0)
                    .fit(real, counted, ProgressListener.NONE);
            assertEquals(AlignmentMethod.RFF, auto.method(), "the second plan streams");
            assertEquals(N, rowsRead[0], "rows read from the source: once, whole");
            rowsRead[0] = 0;
            AlignmentResult named = new MmdWeightLearner(reference,
                    config.withMethod(AlignmentMethod.RFF)).withFeatureBudget(0)
                    .fit(real, counted, ProgressListener.NONE);
            assertTrue(rowsRead[0] > 2 * N, "the named rff re-reads its chunks: " + rowsRead[0]);
            for (int i = 0; i < N; i++) {
                assertEquals(named.weights()[i], auto.weights()[i], 0.0, "row " + i);
            }
            assertEquals(named.iterations(), auto.iterations());
        }
    }

    /** {@code rows} rows of {@code cols} columns that are never read: reading them whole throws. */
    private static RowSource huge(long rows, int cols) {
        return new RowSource() {
            @Override
            public long rows() {
                return rows;
            }

            @Override
            public int cols() {
                return cols;
            }

            @Override
            public String name() {
                return "huge.npy";
            }

            @Override
            public void read(long start, int count, float[] out) {
                throw new AssertionError("no row should be read: " + start + " + " + count);
            }

            @Override
            public FloatMatrix toMatrix() {
                throw new IllegalStateException("huge.npy read whole: " + rows + " rows");
            }
        };
    }

    /**
     * When the backend refuses the second resident copy (R's), the first (S's) is closed and the
     * refusal reaches the caller as it was: nothing is left open.
     */
    @Test
    void aRefusedResidentCopyOfRClosesThatOfS() {
        ClosingBackend account = ClosingBackend.failing("keepResident", 1);
        try (KernelBackend backend = TestBackends.create("reference")) {
            MmdWeightLearner learner = new MmdWeightLearner(account.wrap(backend),
                    AlignmentConfig.defaults().withMethod(AlignmentMethod.EXACT)
                            .withBandwidth(Bandwidth.of(2.0)));
            assertEquals("injected failure of keepResident call 1", assertThrows(
                    IllegalStateException.class, () -> learner.fit(real(), synthetic(), null))
                    .getMessage());
            assertEquals(2, account.calls());
            assertEquals(List.of(), account.stillOpen(), "left open");
        }
    }

    /**
     * The exact MMD^2 report's bound, {@code n^2 + n m + m^2 <} {@value
     * MmdWeightLearner#EXACT_REPORT_MAX_ENTRIES}: n = 2,450 synthetic and m = 43,446 real rows
     * (one column, a fixed bandwidth) are 116 entries past it, so rff reports its own estimate,
     * fast; dropping any one of the sum's terms, or turning one of its operations, would bring
     * the count under the bound and begin the exact report, which the listener stops at its
     * first stage (n^2 + n m + m^2 = 2e9 has no integer
     * solution, 2e9 being 2^10 5^9 with 5 = 2 mod 3 to an odd power, so {@code <} and
     * {@code <=} cannot differ). The estimate is then the rff objective's own value at the
     * weights (the trace's last), not MMD^2 of the definition.
     */
    @Test
    void pastTheBoundRffReportsItsOwnEstimate() {
        int n = 2450;
        int m = 43446;
        assertEquals(2e9 + 116, (double) n * n + (double) n * m + (double) m * m, 0.0);
        Random random = new Random(3103);
        FloatMatrix real = TestBackends.gaussian(m, 1, random, 1, 0);
        FloatMatrix synthetic = TestBackends.gaussian(n, 1, random, 1, 0.5);
        try (KernelBackend backend = TestBackends.create("reference")) {
            // The report would take minutes here (2e9 kernel entries): stopped as it begins.
            AlignmentResult result = new MmdWeightLearner(backend, AlignmentConfig.defaults()
                    .withMethod(AlignmentMethod.RFF).withFeatures(16).withSeed(7)
                    .withIterations(3, 1e-12).withBandwidth(Bandwidth.of(1.0)))
                    .fit(real, synthetic, (stage, done, total, detail) -> {
                        if (stage.equals("evaluate")) {
                            throw new AssertionError("the exact report began: " + detail);
                        }
                    });
            assertEquals("rff(D=16)", result.mmdEstimator());
            double[] trace = result.trace().objective();
            assertEquals(Math.max(0, trace[0]), result.mmd2Uniform(), 0.0);
        }
    }
}
