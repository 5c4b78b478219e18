package io.synalign.cli;

import java.util.List;

/**
 * The held-out check of {@code --holdout-folds K} failed after the main fit's outputs were
 * written ({@link HeldOutAfterOutputs}): reported as one line naming the outputs, complete and
 * without {@code held_out}, and why the check failed; exit status 1.
 */
final class HeldOutCheckFailure extends RuntimeException {

    private final List<String> written;

    /** @param written the outputs committed before the check, as the user named them */
    HeldOutCheckFailure(List<String> written, Throwable cause) {
        super("the held-out check failed after the outputs were written", cause);
        this.written = List.copyOf(written);
    }

    /** The line on stderr, with {@code why}, the cause's own one-line message. */
    String line(String why) {
        return "the outputs were written, weights included (" + join(written)
                + "), complete and without held_out; then the held-out check failed: " + why;
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
