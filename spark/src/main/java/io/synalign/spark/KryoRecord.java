package io.synalign.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Kryo's serializer of the records the fit ships ({@link KryoClasses}): each component in
 * declaration order, with its class ({@code writeClassAndObject}: nulls and the boxed primitives,
 * strings and primitive arrays Kryo and Spark register), read back through the canonical
 * constructor. Named by each record's {@code @DefaultSerializer}, so used whether or not the
 * application registers the record.
 *
 * <p>Why: Kryo 4 (what Spark 4.1 ships) serializes a class it has no serializer for with its
 * {@code FieldSerializer}, which takes every field's offset from {@code Unsafe}, and the JDK
 * refuses a record's ("can't get field offset on a record class"). So under
 * {@code spark.serializer=KryoSerializer}, registration required or not, the job failed on the
 * first record it shipped, reported as "--real ...: cannot be read as JSON Lines" (helper
 * review31). Kryo's own {@code JavaSerializer} would work too, but opens an
 * {@code ObjectOutputStream} per shuffled row. Cost per record: its components' bytes plus a
 * byte or two of class id each; reflection through the accessors and the constructor.
 *
 * <p>Public, with a public constructor: Kryo makes it by reflection.
 */
public final class KryoRecord<T extends Record> extends Serializer<T> {

    private final Method[] accessors;
    private final Constructor<T> constructor;

    /**
     * @param kryo the Kryo instance (unused: the constructor Kryo looks for first)
     * @param type the record class
     * @throws IllegalArgumentException when {@code type} is not a record
     */
    public KryoRecord(Kryo kryo, Class<T> type) {
        RecordComponent[] components = type.getRecordComponents();
        if (components == null) {
            throw new IllegalArgumentException(type.getName() + " is not a record");
        }
        accessors = new Method[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            accessors[i] = components[i].getAccessor();
            accessors[i].setAccessible(true); // records nested in package-private classes
            types[i] = components[i].getType();
        }
        try {
            constructor = type.getDeclaredConstructor(types);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(type.getName() + " has no canonical constructor",
                    e);
        }
        constructor.setAccessible(true);
    }

    @Override
    public void write(Kryo kryo, Output out, T record) {
        for (Method accessor : accessors) {
            Object value;
            try {
                value = accessor.invoke(record);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new KryoException("reading " + accessor + " of a "
                        + record.getClass().getName(), e);
            }
            kryo.writeClassAndObject(out, value);
        }
    }

    @Override
    public T read(Kryo kryo, Input in, Class<T> type) {
        Object[] values = new Object[accessors.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = kryo.readClassAndObject(in);
        }
        try {
            return constructor.newInstance(values);
        } catch (InstantiationException | IllegalAccessException e) {
            throw new KryoException("making a " + type.getName(), e);
        } catch (InvocationTargetException e) {
            // The record's own check refused the values read: a corrupt or foreign stream.
            throw new KryoException("making a " + type.getName() + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
    }
}
