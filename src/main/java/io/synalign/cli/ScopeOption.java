package io.synalign.cli;

import io.synalign.engine.labelled.LabelMode;
import picocli.CommandLine.Option;

/** {@code --scope}: whether {@code align} and {@code run} fit per label or over all rows. */
final class ScopeOption {

    @Option(names = "--scope", paramLabel = "per-label|global",
            converter = Converters.ScopeConverter.class,
            description = "per-label: one fit per label against that label's real rows, each"
                    + " label's weights summing to its share of the real set; global: one fit over"
                    + " all rows, labels only group the report. Default: per-label.")
    LabelMode scope = LabelMode.PER_LABEL;
}
