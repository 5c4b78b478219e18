package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignmentResult;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputCentring;
import io.synalign.io.InputException;
import io.synalign.io.NarrowingCentre;
import io.synalign.io.NpyHeader;
import io.synalign.io.NpyReader;
import io.synalign.io.NpyRowSource;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.RealRowsFingerprint;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextAlignment;
import io.synalign.pipeline.TextEmbedding;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The text form of {@code synalign align}: records in, weighted records (and optionally a
 * weighted sample) out.
 *
 * <p>The synthetic file is streamed ({@link StreamedRecords}), never held: it is read once to
 * check every record and collect the labels, once to embed its texts block by block into an
 * {@code .npy} (the run directory's {@value RunFiles#SYNTHETIC_EMBEDDINGS}, or a temporary file
 * beside {@code --out} that is deleted at the end), which the fit then reads block by block as a
 * {@link io.synalign.kernels.RowSource}, and once to write each record with its weight. So a file
 * of 10^7 records needs memory for its labels, the weights and the fit, not for its texts or
 * embeddings. {@code --synthetic-embeddings S.npy} (and {@code --real-embeddings R.npy}) give
 * a side's embeddings instead, one row per record in file order; the model then embeds only
 * the other side (or nothing). The real records are read whole (they are the few-shot side).
 *
 * <p>Order of work, cheapest checks first so that a bad input fails in seconds: option
 * combinations, output paths and formats, backend, encoder settings; then both files are read
 * and every record checked (text, label); then the labels are grouped ({@link LabelPlan}: e.g.
 * no synthetic label in the real set is an error here, before the model loads),
 * {@code --sample} is checked against the rows that can get weight, and the headers of given
 * embeddings files are checked against the record counts; then the texts are embedded (through
 * the cache) and the weights fitted ({@link TextAlignment}), the sample drawn
 * ({@link WeightedDraw}); the outputs are staged and renamed together, all or none. With
 * {@code --holdout-folds} the held-out check runs after that, on the same backend
 * ({@link TextAlignment.Session}), and its figures are added to {@code --summary} and
 * {@code alignment.json} ({@link HeldOutAfterOutputs}): a failure in it cannot cost the
 * outputs.
 */
final class TextAlignRun {

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

    /** Both files, checked, and their label groups; the synthetic records are not held. */
    private record Inputs(TextFields.LabelledTexts realTexts, StreamedRecords synthetic,
            StreamedRecords.Scan scan, LabelPlan plan) {
    }

    /**
     * Both sides embedded: the real rows in memory, the synthetic rows in a file. {@code real}
     * is as embedded or read (narrowed), for the run directory where it does not keep a copy of
     * the file given ({@link #keepsRealAsGiven}); {@code realForFit} and {@code synthetic} are
     * read less the problem's {@link NarrowingCentre} (the same object as {@code real} when
     * there is none). {@code realCopied}: the run directory's real embeddings are staged
     * already, a copy of the file given.
     */
    private record Embedded(FloatMatrix real, FloatMatrix realForFit, NpyRowSource synthetic,
            NarrowingCentre centre, boolean realCopied, TextAlignReport.Embedding report) {
    }

    /**
     * What a held-out check after the commit needs: the report (whose summary gains its
     * figures), the real rows as fitted, and the outputs staged, as the user named them.
     */
    private record Staged(TextAlignReport report, FloatMatrix realForFit, NarrowingCentre centre,
            List<String> written) {
    }

