package io.synalign.kernels.nd4j;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * How the {@code nd4j} backend executes: the CPU path tuned for nd4j-native, or the portable
 * path that runs on whatever ND4J backend is loaded (nd4j-native, or nd4j-cuda-11.6 under the
 * {@code nd4j-cuda} Maven profile).
 *
 * <p>Chosen once per JVM by {@link #select}, from the setting {@code synalign.nd4j.path} (system
 * property, else the environment variable {@code SYNALIGN_ND4J_PATH}): {@code auto} (the default)
 * takes {@link #CPU_BLAS} when ND4J's backend is the CPU one and {@link #PORTABLE} otherwise;
 * {@code portable} forces the portable path (so it can be tested on a CPU); {@code cpu} demands
 * the CPU path and makes the backend unavailable where ND4J is not on the CPU.
 */
public enum Nd4jPath {

    /**
     * OpenBLAS called directly on ND4J's host buffers, block-parallel on {@link PinnedWorkers}:
     * the fast path, valid only on nd4j-native (the buffers must be host memory).
     */
    CPU_BLAS,

    /**
     * ND4J INDArray operations only ({@code Nd4j.gemm}, {@code Transforms.exp}/{@code cos},
     * in-place scalar ops, views), in tiles sized by {@link io.synalign.kernels.TilePlan}; no
     * native pointer is ever touched, so it runs on any ND4J backend, a CUDA one included.
     */
    PORTABLE;

    /** The system property that chooses the path. */
    public static final String PROPERTY = "synalign.nd4j.path";

    /** The environment variable read when the property is not set. */
    public static final String ENVIRONMENT = "SYNALIGN_ND4J_PATH";

    /**
     * The outcome of {@link #select}: a path and why, or why no path can run.
     *
     * @param path the path to use; null when {@code unavailable} is present
     * @param reason why this path was chosen, phrased for a log line
     * @param unavailable why the backend cannot run with the requested setting
     */
    public record Selection(Nd4jPath path, String reason, Optional<String> unavailable) {

        static Selection of(Nd4jPath path, String reason) {
            return new Selection(path, reason, Optional.empty());
        }

        static Selection refused(String why) {
            return new Selection(null, why, Optional.of(why));
        }
    }

    /** The setting's value from the system properties, else the environment; "auto" if unset. */
    static String setting(Properties props, Map<String, String> env) {
        String value = props.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            value = env.get(ENVIRONMENT);
        }
        return value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Chooses the path for a setting and the ND4J backend found.
     *
     * @param setting {@code auto}, {@code cpu} or {@code portable} (already trimmed, lower case)
     * @param cpuBackend whether ND4J's backend is the CPU one ({@code Environment.isCPU()})
     * @param backend the ND4J backend's class name, for the messages
     */
    public static Selection select(String setting, boolean cpuBackend, String backend) {
        switch (setting) {
            case "auto":
                return cpuBackend
                        ? Selection.of(CPU_BLAS, "ND4J backend " + backend + " is the CPU one:"
                                + " OpenBLAS on host buffers, block-parallel")
                        : Selection.of(PORTABLE, "ND4J backend " + backend + " is not the CPU"
                                + " one: portable INDArray operations");
            case "portable":
                return Selection.of(PORTABLE, PROPERTY + "=portable on ND4J backend " + backend
                        + ": portable INDArray operations");
            case "cpu":
                return cpuBackend
                        ? Selection.of(CPU_BLAS, PROPERTY + "=cpu on ND4J backend " + backend
                                + ": OpenBLAS on host buffers, block-parallel")
                        : Selection.refused(PROPERTY + "=cpu but ND4J loaded " + backend
                                + ", which is not the CPU backend (use auto or portable)");
            default:
                return Selection.refused(PROPERTY + " must be auto, cpu or portable, got '"
                        + setting + "'");
        }
    }
}
