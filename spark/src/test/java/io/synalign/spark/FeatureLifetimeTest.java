package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.memory.MemoryMode;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The executors' kept feature operators live as long as Spark holds their partition: a partition
 * the memory store evicts is closed and its bytes leave the budget's tally, so its rebuild keeps
 * as much as the first build and gives the same products; a partition Spark could not cache is
 * closed when its task ends; a fit's end closes every kept operator without rebuilding evicted
 * partitions; a failed build closes what it built. The operators come from the reference
 * backend behind a proxy that counts them (local mode: the executors are this JVM), and the
 * products are checked against a double-precision computation of the features here.
 */
class FeatureLifetimeTest {

    private static final String BACKEND = "test-counting-reference";
    /** Operators built and not closed, and built in all, in this JVM. */
    private static final AtomicInteger OPEN = new AtomicInteger();
    private static final AtomicInteger BUILT = new AtomicInteger();
    /** The build at which the backend throws (0: never). */
    private static final AtomicInteger FAIL_AT = new AtomicInteger();

    static {
        ExecutorBackends.putForTests(BACKEND, counting(KernelBackends.create("reference")));
    }

    private static final int DIM = 5;
    private static final int FEATURES = 24;
    /** Two labels of 53 and 31 rows in blocks of 7: 8 + 5 blocks, the last of each ragged. */
    private static final int[] ROWS = {53, 31};
    private static final int BLOCK = 7;
    private static final int BLOCKS = 13;
    private static final long ALL_BYTES = 4L * (53 + 31) * FEATURES;

    /**
     * The reference backend (behind the counting proxy) computes in double: {@code 1e-12} of
     * each entry's size, at least 1.
     */
    private static final FeatureProductsOracle.Tolerance TOLERANCE =
            FeatureProductsOracle.relative(1e-12);

    private SavedProperty budgetBefore;
    private FeatureMaps maps;
    private RowBlocks grid;
    private FeatureProductsOracle oracle;
    private JavaRDD<IndexedRow> synthetic;

