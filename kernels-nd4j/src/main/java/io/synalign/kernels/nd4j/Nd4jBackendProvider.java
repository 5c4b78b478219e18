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
 * provider touches no ND4J class; {@link #unavailableReason()} loads ND4J once per JVM, chooses
 * the execution path ({@link Nd4jPath#select}: the OpenBLAS CPU path on nd4j-native, the portable
 * INDArray path on any other ND4J backend such as nd4j-cuda-11.6, or as
 * {@code -Dsynalign.nd4j.path} says), logs the choice and its reason once at INFO, in the manner
 * of Lucene's {@code VectorizationProvider}, runs a tiny GEMV and exp through exactly that path,
 * and caches the outcome.
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
        return new Nd4jBackend(selectedPath());
    }

    /**
     * The execution path chosen for this JVM.
     *
     * @throws BackendUnavailableException when ND4J cannot run here
     */
    static Nd4jPath selectedPath() {
        Optional<String> reason = Probe.REASON;
        if (reason.isPresent()) {
            throw new BackendUnavailableException("backend '" + NAME + "' is unavailable: "
                    + reason.get());
        }
        return Probe.path;
    }

    /** Lazy holder: the probe runs on first use, once, and its verdict is kept. */
    private static final class Probe {
        /** Set by {@link #run} before {@link #REASON} is; read only when REASON is empty. */
        static Nd4jPath path;
        static final Optional<String> REASON = run();

        private static Optional<String> run() {
            try {
                String backend = Nd4j.getBackend().getClass().getName();
                boolean cpu = Nd4j.getEnvironment().isCPU();
                Nd4jPath.Selection selection = Nd4jPath.select(
                        Nd4jPath.setting(System.getProperties(), System.getenv()), cpu, backend);
                if (selection.unavailable().isPresent()) {
                    return selection.unavailable();
                }
                // Before PinnedWorkers reads the count: a container's CPU limit caps it. Its own
                // failure leaves the counts as they were, not the backend unavailable.
                try {
                    ProcessorLimit.apply();
                } catch (RuntimeException e) {
                    LOG.warn("nd4j threads: could not cap them at the JVM's processor count ({});"
                            + " ND4J's own count stays", e.toString());
                }
                boolean ok = selection.path() == Nd4jPath.CPU_BLAS ? cpuSelfTest()
                        : portableSelfTest();
                if (!ok) {
                    return Optional.of("ND4J loaded but a 2 x 2 self-test of the "
                            + selection.path() + " path gave wrong results");
                }
                path = selection.path();
                LOG.info("nd4j backend: {} path ({})", path, selection.reason());
                return Optional.empty();
            } catch (Throwable t) {
                // UnsatisfiedLinkError, NoClassDefFoundError, ExceptionInInitializerError, ...
                // from a missing or incompatible native library: report, never propagate.
                String reason = "ND4J failed to load: " + oneLine(t);
                LOG.debug(reason, t);
                return Optional.of(reason);
            }
        }

        /** [[1, 2], [3, 4]] . [1, 1] = [3, 7] by OpenBLAS on host buffers; exp(0) = 1. */
        private static boolean cpuSelfTest() {
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
            return gemvOk && expOk;
        }

        /** The same check with INDArray operations only: Nd4j.gemm into a column, exp. */
        private static boolean portableSelfTest() {
            INDArray matrix = PortableOperands.matrix(new float[] {1f, 2f, 3f, 4f}, 2, 2);
            INDArray vector = PortableOperands.matrix(new float[] {1f, 1f}, 2, 1);
            INDArray result = Nd4j.create(DataType.FLOAT, 2, 1);
            Nd4j.gemm(matrix, vector, result, false, false, 1.0, 0.0);
            float[] out = PortableOperands.hostFloats(result);
            boolean gemvOk = out[0] == 3f && out[1] == 7f;
            Transforms.exp(result.assign(0.0), false);
            boolean expOk = PortableOperands.hostFloats(result)[0] == 1f;
            Buffers.close(matrix, vector, result);
            return gemvOk && expOk;
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
