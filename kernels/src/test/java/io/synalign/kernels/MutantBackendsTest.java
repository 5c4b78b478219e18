package io.synalign.kernels;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.synalign.kernels.host.HostVector;
import io.synalign.kernels.host.HostVectorOps;
import io.synalign.kernels.reference.ReferenceBackend;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.opentest4j.AssertionFailedError;

/**
 * The contract tests must fail a wrong backend: each {@link Defect} is one mistake a backend
 * could make (most of them passed every contract case before session 19's review), planted in a
 * wrapper around the reference, and the contract case named with it must fail on it with an
 * assertion (not pass, not crash). The same wrapper without a defect passes every one of those
 * cases, so each failure is the defect's.
 */
class MutantBackendsTest {

    /** One planted mistake and the contract case that must catch it. */
    enum Defect {
        /** squaredDistances adds into its output. */
        DISTANCES_ACCUMULATE(c -> c.squaredDistancesMatchReference(7, 257, 3)),
        /** innerProducts(float[]) adds into its output. */
        INNER_PRODUCTS_ACCUMULATE(c -> c.innerProductsMatchReference(7, 257, 3)),
        /** rbfBlock adds into its output. */
        RBF_BLOCK_ACCUMULATES(c -> c.rbfBlockMatchesReference(7, 257, 3)),
        /** randomFourierFeatures adds into its output. */
        FEATURES_ACCUMULATE(c -> c.randomFourierFeaturesMatchReference(7, 3, 257)),
        /** KernelOperator.multiply(double[]) adds into its output. */
        MULTIPLY_ACCUMULATES(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** KernelOperator.rowSums adds into its output. */
        ROW_SUMS_ACCUMULATE(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** KernelOperator.multiply on backend vectors writes zeros (the optimiser's product). */
        VECTOR_MULTIPLY_ZEROS(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** KernelOperator.multiply on backend vectors adds into its output. */
        VECTOR_MULTIPLY_ACCUMULATES(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** A submatrix's multiply on backend vectors writes zeros (the working sets' product). */
        SUBMATRIX_VECTOR_MULTIPLY_ZEROS(c -> c.principalSubmatricesMultiplyLikeTheSelectedRowsKernel(7, 5)),
        /** FeatureOperator.transposeTimes and times on arrays add into their outputs. */
        FEATURE_PRODUCTS_ACCUMULATE(c -> c.featureOperatorsMatchReference(7, 3, 257)),
        /** FeatureOperator products on backend vectors write zeros. */
        VECTOR_FEATURE_PRODUCTS_ZEROS(c -> c.featureOperatorsMatchReference(7, 3, 257)),
        /** A kept plan is silently tiled (the reference before session 19). */
        IGNORES_KEPT_PLAN(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** materialised() says kept for a tiled plan. */
        CLAIMS_KEPT(c -> c.kernelOperatorsMatchReference(7, 257, 3)),
        /** A kept plan in a storage outside keptStorages() is accepted. */
        KEEPS_ANY_STORAGE(BackendContractTest::keptPlansNeedAStorageTheBackendKeeps),
        /** A stateless primitive refuses a row set with no rows (the case errors with it). */
        REFUSES_EMPTY_ROWS(BackendContractTest::emptyRowSetsGiveEmptyResults,
                IllegalArgumentException.class),
        /** The tracker's variance(row) indexes its array unchecked. */
        TRACKER_VARIANCE_UNCHECKED(BackendContractTest::trackersRefuseRowsOutOfRangeAndUseAfterClose),
        /** A closed tracker keeps answering. */
        TRACKER_WORKS_AFTER_CLOSE(BackendContractTest::trackersRefuseRowsOutOfRangeAndUseAfterClose),
        /** The feature-map dimension check has its own message. */
        OWN_FEATURE_DIMENSION_MESSAGE(BackendContractTest::dimensionMismatchesHaveTheSharedMessages),
        /** keptKernelBytes multiplies rows by cols in int: negative or too few past 46,340. */
        KEPT_BYTES_IN_INT(BackendContractTest::keptKernelBytesCountAtLeastTheEntriesKept),
        /** keptKernelBytes counts entries, not bytes (the storage's width left out). */
        KEPT_BYTES_ARE_ENTRIES(BackendContractTest::keptKernelBytesCountAtLeastTheEntriesKept),
        /** keptKernelBytes says Long.MAX_VALUE for every size: the storages it lists are never kept. */
        KEPT_BYTES_NEVER_FIT(BackendContractTest::keptKernelBytesCountAtLeastTheEntriesKept),
        /** residentBudgetBytes takes a reserve off the host budget without clamping at 0. */
        RESIDENT_BUDGET_UNCLAMPED(BackendContractTest::memoryBudgetsAreNotNegative),
        /** featureBudgetBytes reports free memory less a reserve, unclamped. */
        FEATURE_BUDGET_UNCLAMPED(BackendContractTest::memoryBudgetsAreNotNegative),
        /** featureChunkRows without its floor of one row: 0 rows for wide features. */
        CHUNK_ROWS_ZERO(BackendContractTest::featureChunksHoldAtLeastOneRowAndStayTheSame),
        /** featureChunkRows from a 16 GiB chunk cast to int unchecked: 0 or negative for D <= 2. */
        CHUNK_ROWS_UNCAPPED(BackendContractTest::featureChunksHoldAtLeastOneRowAndStayTheSame),
        /** featureChunkRows read from memory free at the time: another answer when asked again. */
        CHUNK_ROWS_FROM_FREE_MEMORY(BackendContractTest::featureChunksHoldAtLeastOneRowAndStayTheSame),
        /** keepResident returns null instead of a scope (the learner's close then throws). */
        RESIDENCY_NULL(BackendContractTest::residentRowsChangeNoProduct),
        /** The kept copy is shared with every matrix of its shape, not the same object only. */
        RESIDENCY_BY_SHAPE(BackendContractTest::residentRowsChangeNoProduct),
        /** A product clears the caller's interrupt (a swallowed InterruptedException) and completes. */
        PRODUCT_CLEARS_THE_INTERRUPT(
                BackendContractTest::aProductOfAnInterruptedCallerLeavesItsInputsAndTheOperatorAsTheyWere),
        /**
         * A cancelled product leaves its partial sums behind, and the next product adds to them
         * (a partly written accumulator not reset at the start of a product).
         */
        CANCELLED_PRODUCT_LEAVES_PARTIALS(
                BackendContractTest::aProductOfAnInterruptedCallerLeavesItsInputsAndTheOperatorAsTheyWere);

        final Consumer<BackendContractTest> check;
        /** How the case fails: an assertion, or the defect's own exception. */
        final Class<? extends Throwable> failure;

        Defect(Consumer<BackendContractTest> check) {
            this(check, AssertionFailedError.class);
        }

        Defect(Consumer<BackendContractTest> check, Class<? extends Throwable> failure) {
            this.check = check;
            this.failure = failure;
        }
    }

    /** The contract on {@code backend}, its cases called directly. */
    private static BackendContractTest contractOn(KernelBackend backend) {
        return new BackendContractTest() {
            @Override
            protected KernelBackend backend() {
                return backend;
            }

            @Override
            protected boolean keptSelfKernelOffersSubmatrices() {
                return true;
            }
        };
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Defect.class)
    void theContractFailsABackendWith(Defect defect) {
        BackendContractTest contract = contractOn(new Mutant(EnumSet.of(defect)));
        assertThrows(defect.failure, () -> defect.check.accept(contract),
                "the contract passed a backend whose " + defect + " defect it should catch");
    }

    @Test
    void theWrapperWithoutADefectPassesEveryCheck() {
        BackendContractTest contract = contractOn(new Mutant(EnumSet.noneOf(Defect.class)));
        for (Defect defect : Defect.values()) {
            defect.check.accept(contract);
        }
    }

    /** copyRange ignoring its target offset (it passed the vector contract before). */
    @Test
    void theVectorContractFailsACopyRangeThatDropsItsTargetOffset() {
        VectorOps host = HostVectorOps.INSTANCE;
        VectorOps wrong = (VectorOps) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {VectorOps.class}, (proxy, method, args) -> {
                    if (method.getName().equals("copyRange")) {
                        DeviceVector to = (DeviceVector) args[2];
                        long toOffset = (Long) args[3];
                        long length = (Long) args[4];
                        java.util.Objects.checkFromIndexSize(toOffset, length, to.length());
                        host.copyRange((DeviceVector) args[0], (Long) args[1], to, 0, length);
                        return null;
                    }
                    try {
                        return method.invoke(host, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        VectorOpsContractTest contract = new VectorOpsContractTest() {
            @Override
            protected VectorOps ops() {
                return wrong;
            }
        };
        assertThrows(AssertionFailedError.class, () -> contract.copiesReadsWritesAndFills(7));
    }

    /**
     * The reference behind a wrapper that plants {@code defects}; what it does not override is
     * the reference's ({@link ForwardingKernelBackend}), not the interface's default.
     */
    private static final class Mutant extends ForwardingKernelBackend {
        private final KernelBackend reference = delegate();
        private final Set<Defect> defects;
        /** The rows of the open keepResident scope, or null. */
        private FloatMatrix resident;
        /** featureChunkRows calls so far (CHUNK_ROWS_FROM_FREE_MEMORY's changing answer). */
        private int chunkQuestions;

        Mutant(Set<Defect> defects) {
            super(new ReferenceBackend());
            this.defects = defects;
        }

        private boolean has(Defect defect) {
            return defects.contains(defect);
        }

        private void checkRows(FloatMatrix... sets) {
            for (FloatMatrix m : sets) {
                if (has(Defect.REFUSES_EMPTY_ROWS) && m.rows() == 0) {
                    throw new IllegalArgumentException("no rows");
                }
            }
        }

        /** {@code out = computed}, or {@code out += computed} with {@code defect}. */
        private void write(float[] computed, float[] out, Defect defect) {
            for (int i = 0; i < out.length; i++) {
                out[i] = has(defect) ? out[i] + computed[i] : computed[i];
            }
        }

        private void write(double[] computed, double[] out, Defect defect) {
            for (int i = 0; i < out.length; i++) {
                out[i] = has(defect) ? out[i] + computed[i] : computed[i];
            }
        }

        @Override
        public String name() {
            return "mutant";
        }

        @Override
        public String description() {
            return "reference with " + defects;
        }

        @Override
        public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
            checkRows(x, y);
            float[] t = new float[out.length];
            reference.squaredDistances(x, y, t);
            write(t, out, Defect.DISTANCES_ACCUMULATE);
        }

        @Override
        public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
            checkRows(x, y);
            float[] t = new float[out.length];
            reference.innerProducts(x, y, t);
            write(t, out, Defect.INNER_PRODUCTS_ACCUMULATE);
        }

        @Override
        public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
            checkRows(x, y);
            float[] t = new float[out.length];
            reference.rbfBlock(x, y, sigma, t);
            write(t, out, Defect.RBF_BLOCK_ACCUMULATES);
        }

        @Override
        public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
            if (has(Defect.OWN_FEATURE_DIMENSION_MESSAGE) && x.cols() != map.dim()) {
                throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs "
                        + map.dim());
            }
            float[] t = new float[out.length];
            reference.randomFourierFeatures(x, map, t);
            write(t, out, Defect.FEATURES_ACCUMULATE);
        }

        @Override
        public Set<KernelStorage> keptStorages() {
            return reference.keptStorages();
        }

        @Override
        public long keptKernelBytes(long rows, long cols, boolean symmetric,
                KernelStorage storage) {
            if (has(Defect.KEPT_BYTES_IN_INT)) {
                return 8L * ((int) rows * (int) cols);
            }
            if (has(Defect.KEPT_BYTES_ARE_ENTRIES)) {
                long entries = rows * cols;
                return entries > Integer.MAX_VALUE - 8 ? Long.MAX_VALUE : entries;
            }
            if (has(Defect.KEPT_BYTES_NEVER_FIT)) {
                return Long.MAX_VALUE;
            }
            return reference.keptKernelBytes(rows, cols, symmetric, storage);
        }

        @Override
        public long residentBudgetBytes(long hostBudgetBytes) {
            return has(Defect.RESIDENT_BUDGET_UNCLAMPED) ? hostBudgetBytes - (256L << 20)
                    : reference.residentBudgetBytes(hostBudgetBytes);
        }

        @Override
        public long featureBudgetBytes() {
            return has(Defect.FEATURE_BUDGET_UNCLAMPED) ? Runtime.getRuntime().freeMemory()
                    - Runtime.getRuntime().maxMemory() : reference.featureBudgetBytes();
        }

        @Override
        public int featureChunkRows(int features) {
            if (has(Defect.CHUNK_ROWS_ZERO)) {
                return (int) ((32L << 20) / (4L * features));
            }
            if (has(Defect.CHUNK_ROWS_UNCAPPED)) {
                return (int) ((16L << 30) / (4L * features));
            }
            if (has(Defect.CHUNK_ROWS_FROM_FREE_MEMORY)) {
                return Math.max(1, reference.featureChunkRows(features) - chunkQuestions++);
            }
            return reference.featureChunkRows(features);
        }

        @Override
        public Residency keepResident(FloatMatrix rows) {
            if (has(Defect.RESIDENCY_NULL)) {
                return null;
            }
            resident = rows;
            return () -> resident = null;
        }

        /** The resident rows in place of {@code m} where RESIDENCY_BY_SHAPE mistakes one for it. */
        private FloatMatrix shared(FloatMatrix m) {
            return has(Defect.RESIDENCY_BY_SHAPE) && resident != null
                    && resident.rows() == m.rows() && resident.cols() == m.cols() ? resident : m;
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix rowsX, FloatMatrix rowsY, double sigma,
                TilePlan plan) {
            FloatMatrix x = shared(rowsX);
            FloatMatrix y = shared(rowsY);
            TilePlan asked = plan;
            if (has(Defect.KEEPS_ANY_STORAGE) && plan != null) {
                asked = new TilePlan(plan.materialise(), plan.tileRows());
            }
            if (has(Defect.IGNORES_KEPT_PLAN) && plan != null) {
                asked = TilePlan.tiled(plan.tileRows());
            }
            return wrap(reference.rbfOperator(x, y, sigma, asked), false);
        }

        private KernelOperator wrap(KernelOperator inner, boolean submatrix) {
            return new AbstractKernelOperator(inner.rows(), inner.cols()) {
                /** CANCELLED_PRODUCT_LEAVES_PARTIALS's accumulator, reset only when complete. */
                private double[] partials;

                @Override
                public boolean materialised() {
                    return has(Defect.CLAIMS_KEPT) || inner.materialised();
                }

                @Override
                protected void multiplyChecked(double[] w, double[] out) {
                    if (has(Defect.PRODUCT_CLEARS_THE_INTERRUPT)) {
                        Thread.interrupted();
                    }
                    double[] t = new double[out.length];
                    if (has(Defect.CANCELLED_PRODUCT_LEAVES_PARTIALS)) {
                        if (partials == null) {
                            partials = new double[out.length];
                        }
                        partials[0] += 1; // the first tile's sum, written before the check
                        inner.multiply(w, t);
                        t[0] += partials[0] - 1;
                        partials[0] = 0;
                    } else {
                        inner.multiply(w, t);
                    }
                    write(t, out, Defect.MULTIPLY_ACCUMULATES);
                }

                @Override
                protected void rowSumsChecked(double[] out) {
                    double[] t = new double[out.length];
                    inner.rowSums(t);
                    write(t, out, Defect.ROW_SUMS_ACCUMULATE);
                }

                @Override
                public void multiply(DeviceVector w, DeviceVector out) {
                    checkOpen();
                    OperatorArguments.checkMultiply(w, out, rows(), cols());
                    double[] o = HostVector.array(out);
                    if (has(Defect.VECTOR_MULTIPLY_ZEROS)
                            || submatrix && has(Defect.SUBMATRIX_VECTOR_MULTIPLY_ZEROS)) {
                        Arrays.fill(o, 0.0);
                        return;
                    }
                    double[] t = new double[o.length];
                    inner.multiply(HostVector.array(w), t);
                    write(t, o, Defect.VECTOR_MULTIPLY_ACCUMULATES);
                }

                @Override
                public boolean offersPrincipalSubmatrix() {
                    return inner.offersPrincipalSubmatrix();
                }

                @Override
                protected KernelOperator principalSubmatrixChecked(int[] rows, long budget) {
                    KernelOperator sub = inner.principalSubmatrix(rows, budget);
                    return sub == null ? null : wrap(sub, true);
                }

                @Override
                protected void release() {
                    inner.close();
                }
            };
        }

        @Override
        public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
            if (has(Defect.OWN_FEATURE_DIMENSION_MESSAGE) && x.cols() != map.dim()) {
                throw new IllegalArgumentException("dimension mismatch: " + x.cols() + " vs "
                        + map.dim());
            }
            FeatureOperator inner = reference.fourierFeatureOperator(x, map);
            return new AbstractFeatureOperator(inner.rows(), inner.features()) {
                @Override
                protected void transposeTimesChecked(double[] w, double[] out) {
                    double[] t = new double[out.length];
                    inner.transposeTimes(w, t);
                    write(t, out, Defect.FEATURE_PRODUCTS_ACCUMULATE);
                }

                @Override
                protected void timesChecked(double[] z, double[] out) {
                    double[] t = new double[out.length];
                    inner.times(z, t);
                    write(t, out, Defect.FEATURE_PRODUCTS_ACCUMULATE);
                }

                @Override
                public void transposeTimes(DeviceVector w, DeviceVector out) {
                    if (has(Defect.VECTOR_FEATURE_PRODUCTS_ZEROS)) {
                        checkOpen();
                        OperatorArguments.checkTransposeTimes(w, out, rows(), features());
                        Arrays.fill(HostVector.array(out), 0.0);
                    } else {
                        super.transposeTimes(w, out);
                    }
                }

                @Override
                public void times(DeviceVector z, DeviceVector out) {
                    if (has(Defect.VECTOR_FEATURE_PRODUCTS_ZEROS)) {
                        checkOpen();
                        OperatorArguments.checkTimes(z, out, rows(), features());
                        Arrays.fill(HostVector.array(out), 0.0);
                    } else {
                        super.times(z, out);
                    }
                }

                @Override
                protected void release() {
                    inner.close();
                }
            };
        }

        @Override
        public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale,
                double noise, int maxRank) {
            GpVarianceTracker inner = reference.gpVarianceTracker(x, lengthScale, noise, maxRank);
            // The reference's own tracker until told to behave like the one before session 19.
            GpVarianceTracker unguarded = has(Defect.TRACKER_WORKS_AFTER_CLOSE)
                    ? reference.gpVarianceTracker(x, lengthScale, noise, maxRank) : null;
            return new GpVarianceTracker() {
                private GpVarianceTracker live() {
                    return unguarded != null ? unguarded : inner;
                }

                @Override
                public int size() {
                    return inner.size();
                }

                @Override
                public int rank() {
                    return live().rank();
                }

                @Override
                public int maxRank() {
                    return inner.maxRank();
                }

                @Override
                public void condition(int row) {
                    live().condition(row);
                }

                @Override
                public double variance(int row) {
                    if (has(Defect.TRACKER_VARIANCE_UNCHECKED) && (row < 0 || row >= size())) {
                        throw new ArrayIndexOutOfBoundsException(row);
                    }
                    return live().variance(row);
                }

                @Override
                public void variances(double[] out) {
                    live().variances(out);
                }

                @Override
                public int argmax(BitSet excluded) {
                    return live().argmax(excluded);
                }

                @Override
                public void reset() {
                    live().reset();
                }

                @Override
                public void close() {
                    inner.close(); // the unguarded copy is never closed, so it keeps answering
                }
            };
        }

        @Override
        public void close() {
        }
    }
}
