package io.synalign.spark;

import com.esotericsoftware.kryo.Kryo;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.Serializer;

/**
 * The classes the fit ships through the application's {@code spark.serializer}, which the job
 * registers for Kryo ({@code spark.kryo.classesToRegister}), so that a session with
 * {@code spark.kryo.registrationRequired=true} runs the fit. What goes through that serializer
 * (closures and task descriptions use Java serialization whatever it is): parallelized and
 * shuffled records ({@link EmbeddedRecord}, {@link IndexedRow} keyed by {@code Long}), the
 * broadcasts ({@link FeatureMaps}, weights {@code double[][]}, picks {@code long[][]} and
 * {@code int[][]}, ...), every task's result ({@link FeatureChunks.ChunkSum}, {@link FeatureChunks.ChunkValues}, {@link FeatureKeep},
 * {@link LabelGroups.Count}, the sampler's {@link DistributedSampler.Keyed}) and a cached
 * partition of features served to another executor ({@link FeatureChunks}). Spark registers the
 * primitive arrays, boxed numbers, strings and Scala's tuples and collections itself.
 *
 * <p>Found by running a fit with registration required ({@code KryoRegistrationRequiredTest})
 * until nothing failed: before helper review31 the job registered {@link FeatureChunks} alone,
 * and such a fit failed on the first record it parallelized. Spark SQL's own classes (a JSON
 * schema's {@code ArrayType}, in the task results of schema inference) are not listed: Spark
 * does not register them either, so a session that requires registration registers them for
 * any Spark SQL job.
 */
final class KryoClasses {

    /** The classes, registered in this order after the user's. */
    static final List<Class<?>> SHIPPED = List.of(
            FeatureChunks.class,
            EmbeddedRecord.class,
            IndexedRow.class,
            FeatureMaps.class,
            FeatureChunks.ChunkSum.class,
            FeatureChunks.ChunkValues.class,
            FeatureKeep.class,
            LabelGroups.class,
            LabelGroups.Count.class,
            DistributedSampler.Keyed.class,
            double[][].class,
            float[][].class,
            long[][].class,
            int[][].class);

    private KryoClasses() {
    }

    /**
     * Refuses, before a fit ships anything, an application serializer that is Kryo with
     * {@code spark.kryo.registrationRequired=true} and lacks any of {@link #SHIPPED}: a session
     * the job did not make (a {@link SynAlignWeighter} in the user's pipeline). Without this the
     * fit failed on the first class shipped, then on the next once that was registered, one
     * class per attempt. Cost: one Kryo instance as Spark configures it (milliseconds), once per
     * fit; nothing for another serializer.
     *
     * @param serializer the application's {@code spark.serializer} ({@code SparkEnv.serializer})
     * @throws IllegalStateException naming the classes not registered, as the setting takes them
     */
    static void requireRegistered(Serializer serializer) {
        if (!(serializer instanceof KryoSerializer kryo)) {
            return;
        }
        Kryo instance = kryo.newKryo();
        if (!instance.isRegistrationRequired()) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (Class<?> c : SHIPPED) {
            if (instance.getClassResolver().getRegistration(c) == null) {
                missing.add(c.getName());
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("spark.kryo.registrationRequired=true, but Kryo has"
                    + " no registration for " + String.join(",", missing) + ", which synalign's"
                    + " fit ships through spark.serializer; add them to"
                    + " spark.kryo.classesToRegister (the synalign job's own session registers"
                    + " them)");
        }
    }

    /**
     * {@code spark.kryo.classesToRegister} with {@link #SHIPPED} added after the user's classes,
     * each once (one the user lists already keeps its place). Spark registers the whole list, so
     * the user's classes keep their ids; with registration not required it only saves the class
     * names in what is shipped.
     *
     * @param classes the value set so far ({@code null} or blank: none)
     */
    static String withOurs(String classes) {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        StringBuilder out = new StringBuilder(classes == null ? "" : classes.strip());
        if (classes != null) {
            for (String c : classes.split(",")) {
                names.add(c.trim());
            }
        }
        for (Class<?> c : SHIPPED) {
            if (names.add(c.getName())) {
                out.append(out.length() == 0 ? "" : ",").append(c.getName());
            }
        }
        return out.toString();
    }
}
