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
 * all-MiniLM-L6-v2) on {@value #SENTENCES} English-like sentences of ~20 tokens. What each
 * benchmark counts:
 * <ul>
 *   <li>{@code pipeline}: {@link OnnxSentenceEncoder#encode} end to end (tokenise, DJL tensors,
 *       ONNX Runtime, pooling, normalisation) at batch 32 and 128, in both batch modes
 *       ({@code PER_TEXT}, the default for this model, and {@code PADDED});</li>
 *   <li>{@code bareSessionTokenising}: a bare {@link OrtSession} on the same graph with the same
 *       (default) session options, fed by the same HuggingFace tokenizer: per batch it tokenises
 *       (padding to the batch's longest text, as the pipeline pads), builds the three input
 *       tensors, runs, and copies {@code last_hidden_state} out. Same token ids, padding and
 *       batch shapes as {@code PADDED}; no pooling. The like-for-like floor for the pipeline's
 *       overhead;</li>
 *   <li>{@code bareSession}: the same session with inputs tokenised and turned into tensors in
 *       advance: one run per batch ({@code batch = 1}: per text), output copied out — the model
 *       alone.</li>
 * </ul>
 * All three check their results every invocation (unit norms; output shape and finiteness),
 * and the bare session is checked once against the pipeline (pooled rows within 1e-5).
 *
 * <p>JMH runs one benchmark after another, so on a shared machine a change of load between
 * them shows up as overhead. {@link #main} therefore also measures the pipeline and both bare
 * variants interleaved, batch by batch in rotating order, and reports the median of per-round
 * time ratios.
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
        /** The texts of each batch, for {@code bareSessionTokenising}. */
        final List<List<String>> batches = new ArrayList<>();
        HuggingFaceTokenizer tokenizer;
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
                tokenizer = tokenizer(source.readTokenizer());
                for (int from = 0; from < texts.size(); from += batch) {
                    List<String> batchTexts =
                            texts.subList(from, Math.min(texts.size(), from + batch));
                    Encoding[] enc = tokenizer.batchEncode(batchTexts);
                    long[][] mask = new long[enc.length][];
                    for (int i = 0; i < enc.length; i++) {
                        mask[i] = enc[i].getAttentionMask();
                        for (long m : mask[i]) {
                            tokens += m;
                        }
                    }
                    inputs.add(tensors(env, enc));
                    masks.add(mask);
                    batches.add(batchTexts);
                }
                System.out.printf(java.util.Locale.ROOT,
                        "%n[setup] %d sentences, %.1f tokens each on average%n",
                        texts.size(), tokens / (double) texts.size());
                checkAgainstPipeline(encoder.encode(texts.subList(0,
                        Math.min(batch, texts.size()))));
            }
        }

        /** The three input tensors of one padded batch (the caller closes them). */
        static Map<String, OnnxTensor> tensors(OrtEnvironment env, Encoding[] enc)
                throws OrtException {
            long[][] ids = new long[enc.length][];
            long[][] mask = new long[enc.length][];
            long[][] types = new long[enc.length][];
            for (int i = 0; i < enc.length; i++) {
                ids[i] = enc[i].getIds();
                mask[i] = enc[i].getAttentionMask();
                types[i] = enc[i].getTypeIds();
            }
            Map<String, OnnxTensor> in = new HashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(env, ids));
            in.put("attention_mask", OnnxTensor.createTensor(env, mask));
            in.put("token_type_ids", OnnxTensor.createTensor(env, types));
            return in;
        }

        /** Pads to the longest text of each batch, exactly as the pipeline pads. */
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
            tokenizer.close();
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
            checksum += runChecked(b, b.inputs.get(k), k);
        }
        return checksum;
    }

    @Benchmark
    @OperationsPerInvocation(SENTENCES)
    public double bareSessionTokenising(Bare b) throws OrtException {
        double checksum = 0;
        for (int k = 0; k < b.batches.size(); k++) {
            Map<String, OnnxTensor> in =
                    Bare.tensors(b.env, b.tokenizer.batchEncode(b.batches.get(k)));
            try {
                checksum += runChecked(b, in, k);
            } finally {
                in.values().forEach(OnnxTensor::close);
            }
        }
        return checksum;
    }

    /** One session run on batch {@code k}'s inputs; checks the output's size and finiteness. */
    private static double runChecked(Bare b, Map<String, OnnxTensor> in, int k)
            throws OrtException {
        try (OrtSession.Result r = b.session.run(in)) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            long[][] mask = b.masks.get(k);
            if (out.remaining() != mask.length * mask[0].length * b.hidden) {
                throw new IllegalStateException("unexpected output size " + out.remaining());
            }
            float first = out.get(0);
            float last = out.get(out.remaining() - 1);
            if (!Float.isFinite(first) || !Float.isFinite(last)) {
                throw new IllegalStateException("non-finite output");
            }
            return first;
        }
    }

    /**
     * Interleaved comparison, immune to load drifting between JMH benchmarks: for batch 32 and
     * 128, {@code rounds} rounds (after 3 warm-up rounds) each run {@code pipeline} (PADDED),
     * {@code bareSessionTokenising} and {@code bareSession} once over the
     * {@value #SENTENCES} sentences, in an order that rotates every round. Prints the median
     * sentences/s of each and the median per-round ratio of pipeline time to bare time.
     * Usage: {@code java -cp benchmarks.jar io.synalign.benchmarks.EmbeddingThroughputBenchmark
     * [rounds]} (default 21).
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 21;
        EmbeddingThroughputBenchmark bench = new EmbeddingThroughputBenchmark();
        for (int batch : new int[] {32, 128}) {
            Pipeline p = new Pipeline();
            p.batch = batch;
            p.mode = BatchMode.PADDED.name();
            p.load();
            Bare b = new Bare();
            b.batch = batch;
            b.prepare();
            String[] names = {"pipeline PADDED", "bareSessionTokenising", "bareSession"};
            double[][] rate = new double[names.length][rounds];
            double[] vsTokenising = new double[rounds];
            double[] vsPre = new double[rounds];
            for (int r = 0; r < rounds + 3; r++) {
                long[] nanos = new long[names.length];
                for (int i = 0; i < names.length; i++) {
                    int v = (i + r) % names.length;
                    long start = System.nanoTime();
                    switch (v) {
                        case 0 -> bench.pipeline(p);
                        case 1 -> bench.bareSessionTokenising(b);
                        default -> bench.bareSession(b);
                    }
                    nanos[v] = System.nanoTime() - start;
                }
                if (r >= 3) {
                    for (int v = 0; v < names.length; v++) {
                        rate[v][r - 3] = SENTENCES / (nanos[v] / 1e9);
                    }
                    vsTokenising[r - 3] = nanos[0] / (double) nanos[1];
                    vsPre[r - 3] = nanos[0] / (double) nanos[2];
                }
            }
            for (int v = 0; v < names.length; v++) {
                System.out.printf(java.util.Locale.ROOT,
                        "batch %3d  %-22s median %6.0f sentences/s%n", batch, names[v],
                        median(rate[v]));
            }
            System.out.printf(java.util.Locale.ROOT,
                    "batch %3d  pipeline time / bareSessionTokenising time: median %.3f"
                    + " (quartiles %.3f-%.3f); / bareSession: median %.3f (quartiles %.3f-%.3f)"
                    + ", %d rounds%n", batch, median(vsTokenising), quantile(vsTokenising, 0.25),
                    quantile(vsTokenising, 0.75), median(vsPre), quantile(vsPre, 0.25),
                    quantile(vsPre, 0.75), rounds);
            p.close();
            b.close();
        }
    }

    private static double median(double[] x) {
        return quantile(x, 0.5);
    }

    private static double quantile(double[] x, double q) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s[(int) Math.round(q * (s.length - 1))];
    }
}
