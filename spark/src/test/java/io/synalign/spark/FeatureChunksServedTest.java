package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.apache.spark.storage.BlockData;
import org.apache.spark.storage.BlockManager;
import org.apache.spark.storage.RDDBlockId;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Option;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * A cached partition of features that another executor fetches (a task run off its executor
 * after {@code spark.locality.wait}) is served: the serving executor serializes it, with
 * whichever serializer the application set, to its blocks' rows, and the copy the fetching
 * executor reads back rebuilds every block from them for each product, giving the original's
 * products bit for bit. Serving neither closes the original nor touches the executor's feature
 * budget, and closing the copy frees nothing of the original's. Before, the partition could not
 * be serialized: Spark's {@code BlockManager.getLocalBytes} threw after taking the block's read
 * lock and never released it, so the block could never be removed (a blocking unpersist waited
 * for {@code spark.rpc.askTimeout}), and Kryo's field serializer failed on it the same way.
 *
 * <p>Two labels of awkward sizes: 300 rows in blocks of 270 (so one nd4j block of 256 rows and
 * a ragged one inside the first block) and 31 rows in blocks of 7.
 */
class FeatureChunksServedTest {

    private static final int DIM = 7;
    private static final int FEATURES = 40;
    private static final int[] ROWS = {300, 31};
    private static final int[] BLOCK = {270, 7};
    private static final int BLOCKS = 2 + 5;
    private static final long ALL_BYTES = 4L * (300 + 31) * FEATURES;

    /**
     * The float32 bound every backend meets ({@link io.synalign.kernels.FeatureOperator}):
     * {@code 1e-5} of {@code |Phi|^T |w|} per entry, plus a little for the double sum.
     */
    private static final FeatureProductsOracle.Tolerance TOLERANCE =
            FeatureProductsOracle.float32Bound(1e-5, 1e-12);

    private SavedProperty budgetBefore;
    private FeatureMaps maps;
    private RowBlocks grid;
    private FeatureProductsOracle oracle;

    @BeforeEach
    void setUp() {
        budgetBefore = SavedProperty.featureBudget();
        float[][][] data = FeatureProductsOracle.gaussianRows(new Random(31), ROWS, DIM, 0.5);
        maps = new FeatureMaps(DIM, FEATURES, new double[] {1.7, 0.9}, new long[] {41, 42});
        grid = RowBlocks.of(ROWS, l -> BLOCK[l], 3);
        oracle = new FeatureProductsOracle(data, maps);
        assertEquals(0, ExecutorFeatureBudget.keptBytes(), "no fit keeps anything before");
    }

    @AfterEach
    void restore() {
        budgetBefore.restore();
    }

