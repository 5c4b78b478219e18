package io.synalign.cli;

import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.pipeline.TextAlignment;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options of the text form of {@code synalign align} (records in, weighted records out). */
final class TextAlignOptions {

    /** The field added to every synthetic record of --out. */
    static final String WEIGHT_FIELD = TextAlignment.WEIGHT_FIELD;

    /**
     * {@link LabelPlan#of}, with a label mismatch's remedy phrased in this command line's
     * options ({@code --label-field}, {@code --scope global}).
     */
    static LabelPlan plan(LabelMode mode, List<String> realLabels, int nReal,
            List<String> syntheticLabels, int nSynthetic) {
        try {
            return LabelPlan.of(mode, realLabels, nReal, syntheticLabels, nSynthetic);
        } catch (LabelPlan.Mismatch e) {
            String remedy = e.remedy() == LabelPlan.Mismatch.Remedy.GLOBAL_MODE
                    ? "or use --scope global" : "check --label-field, or use --scope global";
            throw new IllegalArgumentException(e.problem() + " (" + remedy + ")", e);
        }
    }

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--real", paramLabel = "REAL.jsonl",
            description = "Text form: the real records (JSON Lines, CSV or TSV, optionally"
                    + " gzip-compressed).")
    Path real;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--synthetic", paramLabel = "SYNTH.jsonl",
            description = "Text form: the synthetic records to weight (JSON Lines, CSV or TSV,"
                    + " optionally gzip-compressed). --out then gets every synthetic record plus"
                    + " a field " + WEIGHT_FIELD + "; its format follows its name.")
    Path synthetic;

    @Option(names = "--label-field", paramLabel = "FIELD",
            description = "The field holding each record's label. Without it in either file, all"
                    + " rows form one group (given, it must be a field of the real rows)."
                    + " Default: ${DEFAULT-VALUE}.")
    String labelField = "label";

    @Mixin
    ScopeOption scope = new ScopeOption();

    @Option(names = "--sample", paramLabel = "N", converter = Converters.PositiveInt.class,
            description = "Also draw N synthetic records by weight, without replacement"
                    + " (Efraimidis-Spirakis, seeded by --seed), and write them unchanged to"
                    + " --sampled-out. N may not exceed the rows with positive weight. Default"
                    + " with --sampled-out: half the rows with a positive weight (at least 1)."
                    + " Without replacement, inclusion is proportional to the weights only while N"
                    + " is a small part of them (at half, a row of 43 times another's weight was"
                    + " drawn 18.6 times as often); --with-replacement keeps it proportional.")
    Integer sample;

    @Option(names = "--with-replacement",
            description = "Draw the sample with replacement: N independent draws, so a record"
                    + " may repeat, N may exceed the rows with a positive weight, and each"
                    + " record's expected count is proportional to its weight at any N.")
    boolean withReplacement;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--sampled-out", paramLabel = "ALIGNED.jsonl",
            description = "Where the drawn records go (--sample N of them, or the default"
                    + " size); the format follows the name (.jsonl, .csv, .tsv, optionally + .gz).")
    Path sampledOut;

    /** The alignment scope. */
    LabelMode mode() {
        return scope.scope;
    }

    /** @throws IllegalArgumentException when --sample or --with-replacement comes without --sampled-out */
    void checkSample() {
        if (withReplacement && sampledOut == null) {
            throw new IllegalArgumentException("--with-replacement needs --sampled-out FILE, the"
                    + " sample it draws");
        }
        if (sample != null && sampledOut == null) {
            throw new IllegalArgumentException("--sample " + sample + " needs --sampled-out FILE"
                    + " to write the drawn records to");
        }

    }
}
