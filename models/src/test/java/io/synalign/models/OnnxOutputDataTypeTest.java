package io.synalign.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.synalign.kernels.FloatMatrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model folder whose {@code last_hidden_state} is float16 failed with "last_hidden_state has
 * shape (3, 26, 8), expected (3, 26, 4)" (its bytes were read as float32). The model here is one
 * Gather from an embedding table (made in memory, after the reviewer's
 * {@code /tmp/rv-embed/gen/mk.py}): its vectors are mean-pooled table rows, so every data type
 * with the same values must give the float32 model's vectors.
 */
class OnnxOutputDataTypeTest {

    /** ONNX TensorProto.DataType codes. */
    private static final int FLOAT = 1;
    private static final int FLOAT16 = 10;
    private static final int DOUBLE = 11;
    private static final int BFLOAT16 = 16;

    private static final int VOCAB = 30522; // the bundled minilm tokenizer's ids
    private static final int DIM = 4;

    @TempDir
    Path dir;

    @Test
    void float16Bfloat16AndFloat64OutputsGiveTheFloat32Vectors() throws IOException {
        // Multiples of 1/8 in [-8, 8]: exact in every one of the four types.
        Random random = new Random(5);
        float[] table = new float[VOCAB * DIM];
        for (int i = 0; i < table.length; i++) {
            table[i] = (random.nextInt(129) - 64) / 8f;
        }
        List<String> texts = List.of("the cat sleeps", "", "a longer text about alignment");
        FloatMatrix want = encode("f32", FLOAT, table, texts);
        for (int type : new int[] {FLOAT16, BFLOAT16, DOUBLE}) {
            FloatMatrix got = encode("t" + type, type, table, texts);
            assertArrayEquals(want.data(), got.data(), "ONNX data type " + type);
        }
    }

    @Test
    void halfToFloatIsExact() {
        assertEquals(1.0f, OnnxSentenceEncoder.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, OnnxSentenceEncoder.halfToFloat((short) 0xc000));
        assertEquals(65504f, OnnxSentenceEncoder.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, OnnxSentenceEncoder.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, OnnxSentenceEncoder.halfToFloat((short) 0x0400));
        assertEquals(-0.0f, OnnxSentenceEncoder.halfToFloat((short) 0x8000));
        assertEquals(Float.POSITIVE_INFINITY, OnnxSentenceEncoder.halfToFloat((short) 0x7c00));
        assertEquals(Float.NaN, OnnxSentenceEncoder.halfToFloat((short) 0x7e00));
        assertEquals(0.333251953125f, OnnxSentenceEncoder.halfToFloat((short) 0x3555));
    }

    private FloatMatrix encode(String name, int type, float[] table, List<String> texts)
            throws IOException {
        Path model = Files.createDirectories(dir.resolve(name));
        Files.write(model.resolve("model.onnx"), gatherModel(type, table));
        Files.write(model.resolve("tokenizer.json"), ModelSpec.minilm().source().readTokenizer());
        try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load(ModelSpec.directory(model),
                EncoderOptions.defaults())) {
            assertEquals(DIM, encoder.dimension());
            return encoder.encode(texts);
        }
    }

    // ------------------------------------------------------------ a minimal protobuf writer

    /** The table's values in ONNX type {@code type}, little-endian (raw_data). */
    private static byte[] raw(int type, float[] table) {
        int width = type == DOUBLE ? 8 : type == FLOAT ? 4 : 2;
        ByteBuffer b = ByteBuffer.allocate(table.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : table) {
            int bits = Float.floatToIntBits(v);
            switch (type) {
                case FLOAT -> b.putFloat(v);
                case DOUBLE -> b.putDouble(v);
                case BFLOAT16 -> b.putShort((short) (bits >>> 16)); // v has no lower bits
                default -> b.putShort(half(v));
            }
        }
        return b.array();
    }

    /** float16 bits of a normal (or zero) float whose significand fits 10 bits. */
    private static short half(float v) {
        if (v == 0) {
            return 0;
        }
        int bits = Float.floatToIntBits(v);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = Math.getExponent(v) + 15;
        return (short) (sign | exponent << 10 | (bits >>> 13) & 0x3ff);
    }

    private static byte[] gatherModel(int type, float[] table) {
        byte[] init = concat(varintField(1, VOCAB), varintField(1, DIM), varintField(2, type),
                bytesField(8, "emb"), bytesField(9, raw(type, table)));
        byte[] node = concat(bytesField(1, "emb"), bytesField(1, "input_ids"),
                bytesField(2, "last_hidden_state"), bytesField(3, "g"),
                bytesField(4, "Gather"));
        byte[] graph = concat(bytesField(1, node), bytesField(2, "g"), bytesField(5, init),
                bytesField(11, valueInfo("input_ids", 7, "b", "s")),
                bytesField(11, valueInfo("attention_mask", 7, "b", "s")),
                bytesField(12, valueInfo("last_hidden_state", type, "b", "s", DIM)));
        byte[] opset = concat(bytesField(1, ""), varintField(2, 17));
        return concat(varintField(1, 8), bytesField(2, "test"), bytesField(7, graph),
                bytesField(8, opset));
    }

    /** A tensor ValueInfoProto; dims are names (String) or sizes (Integer). */
    private static byte[] valueInfo(String name, int elemType, Object... dims) {
        ByteArrayOutputStream shape = new ByteArrayOutputStream();
        for (Object d : dims) {
            shape.writeBytes(bytesField(1, d instanceof Integer i ? varintField(1, i)
                    : bytesField(2, (String) d)));
        }
        byte[] tensor = concat(varintField(1, elemType), bytesField(2, shape.toByteArray()));
        return concat(bytesField(1, name), bytesField(2, bytesField(1, tensor)));
    }

    private static byte[] varint(long n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((n & ~0x7fL) != 0) {
            out.write((int) (n & 0x7f) | 0x80);
            n >>>= 7;
        }
        out.write((int) n);
        return out.toByteArray();
    }

    private static byte[] varintField(int field, long value) {
        return concat(varint((long) field << 3), varint(value));
    }

    private static byte[] bytesField(int field, String value) {
        return bytesField(field, value.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytesField(int field, byte[] value) {
        return concat(varint((long) field << 3 | 2), varint(value.length), value);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
