package io.synalign.cli;

/**
 * What {@code held_out} of align's and run's {@code --summary} and {@code alignment.json} holds
 * when {@code --holdout-folds K} was given: the check's figures ({@link HeldOutSummary}), or
 * that it was asked for and failed ({@link HeldOutFailed}). {@code held_out} is null when the
 * check was not asked for (and, while it runs, in the outputs written before it).
 */
sealed interface HeldOutRecord permits HeldOutSummary, HeldOutFailed {
}
