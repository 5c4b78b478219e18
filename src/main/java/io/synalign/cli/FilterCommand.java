package io.synalign.cli;

import io.synalign.data.Record;
import io.synalign.data.RecordFormat;
import io.synalign.data.RecordWriter;
import io.synalign.data.TextFields;
import io.synalign.io.AtomicOutputs;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackends;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.SemanticFilter;
import io.synalign.pipeline.TextEmbedding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code synalign filter}: semantic leakage and near-duplicate removal ({@link SemanticFilter})
 * for synthetic rows. Rows of {@code --in} whose cosine (the encoder's) to a row of an
 * {@code --against} file reaches {@code --threshold} are removed as leakage; of the rest, a row
 * that close to an earlier kept row is removed as a near-duplicate. The kept rows are written
 * unchanged, in order; {@code --summary} lists every removed row with the row it matched and the
 * cosine.
 *
 * <p>Order of work: options and every file are read and checked; then the encoder embeds every
 * text once; the outputs are written atomically, together.
 */
@Command(name = "filter", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign filter --in S.jsonl --out CLEAN.jsonl [--against A.jsonl,B.jsonl]"
                + " [--threshold T] [--summary F.json] [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Remove synthetic rows that leak a reference set (a test set) or"
                + " near-duplicate an earlier row, by the encoder's cosine."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class FilterCommand extends CliCommand {

    /** Loads the model; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    Map<String, String> environment = System.getenv();

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--in", required = true, paramLabel = "S.jsonl",
            description = "The rows to filter (JSON Lines, CSV or TSV, optionally .gz).")
    Path in;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--against", split = ",", paramLabel = "A.jsonl",
            description = "Reference files (a test set): a row this close to one of their rows is"
                    + " leakage. Comma-separated or repeated.")
    List<Path> against = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "T",
            description = "The cosine at or above which two texts count as one, in [-1, 1]."
                    + " Default: ${DEFAULT-VALUE}.")
    double threshold = 0.95;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "CLEAN.jsonl",
            description = "Where the kept rows go, unchanged; the format follows the name.")
    Path out;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--summary", paramLabel = "F.json",
            description = "Also write every removed row, the row it matched and the cosine.")
    Path summary;

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    CommonOptions common = new CommonOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new IllegalArgumentException("--threshold " + threshold + ": a cosine, in [-1, 1]");
        }
        RecordFormat.Kind outKind = RecordFormat.ofOutput("--out", out);
        String backendName = common.checkedBackend();
        EncoderOptions options = embedding.encoderOptions();
        Path cache = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();
        List<Record> rows = records.read(in);
        List<String> texts = TextFields.texts(in, rows, records.textField);
        List<List<Record>> referenceRows = new ArrayList<>();
        List<List<String>> referenceTexts = new ArrayList<>();
        for (Path a : against) {
            List<Record> r = records.read(a);
            referenceRows.add(r);
            referenceTexts.add(TextFields.texts(a, r, records.textField));
        }

        long start = System.nanoTime();
        SemanticFilter.Result result;
        String truncated;
        try (StderrProgress progress = StderrProgress.create(err, common.quiet)) {
            FloatMatrix x;
            List<FloatMatrix> refs = new ArrayList<>();
            try (SentenceEncoder encoder = embedding.open(loader, model, options, cache)) {
                x = TextEmbedding.encode(encoder, texts, progress.encoding("embed"));
                for (int s = 0; s < referenceTexts.size(); s++) {
                    refs.add(TextEmbedding.encode(encoder, referenceTexts.get(s),
                            progress.encoding("embed " + against.get(s).getFileName())));
                }
                truncated = TextEmbedding.stats(encoder).truncationNote();
            }
            try (KernelBackend backend = KernelBackends.create(backendName)) {
                result = SemanticFilter.filter(backend, x, refs, threshold, true, progress);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        List<Record> kept = new ArrayList<>(result.kept().length);
        for (int i : result.kept()) {
            kept.add(rows.get(i));
        }
        try (AtomicOutputs outputs = new AtomicOutputs()) {
            outputs.stage(out, o -> RecordWriter.write(o, outKind, kept));
            if (summary != null) {
                Map<String, Object> doc = document(result, rows, referenceRows, texts.size());
                outputs.stage(summary, o -> Json.writePretty(o, doc));
            }
            outputs.commit();
        }
        long leaks = result.removed().stream().filter(r -> r.reason() == SemanticFilter.Reason.LEAKAGE).count();
        stdout.printf(Locale.ROOT, "kept %d of %d rows; removed %d leaking %s and %d near-duplicates"
                + " (cosine >= %s with %s) in %.1f s%n", kept.size(), rows.size(), leaks,
                against.isEmpty() ? "(no --against)" : "--against", result.removed().size() - leaks,
                Numbers.short4(threshold), model.name(), seconds);
        if (truncated != null) {
            stdout.println(truncated);
        }
        stdout.println("wrote " + out + (summary == null ? "" : " and " + summary));
        stdout.flush();
        return ExitCodes.OK;
    }

    private Map<String, Object> document(SemanticFilter.Result result, List<Record> rows,
            List<List<Record>> referenceRows, int n) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("threshold", threshold);
        root.put("input", n);
        root.put("kept", result.kept().length);
        List<Object> removed = new ArrayList<>();
        for (SemanticFilter.Removal r : result.removed()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", r.row());
            m.put("line", rows.get(r.row()).line());
            m.put("reason", r.reason() == SemanticFilter.Reason.LEAKAGE ? "leakage" : "duplicate");
            Map<String, Object> match = new LinkedHashMap<>();
            boolean leak = r.reason() == SemanticFilter.Reason.LEAKAGE;
            match.put("file", (leak ? against.get(r.set()) : in).toString());
            match.put("index", r.match());
            match.put("line", (leak ? referenceRows.get(r.set()) : rows).get(r.match()).line());
            m.put("match", match);
            m.put("cosine", r.cosine());
            removed.add(m);
        }
        root.put("removed", removed);
        return root;
    }

    @Override
    boolean verbose() {
        return common.verbose;
    }
}
