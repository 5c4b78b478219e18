package io.synalign.kernels.nd4j;

import io.synalign.kernels.BackendUnavailableException;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provides the {@code nd4j} backend (priority 100, above the reference). Instantiating the
 * provider touches no ND4J class; {@link #unavailableReason()} loads ND4J once per JVM, runs a
 * tiny GEMV and exp through exactly the paths the backend uses, and caches the outcome.
 */
public final class Nd4jBackendProvider implements KernelBackendProvider {

    /** The backend's name on the command line. */
    public static final String NAME = "nd4j";

    /** The ND4J release this backend is built and tested against. */
    static final String ND4J_VERSION = "1.0.0-M2.1";

    private static final Logger LOG = LoggerFactory.getLogger(Nd4jBackendProvider.class);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Probe.REASON;
    }

    @Override
    public KernelBackend create() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            throw new BackendUnavailableException("backend '" + NAME + "' is unavailable: "
                    + reason.get());
        }
        return new Nd4jBackend();
    }

    /** Lazy holder: the probe runs on first use, once, and its verdict is kept. */
    private static final class Probe {
        static final Optional<String> REASON = run();

        private static Optional<String> run() {
            try {
                String backend = Nd4j.getBackend().getClass().getName();
                if (!backend.contains(".nativecpu.")) {
                    return Optional.of("ND4J loaded " + backend + ", but this backend drives the"
                            + " CPU backend (nd4j-native) only");
                }
                // [[1, 2], [3, 4]] . [1, 1] = [3, 7]; exp(0) = 1.
                INDArray matrix = Nd4j.createFromArray(1f, 2f, 3f, 4f);
                INDArray vector = Nd4j.createFromArray(1f, 1f);
                INDArray result = Nd4j.create(DataType.FLOAT, 2);
                OpenBlas.gemv(2, 2, 1f, Buffers.floatPointer(matrix), Buffers.floatPointer(vector),
                        Buffers.floatPointer(result));
                FloatPointer out = Buffers.floatPointer(result);
                boolean gemvOk = out.get(0) == 3f && out.get(1) == 7f;
                Transforms.exp(result.assign(0.0), false);
                boolean expOk = result.getFloat(0) == 1f;
                Buffers.close(matrix, vector, result);
                if (!gemvOk || !expOk) {
                    return Optional.of("ND4J loaded but a 2 x 2 self-test gave wrong results");
                }
                LOG.debug("ND4J backend {} is available", backend);
                return Optional.empty();
            } catch (Throwable t) {
                // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError, ...
                // from a missing or incompatible native library: report, never propagate.
                String reason = "ND4J failed to load: " + oneLine(t);
                LOG.debug(reason, t);
                return Optional.of(reason);
            }
        }

        /** The innermost cause as {@code Type: message}, on one line, at most 300 characters. */
        private static String oneLine(Throwable t) {
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String text = root.getClass().getSimpleName()
                    + (root.getMessage() == null ? "" : ": " + root.getMessage());
            text = text.replaceAll("\\s+", " ").trim();
            return text.length() <= 300 ? text : text.substring(0, 297) + "...";
        }
    }
}
