package io.synalign.cli;

import io.synalign.data.TextFields;
import io.synalign.io.InputException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A {@code --label-field} given on the command line must name a field of the real rows. Left
 * out, a file without labels is one group; given and missing from every record (a typo:
 * {@code --label-field lable}), {@code generate} wrote 20 unlabelled rows where 120 were meant,
 * {@code align} fitted one group while it printed "mode: per-label", and {@code test} reported
 * the overall figures only, each with exit 0. {@code evaluate} refused it already.
 */
final class GivenLabelField {

    private GivenLabelField() {
    }

    /**
     * @throws InputException naming {@code file} and the field when {@code --label-field} was
     *     given and no record of {@code read} has it
     */
    static void require(CommandSpec spec, Path file, TextFields.LabelledTexts read,
            String labelField) {
        if (!read.labelled() && given(spec)) {
            throw new InputException(file, "no record has the label field '" + labelField
                    + "' given with --label-field (leave the option out for unlabelled rows)");
        }
    }

    /** Whether {@code --label-field} was typed on the command line. */
    static boolean given(CommandSpec spec) {
        return spec.commandLine().getParseResult() != null
                && spec.commandLine().getParseResult().hasMatchedOption("--label-field");
    }
}