    @BeforeEach
    void setUp() {
        budgetBefore = SavedProperty.featureBudget();
        // Exactly every block's bytes: a build keeps them all only if nothing else is counted.
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(ALL_BYTES));
        FAIL_AT.set(0);
        Random random = new Random(30);
        float[][][] data = FeatureProductsOracle.gaussianRows(random, ROWS, DIM, 1);
        maps = new FeatureMaps(DIM, FEATURES, new double[] {1.3, 0.8}, new long[] {11, 12});
        oracle = new FeatureProductsOracle(data, maps);
        List<IndexedRow> rows = oracle.indexedRows();
        Collections.shuffle(rows, random);
        grid = RowBlocks.of(ROWS, l -> BLOCK, 3);
        JavaSparkContext context = TestSpark.context();
        synthetic = context.parallelize(rows, 4);
        assertEquals(0, ExecutorFeatureBudget.keptBytes(), "no fit keeps anything before");
        assertEquals(0, OPEN.get());
    }

    @AfterEach
    void restore() {
        FAIL_AT.set(0);
        budgetBefore.restore();
    }

    @Test
    void anEvictedPartitionIsClosedAndItsRebuildKeepsAsMuchAndGivesTheSameProducts()
            throws InterruptedException {
        try (DistributedFeatureProducts products = products(StorageLevel.MEMORY_ONLY())) {
            assertEquals(new FeatureKeep(BLOCKS, 0, ALL_BYTES), products.keep());
            assertEquals(BLOCKS, OPEN.get());
            assertEquals(ALL_BYTES, ExecutorFeatureBudget.keptBytes());
            double[][] w = oracle.weights(new Random(31));
            double[][] z = products.transposeTimes(w);
            double[][] values = oracle.times(products, z);
            oracle.check(w, z, values, TOLERANCE);

            evictEverything(products);
            assertEquals(0, OPEN.get(), "the evicted partitions' operators are closed");
            assertEquals(0, ExecutorFeatureBudget.keptBytes(),
                    "the evicted partitions' bytes are no longer counted");

            int built = BUILT.get();
            double[][] again = products.transposeTimes(w);
            assertEquals(BLOCKS, BUILT.get() - built, "every block rebuilt once");
            assertEquals(BLOCKS, OPEN.get(), "the rebuilt partitions keep every block again");
            assertEquals(ALL_BYTES, ExecutorFeatureBudget.keptBytes(), "the tally as it was");
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(z[l], again[l], 0.0, "label " + l + ": the same bits");
            }
            double[][] valuesAgain = oracle.times(products, again);
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(values[l], valuesAgain[l], 0.0, "label " + l);
            }
            assertEquals(BLOCKS, BUILT.get() - built, "the kept blocks are used, not rebuilt");
        }
        assertEquals(0, OPEN.get(), "the fit's end closes every kept operator");
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    @Test
    void aFitsEndClosesEvictedPartitionsWithoutRebuildingThem() throws InterruptedException {
        int built;
        try (DistributedFeatureProducts products = products(StorageLevel.MEMORY_ONLY())) {
            evictEverything(products);
            built = BUILT.get();
        }
        assertEquals(0, BUILT.get() - built, "nothing is built only to be closed");
        assertEquals(0, OPEN.get());
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    @Test
    void aPartitionSparkDoesNotCacheIsClosedAtTheEndOfItsTask() {
        double[][] w = oracle.weights(new Random(32));
        double[][] z;
        double[][] values;
        try (DistributedFeatureProducts cached = products(StorageLevel.MEMORY_ONLY())) {
            z = cached.transposeTimes(w);
            values = oracle.times(cached, z);
        }
        try (DistributedFeatureProducts products = products(StorageLevel.NONE())) {
            assertEquals(new FeatureKeep(BLOCKS, 0, ALL_BYTES), products.keep(),
                    "the set-up's builds kept every block while their tasks ran");
            assertEquals(0, OPEN.get(), "and closed them when the tasks ended");
            assertEquals(0, ExecutorFeatureBudget.keptBytes());
            for (int pass = 0; pass < 3; pass++) {
                int built = BUILT.get();
                double[][] zn = products.transposeTimes(w);
                double[][] vn = oracle.times(products, zn);
                assertEquals(2 * BLOCKS, BUILT.get() - built, "pass " + pass
                        + ": every block kept again (the budget has room) in both products");
                assertEquals(0, OPEN.get(), "pass " + pass);
                assertEquals(0, ExecutorFeatureBudget.keptBytes(), "pass " + pass);
                for (int l = 0; l < ROWS.length; l++) {
                    assertArrayEquals(z[l], zn[l], 0.0, "pass " + pass + ", label " + l);
                    assertArrayEquals(values[l], vn[l], 0.0, "pass " + pass + ", label " + l);
                }
            }
        }
        assertEquals(0, OPEN.get());
    }

    /**
     * A partition Spark stores on disk only: the task's own object is serialized there and read
     * back as a copy that keeps nothing, so nobody holds the object the task built, and its
     * kept operators are closed when the task ends. Before, the block's status (on disk) was
     * taken for this object being cached, and every operator stayed open with its bytes counted.
     */
    @Test
    void aPartitionStoredOnDiskIsClosedAtTheEndOfTheTaskThatBuiltIt() {
        double[][] w = oracle.weights(new Random(33));
        try (DistributedFeatureProducts products = products(StorageLevel.DISK_ONLY())) {
            assertEquals(0, OPEN.get(), "the builds' kept operators closed with their tasks");
            assertEquals(0, ExecutorFeatureBudget.keptBytes());
            double[][] z = products.transposeTimes(w);
            oracle.check(w, z, oracle.times(products, z), TOLERANCE);
            assertEquals(0, OPEN.get(), "the copies read from disk keep nothing");
        }
        assertEquals(0, OPEN.get());
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    /**
     * A partition Spark stores serialized in memory ({@code MEMORY_ONLY_SER}): the store holds
     * its bytes, the task reads a copy deserialized from them, so the object the task built is
     * nobody's and its kept operators are closed when the task ends. Before spark32's identity
     * check the block's status (in memory) was taken for this object being cached, and every
     * operator stayed open with its bytes counted (review32s: fails on 9162b2a).
     */
    @Test
    void aPartitionStoredSerializedIsClosedAtTheEndOfTheTaskThatBuiltIt() {
        double[][] w = oracle.weights(new Random(35));
        try (DistributedFeatureProducts products = products(StorageLevel.MEMORY_ONLY_SER())) {
            assertEquals(0, OPEN.get(), "the builds' kept operators closed with their tasks");
            assertEquals(0, ExecutorFeatureBudget.keptBytes());
            double[][] z = products.transposeTimes(w);
            oracle.check(w, z, oracle.times(products, z), TOLERANCE);
            assertEquals(0, OPEN.get(), "the copies read from the bytes keep nothing");
        }
        assertEquals(0, OPEN.get());
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    /**
     * A {@code MEMORY_AND_DISK} partition cached in memory is the store's (open, its bytes
     * counted); evicted, Spark writes it to disk and the store closes the object, and the copies
     * read back from disk keep nothing and still give the products. A guard (review32s): the
     * identity check must not take the disk copy for the object.
     */
    @Test
    void aPartitionEvictedToDiskIsClosedAndItsDiskCopyKeepsNothing() {
        double[][] w = oracle.weights(new Random(37));
        try (DistributedFeatureProducts products = products(StorageLevel.MEMORY_AND_DISK())) {
            assertEquals(BLOCKS, OPEN.get(), "cached in memory: the store's, open");
            assertEquals(ALL_BYTES, ExecutorFeatureBudget.keptBytes());
            double[][] z = products.transposeTimes(w);
            double[][] values = oracle.times(products, z);
            oracle.check(w, z, values, TOLERANCE);
            SparkEnv env = SparkEnv.get();
            for (int attempt = 0; attempt < 100 && inMemory(products) > 0; attempt++) {
                env.blockManager().memoryStore().evictBlocksToFreeSpace(scala.Option.empty(),
                        env.memoryManager().storageMemoryUsed(), MemoryMode.ON_HEAP);
            }
            assertEquals(0, inMemory(products), "every partition evicted from memory");
            assertEquals(grid.partitions(), cached(products), "every partition on disk");
            assertEquals(0, OPEN.get(), "the evicted objects closed by the store");
            assertEquals(0, ExecutorFeatureBudget.keptBytes());
            double[][] zAgain = products.transposeTimes(w);
            double[][] valuesAgain = oracle.times(products, zAgain);
            oracle.check(w, zAgain, valuesAgain, TOLERANCE);
            assertEquals(0, OPEN.get(), "the disk copies keep nothing");
        }
        assertEquals(0, OPEN.get());
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    /** Partitions of the features in this JVM's memory store. */
    private int inMemory(DistributedFeatureProducts products) {
        int n = 0;
        for (int p = 0; p < grid.partitions(); p++) {
            n += SparkEnv.get().blockManager().memoryStore()
                    .contains(new RDDBlockId(products.rddId(), p)) ? 1 : 0;
        }
        return n;
    }

    /**
     * Another object built for a block that the memory store holds (as a second task of the
     * same partition builds it: a stage's retry beside its zombie attempt) is closed at its
     * task's end, and the cached one is not: the check is by identity, on this executor's
     * store. Before, both were taken for cached, and the second stayed open.
     */
    @Test
    void onlyTheObjectTheStoreHoldsIsTakenForCached() {
        try (DistributedFeatureProducts products = products(StorageLevel.MEMORY_ONLY())) {
            assertEquals(BLOCKS, OPEN.get());
            RDDBlockId block = new RDDBlockId(products.rddId(), 0);
            FeatureChunks cached = (FeatureChunks) SparkEnv.get().blockManager().memoryStore()
                    .getValues(block).get().next();
            FeatureKeep cachedKeep = cached.keep();
            assertTrue(cachedKeep.kept() > 0, cachedKeep::toString);

            // Room for a second copy of the blocks (the budget held exactly one).
            System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY,
                    Long.toString(2 * ALL_BYTES));
            List<scala.Tuple2<Long, IndexedRow>> rows = new java.util.ArrayList<>();
            for (IndexedRow r : oracle.indexedRows()) {
                if (r.label() == 0 && r.local() < BLOCK) {
                    rows.add(new scala.Tuple2<>(grid.key(0, r.local()), r));
                }
            }
            FeatureChunks second = FeatureChunks.build(rows.iterator(), grid, maps,
                    ExecutorBackends.get(BACKEND), products.rddId(), 0);
            assertEquals(1, second.keep().kept());
            assertEquals(BLOCKS + 1, OPEN.get());

            cached.closeUnlessCached(block);
            assertEquals(BLOCKS + 1, OPEN.get(), "the cached partition stays open");
            second.closeUnlessCached(block);
            assertEquals(BLOCKS, OPEN.get(), "the second copy of the block is closed");
            assertEquals(ALL_BYTES, ExecutorFeatureBudget.keptBytes(), "the cached ones' bytes");
            assertEquals(cachedKeep, cached.keep());
        }
        assertEquals(0, OPEN.get());
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    @Test
    void aFailedBuildClosesWhatItBuilt() {
        FAIL_AT.set(BUILT.get() + 5);
        // A SparkException (checked, undeclared) naming the test's failure.
        Exception e = assertThrows(Exception.class,
                () -> products(StorageLevel.MEMORY_ONLY()).close());
        assertTrue(String.valueOf(e.getMessage()).contains("test: build"), e.toString());
        assertEquals(0, OPEN.get(), "the failed task's operators and the other partitions' closed");
        assertEquals(0, ExecutorFeatureBudget.keptBytes());
    }

    private DistributedFeatureProducts products(StorageLevel storage) {
        return new DistributedFeatureProducts(TestSpark.context(), synthetic, maps, grid, BACKEND,
                storage);
    }

    /**
     * Evicts every block of this JVM's memory store, as Spark does under memory pressure
     * ({@code MemoryStore.evictBlocksToFreeSpace}: the blocks not being read, oldest first,
     * until the space asked is free; here all of it), and checks the features' are gone. Spark
     * evicts nothing when it cannot free all the space asked, as when a destroyed broadcast is
     * still being removed (its write lock held) at that moment: then it tries again, a bounded
     * number of times.
     */
    private void evictEverything(DistributedFeatureProducts products) throws InterruptedException {
        SparkEnv env = SparkEnv.get();
        for (int attempt = 0; attempt < 100 && cached(products) > 0; attempt++) {
            long used = env.memoryManager().storageMemoryUsed();
            if (env.blockManager().memoryStore().evictBlocksToFreeSpace(scala.Option.empty(),
                    used, MemoryMode.ON_HEAP) == 0) {
                Thread.sleep(10);
            }
        }
        assertEquals(0, cached(products), "every partition of the features evicted");
    }

    /** Partitions of the features in this JVM's block manager. */
    private int cached(DistributedFeatureProducts products) {
        int n = 0;
        for (int p = 0; p < grid.partitions(); p++) {
            n += SparkEnv.get().blockManager().getStatus(new RDDBlockId(products.rddId(), p))
                    .isDefined() ? 1 : 0;
        }
        return n;
    }

    /** {@code inner} with its feature operators counted; the build {@link #FAIL_AT} throws. */
    private static KernelBackend counting(KernelBackend inner) {
        InvocationHandler backend = (proxy, method, args) -> {
            if (method.getName().equals("fourierFeatureOperator")) {
                int n = BUILT.incrementAndGet();
                if (n == FAIL_AT.get()) {
                    throw new IllegalStateException("test: build " + n + " fails");
                }
                FeatureOperator built = (FeatureOperator) forward(inner, method, args);
                OPEN.incrementAndGet();
                return countedClose(built);
            }
            return forward(inner, method, args);
        };
        return (KernelBackend) Proxy.newProxyInstance(FeatureLifetimeTest.class.getClassLoader(),
                new Class<?>[] {KernelBackend.class}, backend);
    }

    private static FeatureOperator countedClose(FeatureOperator built) {
        AtomicBoolean closed = new AtomicBoolean();
        InvocationHandler operator = (proxy, method, args) -> {
            if (method.getName().equals("close") && method.getParameterCount() == 0
                    && closed.compareAndSet(false, true)) {
                OPEN.decrementAndGet();
            }
            return forward(built, method, args);
        };
        return (FeatureOperator) Proxy.newProxyInstance(FeatureLifetimeTest.class.getClassLoader(),
                new Class<?>[] {FeatureOperator.class}, operator);
    }

    private static Object forward(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
