package io.synalign.cli;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.alignment.AlignmentResult;
import io.synalign.engine.alignment.MmdWeightLearner;
import io.synalign.engine.labelled.HeldOutCheck;
import io.synalign.engine.labelled.LabelMode;
import io.synalign.engine.labelled.LabelPlan;
import io.synalign.engine.labelled.LabelledAlignment;
import io.synalign.io.AtomicOutputs;
import io.synalign.io.InputCentring;
import io.synalign.io.NarrowingCentre;
import io.synalign.io.NpyHeader;
import io.synalign.io.NpyReader;
import io.synalign.io.NpyRowSource;
import io.synalign.io.NpyWriter;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.kernels.RowSource;
import io.synalign.pipeline.RealRowsFingerprint;
import io.synalign.pipeline.RunFiles;
import io.synalign.pipeline.TextAlignment;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code synalign align}: learns one sampling weight per synthetic row so that the weighted
 * synthetic set matches the real set in MMD (synthetic distribution alignment, "Few-shot LLM
 * Synthetic Data with Distribution Matching", WWW 2025). Two forms:
 *
 * <ul>
 *   <li>embeddings ({@code --real-embeddings/--synthetic-embeddings}): writes the weights as a
 *       float64 {@code .npy};</li>
 *   <li>text records ({@code --real/--synthetic}): embeds the texts (or reads their
 *       embeddings from {@code --real-embeddings/--synthetic-embeddings}), aligns per label or
 *       globally, writes every synthetic record with its weight and optionally a weighted
 *       sample, streaming the synthetic records; see {@link TextAlignRun}.</li>
 * </ul>
 *
 * <p>Order of work (embeddings form): option values are validated while parsing; then the
 * output paths, the backend name and both input headers (dtype, rank, emptiness, length,
 * matching dimensions) are checked; then both inputs are read (finite values); only then is the
 * engine called. The outputs are written atomically, all or none, after the engine succeeded;
 * with {@code --holdout-folds K} the held-out check runs after that, and its figures are then
 * added to the summary ({@link HeldOutAfterOutputs}).
 */
@Command(name = "align", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign align --real-embeddings R.npy --synthetic-embeddings S.npy",
            "                      --out WEIGHTS.npy [--summary SUMMARY.json] [OPTIONS]",
            "   or: synalign align --real REAL.jsonl --synthetic SYNTH.jsonl",
            "                      --out WEIGHTED.jsonl [--sample N --sampled-out OUT.jsonl]",
            "                      [--real-embeddings R.npy] [--synthetic-embeddings S.npy]",
            "                      [--scope per-label|global] [--summary SUMMARY.json]",
            "                      [--run-dir DIR] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Learn sampling weights for synthetic rows so that the weighted synthetic"
                + " set matches the real set in MMD (RBF kernel exp(-||x-y||^2 / (2 sigma^2))).",
            "Embeddings form: writes one float64 weight per synthetic row, in input order,"
                + " non-negative, summing to 1.",
            "Text form: embeds the texts, fits per label (each label keeps its share of the real"
                + " set) or globally, and writes every synthetic record with a field "
                + TextAlignOptions.WEIGHT_FIELD + "; weights sum to 1."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class AlignCommand extends CliCommand {

    /** The engine call, replaceable in tests. */
    TextAlignment.WeightLearner learner = TextAlignment.WeightLearner.MMD;

    /** Loads the sentence encoder of the text form; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    /** Synthetic texts embedded per encoder call in the text form; smaller in tests. */
    int embedBlock = StreamedRecords.EMBED_BLOCK;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--real-embeddings", paramLabel = "R.npy",
            description = "Embeddings form: the m real rows, a 2-D float32 or float64 array."
                    + " Text form: the real records' embeddings (one row per record, in file"
                    + " order) instead of embedding their texts.")
    Path real;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--synthetic-embeddings", paramLabel = "S.npy",
            description = "Embeddings form: the n synthetic rows to weight, a 2-D float32 or"
                    + " float64 array with the same columns; repeat the option for shards (files"
                    + " of the same columns, taken one after another as one set: the weights"
                    + " follow that order). Text form: the synthetic records'"
                    + " embeddings (one file, one row per record, in file order, e.g. from"
                    + " 'synalign embed') instead of embedding their texts; read from the file"
                    + " block by block, any number of rows.")
    List<Path> syntheticFiles;

    /**
     * The one --synthetic-embeddings file, or null when none was given.
     *
     * @throws IllegalArgumentException when several were given (only the embeddings form
     *     takes shards)
     */
    Path synthetic() {
        if (syntheticFiles == null || syntheticFiles.isEmpty()) {
            return null;
        }
        if (syntheticFiles.size() > 1) {
            throw new IllegalArgumentException("the text form of align takes one"
                    + " --synthetic-embeddings file (one row per record), got "
                    + syntheticFiles.size() + "; shards are for --real-embeddings/"
                    + "--synthetic-embeddings alone");
        }
        return syntheticFiles.get(0);
    }

    @Mixin
    TextAlignOptions text = new TextAlignOptions();

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "WEIGHTS.npy|WEIGHTED.jsonl",
            description = "Embeddings form: where to write the n weights (1-D float64 .npy)."
                    + " Text form: where to write the weighted synthetic records.")
    Path out;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--summary", paramLabel = "SUMMARY.json",
            description = "Also write a JSON summary (MMD^2 before/after, ESS, method, per-label"
                    + " table, ...).")
    Path summary;

    @PathRole(value = PathRole.Kind.RUN_DIRECTORY, files = {RunFiles.ALIGNMENT, RunFiles.WEIGHTED, RunFiles.REAL_EMBEDDINGS,
            RunFiles.SYNTHETIC_EMBEDDINGS, RunFiles.LABELS})
    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "Text form: also write the run directory that 'synalign report' reads"
                    + " (created if missing): " + RunFiles.ALIGNMENT + " (the summary plus every"
                    + " option value), " + RunFiles.WEIGHTED + ", " + RunFiles.REAL_EMBEDDINGS
                    + ", " + RunFiles.SYNTHETIC_EMBEDDINGS + " and " + RunFiles.LABELS + ".")
    Path runDir;

    @Mixin
    AlignmentEngineOptions engine = new AlignmentEngineOptions();

    @Option(names = "--seed", paramLabel = "S",
            description = "Seeds the bandwidth sample and the random features (text form: each"
                    + " label's fit gets a seed derived from S and the label; --sample draws"
                    + " with S). Default: ${DEFAULT-VALUE}.")
    long seed = AlignmentConfig.defaults().seed();

    @Mixin
    HoldoutOption holdout = new HoldoutOption();

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    /** Options that only the text form reads. */
    private static final List<String> TEXT_ONLY = List.of("--label-field", "--scope",
            "--sample", "--with-replacement", "--sampled-out", "--run-dir", "--text-field",
            "--max-line-size", "--encoder",
            "--batch-size", "--max-length", "--device", "--cache-dir", "--no-cache");

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        if (textForm()) {
            return new TextAlignRun(this, stdout, err).run();
        }
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }

    /**
     * Which form the options ask for.
     *
     * @throws IllegalArgumentException when they mix the forms or give half of one
     */
    private boolean textForm() {
        boolean npy = real != null || syntheticFiles != null;
        boolean texts = text.real != null || text.synthetic != null;
        if (!npy && !texts) {
            throw new IllegalArgumentException("give --real and --synthetic (text records), or"
                    + " --real-embeddings and --synthetic-embeddings (.npy)");
        }
        if (texts) {
            if (text.real == null || text.synthetic == null) {
                throw new IllegalArgumentException(text.real == null
                        ? "--synthetic needs --real, the real records to match"
                        : "--real needs --synthetic, the synthetic records to weight");
            }
            synthetic(); // one file at most
            return true;
        }
        if (real == null || syntheticFiles == null) {
            throw new IllegalArgumentException(real == null
                    ? "--synthetic-embeddings needs --real-embeddings, the real rows to match"
                    : "--real-embeddings needs --synthetic-embeddings, the synthetic rows to weight");
        }
        for (String option : TEXT_ONLY) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new IllegalArgumentException(option + " belongs to the text form of align"
                        + " (--real/--synthetic), not to --real-embeddings/--synthetic-embeddings");
            }
        }
        if (out != null && !out.getFileName().toString().toLowerCase(Locale.ROOT)
                .endsWith(".npy")) {
            // The weights of this form are a .npy vector: refused, as embed does, rather than
            // written as binary into a name that promises text.
            throw new IllegalArgumentException("--out " + out + ": the weights of"
                    + " --real-embeddings/--synthetic-embeddings are written as .npy; name the"
                    + " file *.npy");
        }
        return false;
    }

    /** The engine settings from the options. */
    AlignmentConfig config() {
        return engine.config(seed, spec.commandLine().getParseResult()::hasMatchedOption);
    }

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        AlignmentConfig config = config();
        String backendName = common.checkedBackend();

        // Headers first: a dimension mismatch is reported before a large file is read. S is
        // read as a source of rows: whole into memory when it fits one array and the method is
        // neither rff nor nystrom, else block by block from the files (rff and nystrom
        // stream rows of any number). Shards are one source, read one after another.
        NpyHeader realHeader = NpyReader.inspectMatrix(real);
        AlignmentEngineOptions.checkFeatures(config, realHeader.shape()[1]);
        long headerRows;
        try (RowSource checked = openShards(realHeader, NarrowingCentre.NONE)) {
            headerRows = checked.rows(); // every shard checked first
        }
        if (holdout.on()) {
            // From the headers alone, before any row is read: a check that could run nothing
            // (too few real rows, or too many rows for its exact score) is refused, not paid for.
            holdout.requireCheckable((int) realHeader.shape()[0], headerRows);
        }
        // One centre for R and every shard, float32 or float64 (InputCentring): subtracted in
        // float64 as the rows are narrowed, so rows far from the origin keep their spread.
        NarrowingCentre centre = InputCentring.forFiles(real, syntheticFiles);
        AlignmentResult result;
        long n;
        HeldOutAfterOutputs afterwards = new HeldOutAfterOutputs(holdout.on());
        try (RowSource mapped = openShards(realHeader, centre)) {
            n = mapped.rows();
            FloatMatrix r = NpyReader.readMatrix(real, centre);
            RealRowsFingerprint realRows = realRows(r.rows(), r.cols());
            long values = n * mapped.cols();
            // Read whole here only within one array and by the engine's rule for reading
            // streamed rows whole (MmdWeightLearner.readsWhole: S, R and, with the bandwidth
            // from the median heuristic, its sample beside them, within half of the heap's
            // maximum; the held-out check reads a group by the same rule); past that the engine
            // takes the source and decides: auto streams rff, a named exact or tiled beyond the
            // heap's maximum is refused before any row is read. Read here regardless, such rows
            // ended the run in OutOfMemoryError before the engine could say so. The sample
            // (MedianHeuristic.heapBytes: 81 MB at 2,000 rows of d = 8,000; 96 MB before
            // helper median34) stands beside rows read here; the engine, given the source,
            // takes it before it reads S whole.
            // Without it a 2,000 x 8,000 exact fit ran at -Xmx128m (the source passed on) and
            // ran out of memory at -Xmx160m (S read here, then the sample beside it). The rule
            // reads sizes and -Xmx only (helper median34): it read half of the heap free at
            // the moment before, so one command could read S here in one run and stream it in
            // the next; either way the weights are the same bits (the engine reads the same
            // rows whole from the source).
            boolean whole = config.method() != AlignmentMethod.RFF
                    && config.method() != AlignmentMethod.NYSTROM
                    && values <= NpyReader.MAX_ELEMENTS
                    && MmdWeightLearner.readsWhole(n, mapped.cols(), r,
                            config.bandwidth().isAuto(), 0);
            RowSource s = !whole ? mapped : RowSource.of(syntheticFiles.size() == 1
                    ? NpyReader.readMatrix(syntheticFiles.get(0), centre) : mapped.toMatrix());
            try (KernelBackend backend = KernelBackends.create(backendName);
                    StderrProgress progress = StderrProgress.create(err, common.quiet)) {
                LabelledAlignment.Fitter fitter = engine.warningUnread(learner,
                        spec.commandLine().getParseResult()::hasMatchedOption, err)
                        .checked(backend);
                result = fitter.fit(config, r, s, progress);
                AlignmentSummary json = AlignmentSummary.of(real, realRows, syntheticFiles, r.rows(), n,
                        r.cols(), config, result, PeakMemory.residentBytes(), null);
                // The weights first, exactly as without the check; then the check, whose
                // figures are added to the summary (HeldOutAfterOutputs).
                List<String> written = new ArrayList<>(List.of(out.toString()));
                try (AtomicOutputs outputs = new AtomicOutputs()) {
                    outputs.stage(out, o -> NpyWriter.writeVector(o, result.weights()));
                    if (summary != null) {
                        afterwards.stage(outputs, new HeldOutAfterOutputs.Document(summary,
                                h -> o -> Json.writePretty(o, json.withHeldOut(h))));
                        written.add(summary.toString());
                    }
                    outputs.commit();
                }
                printSummary(stdout, json, result);
                if (holdout.on()) {
                    afterwards.run(() -> new HeldOutCheck(fitter, config, backend, holdout.folds)
                            .run(LabelPlan.of(LabelMode.GLOBAL, null, r.rows(), null, (int) n),
                                    r, s, progress), holdout.folds, written, stdout);
                }
            }
        }
        return ExitCodes.OK;
    }

    /**
     * The fingerprint of --real-embeddings ({@link RealRowsFingerprint#ofEmbeddings}): its rows
     * as the file holds them, read again uncentred (the fit's copy may be read less a centre,
     * which depends on the synthetic files too).
     */
    private RealRowsFingerprint realRows(int rows, int cols) throws IOException {
        try (NpyRowSource file = NpyRowSource.open(real)) {
            return RealRowsFingerprint.ofEmbeddings(rows, cols, file::readExact);
        }
    }

    /**
     * The --synthetic-embeddings files, opened as row sources read less {@code centre}, as one
     * source, each checked against R's columns before anything is read (a centre, of R's
     * width, is only given once every shard was checked with {@link NarrowingCentre#NONE}).
     *
     * @throws IllegalArgumentException naming the file whose columns differ from R's
     */
    private RowSource openShards(NpyHeader realHeader, NarrowingCentre centre)
            throws IOException {
        List<RowSource> shards = new ArrayList<>();
        try {
            for (Path file : syntheticFiles) {
                NpyRowSource shard = NpyRowSource.open(file, centre);
                shards.add(shard);
                if (realHeader.shape()[1] != shard.cols()) {
                    throw new IllegalArgumentException("dimension mismatch: " + real
                            + " has shape " + realHeader.shapeText() + " but " + file
                            + " has shape (" + shard.rows() + ", " + shard.cols() + "); both"
                            + " need the same number of columns");
                }
            }
            return RowSource.concat(shards);
        } catch (IOException | RuntimeException | Error e) {
            for (RowSource shard : shards) {
                try {
                    shard.close();
                } catch (RuntimeException | Error closing) {
                    e.addSuppressed(closing); // the error naming the bad shard comes first
                }
            }
            throw e;
        }
    }

    private void printSummary(PrintWriter stdout, AlignmentSummary s, AlignmentResult r) {
        String reduction = s.mmd2Reduction() == null ? "n/a"
                : String.format(Locale.ROOT, "%.1f%% lower", 100 * s.mmd2Reduction());
        stdout.printf(Locale.ROOT, "MMD^2 (%s): %s uniform -> %s weighted (%s)%n",
                r.mmdEstimator(), Numbers.short4(r.mmd2Uniform()),
                Numbers.short4(r.mmd2Weighted()), reduction);
        stdout.printf(Locale.ROOT, "effective sample size: %.1f of %d synthetic rows (%.1f%%)%n",
                r.effectiveSampleSize(), s.nSynthetic(),
                100 * r.effectiveSampleSize() / s.nSynthetic());
        stdout.printf(Locale.ROOT, "method: %s, backend: %s, bandwidth: %s%s%n",
                r.method().cliName(), r.backend(), Numbers.short4(r.bandwidth()),
                s.bandwidthAuto() ? " (median heuristic)" : "");
        stdout.printf(Locale.ROOT, "iterations: %d (%s), %.2f s%n", r.iterations(),
                r.converged() ? "converged" : "not converged: iteration cap reached", r.seconds());
        // The MMD^2 line above is to the rows the weights were fitted to; with
        // --holdout-folds the check's line follows once the outputs are written.
        stdout.println("wrote " + out + (summary == null ? "" : " and " + summary));
        stdout.flush();
    }
}
