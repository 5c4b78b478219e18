package io.synalign.spark;

import io.synalign.models.OnnxSentenceEncoder;
import io.synalign.models.SentenceEncoder;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One sentence encoder per executor JVM and model: created lazily by the first task that needs
 * it, then reused by every later task (loading an ONNX model costs seconds; encoding a partition
 * should not). Keyed by the model name or directory given (which determines the model id).
 * Encoders are used by one task at a time each: {@link #encode} serialises calls per model, as
 * ONNX Runtime already parallelises within a batch.
 */
final class EncoderHolder {

    private static final ConcurrentHashMap<String, SentenceEncoder> ENCODERS =
            new ConcurrentHashMap<>();

    private EncoderHolder() {
    }

    /** The encoder of this JVM for {@code model} (a built-in name or a model directory). */
    static SentenceEncoder get(String model) {
        return get(model, "cpu");
    }

    /**
     * The encoder of this JVM for {@code model} on {@code device} ({@code cpu}, {@code cuda},
     * {@code cuda:N}).
     */
    static SentenceEncoder get(String model, String device) {
        return ENCODERS.computeIfAbsent(model + "\u0000" + device.strip().toLowerCase(java.util.Locale.ROOT),
                k -> OnnxSentenceEncoder.load(io.synalign.models.ModelRegistry.resolve(model),
                        io.synalign.models.EncoderOptions.defaults().withDevice(device)));
    }

    /** How many encoders this JVM holds (one per model used). */
    static int loaded() {
        return ENCODERS.size();
    }
}
