package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.io.AtomicOutputs;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextAlignment;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text form of {@code synalign align}: records in, weighted records (and optionally a
 * weighted sample) out.
 *
 * <p>Order of work, cheapest checks first so that a bad input fails in seconds: option
 * combinations, output paths and formats, backend, encoder settings; then both files are read
 * and every record checked (text, label); then the labels are grouped ({@link LabelPlan}: e.g.
 * no synthetic label in the real set is an error here, before the model loads) and
 * {@code --sample} is checked against the rows that can get weight; then the texts are embedded
 * (through the cache) and the weights fitted ({@link TextAlignment}), the sample drawn
 * ({@link WeightedDraw}); only then are the outputs written, atomically, all or none.
 */
final class TextAlignRun {

    private static final Logger LOG = LoggerFactory.getLogger(TextAlignRun.class);

    private final AlignCommand cmd;
    private final TextAlignOptions opts;
    private final PrintWriter stdout;
    private final PrintWriter err;

    TextAlignRun(AlignCommand cmd, PrintWriter stdout, PrintWriter err) {
        this.cmd = cmd;
        this.opts = cmd.text;
        this.stdout = stdout;
        this.err = err;
    }

    /** What the options resolve to, all checked before any file is read. */
    private record Settings(AlignmentConfig config, LabelMode mode, RecordFormat.Kind outKind,
            RecordFormat.Kind sampledKind, String backend, EncoderOptions encoderOptions,
            Path cacheDir, ModelSpec model) {
    }

    /** Both files, read and checked, and their label groups. */
    private record Inputs(List<Record> synthetic, TextFields.LabelledTexts realTexts,
            TextFields.LabelledTexts syntheticTexts, LabelPlan plan) {
    }

    int run() throws Exception {
        Settings settings = settings();
        Inputs inputs = read(settings.mode());

        TextAlignment aligner = new TextAlignment(new TextAlignment.Options(settings.config(),
                settings.mode(), settings.backend()), cmd.learner);
        TextAlignment.Embedded embeddedSets;
        LabelledAlignmentResult result;
        try (StderrProgress progress = StderrProgress.create(err, cmd.common.quiet)) {
            try (SentenceEncoder encoder = cmd.embedding.open(cmd.loader, settings.model(),
                    settings.encoderOptions(), settings.cacheDir())) {
                embeddedSets = aligner.embed(encoder, inputs.realTexts().texts(),
                        inputs.syntheticTexts().texts(), progress);
            }
            result = aligner.fit(inputs.plan(), embeddedSets, progress);
        }
        TextAlignReport.Embedding embedded = TextAlignReport.Embedding.of(settings.model(),
                settings.cacheDir(), embeddedSets);
        int[] picks = null;
        if (opts.sampledOut != null) {
            int n = opts.sample != null ? opts.sample : WeightedDraw.defaultSize(result.support());
            picks = WeightedDraw.indices(result, n, settings.config().seed(), "synthetic rows",
                    opts.withReplacement);
        }
        TextAlignReport report = new TextAlignReport(new TextAlignReport.Files(opts.real,
                opts.synthetic, cmd.out, opts.sampledOut, cmd.summary, cmd.records.textField,
                opts.labelField, cmd.common.backend), settings.config(), inputs.plan(),
                result, embedded, picks, opts.withReplacement);
        write(settings, inputs, result, embeddedSets, picks, report);
        report.print(stdout);
        if (cmd.runDir != null) {
            stdout.println(new RunDirOutputs(cmd.runDir).wroteLine(false));
        }
        stdout.flush();
        return ExitCodes.OK;
    }

    /** Option combinations, output paths and formats, backend, encoder and cache settings. */
    private Settings settings() {
        AlignmentConfig config = cmd.config();
        LabelMode mode = opts.mode();
        opts.checkSample();
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", cmd.out);
        RecordFormat.Kind sampledKind = opts.sampledOut == null ? null
                : RecordFormat.ofOutput("--sampled-out", opts.sampledOut);
        RecordOptions.requireDistinctFields(cmd.records.textField, opts.labelField);
        String backend = cmd.common.checkedBackend();
        EncoderOptions encoderOptions = cmd.embedding.encoderOptions();
        Path cacheDir = cmd.embedding.cacheDirectory(cmd.environment);
        return new Settings(config, mode, outKind, sampledKind, backend, encoderOptions, cacheDir,
                cmd.embedding.modelSpec());
    }

    /**
     * Reads and checks both files, groups the rows by label, and refuses a --sample larger than
     * the rows that could get weight, all before the model loads.
     */
    private Inputs read(LabelMode mode) throws IOException {
        String textField = cmd.records.textField;
        List<Record> realRecords = cmd.records.read(opts.real);
        List<Record> syntheticRecords = cmd.records.read(opts.synthetic);
        TextFields.LabelledTexts realTexts = TextFields.labelled(opts.real, realRecords,
                textField, opts.labelField);
        TextFields.LabelledTexts syntheticTexts = TextFields.labelled(opts.synthetic,
                syntheticRecords, textField, opts.labelField);
        LabelPlan plan = TextAlignOptions.plan(mode, realTexts.labels(), realRecords.size(),
                syntheticTexts.labels(), syntheticRecords.size());
        if (opts.sample != null && !opts.withReplacement
                && opts.sample > plan.weightableSyntheticRows()) {
            throw WeightedDraw.tooLarge(opts.sample, plan.weightableSyntheticRows(),
                    mode == LabelMode.GLOBAL ? "synthetic rows"
                            : "synthetic rows whose label is in the real set");
        }
        return new Inputs(syntheticRecords, realTexts, syntheticTexts, plan);
    }

    /** --out, --sampled-out, --summary and the --run-dir files, atomically: all or none. */
    private void write(Settings settings, Inputs inputs, LabelledAlignmentResult result,
            TextAlignment.Embedded embedded, int[] picks, TextAlignReport report)
            throws IOException {
        List<Record> synthetic = inputs.synthetic();
        List<Record> weighted = TextAlignment.weightedRecords(synthetic, result.weights());
        RunDirOption.create(cmd.runDir); // outputs may lie in it
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(cmd.out, o -> RecordWriter.write(o, settings.outKind(), weighted));
            if (picks != null) {
                List<Record> sampled = WeightedDraw.records(synthetic, picks);
                outputs.stage(opts.sampledOut,
                        o -> RecordWriter.write(o, settings.sampledKind(), sampled));
            }
            if (cmd.summary != null) {
                outputs.stage(cmd.summary, o -> Json.writePretty(o, report.summary()));
            }
            if (cmd.runDir != null) {
                // The embeddings form's inputs are not settings of the text form.
                java.util.function.Predicate<String> used =
                        name -> !cmd.engine.unused().contains(name)
                                && !AlignCommand.EMBEDDINGS_ONLY.contains(name);
                Map<String, Object> effective = cmd.embedding.effective(settings.cacheDir());
                effective.putAll(cmd.engine.effective());
                effective.put("--sample", picks == null ? null : picks.length);
                new RunDirOutputs(cmd.runDir).stage(outputs,
                        Json.MAPPER.valueToTree(report.summary()),
                        RunSettings.state(cmd.spec, cmd.runDir, used, effective), weighted,
                        embedded.real(), embedded.synthetic(), opts.labelField,
                        inputs.realTexts().labels(), inputs.syntheticTexts().labels());
            }
            outputs.commit();
        }
    }
}
