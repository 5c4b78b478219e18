package io.synalign.models;

/**
 * Why DJL's OnnxRuntime engine, which every encoder runs on, failed to start, in words a host can
 * act on.
 *
 * <p>DJL 0.38's {@code OrtEngine} creates ONNX Runtime's process-wide environment itself, always
 * through {@code OrtEnvironment.getEnvironment(level, name, ThreadingOptions)} (its thread-pool
 * settings, from {@code ai.djl.onnxruntime.num_threads} and {@code num_interop_threads}), once,
 * in a class initialiser. ONNX Runtime refuses thread-pool settings once an environment exists
 * ({@code IllegalStateException}: "Tried to specify the thread pool when creating an
 * OrtEnvironment, but one already exists."), so a host that called
 * {@code OrtEnvironment.getEnvironment()} itself before the first encoder loaded gets an
 * {@code ExceptionInInitializerError}, and the JVM marks the engine's class unusable: every later
 * load fails with {@code NoClassDefFoundError}. Neither DJL nor ONNX Runtime offers a way to
 * adopt the existing environment, so SynAlign cannot avoid it; it can say so, naming the remedy.
 */
final class OrtEngineFailure {

    /** ONNX Runtime's message when thread-pool settings come after the environment exists. */
    static final String EXISTING_ENVIRONMENT = "Tried to specify the thread pool when creating an OrtEnvironment";

    private OrtEngineFailure() {
    }

    /**
     * The failure of an encoder load whose engine did not start ({@code e} from DJL's engine
     * lookup): the cause and the remedy when an existing ONNX Runtime environment is to blame
     * (the first failure's cause, or carried by a later {@code NoClassDefFoundError}), else that
     * the engine failed to start, with the JVM's own words.
     */
    static IllegalStateException explain(LinkageError e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains(EXISTING_ENVIRONMENT)) {
                return new IllegalStateException("cannot load a sentence encoder: an ONNX Runtime environment"
                        + " was created in this JVM (OrtEnvironment.getEnvironment) before the first encoder"
                        + " loaded, and DJL's OnnxRuntime engine, which the encoder runs on, must create it"
                        + " itself with its thread-pool settings, which ONNX Runtime refuses once one exists;"
                        + " the engine stays unusable for this JVM's life. Load an encoder before creating"
                        + " your own OrtEnvironment (OrtEnvironment.getEnvironment() then returns the engine's)",
                        e);
            }
        }
        return new IllegalStateException("cannot load a sentence encoder: DJL's OnnxRuntime engine did not start ("
                + e + ")", e);
    }
}
