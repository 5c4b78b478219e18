package io.synalign.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code held_out} of a check that was asked for ({@code --holdout-folds K}) and failed after the
 * outputs were written ({@link HeldOutAfterOutputs}): {@code {"failed": "<why, one line>",
 * "folds": K}}. Why: with {@code held_out} null such a document read as an alignment run without
 * the check, and the report advised {@code --holdout-folds} as though it had never been asked
 * for.
 *
 * @param failed why the check failed, the one line stderr gave after the outputs' names
 * @param folds the folds asked for
 */
@JsonPropertyOrder(alphabetic = false)
record HeldOutFailed(@JsonProperty("failed") String failed, @JsonProperty("folds") int folds)
        implements HeldOutRecord {
}
