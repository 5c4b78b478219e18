package io.synalign.cli;

import io.synalign.io.AtomicOutputs;
import io.synalign.io.NpyWriter;
import io.synalign.models.EncoderOptions;
import io.synalign.models.ModelSpec;
import io.synalign.models.SentenceEncoder;
import io.synalign.pipeline.TextEmbedding;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code synalign embed}: embeds the text field of every record of a JSON Lines, CSV or TSV
 * file with a sentence encoder and writes the vectors as a float32 {@code .npy}, one row per
 * record in input order (the input of {@code align --real-embeddings/--synthetic-embeddings}
 * and {@code select}).
 *
 * <p>Order of work: options, output path, model name and cache settings are checked; the
 * records are read and every text checked; only then is the model loaded. The output is written
 * atomically after every text was embedded.
 */
@Command(name = "embed", sortOptions = false, mixinStandardHelpOptions = true,
        customSynopsis = {"synalign embed --in TEXTS.jsonl --out EMBEDDINGS.npy [OPTIONS]"},
        versionProvider = VersionProvider.class,
        description = {"Embed the text of every record (JSON Lines, CSV or TSV, optionally .gz)"
                + " with a sentence encoder.",
            "Writes a float32 .npy matrix, one row per record in input order."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:failure (I/O error, internal error, out of memory)",
            "2:bad input (usage, option value or input file)"})
final class EmbedCommand extends CliCommand {

    /** Loads the model; replaceable in tests. */
    EmbeddingOptions.EncoderLoader loader = EmbeddingOptions.ONNX;

    /** The process environment, for the default cache directory; replaceable in tests. */
    java.util.Map<String, String> environment = System.getenv();

    /** Texts embedded per encoder call; smaller in tests. */
    int embedBlock = StreamedRecords.EMBED_BLOCK;

    @PathRole(PathRole.Kind.INPUT)
    @Option(names = "--in", required = true, paramLabel = "TEXTS.jsonl",
            description = "Records to embed: .jsonl, .csv or .tsv, optionally .gz.")
    Path in;

    @PathRole(PathRole.Kind.OUTPUT)
    @Option(names = "--out", required = true, paramLabel = "EMBEDDINGS.npy",
            description = "Where to write the n x d float32 matrix (.npy).")
    Path out;

    @Mixin
    RecordOptions records = new RecordOptions();

    @Mixin
    EmbeddingOptions embedding = new EmbeddingOptions();

    @Mixin
    VerbosityOptions verbosity = new VerbosityOptions();

    @Override
    int execute(PrintWriter stdout, PrintWriter err) throws Exception {
        return run(stdout, err);
    }

    @Override
    boolean verbose() {
        return verbosity.verbose;
    }

    private int run(PrintWriter stdout, PrintWriter err) throws Exception {
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            throw new IllegalArgumentException("--out " + out + ": embeddings are written as"
                    + " .npy; name the file *.npy");
        }
        EncoderOptions options = embedding.encoderOptions();
        Path cache = embedding.cacheDirectory(environment);
        ModelSpec model = embedding.modelSpec();
        // Streamed: one pass checks every record (and counts them, for the .npy header), one
        // embeds a block of texts at a time into the staged file: any number of records.
        StreamedRecords texts = new StreamedRecords(in, records.maxLineBytes(),
                records.textField, null, embedBlock);
        long start = System.nanoTime();
        int count;
        int dimension;
        TextEmbedding.Stats stats;
        try (StderrProgress progress = StderrProgress.create(err, verbosity.quiet)) {
            StreamedRecords.Scan scan = texts.scan(TextAlignOptions.WEIGHT_FIELD, progress);
            count = scan.count();
            try (SentenceEncoder encoder = embedding.open(loader, model, options, cache)) {
                dimension = encoder.dimension();
                AtomicOutputs.writeAtomically(out, o -> {
                    NpyWriter.Rows rows = NpyWriter.rows(o, count, encoder.dimension());
                    texts.embed(encoder, scan, rows, "embed", progress);
                    rows.finish();
                });
                stats = TextEmbedding.stats(encoder);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        stdout.printf(Locale.ROOT, "embedded %d texts with %s (%d dimensions) in %.1f s%s%n",
                count, model.name(), dimension, seconds, stats.describe());
        if (stats.truncationNote() != null) {
            stdout.println(stats.truncationNote());
        }
        stdout.println("wrote " + out);
        stdout.flush();
        return ExitCodes.OK;
    }
}
