package io.synalign.cli;

import picocli.CommandLine.Option;

/**
 * How much a command says on stderr: {@code -q} and {@code -v}. A mixin of its own so that a
 * command without a kernel backend ({@code embed}) gets them without {@code --backend}; the
 * commands that run kernels get them through {@link CommonOptions}.
 */
class VerbosityOptions {

    @Option(names = {"-q", "--quiet"}, description = "No progress line on stderr (nor a streamed"
            + " fit's plan line).")
    boolean quiet;

    @Option(names = {"-v", "--verbose"},
            description = "Log details on stderr (backend choice, engine and model details), and"
                    + " print the stack trace with an error.")
    boolean verbose;
}
