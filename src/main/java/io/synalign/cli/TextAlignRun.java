package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.textalign.AlignmentMode;
import io.synalign.textalign.LabelPlan;
import io.synalign.textalign.TextAlignment;
import io.synalign.textalign.TextAlignmentResult;
import io.synalign.textalign.WeightedSampler;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * (through the cache), the weights fitted ({@link TextAlignment}), the sample drawn
 * ({@link WeightedSampler}); only then are the outputs written, atomically, all or none.
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

    int run() throws Exception {
        AlignmentConfig config = cmd.config();
        AlignmentMode mode = opts.mode();
        opts.checkSample();
        new OutputTargets().input("--real", opts.real).input("--synthetic", opts.synthetic)
                .add("--out", cmd.out).add("--sampled-out", opts.sampledOut)
                .add("--summary", cmd.summary);
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", cmd.out);
        RecordFormat.Kind sampledKind = opts.sampledOut == null ? null
                : RecordFormat.ofOutput("--sampled-out", opts.sampledOut);
        String textField = cmd.records.textField;
        if (textField.equals(opts.labelField)) {
            throw new IllegalArgumentException("--text-field and --label-field both name '"
                    + textField + "'");
        }
        String backendName = cmd.common.checkedBackend();
        EncoderOptions encoderOptions = cmd.embedding.encoderOptions();
        Path cacheDir = cmd.embedding.cacheDirectory(cmd.environment);
        ModelSpec model = cmd.embedding.modelSpec();

        List<Record> realRecords = cmd.records.read(opts.real);
        List<Record> syntheticRecords = cmd.records.read(opts.synthetic);
        TextFields.LabelledTexts realTexts = TextFields.labelled(opts.real, realRecords,
                textField, opts.labelField);
        TextFields.LabelledTexts syntheticTexts = TextFields.labelled(opts.synthetic,
                syntheticRecords, textField, opts.labelField);
        LabelPlan plan = LabelPlan.of(mode, realTexts.labels(), realRecords.size(),
                syntheticTexts.labels(), syntheticRecords.size());
        if (opts.sample != null && opts.sample > plan.weightableSyntheticRows()) {
            throw sampleTooLarge(plan.weightableSyntheticRows(), mode == AlignmentMode.GLOBAL
                    ? "synthetic rows" : "synthetic rows whose label is in the real set");
        }

        TextAlignmentResult result;
        TextAlignReport.Embedding embedded;
        try (StderrProgress progress = StderrProgress.create(err, cmd.common.quiet)) {
            long start = System.nanoTime();
            FloatMatrix real;
            FloatMatrix synthetic;
            TextEmbedding.Stats stats;
            try (SentenceEncoder encoder = cmd.embedding.open(cmd.loader, model, encoderOptions,
                    cacheDir)) {
                real = TextEmbedding.encode(encoder, realTexts.texts(),
                        progress.encoding("embed real"));
                synthetic = TextEmbedding.encode(encoder, syntheticTexts.texts(),
                        progress.encoding("embed synthetic"));
                stats = TextEmbedding.stats(encoder);
            }
            embedded = new TextAlignReport.Embedding(model.name(), model.modelId(), real.cols(),
                    cacheDir, stats, (System.nanoTime() - start) / 1e9);
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                TextAlignment alignment = new TextAlignment((c, r, s, p) -> {
                    AlignmentResult fit = cmd.learner.fit(backend, c, r, s, p);
                    ResultChecks.checkWeights(fit.weights(), s.rows());
                    return fit;
                }, config);
                result = alignment.align(plan, real, synthetic, progress);
            }
        }
        ResultChecks.checkWeights(result.weights(), syntheticRecords.size());

        int[] picks = null;
        if (opts.sample != null) {
            if (opts.sample > result.support()) {
                throw sampleTooLarge(result.support(), "synthetic rows with a positive weight");
            }
            picks = WeightedSampler.sample(result.weights(), opts.sample, config.seed());
        }

        List<Record> weighted = weightedRecords(syntheticRecords, result.weights());
        TextAlignReport report = new TextAlignReport(cmd, config, plan, result, embedded, picks);
        int[] drawn = picks;
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(cmd.out, o -> RecordWriter.write(o, outKind, weighted));
            if (drawn != null) {
                List<Record> sampled = new ArrayList<>(drawn.length);
                for (int i : drawn) {
                    sampled.add(syntheticRecords.get(i));
                }
                outputs.stage(opts.sampledOut, o -> RecordWriter.write(o, sampledKind, sampled));
            }
            if (cmd.summary != null) {
                outputs.stage(cmd.summary, o -> Json.writePretty(o, report.summary()));
            }
            outputs.commit();
        }
        report.print(stdout);
        stdout.flush();
        return ExitCodes.OK;
    }

    private IllegalArgumentException sampleTooLarge(int support, String what) {
        return new IllegalArgumentException("--sample " + opts.sample + " exceeds the " + support
                + " " + what + "; records are drawn without replacement, so at most " + support
                + " can be drawn");
    }

    /** Every synthetic record with its weight added (an existing weight field is replaced). */
    private static List<Record> weightedRecords(List<Record> records, double[] weights) {
        List<Record> out = new ArrayList<>(records.size());
        boolean replaced = false;
        for (int i = 0; i < records.size(); i++) {
            replaced |= records.get(i).has(TextAlignOptions.WEIGHT_FIELD);
            out.add(records.get(i).withField(TextAlignOptions.WEIGHT_FIELD, weights[i]));
        }
        if (replaced) {
            LOG.warn("the synthetic records already have a field {}; its values were replaced",
                    TextAlignOptions.WEIGHT_FIELD);
        }
        return out;
    }
}
