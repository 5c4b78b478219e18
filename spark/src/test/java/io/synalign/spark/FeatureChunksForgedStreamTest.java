package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A partition's serial form read from a forged or corrupt stream: every count and shape is
 * checked before anything is allocated for it, and the refusal names the bad value, as a
 * {@link KryoException} ({@link FeatureChunks.KryoForm}) or an {@link InvalidObjectException}
 * (Java serialization of {@link FeatureChunks.Served}). Before, a negative shape threw
 * {@code NegativeArraySizeException}, a huge count or shape an {@code OutOfMemoryError} or
 * {@code ArithmeticException}, and a block of no columns or a negative label was taken.
 */
class FeatureChunksForgedStreamTest {

    /** The bytes Kryo reads as a partition: name, block count, shapes, then floats. */
    private static byte[] kryoStream(String name, int blocks, int[] shape, int floats) {
        Output out = new Output(64, -1);
        out.writeString(name);
        out.writeInt(blocks, true);
        for (int v : shape) {
            out.writeInt(v);
        }
        for (int i = 0; i < floats; i++) {
            out.writeFloat(i);
        }
        return out.toBytes();
    }

    private static FeatureChunks readKryo(byte[] bytes) {
        return new FeatureChunks.KryoForm().read(new Kryo(), new Input(bytes), FeatureChunks.class);
    }

    private static void assertKryoRefuses(byte[] bytes, String... named) {
        KryoException e = assertThrows(KryoException.class, () -> readKryo(bytes));
        for (String part : named) {
            assertTrue(e.getMessage().contains(part), "'" + part + "' in " + e.getMessage());
        }
    }

    @Test
    void aKryoStreamWithAShapeOutOfRangeIsRefusedNamingIt() {
        // A good stream first: 2 x 3 rows of label 1, block 0.
        try (FeatureChunks good = readKryo(kryoStream("rdd_4_0", 1, new int[] {1, 0, 0, 2, 3},
                6))) {
            assertEquals(new FeatureKeep(0, 1, 0), good.keep());
        }
        assertKryoRefuses(kryoStream("rdd_4_0", -1, new int[0], 0), "rdd_4_0", "-1 blocks");
        assertKryoRefuses(kryoStream("rdd_4_0", Integer.MAX_VALUE, new int[] {0, 0, 0, 2, 3}, 6),
                "2147483647 blocks (0 to " + FeatureChunks.Served.MAX_BLOCKS + ")");
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {0, 0, 0, -3, 4}, 0),
                "block 0: -3 rows x 4 columns");
        assertKryoRefuses(kryoStream("rdd_4_0", 2, new int[] {0, 0, 0, 2, 3, 0, 1, 2, 5, 0}, 6),
                "block 1: 5 rows x 0 columns");
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {0, 0, 0, 65_536, 65_536}, 0),
                "65536 rows x 65536 columns", "at most " + FeatureChunks.Served.MAX_ARRAY);
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {0, 0, 0, 50_000, 50_000}, 0),
                "50000 rows x 50000 columns");
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {-1, 0, 0, 2, 3}, 6), "label -1");
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {0, -2, 0, 2, 3}, 6), "index -2");
        assertKryoRefuses(kryoStream("rdd_4_0", 1, new int[] {0, 0, -7, 2, 3}, 6),
                "first row -7");
    }

    /**
     * A count within range that the stream does not back ends at the stream's end, named,
     * without an allocation of that size (400 million blocks' shapes would be 8 GB).
     */
    @Test
    void aBlockCountTheStreamDoesNotBackEndsAtItsEnd() {
        assertKryoRefuses(kryoStream("rdd_4_1", 400_000_000, new int[] {0, 0, 0, 2, 3}, 0),
                "rdd_4_1: the stream ends in block 1's shape, of 400000000 blocks");
    }

    private static Object readJava(FeatureChunks.Served form) throws IOException,
            ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(form);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(
                bytes.toByteArray()))) {
            return in.readObject();
        }
    }

    @Test
    void aJavaStreamWithAShapeOutOfRangeIsRefusedNamingIt() throws Exception {
        Object good = readJava(new FeatureChunks.Served("rdd_5_0", new int[] {1, 0, 0, 2, 3},
                new float[][][] {{new float[6]}}));
        try (FeatureChunks partition = (FeatureChunks) good) {
            assertEquals(new FeatureKeep(0, 1, 0), partition.keep());
        }
        Consumer<Object[]> refused = c -> {
            InvalidObjectException e = assertThrows(InvalidObjectException.class,
                    () -> readJava(new FeatureChunks.Served("rdd_5_0", (int[]) c[0],
                            (float[][][]) c[1])));
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
        };
        refused.accept(new Object[] {new int[] {0, 0, 0, -3, 4},
            new float[][][] {{new float[0]}},
            "block 0: -3 rows x 4 columns"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 5, 0},
            new float[][][] {{new float[0]}},
            "block 0: 5 rows x 0 columns"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 65_536, 65_536},
            new float[][][] {{new float[1]}}, "65536 rows x 65536 columns"});
        refused.accept(new Object[] {new int[] {-1, 0, 0, 2, 3},
            new float[][][] {{new float[6]}},
            "label -1"});
        // Pieces (helper sparkblock35): the values in all, then the pieces' rows.
        refused.accept(new Object[] {new int[] {0, 0, 0, 3, 2},
            new float[][][] {{new float[2], new float[4]}}, "2 pieces of 2 values first"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 5, 2},
            new float[][][] {{new float[4], new float[2], new float[4]}},
            "piece 1 holds 2 values where 2 rows of 2 a piece belong"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 2, 3},
            new float[][][] {{new float[6], null}}, "a missing piece"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 2, 3},
            new float[][][] {{new float[5]}},
            "2 x 3 rows but 5 values"});
        refused.accept(new Object[] {new int[] {0, 0, 0, 2}, new float[][][] {{new float[6]}},
            "4 shape values for 1 blocks"});
    }
}
