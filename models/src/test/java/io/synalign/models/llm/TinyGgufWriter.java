package io.synalign.models.llm;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes a tiny random-weight llama-architecture model as a GGUF v3 file, so the GGUF backend
 * is tested with no model download. The output of such a model is meaningless; constrained
 * decoding still makes it parse.
 *
 * <p>Format (GGUF v3, little-endian, as in ggml's {@code docs/gguf.md}): magic {@code GGUF},
 * version 3, tensor count (u64), metadata count (u64); the metadata key/values (string key,
 * u32 type, value; arrays as element type, u64 count, elements); the tensor infos (name, u32
 * n_dims, u64 dims with the fastest-varying first, u32 ggml type, u64 offset into the data
 * section); padding to {@code general.alignment} (32); the tensor data, each tensor aligned.
 *
 * <p>Model: SentencePiece-style ("llama") vocabulary of {@code <unk>}, {@code <s>}, {@code </s>}
 * and the 256 byte-fallback tokens {@code <0x00>..<0xFF>}, so any text (JSON included) can be
 * spelled one byte per token; all tensors F32 with N(0, 0.02^2) weights (norms 1).
 */
public final class TinyGgufWriter {

    private static final int ALIGNMENT = 32;
    private static final int T_UINT32 = 4;
    private static final int T_INT32 = 5;
    private static final int T_FLOAT32 = 6;
    private static final int T_STRING = 8;
    private static final int T_ARRAY = 9;
    private static final int GGML_TYPE_F32 = 0;
    /** llama.cpp token types. */
    private static final int TOKEN_NORMAL = 1;
    private static final int TOKEN_UNKNOWN = 2;
    private static final int TOKEN_CONTROL = 3;
    private static final int TOKEN_BYTE = 6;

    /** Model sizes. */
    public record Spec(int layers, int embd, int heads, int ff, int context, long seed, String chatTemplate) {
        public static Spec tiny(long seed) {
            return new Spec(2, 64, 4, 128, 4096, seed, null);
        }
    }

    private TinyGgufWriter() {
    }

    /** Writes the model of {@code spec} to {@code file}. */
    public static Path write(Path file, Spec spec) throws IOException {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        tokens.add("<unk>");
        types.add(TOKEN_UNKNOWN);
        tokens.add("<s>");
        types.add(TOKEN_CONTROL);
        tokens.add("</s>");
        types.add(TOKEN_CONTROL);
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(TOKEN_BYTE);
        }
        // One normal token, the SentencePiece space, so escaped spaces are not byte triples.
        tokens.add("\u2581");
        types.add(TOKEN_NORMAL);
        int vocab = tokens.size();

        Random rnd = new Random(spec.seed());
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(Tensor.random("token_embd.weight", rnd, spec.embd(), vocab));
        tensors.add(Tensor.ones("output_norm.weight", spec.embd()));
        tensors.add(Tensor.random("output.weight", rnd, spec.embd(), vocab));
        for (int l = 0; l < spec.layers(); l++) {
            String p = "blk." + l + ".";
            tensors.add(Tensor.ones(p + "attn_norm.weight", spec.embd()));
            tensors.add(Tensor.random(p + "attn_q.weight", rnd, spec.embd(), spec.embd()));
            tensors.add(Tensor.random(p + "attn_k.weight", rnd, spec.embd(), spec.embd()));
            tensors.add(Tensor.random(p + "attn_v.weight", rnd, spec.embd(), spec.embd()));
            tensors.add(Tensor.random(p + "attn_output.weight", rnd, spec.embd(), spec.embd()));
            tensors.add(Tensor.ones(p + "ffn_norm.weight", spec.embd()));
            tensors.add(Tensor.random(p + "ffn_gate.weight", rnd, spec.embd(), spec.ff()));
            tensors.add(Tensor.random(p + "ffn_up.weight", rnd, spec.embd(), spec.ff()));
            tensors.add(Tensor.random(p + "ffn_down.weight", rnd, spec.ff(), spec.embd()));
        }

        Buf meta = new Buf();
        int kv = 0;
        kv += meta.kvString("general.architecture", "llama");
        kv += meta.kvString("general.name", "synalign-tiny-random");
        kv += meta.kvU32("general.alignment", ALIGNMENT);
        kv += meta.kvU32("llama.context_length", spec.context());
        kv += meta.kvU32("llama.embedding_length", spec.embd());
        kv += meta.kvU32("llama.block_count", spec.layers());
        kv += meta.kvU32("llama.feed_forward_length", spec.ff());
        kv += meta.kvU32("llama.attention.head_count", spec.heads());
        kv += meta.kvU32("llama.attention.head_count_kv", spec.heads());
        kv += meta.kvU32("llama.rope.dimension_count", spec.embd() / spec.heads());
        kv += meta.kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        kv += meta.kvString("tokenizer.ggml.model", "llama");
        meta.string("tokenizer.ggml.tokens");
        meta.u32(T_ARRAY);
        meta.u32(T_STRING);
        meta.u64(vocab);
        for (String t : tokens) {
            meta.string(t);
        }
        kv++;
        meta.string("tokenizer.ggml.scores");
        meta.u32(T_ARRAY);
        meta.u32(T_FLOAT32);
        meta.u64(vocab);
        for (int i = 0; i < vocab; i++) {
            meta.f32(0f);
        }
        kv++;
        meta.string("tokenizer.ggml.token_type");
        meta.u32(T_ARRAY);
        meta.u32(T_INT32);
        meta.u64(vocab);
        for (int t : types) {
            meta.u32(t);
        }
        kv++;
        kv += meta.kvU32("tokenizer.ggml.unknown_token_id", 0);
        kv += meta.kvU32("tokenizer.ggml.bos_token_id", 1);
        kv += meta.kvU32("tokenizer.ggml.eos_token_id", 2);
        if (spec.chatTemplate() != null) {
            kv += meta.kvString("tokenizer.chat_template", spec.chatTemplate());
        }

        Buf infos = new Buf();
        long offset = 0;
        for (Tensor t : tensors) {
            infos.string(t.name);
            infos.u32(t.dims.length);
            for (long d : t.dims) {
                infos.u64(d);
            }
            infos.u32(GGML_TYPE_F32);
            infos.u64(offset);
            offset = align(offset + 4L * t.data.length);
        }

        Buf header = new Buf();
        header.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
        header.u32(3);
        header.u64(tensors.size());
        header.u64(kv);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            long pos = 0;
            pos += header.writeTo(out);
            pos += meta.writeTo(out);
            pos += infos.writeTo(out);
            pos += pad(out, pos);
            for (Tensor t : tensors) {
                ByteBuffer bb = ByteBuffer.allocate(4 * t.data.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : t.data) {
                    bb.putFloat(f);
                }
                out.write(bb.array());
                pos += bb.capacity();
                pos += pad(out, pos);
            }
        }
        return file;
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static long pad(OutputStream out, long pos) throws IOException {
        int n = (int) (align(pos) - pos);
        out.write(new byte[n]);
        return n;
    }

    private record Tensor(String name, long[] dims, float[] data) {
        /** A {@code ne0 x ne1} matrix (ne0 fastest) of N(0, 0.02^2) weights. */
        static Tensor random(String name, Random rnd, int ne0, int ne1) {
            float[] d = new float[ne0 * ne1];
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (rnd.nextGaussian() * 0.02);
            }
            return new Tensor(name, new long[] {ne0, ne1}, d);
        }

        static Tensor ones(String name, int n) {
            float[] d = new float[n];
            java.util.Arrays.fill(d, 1f);
            return new Tensor(name, new long[] {n}, d);
        }
    }

    /** A growable little-endian byte buffer. */
    private static final class Buf {
        private ByteBuffer bb = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(int n) {
            if (bb.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(bb.capacity() * 2, bb.position() + n))
                        .order(ByteOrder.LITTLE_ENDIAN);
                bb.flip();
                bigger.put(bb);
                bb = bigger;
            }
        }

        void u32(int v) {
            ensure(4);
            bb.putInt(v);
        }

        void u64(long v) {
            ensure(8);
            bb.putLong(v);
        }

        void f32(float v) {
            ensure(4);
            bb.putFloat(v);
        }

        void raw(byte[] b) {
            ensure(b.length);
            bb.put(b);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            raw(b);
        }

        int kvString(String key, String value) {
            string(key);
            u32(T_STRING);
            string(value);
            return 1;
        }

        int kvU32(String key, int value) {
            string(key);
            u32(T_UINT32);
            u32(value);
            return 1;
        }

        int kvF32(String key, float value) {
            string(key);
            u32(T_FLOAT32);
            f32(value);
            return 1;
        }

        long writeTo(OutputStream out) throws IOException {
            out.write(bb.array(), 0, bb.position());
            return bb.position();
        }
    }
}
