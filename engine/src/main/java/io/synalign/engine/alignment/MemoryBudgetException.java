package io.synalign.engine.alignment;

/**
 * The alignment method asked for needs more memory than the memory budget allows
 * ({@link AlignmentConfig#memoryBudgetBytes()}). The remedy is a larger budget or a method that
 * keeps less ({@code tiled}, {@code rff}); a caller with its own option names (a command line)
 * can phrase it in them from {@link #problem()}.
 */
public final class MemoryBudgetException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String problem;

    MemoryBudgetException(String problem) {
        super(problem + "; raise the memory budget or use method tiled or rff");
        this.problem = problem;
    }

    /** What does not fit, without the remedy. */
    public String problem() {
        return problem;
    }
}
