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
    static EncoderUnavailableException explain(LinkageError e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains(EXISTING_ENVIRONMENT)) {
                return new EncoderUnavailableException("cannot load a sentence encoder: an ONNX Runtime environment"
                        + " was created in this JVM (OrtEnvironment.getEnvironment) before the first encoder"
                        + " loaded, and DJL's OnnxRuntime engine, which the encoder runs on, must create it"
                        + " itself with its thread-pool settings, which ONNX Runtime refuses once one exists;"
                        + " the engine stays unusable for this JVM's life. Load an encoder before creating"
                        + " your own OrtEnvironment (OrtEnvironment.getEnvironment() then returns the engine's)",
                        e);
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof UnsatisfiedLinkError) {
                String from = System.getProperty(OrtNativeLibraries.NATIVE_PATH);
                java.nio.file.Path run = OrtNativeLibraries.runCopy();
                // This run's own copy lies in java.io.tmpdir: said as ONNX Runtime's own was.
                return new EncoderUnavailableException(nativeLibraryNotLoaded(c.getMessage(),
                        run != null && run.toString().equals(from) ? null : from,
                        System.getProperty("java.io.tmpdir"), OrtNativeLibraries.whyNotCached()), e);
            }
        }
        return new EncoderUnavailableException("cannot load a sentence encoder: DJL's OnnxRuntime engine did not start ("
                + e + ")", e);
    }

    /**
     * ONNX Runtime's native library did not load ({@code message}, its loader's last words: "no
     * onnxruntime in java.library.path" when the copy out of the jar failed, which it logs
     * apart), said with where it was to come from: {@code loadedFrom} (the cache directory or
     * the user's {@code onnxruntime.native.path}), or else the temporary directory its loader
     * copies it to, with why the cache was not used.
     */
    static String nativeLibraryNotLoaded(String message, String loadedFrom, String tmpdir, String whyNotCached) {
        String where = loadedFrom != null
                ? "it was loaded from " + loadedFrom + " (" + OrtNativeLibraries.NATIVE_PATH + ")"
                : "it is copied out of the jar into " + tmpdir + " (java.io.tmpdir), which must be"
                        + " writable, have room for about 25 MB and allow executing (not mounted noexec);"
                        + " name another with -Djava.io.tmpdir=DIR"
                        + (whyNotCached == null ? "" : " (the cache of these libraries was not used: "
                                + whyNotCached + ")");
        return "cannot load a sentence encoder: ONNX Runtime's native library did not load ("
                + String.valueOf(message).replaceAll("\\s+", " ").strip() + "); " + where;
    }
}