    int run() throws Exception {
        Settings settings = settings();
        RunDirOutputs runDir = cmd.runDir == null ? null : new RunDirOutputs(cmd.runDir);
        TextAlignment aligner = new TextAlignment(new TextAlignment.Options(
                settings.config(), settings.mode(), settings.backend()),
                cmd.engine.warningUnread(cmd.learner,
                        cmd.spec.commandLine().getParseResult()::hasMatchedOption, err));
        HeldOutAfterOutputs afterwards = new HeldOutAfterOutputs(cmd.holdout.on());
        // scratch: the synthetic embeddings when no run directory keeps them, never committed;
        // closed (deleted) after the held-out check, which reads them. The session's backend
        // opens at the fit and serves the check too.
        try (StderrProgress progress = StderrProgress.create(err, cmd.common.quiet);
                AtomicOutputs outputs = new AtomicOutputs();
                AtomicOutputs scratch = new AtomicOutputs();
                TextAlignment.Session session = aligner.open()) {
            Inputs inputs = read(settings.mode(), progress);
            checkEmbeddingFiles(inputs);
            // The run directory is made now (the synthetic embeddings are staged in it); a
            // failure below removes it again if this run made it and it is still empty.
            boolean madeRunDir = cmd.runDir != null && !Files.exists(cmd.runDir);
            RunDirOption.create(cmd.runDir);
            Staged staged;
            try {
                staged = alignAndStage(settings, inputs, runDir, outputs, scratch, session,
                        afterwards, progress);
            } catch (Exception | Error e) {
                outputs.close();
                if (madeRunDir) {
                    try (var left = Files.list(cmd.runDir)) {
                        if (left.findAny().isEmpty()) {
                            Files.delete(cmd.runDir);
                        }
                    } catch (IOException cleanup) {
                        e.addSuppressed(cleanup);
                    }
                }
                throw e;
            }
            outputs.commit();
            staged.report().print(stdout);
            if (runDir != null) {
                stdout.println(runDir.wroteLine(false));
            }
            stdout.flush();
            if (cmd.holdout.on()) {
                // The synthetic rows again, from where they now are: the file given, the run
                // directory's copy, or the scratch file (not committed, still staged).
                Path rowsFile = cmd.synthetic() != null ? cmd.synthetic()
                        : runDir != null ? runDir.syntheticEmbeddings()
                        : scratch.stagedFile(scratchTarget());
                afterwards.run(() -> {
                    try (NpyRowSource rows = NpyRowSource.open(rowsFile, staged.centre())) {
                        return session.heldOut(inputs.plan(), staged.realForFit(), rows,
                                cmd.holdout.folds, progress);
                    }
                }, cmd.holdout.folds, staged.written(), stdout);
            }
        }
        return ExitCodes.OK;
    }

    /** Embeds, fits, draws the sample and stages every output (not yet committed). */
    private Staged alignAndStage(Settings settings, Inputs inputs,
            RunDirOutputs runDir, AtomicOutputs outputs, AtomicOutputs scratch,
            TextAlignment.Session session, HeldOutAfterOutputs afterwards,
            StderrProgress progress) throws IOException {
        Embedded embedded = embed(settings, inputs, runDir == null ? scratch : outputs,
                runDir == null ? scratchTarget() : runDir.syntheticEmbeddings(),
                runDir == null ? null : runDir.realEmbeddings(), progress);
        LabelledAlignmentResult result;
        try (NpyRowSource rows = embedded.synthetic()) {
            result = session.fit(inputs.plan(), embedded.realForFit(), rows, progress);
        }
        int[] picks = null;
        if (opts.sampledOut != null) {
            int n = opts.sample != null ? opts.sample
                    : WeightedDraw.defaultSize(result.support());
            picks = WeightedDraw.indices(result, n, settings.config().seed(),
                    "synthetic rows", opts.withReplacement);
        }
        TextAlignReport report = new TextAlignReport(new TextAlignReport.Files(opts.real,
                opts.synthetic, cmd.out, opts.sampledOut, cmd.summary, cmd.records.textField,
                opts.labelField, cmd.common.backend), settings.config(), inputs.plan(),
                result, embedded.report(), picks, opts.withReplacement,
                RealRowsFingerprint.of(inputs.realTexts().texts(), inputs.realTexts().labels()),
                inputs.scan().rows().weighted(result.weights()));
        List<String> written = stage(outputs, afterwards, runDir, settings, inputs, result,
                embedded, picks, report, progress);
        return new Staged(report, embedded.realForFit(), embedded.centre(), written);
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
        // With both sides read from embeddings files no text is embedded: no cache is used, and
        // one that could not be created is no reason to refuse.
        Path cacheDir = cmd.real != null && cmd.synthetic() != null ? null
                : cmd.embedding.cacheDirectory(cmd.environment);
        return new Settings(config, mode, outKind, sampledKind, backend, encoderOptions, cacheDir,
                cmd.embedding.modelSpec());
    }

