package io.synalign.models;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps DJL off the network while the encoder loads, changing as little of a host's DJL as it
 * can: DJL's settings are JVM-wide system properties, read by whatever uses DJL in the process.
 *
 * <p>What the encoder uses of DJL is its ONNX Runtime engine, named explicitly
 * ({@code Model.newInstance(name, device, "OnnxRuntime")}), and the HuggingFace tokenizers' JNI
 * library, both from jars on the class path; the model and tokenizer bytes come from a Maven
 * bundle or a directory. What DJL 0.38 would still do on the network, and the one switch each
 * (read in DJL's source), set only when neither the system property nor the environment
 * variable is set, and not at all when the host has put DJL offline ({@code ai.djl.offline} /
 * {@code DJL_OFFLINE}, which covers both):
 * <ul>
 *   <li>{@code OPT_OUT_TRACKING=true}: {@code Ec2Utils.callHome}, run by DJL's engine
 *       registry when it starts and by every {@code HuggingFaceTokenizer.newInstance}, asks the
 *       EC2 metadata address for the instance id and reports it to DJL's telemetry bucket.</li>
 *   <li>{@code RUST_FLAVOR=cpu}: on a machine with CUDA the tokenizers' library loader looks for
 *       a CUDA build of the library, which the jar does not ship, and downloads it; the CPU
 *       build in the jar is the one the encoder needs (tokenising runs on the CPU).</li>
 * </ul>
 * Left to the host, because the encoder does not need them: {@code ai.djl.offline} (it would
 * also stop the host's model-zoo downloads), {@code ai.djl.default_engine} (the encoder names
 * its engine), {@code ai.djl.onnx.disable_alternative} (the encoder runs no NDArray operation
 * that ONNX Runtime's engine hands to another engine; pooling is plain Java).
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
        if (ai.djl.util.Utils.isOfflineMode()) {
            LOG.debug("DJL is offline as the host configured it: no DJL setting made");
        } else {
            setIfAbsent("OPT_OUT_TRACKING", "true");
            setIfAbsent("RUST_FLAVOR", "cpu");
        }
        configured = true;
    }

    /** Sets {@code name} unless the host set it as a system property or environment variable. */
    private static void setIfAbsent(String name, String value) {
        if (System.getProperty(name) != null || System.getenv(name) != null) {
            LOG.debug("DJL setting {} left as configured by the host", name);
            return;
        }
        System.setProperty(name, value);
    }
}
