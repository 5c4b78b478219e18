package io.synalign.models;

/**
 * Settings of an {@link OnnxSentenceEncoder}. Validated on construction; use {@link #defaults()}
 * and the {@code with*} methods.
 *
 * @param batchSize      texts tokenised and run per batch (and per progress report), {@code >= 1}
 * @param maxLength      tokens kept per text, special tokens included; longer texts are truncated.
 *                       {@code 2..8192}; BERT-style models accept at most 512
 * @param pooling        pooling override, or {@code null} for the model's own convention
 *                       ({@link ModelSpec#pooling()})
 * @param batchMode      how a batch is fed to the model, see {@link BatchMode}
 * @param device         execution provider
 * @param deviceId       CUDA device ordinal, {@code >= 0} (ignored on CPU)
 * @param intraOpThreads ONNX Runtime intra-op threads, {@code 0} for the default: ONNX
 *                       Runtime's own (one per physical core) where the process may use the
 *                       whole machine; under a narrowed CPU affinity ({@code taskset}) or a CPU
 *                       quota, the JVM's processor count capped at the physical cores of the
 *                       CPUs the process may run on
 */
public record EncoderOptions(int batchSize, int maxLength, Pooling pooling, BatchMode batchMode,
        ExecutionDevice device, int deviceId, int intraOpThreads) {

    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int DEFAULT_MAX_LENGTH = 128;
    static final int MAX_MAX_LENGTH = 8192;

    public EncoderOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (maxLength < 2 || maxLength > MAX_MAX_LENGTH) {
            throw new IllegalArgumentException("maxLength must be in 2.." + MAX_MAX_LENGTH
                    + ", got " + maxLength);
        }
        if (batchMode == null) {
            throw new IllegalArgumentException("batchMode must not be null");
        }
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got "
                    + intraOpThreads);
        }
    }

    /** Batch 32, 128 tokens, the model's pooling, {@link BatchMode#AUTO}, CPU. */
    public static EncoderOptions defaults() {
        return new EncoderOptions(DEFAULT_BATCH_SIZE, DEFAULT_MAX_LENGTH, null, BatchMode.AUTO,
                ExecutionDevice.CPU, 0, 0);
    }

    public EncoderOptions withBatchSize(int value) {
        return new EncoderOptions(value, maxLength, pooling, batchMode, device, deviceId,
                intraOpThreads);
    }

    public EncoderOptions withMaxLength(int value) {
        return new EncoderOptions(batchSize, value, pooling, batchMode, device, deviceId,
                intraOpThreads);
    }

    public EncoderOptions withPooling(Pooling value) {
        return new EncoderOptions(batchSize, maxLength, value, batchMode, device, deviceId,
                intraOpThreads);
    }

    public EncoderOptions withBatchMode(BatchMode value) {
        return new EncoderOptions(batchSize, maxLength, pooling, value, device, deviceId,
                intraOpThreads);
    }

    /** Requests an execution provider; {@code CUDA} uses device {@code deviceId}. */
    /**
     * These options on the device named {@code spec}: {@code cpu}, {@code cuda} (device 0) or
     * {@code cuda:N}, case-insensitive.
     *
     * @throws IllegalArgumentException quoting the spec and what is expected
     */
    public EncoderOptions withDevice(String spec) {
        String d = spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (d.equals("cpu")) {
            return withDevice(ExecutionDevice.CPU, 0);
        }
        if (d.equals("cuda") || d.startsWith("cuda:")) {
            int id = 0;
            if (d.startsWith("cuda:")) {
                try {
                    id = Integer.parseInt(d.substring(5));
                } catch (NumberFormatException e) {
                    id = -1;
                }
                if (id < 0) {
                    throw new IllegalArgumentException("'" + spec + "': expected cuda:N with a"
                            + " device number N >= 0");
                }
            }
            return withDevice(ExecutionDevice.CUDA, id);
        }
        throw new IllegalArgumentException("'" + spec + "': expected cpu, cuda or cuda:N");
    }

    public EncoderOptions withDevice(ExecutionDevice value, int id) {
        return new EncoderOptions(batchSize, maxLength, pooling, batchMode, value, id,
                intraOpThreads);
    }

    public EncoderOptions withIntraOpThreads(int value) {
        return new EncoderOptions(batchSize, maxLength, pooling, batchMode, device, deviceId,
                value);
    }
}
