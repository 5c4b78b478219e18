package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.labelled.LabelMode;
import io.synalign.kernels.FourierFeatures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.JavaSerializer;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * What the fit ships through {@code spark.serializer} reads back under Kryo, with nothing
 * registered and with registration required and the job's registrations
 * ({@link KryoClasses}): each record (Kryo 4's field serializer cannot take a record's field
 * offsets, so before helper review31 every one failed, registered or not), the broadcast label
 * groups (whose immutable list of labels Kryo's collection serializer could not rebuild: found
 * on a cluster only, since local mode hands a broadcast's own object to its tasks) and maps, and
 * the arrays. Also the check that names every class a session requiring registration lacks.
 */
class KryoClassesTest {

    private static final ClassTag<Object> TAG = ClassTag$.MODULE$.AnyRef();

    private static Serializer kryo(String kind) {
        SparkConf conf = new SparkConf(false);
        return switch (kind) {
            case "plain" -> new KryoSerializer(conf);
            case "required" -> new KryoSerializer(conf
                    .set("spark.kryo.registrationRequired", "true")
                    .set(SynAlignSparkJob.KRYO_CLASSES, KryoClasses.withOurs("")));
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance instance, T value) {
        Object back = instance.deserialize(instance.serialize(value, TAG), TAG);
        assertNotSame(value, back);
        return (T) back;
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "required"})
    void everyShippedClassReadsBackUnderKryo(String kind) {
        SerializerInstance k = kryo(kind).newInstance();

        IndexedRow row = new IndexedRow(1L << 40, 3, 17, new float[] {1.5f, -0f, Float.NaN});
        IndexedRow rowBack = roundTrip(k, row);
        assertEquals(row.row(), rowBack.row());
        assertEquals(row.label(), rowBack.label());
        assertEquals(row.local(), rowBack.local());
        assertArrayEquals(row.vector(), rowBack.vector());
        Tuple2<Long, IndexedRow> keyed = roundTrip(k, new Tuple2<>(7L, row));
        assertEquals(7L, keyed._1());
        assertArrayEquals(row.vector(), keyed._2().vector(), "a shuffled (key, row)");

        for (String label : new String[] {"pos", null}) {
            EmbeddedRecord r = new EmbeddedRecord(label, new float[] {2f, 3f});
            EmbeddedRecord back = roundTrip(k, r);
            assertEquals(label, back.label(), "a record with label " + label);
            assertArrayEquals(r.vector(), back.vector());
        }

        FeatureChunks.ChunkSum sum = new FeatureChunks.ChunkSum(2, 5, new double[] {0.1, -2});
        FeatureChunks.ChunkSum sumBack = roundTrip(k, sum);
        assertEquals(List.of(2, 5), List.of(sumBack.label(), sumBack.index()));
        assertArrayEquals(sum.z(), sumBack.z());
        FeatureChunks.ChunkValues values = new FeatureChunks.ChunkValues(1, 270,
                new double[] {Math.PI});
        FeatureChunks.ChunkValues valuesBack = roundTrip(k, values);
        assertEquals(List.of(1, 270), List.of(valuesBack.label(), valuesBack.start()));
        assertArrayEquals(values.values(), valuesBack.values());
        assertEquals(new FeatureKeep(3, 4, 5L << 33), roundTrip(k, new FeatureKeep(3, 4,
                5L << 33)));
        assertEquals(new LabelGroups.Count(9, 1L << 35), roundTrip(k,
                new LabelGroups.Count(9, 1L << 35)));
        assertEquals(new DistributedSampler.Keyed(-0.25, 11), roundTrip(k,
                new DistributedSampler.Keyed(-0.25, 11)));

        Map<String, LabelGroups.Count> real = new LinkedHashMap<>();
        real.put("a", new LabelGroups.Count(4, 0));
        real.put("b", new LabelGroups.Count(2, 1));
        Map<String, LabelGroups.Count> synthetic = new LinkedHashMap<>();
        synthetic.put("b", new LabelGroups.Count(5, 0));
        synthetic.put("a", new LabelGroups.Count(3, 2));
        for (LabelMode mode : LabelMode.values()) {
            LabelGroups groups = LabelGroups.of(mode, true, real, synthetic, 42);
            LabelGroups back = roundTrip(k, groups);
            assertEquals(groups.labels(), back.labels(), mode + ": the labels");
            for (int l = 0; l < groups.size(); l++) {
                String what = mode + ", label " + l;
                assertEquals(l, back.id(groups.labels().get(l)), what);
                assertEquals(groups.realRows(l), back.realRows(l), what);
                assertEquals(groups.syntheticRows(l), back.syntheticRows(l), what);
                assertEquals(groups.targetShare(l), back.targetShare(l), what);
                assertEquals(groups.seed(l), back.seed(l), what);
            }
        }

        FeatureMaps maps = new FeatureMaps(3, 8, new double[] {1.5, 0, 0.7},
                new long[] {5, 6, 7}, new float[][] {{1, 2, 3}, null, null});
        maps.map(0); // its cache of drawn maps is not shipped
        FeatureMaps mapsBack = roundTrip(k, maps);
        assertEquals(maps.features(), mapsBack.features());
        assertEquals(maps.labels(), mapsBack.labels());
        for (int l : new int[] {0, 2}) {
            FourierFeatures a = maps.map(l);
            FourierFeatures b = mapsBack.map(l);
            assertArrayEquals(a.omega(), b.omega(), "label " + l + "'s map");
            assertArrayEquals(a.phase(), b.phase(), "label " + l + "'s map");
            assertEquals(maps.centred(l), mapsBack.centred(l));
        }
        assertTrue(!mapsBack.fitted(1));

        assertArrayEquals(new double[][] {{1, 2}, {}}, roundTrip(k, new double[][] {{1, 2}, {}}));
        assertArrayEquals(new float[][] {{1}, null}, roundTrip(k, new float[][] {{1}, null}));
        assertArrayEquals(new long[][] {{1L << 50}}, roundTrip(k, new long[][] {{1L << 50}}));
        assertArrayEquals(new int[][] {{3, 4}}, roundTrip(k, new int[][] {{3, 4}}));
    }

    /**
     * The records go through {@link KryoRecord} whether registered or not, and a record whose
     * canonical constructor refuses the values read fails naming the record.
     */
    @Test
    void recordsUseTheirOwnSerializerRegisteredOrNot() {
        for (String kind : new String[] {"plain", "required"}) {
            KryoSerializer serializer = (KryoSerializer) kryo(kind);
            for (Class<?> c : KryoClasses.SHIPPED) {
                if (c.isRecord()) {
                    assertInstanceOf(KryoRecord.class, serializer.newKryo().getSerializer(c),
                            kind + ": " + c.getName());
                }
            }
        }
        assertThrows(IllegalArgumentException.class,
                () -> new KryoRecord<>(null, (Class) FeatureMaps.class));
    }

    /**
     * A session requiring registration without the fit's classes (a {@link SynAlignWeighter}
     * in the user's pipeline) is refused before anything is shipped, naming every class it
     * lacks at once; every other serializer, and the job's registrations, pass.
     */
    @Test
    void aSessionRequiringRegistrationIsToldEveryClassItLacks() {
        KryoClasses.requireRegistered(new JavaSerializer(new SparkConf(false)));
        KryoClasses.requireRegistered(kryo("plain"));
        KryoClasses.requireRegistered(kryo("required"));

        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> KryoClasses.requireRegistered(new KryoSerializer(new SparkConf(false)
                        .set("spark.kryo.registrationRequired", "true"))));
        for (Class<?> c : KryoClasses.SHIPPED) {
            assertTrue(none.getMessage().contains(c.getName()), c + ": " + none.getMessage());
        }
        assertTrue(none.getMessage().contains("spark.kryo.classesToRegister"), none.getMessage());

        IllegalStateException some = assertThrows(IllegalStateException.class,
                () -> KryoClasses.requireRegistered(new KryoSerializer(new SparkConf(false)
                        .set("spark.kryo.registrationRequired", "true")
                        .set(SynAlignSparkJob.KRYO_CLASSES, FeatureChunks.class.getName()
                                + "," + IndexedRow.class.getName()))));
        String listed = some.getMessage().replaceFirst(".*no registration for ", "")
                .replaceFirst(", which .*", "");
        List<String> missing = KryoClasses.SHIPPED.stream().map(Class::getName)
                .filter(n -> !n.equals(FeatureChunks.class.getName())
                        && !n.equals(IndexedRow.class.getName())).toList();
        assertEquals(String.join(",", missing), listed, "only what is missing: "
                + some.getMessage());
    }

    /** The job's setting: the user's classes first, as given, then each of ours once. */
    @Test
    void theJobAddsItsClassesAfterTheUsersOnce() {
        String ours = String.join(",", KryoClasses.SHIPPED.stream().map(Class::getName).toList());
        assertEquals(ours, KryoClasses.withOurs(null));
        assertEquals(ours, KryoClasses.withOurs(" "));
        assertEquals("a.B,c.D," + ours, KryoClasses.withOurs("a.B,c.D"));
        String first = KryoClasses.SHIPPED.get(0).getName();
        String rest = ours.substring(first.length() + 1);
        assertEquals("a.B, " + first + "," + rest, KryoClasses.withOurs("a.B, " + first));
    }
}