    /**
     * Reads and checks both files (the synthetic one as a stream), groups the rows by label,
     * and refuses a --sample larger than the rows that could get weight, all before the model
     * loads.
     */
    private Inputs read(LabelMode mode, StderrProgress progress) throws IOException {
        String textField = cmd.records.textField;
        List<Record> realRecords = cmd.records.read(opts.real);
        TextFields.LabelledTexts realTexts = TextFields.labelled(opts.real, realRecords,
                textField, opts.labelField);
        GivenLabelField.require(cmd.spec, opts.real, realTexts, opts.labelField);
        StreamedRecords synthetic = new StreamedRecords(opts.synthetic,
                cmd.records.maxLineBytes(), textField, opts.labelField, cmd.embedBlock);
        StreamedRecords.Scan scan = synthetic.scan(TextAlignOptions.WEIGHT_FIELD, progress);
        LabelPlan plan = TextAlignOptions.plan(mode, realTexts.labels(), realRecords.size(),
                scan.labels(), scan.count());
        if (cmd.holdout.on()) {
            cmd.holdout.requireCheckable(plan);
        }
        if (opts.sample != null && !opts.withReplacement
                && opts.sample > plan.weightableSyntheticRows()) {
            throw WeightedDraw.tooLarge(opts.sample, plan.weightableSyntheticRows(),
                    mode == LabelMode.GLOBAL ? "synthetic rows"
                            : "synthetic rows whose label is in the real set");
        }
        return new Inputs(realTexts, synthetic, scan, plan);
    }

    /** Given embeddings files: one row per record, and both of one width, before any work. */
    private void checkEmbeddingFiles(Inputs inputs) throws IOException {
        NpyHeader real = cmd.real == null ? null : NpyReader.inspectMatrix(cmd.real);
        // Every check a row source makes when opened (dtype, order, rank, length), none of the
        // one-array limit: refused here, before a model loads or a run directory takes a copy.
        NpyHeader synthetic = null;
        if (cmd.synthetic() != null) {
            try (NpyRowSource checked = NpyRowSource.open(cmd.synthetic())) {
                synthetic = NpyReader.readHeader(cmd.synthetic());
            }
        }
        if (real != null && real.shape()[0] != inputs.plan().realRows()) {
            throw new IllegalArgumentException("--real-embeddings " + cmd.real + " has shape "
                    + real.shapeText() + " but " + opts.real + " has "
                    + inputs.plan().realRows() + " records; give one row per record");
        }
        if (synthetic != null && (synthetic.shape().length != 2
                || synthetic.shape()[0] != inputs.scan().count())) {
            throw new IllegalArgumentException("--synthetic-embeddings " + cmd.synthetic()
                    + " has shape " + synthetic.shapeText() + " but " + opts.synthetic + " has "
                    + inputs.scan().count() + " records; give one row per record");
        }
        if (real != null && synthetic != null && real.shape()[1] != synthetic.shape()[1]) {
            throw new IllegalArgumentException("dimension mismatch: " + cmd.real + " has shape "
                    + real.shapeText() + " but " + cmd.synthetic() + " has shape "
                    + synthetic.shapeText() + "; both need the same number of columns");
        }
    }

    /**
     * A given embeddings file must be as wide as the model's vectors for the other side: checked
     * as soon as the model is loaded, before any text is embedded.
     */
    private void checkWidth(SentenceEncoder encoder, ModelSpec model) throws IOException {
        Path given = cmd.real != null ? cmd.real : cmd.synthetic();
        if (given == null) {
            return;
        }
        long cols = NpyReader.readHeader(given).shape()[1];
        if (cols != encoder.dimension()) {
            throw new IllegalArgumentException("dimension mismatch: "
                    + (cmd.real != null ? "--real-embeddings " : "--synthetic-embeddings ")
                    + given + " has " + cols + " columns but the model " + model.name()
                    + " embeds the " + (cmd.real != null ? "synthetic" : "real") + " texts in "
                    + encoder.dimension() + "; give embeddings of the same model (synalign"
                    + " embed with the same --encoder)");
        }
    }

