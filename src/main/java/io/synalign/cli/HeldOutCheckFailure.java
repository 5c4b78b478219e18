package io.synalign.cli;

import java.util.List;

/**
 * The held-out check of {@code --holdout-folds K} failed after the main fit's outputs were
 * written ({@link HeldOutAfterOutputs}): reported as one line naming the outputs, complete and
 * without the check's figures (their {@code held_out} recording the failure, where the
 * documents could be rewritten), and why the check failed; exit status 1.
 */
final class HeldOutCheckFailure extends RuntimeException {

    private final List<String> written;
    private final List<String> recorded;

    /**
     * @param written the outputs committed before the check, as the user named them
     * @param recorded the documents whose {@code held_out} now records the failure
     */
    HeldOutCheckFailure(List<String> written, List<String> recorded, Throwable cause) {
        super("the held-out check failed after the outputs were written", cause);
        this.written = List.copyOf(written);
        this.recorded = List.copyOf(recorded);
    }

    /** The line on stderr, with {@code why}, the cause's own one-line message. */
    String line(String why) {
        return "the outputs were written, weights included (" + join(written)
                + (recorded.isEmpty() ? "), complete and without held_out"
                        : "), complete and without the check's figures (held_out in "
                                + join(recorded) + " records the failure)")
                + "; then the held-out check failed: " + why;
    }

    /** "a", "a and b", "a, b and c". */
    static String join(List<String> names) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            sb.append(i == 0 ? "" : i == names.size() - 1 ? " and " : ", ").append(names.get(i));
        }
        return sb.toString();
    }
}
