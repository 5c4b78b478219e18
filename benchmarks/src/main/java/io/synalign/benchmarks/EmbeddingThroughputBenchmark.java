package io.synalign.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.BatchMode;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSource;
import io.synalign.models.ModelSpec;
import io.synalign.models.OnnxSentenceEncoder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sentence-embedding throughput (sentences/s) of the default model (quantised
 * all-MiniLM-L6-v2) on {@value #SENTENCES} English-like sentences of ~20 tokens:
 * <ul>
 *   <li>{@code pipeline}: {@link OnnxSentenceEncoder#encode} end to end (tokenise, DJL tensors,
 *       ONNX Runtime, pooling, normalisation) at batch 32 and 128, in both batch modes
 *       ({@code PER_TEXT}, the default for this model, and {@code PADDED});</li>
 *   <li>{@code bareSession}: a bare {@link OrtSession} on the same graph, inputs tokenised and
 *       turned into tensors in advance, one run per batch ({@code batch = 1}: per text), output
 *       copied out but not pooled — the floor the pipeline's overhead is quoted against.</li>
 * </ul>
 * Both check their results every invocation (unit norms; output shape and finiteness), and the
 * bare session is checked once against the pipeline (pooled rows within 1e-5).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
public class EmbeddingThroughputBenchmark {

    static final int SENTENCES = 256;

    /** Seeded sentences of 15 to 19 words (about 20 tokens with [CLS] and [SEP]). */
    static List<String> corpus() {
        String[] words = ("the customer asked about a refund for the order that arrived late "
                + "and the support team replied quickly with a tracking number while another "
                + "user wanted to reset her password before the new billing cycle started "
                + "because the mobile app kept showing an error").split(" ");
        Random random = new Random(42);
        List<String> texts = new ArrayList<>(SENTENCES);
        for (int i = 0; i < SENTENCES; i++) {
            int n = 15 + random.nextInt(5);
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < n; k++) {
                sb.append(k == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            texts.add(sb.append('.').toString());
        }
        return texts;
    }

    @State(Scope.Benchmark)
    public static class Pipeline {

        @Param({"32", "128"})
        public int batch;

        @Param({"PER_TEXT", "PADDED"})
        public String mode;

        List<String> texts;
        OnnxSentenceEncoder encoder;

        @Setup(Level.Trial)
        public void load() {
            texts = corpus();
            encoder = OnnxSentenceEncoder.load(ModelSpec.minilm(), EncoderOptions.defaults()
                    .withBatchSize(batch).withBatchMode(BatchMode.valueOf(mode)));
        }

        @TearDown(Level.Trial)
        public void close() {
            encoder.close();
        }
    }

    @State(Scope.Benchmark)
    public static class Bare {

        /** Texts per session run; 1 runs each text alone, unpadded. */
        @Param({"1", "32", "128"})
        public int batch;

        OrtEnvironment env;
        OrtSession session;
        final List<Map<String, OnnxTensor>> inputs = new ArrayList<>();
        final List<long[][]> masks = new ArrayList<>();
        int hidden;

        @Setup(Level.Trial)
        public void prepare() throws Exception {
            List<String> texts = corpus();
            // Loading the encoder also puts DJL in offline mode before the tokenizer loads.
            try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load(ModelSpec.minilm(),
                    EncoderOptions.defaults().withBatchSize(batch)
                            .withBatchMode(batch == 1 ? BatchMode.PER_TEXT : BatchMode.PADDED))) {
                ModelSource source = ModelSpec.minilm().source();
                env = OrtEnvironment.getEnvironment();
                session = env.createSession(source.readModel(), new OrtSession.SessionOptions());
                long tokens = 0;
                try (HuggingFaceTokenizer tokenizer = tokenizer(source.readTokenizer())) {
                    for (int from = 0; from < texts.size(); from += batch) {
                        Encoding[] enc = tokenizer.batchEncode(
                                texts.subList(from, Math.min(texts.size(), from + batch)));
                        long[][] ids = new long[enc.length][];
                        long[][] mask = new long[enc.length][];
                        long[][] types = new long[enc.length][];
                        for (int i = 0; i < enc.length; i++) {
                            ids[i] = enc[i].getIds();
                            mask[i] = enc[i].getAttentionMask();
                            types[i] = enc[i].getTypeIds();
                            for (long m : mask[i]) {
                                tokens += m;
                            }
                        }
                        Map<String, OnnxTensor> in = new HashMap<>();
                        in.put("input_ids", OnnxTensor.createTensor(env, ids));
                        in.put("attention_mask", OnnxTensor.createTensor(env, mask));
                        in.put("token_type_ids", OnnxTensor.createTensor(env, types));
                        inputs.add(in);
                        masks.add(mask);
                    }
                }
                System.out.printf("%n[setup] %d sentences, %.1f tokens each on average%n",
                        texts.size(), tokens / (double) texts.size());
                checkAgainstPipeline(encoder.encode(texts.subList(0,
                        Math.min(batch, texts.size()))));
            }
        }

        private static HuggingFaceTokenizer tokenizer(byte[] json) throws IOException {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json),
                    Map.of("padding", "true", "truncation", "true", "maxLength", "128"));
        }

        /** Mean-pools the first batch's output in double and compares with the pipeline. */
        private void checkAgainstPipeline(FloatMatrix expected) throws OrtException {
            try (OrtSession.Result r = session.run(inputs.get(0))) {
                float[][][] h = (float[][][]) r.get(0).getValue();
                hidden = h[0][0].length;
                long[][] mask = masks.get(0);
                for (int i = 0; i < h.length; i++) {
                    double[] mean = new double[hidden];
                    int count = 0;
                    for (int t = 0; t < mask[i].length; t++) {
                        if (mask[i][t] == 1) {
                            count++;
                            for (int j = 0; j < hidden; j++) {
                                mean[j] += h[i][t][j];
                            }
                        }
                    }
                    double sq = 0;
                    for (int j = 0; j < hidden; j++) {
                        mean[j] /= count;
                        sq += mean[j] * mean[j];
                    }
                    for (int j = 0; j < hidden; j++) {
                        double diff = Math.abs(mean[j] / Math.sqrt(sq) - expected.get(i, j));
                        if (diff > 1e-5) {
                            throw new IllegalStateException("bare session and pipeline differ"
                                    + " by " + diff + " at row " + i);
                        }
                    }
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() throws OrtException {
            for (Map<String, OnnxTensor> in : inputs) {
                in.values().forEach(OnnxTensor::close);
            }
            session.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(SENTENCES)
    public FloatMatrix pipeline(Pipeline p) {
        FloatMatrix m = p.encoder.encode(p.texts);
        for (int i = 0; i < m.rows(); i++) {
            double sq = 0;
            for (int j = 0; j < m.cols(); j++) {
                sq += (double) m.get(i, j) * m.get(i, j);
            }
            if (Math.abs(sq - 1) > 1e-4) {
                throw new IllegalStateException("row " + i + " has squared norm " + sq);
            }
        }
        return m;
    }

    @Benchmark
    @OperationsPerInvocation(SENTENCES)
    public double bareSession(Bare b) throws OrtException {
        double checksum = 0;
        for (int k = 0; k < b.inputs.size(); k++) {
            try (OrtSession.Result r = b.session.run(b.inputs.get(k))) {
                FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
                long[][] mask = b.masks.get(k);
                if (out.remaining() != mask.length * mask[0].length * b.hidden) {
                    throw new IllegalStateException("unexpected output size " + out.remaining());
                }
                float first = out.get(0);
                if (!Float.isFinite(first)) {
                    throw new IllegalStateException("non-finite output");
                }
                checksum += first;
            }
        }
        return checksum;
    }
}
