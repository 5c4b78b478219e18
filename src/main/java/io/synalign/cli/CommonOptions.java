package io.synalign.cli;

import io.synalign.kernels.KernelBackends;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Options every subcommand that runs kernels shares: the kernel backend, and how much to say on
 * stderr ({@link VerbosityOptions}, inherited so that {@code common.quiet} reads as before).
 */
final class CommonOptions extends VerbosityOptions {

    @Option(names = "--backend", paramLabel = "NAME",
            description = "Kernel backend: auto (the fastest one that can run here: cuda when a"
                    + " CUDA 13 GPU is present, else nd4j; with -v it logs why it skipped one), cuda"
                    + " (NVIDIA GPU: cuBLAS FP32 + NVRTC kernels; TF32 only with"
                    + " -Dsynalign.cuda.tf32=true), nd4j (ND4J CPU, float32) or reference (plain"
                    + " Java, float64 accumulation; slow, for checking). Default: ${DEFAULT-VALUE}.")
    String backend = KernelBackends.AUTO;

    /**
     * The backend name, lower-cased.
     *
     * @throws IllegalArgumentException naming the value and the known backends when no provider
     *     has that name
     */
    String checkedBackend() {
        // KernelBackends' own check: its message also names any provider that failed to load,
        // which may be the backend asked for.
        KernelBackends.requireKnown(backend);
        return backend.strip().toLowerCase(Locale.ROOT);
    }
}
