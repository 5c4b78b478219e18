package io.synalign.models;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configures DJL, before its first use, never to touch the network.
 *
 * <p>What DJL would otherwise do, and the switch that stops it (each set only when neither the
 * system property nor the environment variable is already set, so a user can override):
 * <ul>
 *   <li>{@code ai.djl.offline=true} ({@code DJL_OFFLINE}): DJL's native-library loaders
 *       (here the HuggingFace tokenizers JNI library) copy the library from the jar on the class
 *       path into {@code ~/.djl.ai} and, offline, throw instead of downloading when it is
 *       missing; the telemetry "call home" in {@code Ec2Utils} is also skipped.</li>
 *   <li>{@code OPT_OUT_TRACKING=true}: the documented telemetry opt-out, in case offline mode is
 *       overridden.</li>
 *   <li>{@code ai.djl.onnx.disable_alternative=true}: ONNX Runtime's engine would otherwise look
 *       for an "alternative" engine (PyTorch) for NDArray maths; pooling here is plain Java.</li>
 *   <li>{@code ai.djl.default_engine=OnnxRuntime}: the tokenizers jar also registers DJL's Rust
 *       engine; the default engine must not be it.</li>
 * </ul>
 * ONNX Runtime itself loads its native libraries from its own jar and never downloads.
 */
final class DjlOffline {

    private static final Logger LOG = LoggerFactory.getLogger(DjlOffline.class);
    private static boolean configured;

    private DjlOffline() {
    }

    /** Idempotent; call before any DJL class is used. */
    static synchronized void configure() {
        if (configured) {
            return;
        }
        setIfAbsent("ai.djl.offline", "DJL_OFFLINE", "true");
        setIfAbsent("OPT_OUT_TRACKING", "OPT_OUT_TRACKING", "true");
        setIfAbsent("ai.djl.onnx.disable_alternative", null, "true");
        setIfAbsent("ai.djl.default_engine", "DJL_DEFAULT_ENGINE", "OnnxRuntime");
        configured = true;
    }

    private static void setIfAbsent(String property, String env, String value) {
        if (System.getProperty(property) != null || (env != null && System.getenv(env) != null)) {
            LOG.debug("DJL setting {} left as configured by the user", property);
            return;
        }
        System.setProperty(property, value);
    }
}