    /**
     * The path Spark takes to serve a cached block to another executor
     * ({@code NettyBlockRpcServer} to {@code BlockManager.getLocalBlockData} to
     * {@code getLocalBytes}, which takes the read lock and serializes the values with the
     * application's serializer: Java's here), for every partition, half the blocks kept: it
     * serves, the lock is released with the buffer, the copies give the fit's products bit for
     * bit, the budget is as it was, and the fit's end ({@code unpersist(true)}) closes every kept
     * block. On the old code the first serve threw {@code NotSerializableException} and left one
     * reader on the block (released here, so that the test's own unpersist does not wait 120 s).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "nd4j"})
    void aCachedPartitionServedToAnotherExecutorReleasesItsLockAndGivesTheSameProducts(
            String backend) {
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(ALL_BYTES / 2));
        List<IndexedRow> rows = oracle.indexedRows();
        Collections.shuffle(rows, new Random(32));
        JavaSparkContext context = TestSpark.context();
        BlockManager manager = SparkEnv.get().blockManager();
        List<FeatureChunks> copies = new ArrayList<>();
        try (DistributedFeatureProducts products = new DistributedFeatureProducts(context,
                context.parallelize(rows, 4), maps, grid, backend, StorageLevel.MEMORY_ONLY())) {
            FeatureKeep keep = products.keep();
            assertTrue(keep.kept() > 0 && keep.rebuilt() > 0, "a mix of kept and rebuilt: " + keep);
            long kept = ExecutorFeatureBudget.keptBytes();
            assertEquals(keep.keptBytes(), kept);
            double[][] w = oracle.weights(new Random(33));
            double[][] z = products.transposeTimes(w);
            double[][] values = oracle.times(products, z);
            oracle.check(w, z, values, TOLERANCE);

            for (int p = 0; p < grid.partitions(); p++) {
                RDDBlockId block = new RDDBlockId(products.rddId(), p);
                assertTrue(manager.getStatus(block).isDefined(), block + " is cached");
                copies.add(serve(manager, block));
            }
            assertEquals(kept, ExecutorFeatureBudget.keptBytes(), "serving keeps nothing more");

            FeatureKeep copied = FeatureKeep.NONE;
            List<FeatureChunks.ChunkSum> sums = new ArrayList<>();
            List<FeatureChunks.ChunkValues> parts = new ArrayList<>();
            try (KernelBackend own = KernelBackends.create(backend)) {
                for (FeatureChunks copy : copies) {
                    copied = copied.plus(copy.keep());
                    sums.addAll(copy.transposeTimes(w, FEATURES, maps, own));
                    parts.addAll(copy.times(z, maps, own));
                }
            }
            assertEquals(new FeatureKeep(0, BLOCKS, 0), copied,
                    "a copy keeps no operator: it rebuilds every block from its rows");
            double[][] zCopy = assemble(sums, w);
            double[][] valuesCopy = values(parts);
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(z[l], zCopy[l], 0.0, "Phi^T w of label " + l + ": same bits");
                assertArrayEquals(values[l], valuesCopy[l], 0.0, "Phi z of label " + l);
            }

            for (FeatureChunks copy : copies) {
                copy.close();
            }
            assertEquals(kept, ExecutorFeatureBudget.keptBytes(),
                    "closing the copies gives back nothing of the originals'");
            double[][] again = products.transposeTimes(w);
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(z[l], again[l], 0.0, "the originals still serve, label " + l);
            }
        }
        assertEquals(0, ExecutorFeatureBudget.keptBytes(), "the fit's end closed every kept block");
    }

    /**
     * One partition served as Spark serves it to another executor: its bytes deserialized as the
     * fetching executor does, the read lock released with the buffer. A serve that throws fails
     * the test, after releasing the lock it left.
     */
    private static FeatureChunks serve(BlockManager manager, RDDBlockId block) {
        Option<BlockData> served;
        try {
            served = manager.getLocalBytes(block);
        } catch (Exception | Error e) {
            // Exception: Spark throws the serializer's NotSerializableException, checked,
            // undeclared.
            int readers = readers(manager, block);
            for (int r = 0; r < readers; r++) {
                manager.blockInfoManager().unlock(block, Option.empty());
            }
            fail("serving " + block + " threw " + e + " and left " + readers + " read locks", e);
            return null;
        }
        assertTrue(served.isDefined(), block + " served");
        assertEquals(1, readers(manager, block), "the serve holds the read lock until released");
        FeatureChunks copy;
        try {
            ClassTag<Object> tag = ClassTag$.MODULE$.AnyRef();
            scala.collection.Iterator<Object> values = SparkEnv.get().serializerManager()
                    .dataDeserializeStream(block, served.get().toInputStream(), tag);
            copy = (FeatureChunks) values.next();
            assertTrue(!values.hasNext(), "one element per partition");
        } finally {
            manager.releaseLockAndDispose(block, served.get(), Option.empty());
        }
        assertEquals(0, readers(manager, block), "the read lock released with the buffer");
        return copy;
    }

    private static int readers(BlockManager manager, RDDBlockId block) {
        return manager.blockInfoManager().get(block).get().readerCount();
    }

    static List<Arguments> serializersAndBackends() {
        List<Arguments> out = new ArrayList<>();
        for (String backend : new String[] {"reference", "nd4j"}) {
            for (String serializer : new String[] {"java", "kryo", "kryo-registered",
                    "kryo-registration-required"}) {
                for (String keep : new String[] {"all", "none", "mixed"}) {
                    out.add(Arguments.of(backend, serializer, keep));
                }
            }
        }
        return out;
    }

