package io.synalign.spark;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.labelled.LabelMode;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.core.io.NumberOutput;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code spark-submit} entry point: text-level alignment of the CLI's {@code align --real
 * --synthetic} form as a Spark job. Reads real and synthetic records (Parquet or JSON Lines),
 * embeds the text field on the executors ({@link DistributedEmbedding}) unless an embedding
 * column is given, learns RFF-MMD weights per label ({@link SparkWeightLearner}), writes every
 * synthetic record plus {@code synalign_weight}, and optionally draws {@code --sample} records by
 * weight ({@link DistributedSampler}) to {@code --sampled-out}. Options mirror the CLI's. JSON
 * Lines written from JSON Lines are the input lines as read, the weight set in them as the CLI
 * sets it ({@link JsonLines#withField}); other outputs are Spark's typed columns.
 *
 * <p>Row order is the inputs' (files in name order, rows in file order), never shuffled: the
 * bandwidth sample, the optimiser's seeded power iteration and the sampler's keys are functions
 * of row positions, so that the job gives the single-machine results for the same rows in the
 * same order. Parallelism comes from the input splits ({@code spark.sql.files.maxPartitionBytes}).
 */
@Command(name = "synalign-spark", mixinStandardHelpOptions = true,
        description = "Weight synthetic records to match real ones (RFF-MMD), on Spark.")
public final class SynAlignSparkJob implements Callable<Integer> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SynAlignSparkJob.class);

    /** The field added to every synthetic record of --out (as the CLI). */
    public static final String WEIGHT_FIELD = "synalign_weight";
    private static final String EMBEDDING = "_synalign_embedding";
    /** Spark's list of classes its Kryo serializer registers. */
    static final String KRYO_CLASSES = "spark.kryo.classesToRegister";

    @Option(names = "--real", required = true, paramLabel = "REAL",
            description = "The real records: Parquet or JSON Lines (a file or directory).")
    String real;

    @Option(names = "--synthetic", required = true, paramLabel = "SYNTH",
            description = "The synthetic records to weight.")
    String synthetic;

    @Option(names = "--out", required = true, paramLabel = "OUT",
            description = "Where to write every synthetic record plus " + WEIGHT_FIELD
                    + " (a directory of part files; must not exist).")
    String out;

    @Option(names = "--format", paramLabel = "auto|parquet|jsonl", defaultValue = "auto",
            description = "Format of all inputs and outputs; auto: from each path's name."
                    + " Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--text-field", paramLabel = "FIELD", defaultValue = "text",
            description = "The field holding each record's text. Default: ${DEFAULT-VALUE}.")
    String textField;

    /** The command line this job was parsed from; null when built in code. */
    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.SELF)
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * Whether --label-field was given: on the command line, or (a job built in code) set to
     * other than the default.
     */
    private boolean labelFieldGiven() {
        if (spec != null && spec.commandLine() != null
                && spec.commandLine().getParseResult() != null) {
            return spec.commandLine().getParseResult().hasMatchedOption("--label-field");
        }
        return !"label".equals(labelField);
    }

    @Option(names = "--label-field", paramLabel = "FIELD", defaultValue = "label",
            description = "The field holding each record's label. Without it in either input,"
                    + " all rows form one group. Default: ${DEFAULT-VALUE}.")
    String labelField;

    @Option(names = "--scope", paramLabel = "per-label|global", defaultValue = "per-label",
            description = "per-label: one fit per label, each label keeping its share of the real"
                    + " set; global: one fit over all rows, labels ignored. Default:"
                    + " ${DEFAULT-VALUE}.")
    String scope;

    @Option(names = "--embedding-field", paramLabel = "FIELD",
            description = "Use this array<float|double> field as the embedding instead of"
                    + " encoding the text field.")
    String embeddingField;

    @Option(names = "--encoder", paramLabel = "minilm|bge-small|DIR|URI|sparkfiles:NAME",
            defaultValue = "minilm",
            description = "Sentence encoder: a built-in name, a model directory on every"
                    + " executor, any Hadoop URI of one (hdfs://, s3a://...; each executor copies"
                    + " it to local disk once), or sparkfiles:NAME for a directory shipped with"
                    + " spark-submit --archives model.tgz#NAME. Default: ${DEFAULT-VALUE}.")
    String encoder;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N", defaultValue = "cpu",
            description = "Where the executors' encoders run (cuda needs ONNX Runtime's GPU build"
                    + " on the executors). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "32",
            description = "Texts per encoder call. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--bandwidth", paramLabel = "auto|SIGMA", defaultValue = "auto",
            description = "RBF bandwidth, or auto (median heuristic per label, as the CLI)."
                    + " Default: ${DEFAULT-VALUE}.")
    String bandwidth;

    @Option(names = "--features", paramLabel = "D", defaultValue = "1024",
            description = "Random Fourier features. Default: ${DEFAULT-VALUE}.")
    int features;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "500",
            description = "Optimiser iteration cap. Default: ${DEFAULT-VALUE}.")
    int iterations;

    @Option(names = "--tolerance", paramLabel = "T", defaultValue = "1e-6",
            description = "Relative-improvement stopping tolerance. Default: ${DEFAULT-VALUE}.")
    double tolerance;

    @Option(names = "--max-weight-ratio", paramLabel = "B", defaultValue = "10",
            description = "No row gets more than B times the uniform weight of its label."
                    + " Default: ${DEFAULT-VALUE}.")
    double maxWeightRatio;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seeds bandwidth samples, random features and --sample."
                    + " Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "Kernel backend on driver and executors: auto (cuda where the"
                    + " executor has a GPU, else nd4j), cuda, nd4j or reference."
                    + " Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--sample", paramLabel = "N",
            description = "Also draw N synthetic records by weight without replacement"
                    + " (Efraimidis-Spirakis, seeded by --seed) to --sampled-out.")
    Integer sample;

    @Option(names = "--sampled-out", paramLabel = "PATH",
            description = "Where --sample writes the drawn records, as --out has them.")
    String sampledOut;

    @Option(names = "--summary", paramLabel = "PATH",
            description = "Also write a JSON summary (any Hadoop path; written to a temporary"
                    + " file and renamed): per label the rows, bandwidth, MMD^2 before and after"
                    + " (exact where affordable, else the rff estimate), ESS, rows with a positive"
                    + " weight, iterations; the passes and seconds.")
    String summary;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
            description = "Partitions the rows are spread over for embedding and for the"
                    + " learner's row blocks; 0: Spark's default parallelism (the executors'"
                    + " cores). The weights do not depend on it. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master when not run by spark-submit (e.g. local[4]).")
    String master;

    /** What a run did, for callers and tests. */
    public record Outcome(SparkAlignmentResult result, long syntheticRows, long[] sampled) {
    }

    /** The weights were written, but the sample asked for could not be drawn from them. */
    private static final class SampleRefused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Outcome fitted;

        SampleRefused(String message, Outcome fitted) {
            super(message);
            this.fitted = fitted;
        }
    }

    /**
     * Runs the job; exits 0 on success, 2 on bad input (an option value, a missing field or
     * input path, a record check failing on an executor) and 1 on any other failure, each
     * failure reported as one line on stderr.
     */
    public static void main(String[] args) {
        System.exit(JobErrors.execute(JobErrors.commandLine(new SynAlignSparkJob()), args));
    }

    @Override
    public Integer call() {
        // Registered for Kryo (spark.kryo.registrationRequired=true), added to the user's list:
        // every class the fit ships through spark.serializer (KryoClasses), among them a cached
        // partition of features, which must serialize when another executor fetches it.
        SparkSession.Builder builder = SparkSession.builder().appName("synalign")
                .config(KRYO_CLASSES, KryoClasses.withOurs(new SparkConf().get(KRYO_CLASSES, "")));
        if (master != null) {
            builder.master(master);
        }
        SparkSession spark = builder.getOrCreate();
        long start = System.nanoTime();
        Outcome outcome = run(spark);
        double seconds = (System.nanoTime() - start) / 1e9;
        for (LabelFit fit : outcome.result().fits()) {
            System.out.println(String.format(Locale.ROOT,
                    "label %s: %d real, %d synthetic, %s, sigma %.6g, MMD^2 %.6g -> %.6g (%s),"
                            + " ESS %.1f, %d with positive weight, %d iterations%s, share %.6g",
                    fit.label(), fit.realRows(), fit.syntheticRows(),
                    fit.fitted() ? "fitted" : "not fitted", fit.bandwidth(),
                    fit.exact() ? fit.exactUniform() : fit.mmd2Uniform(),
                    fit.exact() ? fit.exactWeighted() : fit.mmd2Weighted(),
                    fit.exact() ? "exact" : "rff estimate", fit.effectiveSampleSize(),
                    fit.positive(), fit.iterations(), fit.converged() ? " (converged)" : "",
                    fit.targetShare()));
        }
        System.out.println(String.format(Locale.ROOT, "%d synthetic rows weighted in %d Spark"
                + " passes (set-up %.1f s, optimisation %.1f s, %.1f s in all); wrote %s%s%s",
                outcome.syntheticRows(), outcome.result().passes(),
                outcome.result().setupSeconds(), outcome.result().optimiseSeconds(), seconds, out,
                outcome.sampled() == null ? "" : " and " + outcome.sampled().length
                        + " sampled rows to " + sampledOut,
                summary == null ? "" : "; summary " + summary));
        return 0;
    }

    /** Runs the job on a session (which it leaves open). */
    public Outcome run(SparkSession spark) {
        LabelMode mode = switch (scope.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "per-label" -> LabelMode.PER_LABEL;
            case "global" -> LabelMode.GLOBAL;
            default -> throw new IllegalArgumentException("--scope " + scope
                    + ": expected per-label or global");
        };
        if ((sample == null) != (sampledOut == null)) {
            throw new IllegalArgumentException("--sample and --sampled-out go together");
        }
        try {
            io.synalign.models.EncoderOptions.defaults().withDevice(device);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device " + e.getMessage(), e);
        }
        if (sample != null && sample < 1) {
            throw new IllegalArgumentException("--sample must be >= 1, got " + sample);
        }
        AlignmentConfig alignment = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withBandwidth(Bandwidth.parse(bandwidth)).withFeatures(features)
                .withIterations(iterations, tolerance).withMaxWeightRatio(maxWeightRatio)
                .withSeed(seed);
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: Spark's default"
                    + " parallelism), got " + partitions);
        }
        SparkAlignmentConfig config = new SparkAlignmentConfig(alignment, mode, backend,
                partitions);
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // Outputs are checked before any work and written under hidden staging paths, renamed
        // into place only once everything is written: a failure leaves nothing at --out or
        // --sampled-out (Spark would otherwise leave a partial directory, or --out without the
        // sample when the draw fails).
        String outFormat = DataFrames.format(out, format);
        String sampledFormat = sampledOut == null ? null : DataFrames.format(sampledOut, format);
        StagedOutput weightsOut = StagedOutput.of(sc.hadoopConfiguration(), "--out", out);
        StagedOutput sampleOut = null;
        if (sampledOut != null) {
            sampleOut = StagedOutput.of(sc.hadoopConfiguration(), "--sampled-out", sampledOut);
            if (weightsOut.qualifiedTarget().equals(sampleOut.qualifiedTarget())) {
                throw new IllegalArgumentException("--out and --sampled-out are the same path: "
                        + out);
            }
            // Each is a directory of parts, committed one after the other: one inside the other
            // was found only at the second commit, with the first already in place.
            if (JobSummary.within(weightsOut.qualifiedTarget(), sampleOut.qualifiedTarget())
                    || JobSummary.within(sampleOut.qualifiedTarget(),
                            weightsOut.qualifiedTarget())) {
                throw new IllegalArgumentException("--out " + out + " and --sampled-out "
                        + sampledOut + " are one inside the other; give separate paths");
            }
        }
        if (summary != null) {
            Map<String, org.apache.hadoop.fs.Path> outputs = new LinkedHashMap<>();
            outputs.put("--out", weightsOut.qualifiedTarget());
            if (sampleOut != null) {
                outputs.put("--sampled-out", sampleOut.qualifiedTarget());
            }
            Map<String, String> inputs = new LinkedHashMap<>();
            inputs.put("--real", real);
            inputs.put("--synthetic", synthetic);
            JobSummary.check(sc.hadoopConfiguration(), summary, outputs, inputs);
        }
        // Before any input is read: a failing file modified later changed under the job.
        long began = System.currentTimeMillis();
        try {
            Outcome outcome;
            try {
                outcome = run(spark, sc, mode, config, weightsOut, outFormat, sampleOut,
                        sampledFormat);
            } catch (SampleRefused e) {
                // The fit is the expensive part: keep its weights (and their summary), refuse
                // only the sample.
                commit(sc, e.fitted, weightsOut, null);
                throw new IllegalArgumentException("--sample " + sample + ": " + e.getMessage()
                        + "; the weights were written to --out " + out + " (draw fewer rows, or"
                        + " from them)", e);
            } catch (Exception e) { // Spark's SparkException too: checked, but thrown undeclared
                // A bad line, found by a task or by an input's schema inference: name the
                // first bad line of the first input that has one, --real before --synthetic.
                IllegalArgumentException located = FirstBadLine.located(spark, e,
                        jsonLinesInputs());
                if (located != null) {
                    throw located;
                }
                // An input file that failed after its schema was inferred (deleted or cut
                // short before the fit read it): named with its option, judged as inference's
                // failures are.
                Map<String, String> inputs = new LinkedHashMap<>();
                inputs.put("--real", real);
                inputs.put("--synthetic", synthetic);
                RuntimeException late = DataFrames.lateReadFailure(sc.hadoopConfiguration(), e,
                        inputs, format, began);
                if (late != null) {
                    throw late;
                }
                throw e;
            }
            commit(sc, outcome, weightsOut, sampleOut);
            return outcome;
        } finally {
            weightsOut.abort();
            if (sampleOut != null) {
                sampleOut.abort();
            }
        }
    }

    /**
     * Commits the outputs, the summary last: the summary is written first (to a temporary file),
     * so a summary that cannot be written fails the job before anything is at --out, and its
     * rename, the last step, is the only one that can still fail after the outputs are in place.
     */
    private void commit(JavaSparkContext sc, Outcome outcome, StagedOutput weightsOut,
            StagedOutput sampleOut) {
        JobSummary.Staged staged = summary == null ? null
                : JobSummary.stage(sc.hadoopConfiguration(), summary, outcome);
        try {
            weightsOut.commit();
            if (sampleOut != null) {
                sampleOut.commit();
            }
        } catch (RuntimeException | Error e) {
            if (staged != null) {
                staged.abort();
            }
            throw e;
        }
        if (staged != null) {
            staged.commit();
        }
    }

    private Outcome run(SparkSession spark, JavaSparkContext sc, LabelMode mode,
            SparkAlignmentConfig config, StagedOutput weightsOut, String outFormat,
            StagedOutput sampleOut, String sampledFormat) {
        // Spread over the executors' cores (or --partitions), in order, before the embedding.
        int spreadOver = config.partitions() > 0 ? config.partitions() : sc.defaultParallelism();
        if (mode == LabelMode.PER_LABEL && labelField.equals(embeddingField != null
                ? embeddingField : textField)) {
            throw new IllegalArgumentException((embeddingField != null ? "--embedding-field"
                    : "--text-field") + " and --label-field both name '" + labelField + "'");
        }
        // JSON Lines written out again keep each record's line, to be written as it came.
        boolean keepLines = outFormat.equals("json")
                || (sampledFormat != null && sampledFormat.equals("json"));
        // When every output is synthetic lines as read, no record's other fields are written:
        // JSON Lines records then have only the fields the fit reads parsed (the rest cost a
        // conversion each and a place in the cached rows: about 4 s of 16 at 220,000 records).
        // Parquet written from JSON Lines needs every field; its reads are as before.
        Set<String> parsed = null;
        if (outFormat.equals("json") && (sampledFormat == null || sampledFormat.equals("json"))) {
            parsed = new HashSet<>();
            parsed.add(embeddingField != null ? embeddingField : textField);
            if (mode == LabelMode.PER_LABEL) {
                parsed.add(labelField);
            }
        }
        Dataset<Row> realRows = DataFrames.spread(spark, DataFrames.read(spark, "--real", real,
                format, labelField, false, parsed), spreadOver);
        Dataset<Row> syntheticRows = DataFrames.spread(spark, DataFrames.read(spark,
                "--synthetic", synthetic, format, labelField, keepLines, parsed), spreadOver);
        boolean realLabelled = has(realRows, labelField);
        boolean syntheticLabelled = has(syntheticRows, labelField);
        if (mode == LabelMode.PER_LABEL && !realLabelled && !syntheticLabelled
                && labelFieldGiven()) {
            // As the CLI: a mistyped --label-field fitted one group, exit 0.
            throw new IllegalArgumentException("no record of --real " + real + " or --synthetic "
                    + synthetic + " has the label field '" + labelField + "' given with"
                    + " --label-field (leave it out for unlabelled records)");
        }
        if (mode == LabelMode.PER_LABEL && realLabelled != syntheticLabelled) {
            throw new IllegalArgumentException("only the " + (realLabelled ? "real" : "synthetic")
                    + " records have the label field '" + labelField + "'; per-label alignment"
                    + " needs it on every real and synthetic record (or use --scope global)");
        }
        boolean labelled = realLabelled && syntheticLabelled;
        String vectorField = embeddingField != null ? embeddingField : EMBEDDING;
        Dataset<Row> realEmbedded = embedded(spark, "--real " + real, realRows)
                .persist(StorageLevel.MEMORY_AND_DISK());
        Dataset<Row> syntheticEmbedded = embedded(spark, "--synthetic " + synthetic, syntheticRows)
                .persist(StorageLevel.MEMORY_AND_DISK());
        Broadcast<double[][]> weights = null;
        Broadcast<long[]> picked = null;
        try (WeightFitting.Fitted fitted = WeightFitting.fit(sc, realEmbedded, syntheticEmbedded,
                labelled ? labelField : null, vectorField, config)) {
            SparkAlignmentResult result = fitted.result();
            JavaRDD<IndexedRow> si = fitted.indexed();

            Dataset<Row> output = syntheticEmbedded;
            if (embeddingField == null) {
                output = output.drop(EMBEDDING);
            }
            boolean lines = has(output, JsonLines.LINE);
            Dataset<Row> fields = lines ? output.drop(JsonLines.LINE) : output;
            if (has(fields, WEIGHT_FIELD)) {
                // Reweighting weighted rows (this job's own output): the new weight replaces the
                // old one, as in the single-machine CLI.
                LOG.warn("the synthetic records already have a field {}; its values are replaced",
                        WEIGHT_FIELD);
                fields = fields.drop(WEIGHT_FIELD);
            }
            Broadcast<double[][]> w = sc.broadcast(result.weights());
            weights = w;
            if (lines && outFormat.equals("json")) {
                // Each record's line as read, its weight set as the CLI sets it: the same text
                // Jackson's generator (Spark's JSON writer, the CLI's) gives a double.
                int at = output.schema().fieldIndex(JsonLines.LINE);
                JavaRDD<String> weighted = output.javaRDD().zip(si).map(t -> JsonLines.withField(
                        t._1().getString(at), WEIGHT_FIELD, NumberOutput.toString(
                                t._2().weight(w.value()))));
                weightsOut.writing(() -> DataFrames.writeLines(spark, weighted,
                        weightsOut.stagingPath()));
            } else {
                StructType schema = fields.schema().add(WEIGHT_FIELD, DataTypes.DoubleType,
                        false);
                JavaRDD<Row> weighted = fields.javaRDD().zip(si).map(t -> {
                    Row row = t._1();
                    IndexedRow ir = t._2();
                    Object[] values = new Object[row.size() + 1];
                    for (int i = 0; i < row.size(); i++) {
                        values[i] = row.get(i);
                    }
                    values[row.size()] = ir.weight(w.value());
                    return RowFactory.create(values);
                });
                weightsOut.writing(() -> DataFrames.write(spark.createDataFrame(weighted,
                        schema), weightsOut.stagingPath(), outFormat));
            }

            long[] picks = null;
            if (sample != null) {
                try {
                    picks = DistributedSampler.sample(si.mapToPair(x -> new Tuple2<>(x.row(),
                            x.weight(w.value()))), sample, seed);
                } catch (IllegalArgumentException e) {
                    long fittedRows = 0;
                    for (LabelFit fit : result.fits()) {
                        fittedRows += fit.syntheticRows();
                    }
                    throw new SampleRefused(e.getMessage(), new Outcome(result, fittedRows, null));
                }
                Broadcast<long[]> p = sc.broadcast(picks);
                picked = p;
                if (lines && sampledFormat.equals("json")) {
                    // The drawn records as read, as the CLI writes them.
                    int at = output.schema().fieldIndex(JsonLines.LINE);
                    JavaRDD<String> drawn = output.javaRDD().zip(si)
                            .filter(t -> Arrays.binarySearch(p.value(), t._2().row()) >= 0)
                            .map(t -> t._1().getString(at));
                    sampleOut.writing(() -> DataFrames.writeLines(spark, drawn,
                            sampleOut.stagingPath()));
                } else {
                    JavaRDD<Row> drawn = fields.javaRDD().zip(si)
                            .filter(t -> Arrays.binarySearch(p.value(), t._2().row()) >= 0)
                            .map(t -> t._1());
                    StructType drawnSchema = fields.schema();
                    sampleOut.writing(() -> DataFrames.write(spark.createDataFrame(drawn,
                            drawnSchema), sampleOut.stagingPath(), sampledFormat));
                }
            }
            long n = 0;
            for (LabelFit fit : result.fits()) {
                n += fit.syntheticRows();
            }
            return new Outcome(result, n, picks);
        } finally {
            if (weights != null) {
                weights.destroy();
            }
            if (picked != null) {
                picked.destroy();
            }
            realEmbedded.unpersist();
            syntheticEmbedded.unpersist();
        }
    }

    /**
     * {@code rows} with their embeddings; {@code what} the option and path they were read
     * from, which a refusal of the embedding field names (it named neither, so a user with two
     * inputs could not tell which lacked the field: review32s).
     */
    private Dataset<Row> embedded(SparkSession spark, String what, Dataset<Row> rows) {
        if (embeddingField != null) {
            if (!has(rows, embeddingField)) {
                throw new IllegalArgumentException(what + ": no embedding field '"
                        + embeddingField
                        + "' (columns: " + String.join(", ", JsonLines.userColumns(rows)) + ")");
            }
            DataType type = rows.schema().apply(embeddingField).dataType();
            if (!(type instanceof ArrayType array
                    && array.elementType() instanceof NumericType)) {
                throw new IllegalArgumentException(what + ": the embedding field '"
                        + embeddingField + "' is " + type.simpleString() + ", expected an array of numbers");
            }
            return rows;
        }
        return DistributedEmbedding.embed(spark, rows, textField, encoder, device, batchSize,
                EMBEDDING);
    }

    /**
     * The inputs read as JSON Lines, option to path, in the order of the command line (and of
     * the README): --real, then --synthetic. An input whose format cannot be told was never
     * read (its read failed first), so it holds no bad line and is left out.
     */
    private Map<String, String> jsonLinesInputs() {
        Map<String, String> inputs = new LinkedHashMap<>();
        for (String[] input : new String[][] {{"--real", real}, {"--synthetic", synthetic}}) {
            try {
                if (DataFrames.format(input[1], format).equals("json")) {
                    inputs.put(input[0], input[1]);
                }
            } catch (IllegalArgumentException unknown) {
                // not read, see above
            }
        }
        return inputs;
    }

    private static boolean has(Dataset<Row> rows, String field) {
        return field != null && Arrays.asList(rows.columns()).contains(field);
    }

}