    /** Where the synthetic embeddings are staged when no run directory keeps them. */
    private Path scratchTarget() {
        Path name = cmd.out.getFileName();
        return cmd.out.resolveSibling(name + ".synthetic-embeddings.npy");
    }

    /**
     * Whether the run directory keeps --real-embeddings as given, a copy, rather than the rows
     * as read: where the file is float64, whose rows narrowing would move (rows near 1e6 with a
     * spread of 0.01 onto float32's grid there, 0.0625), so that the report's PCA shows the
     * rows the user gave, as it does the synthetic file's copy. A float32 file is written as
     * read, as before.
     */
    private boolean keepsRealAsGiven() throws IOException {
        return cmd.real != null
                && NpyReader.readHeader(cmd.real).requireFloatDtype(cmd.real).itemSize() == 8;
    }

    /**
     * The real rows (embedded, or read from --real-embeddings; a float64 file copied to
     * {@code realCopy} in a run directory) and the synthetic rows, streamed into
     * {@code target} staged in {@code into} (or read from --synthetic-embeddings, copied into a
     * run directory), opened as a row source. The model loads only if a side needs it.
     *
     * @param realCopy the run directory's {@value RunFiles#REAL_EMBEDDINGS}, or null without
     *     a run directory
     */
    private Embedded embed(Settings settings, Inputs inputs, AtomicOutputs into, Path target,
            Path realCopy, StderrProgress progress) throws IOException {
        long start = System.nanoTime();
        boolean model = cmd.real == null || cmd.synthetic() == null;
        FloatMatrix real;
        boolean realCopied = realCopy != null && keepsRealAsGiven();
        TextEmbedding.Stats stats = new TextEmbedding.Stats(-1, -1);
        String encoderId = settings.model().modelId();
        try (SentenceEncoder encoder = model ? cmd.embedding.open(cmd.loader, settings.model(),
                settings.encoderOptions(), settings.cacheDir()) : null) {
            if (encoder != null) {
                checkWidth(encoder, settings.model());
            }
            real = cmd.real != null ? NpyReader.readMatrix(cmd.real)
                    : TextEmbedding.encode(encoder, inputs.realTexts().texts(),
                            progress.encoding("embed real"));
            if (realCopied) {
                into.stage(realCopy, o -> Files.copy(cmd.real, o));
            }
            if (cmd.synthetic() != null) {
                if (into != null && cmd.runDir != null) {
                    into.stage(target, o -> Files.copy(cmd.synthetic(), o));
                }
            } else {
                int count = inputs.scan().count();
                into.stage(target, o -> {
                    NpyWriter.Rows rows = NpyWriter.rows(o, count, encoder.dimension());
                    inputs.synthetic().embed(encoder, inputs.scan(), rows, "embed synthetic",
                            progress);
                    rows.finish();
                });
            }
            if (encoder != null) {
                stats = TextEmbedding.stats(encoder);
                encoderId = encoder.modelId();
            }
        }
        // One centre for both sides when a given embeddings file is float64 (InputCentring),
        // estimated from the real rows; embedded rows shift with it.
        List<Path> given = cmd.synthetic() != null ? List.of(cmd.synthetic()) : List.of();
        NarrowingCentre centre = cmd.real != null ? InputCentring.forFiles(cmd.real, given)
                : cmd.synthetic() != null ? InputCentring.forRows(real, given)
                : NarrowingCentre.NONE;
        FloatMatrix realForFit = centre.isNone() ? real : cmd.real != null
                ? NpyReader.readMatrix(cmd.real, centre) : centre.shift(real);
        NpyRowSource synthetic = NpyRowSource.open(cmd.synthetic() != null ? cmd.synthetic()
                : into.stagedFile(target), centre);
        if (synthetic.cols() != real.cols()) {
            // Checked before the work (checkEmbeddingFiles, checkWidth); a last guard.
            synthetic.close();
            throw new IllegalStateException("real rows have " + real.cols() + " columns,"
                    + " synthetic rows " + synthetic.cols());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Embedded(real, realForFit, synthetic, centre, realCopied,
                TextAlignReport.Embedding.of(
                settings.model(),
                encoderId, settings.encoderOptions().maxLength(), settings.cacheDir(), real.cols(), stats, seconds, cmd.real, cmd.synthetic()));
    }

    /**
     * --out, --sampled-out, --summary and the --run-dir files: each synthetic record with its
     * weight is written in one pass over the file per output that holds them all; the sampled
     * records (at most --sample of them) are gathered during the --out pass.
     */
    private List<String> stage(AtomicOutputs outputs, HeldOutAfterOutputs afterwards,
            RunDirOutputs runDir, Settings settings, Inputs inputs,
            LabelledAlignmentResult result, Embedded embedded, int[] picks,
            TextAlignReport report, StderrProgress progress) throws IOException {
        double[] weights = result.weights();
        if (inputs.scan().hasWeightField()) {
            TextAlignment.warnWeightsReplaced();
        }
        Map<Integer, Record> picked = new HashMap<>();
        if (picks != null) {
            for (int i : picks) {
                picked.put(i, null);
            }
        }
        List<String> written = new ArrayList<>();
        outputs.stage(cmd.out, o -> writeWeighted(o, settings.outKind(),
                inputs.scan().fields(), inputs, weights, picked, "write --out", progress));
        written.add(cmd.out.toString());
        if (picks != null) {
            List<Record> sampled = new ArrayList<>(picks.length);
            for (int i : picks) {
                sampled.add(picked.get(i));
            }
            outputs.stage(opts.sampledOut,
                    o -> RecordWriter.write(o, settings.sampledKind(), sampled));
            written.add(opts.sampledOut.toString());
        }
        if (cmd.summary != null) {
            afterwards.stage(outputs, new HeldOutAfterOutputs.Document(cmd.summary,
                    h -> o -> Json.writePretty(o, report.withHeldOut(h).summary())));
            written.add(cmd.summary.toString());
        }
        if (runDir != null) {
            java.util.function.Predicate<String> used =
                    name -> !cmd.engine.unused().contains(name);
            Map<String, Object> effective = cmd.embedding.effective(settings.cacheDir());
            effective.putAll(cmd.engine.effective());
            effective.put("--sample", picks == null ? null : picks.length);
            runDir.stage(outputs, afterwards,
                    h -> Json.MAPPER.valueToTree(report.withHeldOut(h).summary()),
                    RunSettings.state(cmd.spec, cmd.runDir, used, effective),
                    o -> writeWeighted(o, new RecordFormat.Kind(RecordFormat.JSONL, false),
                            List.of(), inputs, weights, null, "write " + RunFiles.WEIGHTED,
                            progress),
                    embedded.realCopied() ? null
                            : o -> NpyWriter.writeMatrix(o, embedded.real()),
                    null, opts.labelField, inputs.realTexts().labels(), inputs.scan().labels());
            written.add("the run directory " + cmd.runDir);
        }
        return written;
    }

    /**
     * One pass over the synthetic file, writing every record with its weight; records whose
     * index is a key of {@code picked} are kept there.
     */
    private void writeWeighted(java.io.OutputStream out, RecordFormat.Kind kind,
            List<String> columns, Inputs inputs, double[] weights, Map<Integer, Record> picked,
            String stage, StderrProgress progress) throws IOException {
        RecordWriter.Sink sink = RecordWriter.open(out, kind, columns);
        inputs.synthetic().forEach(inputs.scan(), (i, r) -> {
            try {
                sink.write(r.withField(TextAlignOptions.WEIGHT_FIELD, weights[i]));
            } catch (IllegalArgumentException e) {
                // A field the first pass did not see: the header is already written.
                throw new InputException(opts.synthetic, r.line(), "changed while being read: "
                        + e.getMessage());
            }
            if (picked != null && picked.containsKey(i)) {
                picked.put(i, r);
            }
        }, stage, progress);
        sink.finish();
    }
}