    /**
     * One partition holding both labels, built outside Spark with every block kept, none, or
     * some, sent through a serializer as Spark's block manager would send it: the copy keeps no
     * operator and gives the original's products bit for bit (both checked against features
     * computed here in double); neither serializing nor closing the copy changes the executor's
     * budget, and the original stays open and gives the same products after the copy is closed.
     * {@code kryo}: Spark's {@code KryoSerializer} as configured by default (no registration);
     * {@code kryo-registered}: with {@code FeatureChunks} in {@code spark.kryo.classesToRegister}
     * (as the job sets it); {@code kryo-registration-required}: that and
     * {@code spark.kryo.registrationRequired=true}.
     */
    @ParameterizedTest(name = "{0}, {1}, {2} kept")
    @MethodSource("serializersAndBackends")
    void aPartitionRoundTripsThroughEachSerializerToACopyWithTheSameProducts(String backendName,
            String serializer, String keep) {
        long budget = switch (keep) {
            case "all" -> 1L << 40;
            case "none" -> 0;
            // The first block of label 0 (270 rows) and a few of label 1's.
            default -> 4L * (270 + 3 * 7) * FEATURES;
        };
        System.setProperty(MmdWeightLearner.FEATURE_BUDGET_PROPERTY, Long.toString(budget));
        try (KernelBackend backend = KernelBackends.create(backendName);
                FeatureChunks original = FeatureChunks.build(shuffledRows().iterator(), grid,
                        maps, backend, -1, 0)) {
            FeatureKeep kept = original.keep();
            assertEquals(BLOCKS, kept.kept() + kept.rebuilt());
            switch (keep) {
                case "all" -> assertEquals(0, kept.rebuilt(), kept.toString());
                case "none" -> assertEquals(0, kept.kept(), kept.toString());
                default -> assertTrue(kept.kept() > 0 && kept.rebuilt() > 0, kept.toString());
            }
            long budgetKept = ExecutorFeatureBudget.keptBytes();
            assertEquals(kept.keptBytes(), budgetKept);
            double[][] w = oracle.weights(new Random(34));
            double[][] z = assemble(original.transposeTimes(w, FEATURES, maps, backend), w);
            double[][] values = values(original.times(z, maps, backend));
            oracle.check(w, z, values, TOLERANCE);

            Serializer chosen = serializer(serializer);
            if (chosen instanceof KryoSerializer kryo) {
                assertInstanceOf(FeatureChunks.KryoForm.class,
                        kryo.newKryo().getSerializer(FeatureChunks.class),
                        "Kryo writes the partition with its own form, registered or not");
            }
            SerializerInstance instance = chosen.newInstance();
            ClassTag<Object> tag = ClassTag$.MODULE$.AnyRef();
            ByteBuffer bytes = instance.serialize(original, tag);
            assertTrue(bytes.remaining() >= 4L * (300 + 31) * DIM,
                    "the form carries the rows: " + bytes.remaining() + " bytes");
            FeatureChunks copy = (FeatureChunks) instance.deserialize(bytes, tag);
            assertNotSame(original, copy);
            assertEquals(budgetKept, ExecutorFeatureBudget.keptBytes(),
                    "serializing and reading back keep nothing more");
            assertEquals(new FeatureKeep(0, BLOCKS, 0), copy.keep(),
                    "the copy keeps no operator (no native memory of the serving executor)");
            double[][] zCopy = assemble(copy.transposeTimes(w, FEATURES, maps, backend), w);
            double[][] valuesCopy = values(copy.times(z, maps, backend));
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(z[l], zCopy[l], 0.0, "Phi^T w of label " + l + ": same bits");
                assertArrayEquals(values[l], valuesCopy[l], 0.0, "Phi z of label " + l);
            }
            copy.close();
            assertEquals(budgetKept, ExecutorFeatureBudget.keptBytes(),
                    "closing the copy gives back nothing of the original's");
            double[][] again = assemble(original.transposeTimes(w, FEATURES, maps, backend), w);
            for (int l = 0; l < ROWS.length; l++) {
                assertArrayEquals(z[l], again[l], 0.0, "the original still serves, label " + l);
            }
        }
        assertEquals(0, ExecutorFeatureBudget.keptBytes(), "closing the original frees its own");
    }

    /**
     * The fit's check before it caches anything: every serializer of the cases above serves a
     * partition; Kryo with registration required and the class not registered (a session the
     * job did not make) is refused, naming the setting and the class to add.
     */
    @Test
    void aSerializerThatCannotServeAPartitionIsRefusedNamingTheClassToRegister() {
        for (String name : new String[] {"java", "kryo", "kryo-registered",
                "kryo-registration-required"}) {
            FeatureChunks.requireServable(serializer(name));
        }
        Serializer unregistered = new KryoSerializer(new SparkConf(false)
                .set("spark.kryo.registrationRequired", "true"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> FeatureChunks.requireServable(unregistered));
        assertTrue(e.getMessage().contains("spark.kryo.classesToRegister")
                && e.getMessage().contains("io.synalign.spark.FeatureChunks")
                && e.getMessage().contains(KryoSerializer.class.getName()), e.getMessage());
    }

    /** The serializers of the cases (see the test's javadoc). */
    static Serializer serializer(String name) {
        SparkConf conf = new SparkConf(false);
        return switch (name) {
            case "java" -> new JavaSerializer(conf);
            case "kryo" -> new KryoSerializer(conf);
            case "kryo-registered" -> new KryoSerializer(conf.set("spark.kryo.classesToRegister",
                    FeatureChunks.class.getName()));
            case "kryo-registration-required" -> new KryoSerializer(conf
                    .set("spark.kryo.classesToRegister", FeatureChunks.class.getName())
                    .set("spark.kryo.registrationRequired", "true"));
            default -> throw new IllegalArgumentException("no serializer " + name);
        };
    }

    /** Both labels' rows, keyed by block and shuffled, as the partitioner hands them over. */
    private List<Tuple2<Long, IndexedRow>> shuffledRows() {
        List<Tuple2<Long, IndexedRow>> out = new ArrayList<>();
        for (IndexedRow row : oracle.indexedRows()) {
            out.add(new Tuple2<>(grid.key(row.label(), row.local()), row));
        }
        Collections.shuffle(out, new Random(35));
        return out;
    }

    private double[][] assemble(List<FeatureChunks.ChunkSum> sums, double[][] w) {
        return DistributedFeatureProducts.inBlockOrder(sums, w, ROWS.length, FEATURES, grid);
    }

    private static double[][] values(List<FeatureChunks.ChunkValues> parts) {
        double[][] out = new double[ROWS.length][];
        for (int l = 0; l < ROWS.length; l++) {
            out[l] = new double[ROWS[l]];
        }
        int[] written = new int[ROWS.length];
        for (FeatureChunks.ChunkValues part : parts) {
            System.arraycopy(part.values(), 0, out[part.label()], part.start(),
                    part.values().length);
            written[part.label()] += part.values().length;
        }
        assertArrayEquals(ROWS, written, "every row's value once");
        return out;
    }
}
