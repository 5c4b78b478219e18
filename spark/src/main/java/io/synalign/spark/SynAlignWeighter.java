package io.synalign.spark;

import io.synalign.engine.Bandwidth;
import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.alignment.AlignmentMethod;
import io.synalign.engine.labelled.LabelMode;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * SynAlign's synthetic distribution alignment as a Spark ML {@link Estimator}: one sampling
 * weight per synthetic row, learned by RFF-MMD per label (or globally) exactly as the Spark job
 * and {@code synalign align --method rff} learn it ({@link SparkWeightLearner}: the same weights
 * for any partitioning). The input holds real and synthetic rows together, told apart by a
 * boolean column ({@link #syntheticCol()}, true on synthetic rows); texts are embedded on the
 * executors by the sentence encoder ({@link #encoder()}) unless an embedding column is given.
 * The fitted {@link SynAlignWeighterModel} is a {@code Transformer} that adds
 * {@link #weightCol()} to the synthetic rows (null on real rows), matched by the unique
 * {@link #idCol()}; both persist with Spark ML's {@code save}/{@code load} and work as stages
 * of a {@code Pipeline}.
 *
 * <pre>{@code
 * SynAlignWeighterModel model = new SynAlignWeighter().setLabelCol("label")
 *         .setFeatures(1024).setSeed(7).fit(realAndSynthetic);
 * Dataset<Row> weighted = model.transform(realAndSynthetic);
 * }</pre>
 *
 * <p>Cost: the job's (embedding plus about two Spark passes per optimiser product); the fitted
 * weights are kept as a locally checkpointed DataFrame of (id, weight).
 */
public final class SynAlignWeighter extends Estimator<SynAlignWeighterModel>
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;
    private static final String EMBEDDED = "__synalign_embedding";

    private final String uid;
    private final Param<String> syntheticCol;
    private final Param<String> idCol;
    private final Param<String> textCol;
    private final Param<String> labelCol;
    private final Param<String> embeddingCol;
    private final Param<String> weightCol;
    private final Param<String> encoder;
    private final Param<String> device;
    private final IntParam batchSize;
    private final IntParam features;
    private final IntParam iterations;
    private final DoubleParam tolerance;
    private final DoubleParam maxWeightRatio;
    private final Param<String> bandwidth;
    private final LongParam seed;
    private final Param<String> scope;
    private final Param<String> backend;
    private final IntParam partitions;

    public SynAlignWeighter() {
        this(Identifiable.randomUID("synalignWeighter"));
    }

    /** Spark ML's persistence creates stages through this constructor. */
    public SynAlignWeighter(String uid) {
        this.uid = uid;
        syntheticCol = new Param<>(this, "syntheticCol", "boolean column, true on synthetic rows");
        idCol = new Param<>(this, "idCol", "column identifying each synthetic row (unique); the"
                + " model attaches weights by it");
        textCol = new Param<>(this, "textCol", "text column (embedded unless embeddingCol is set)");
        labelCol = new Param<>(this, "labelCol", "label column; absent from the data: one group");
        embeddingCol = new Param<>(this, "embeddingCol", "embedding column to use (an array of numbers or an ML vector)"
                + " instead of encoding textCol; empty: encode");
        weightCol = new Param<>(this, "weightCol", "output column of the weights");
        encoder = new Param<>(this, "encoder", "sentence encoder: minilm, bge-small, a model"
                + " directory, a Hadoop URI of one, or sparkfiles:NAME");
        device = new Param<>(this, "device", "where the encoders run: cpu, cuda, cuda:N");
        batchSize = new IntParam(this, "batchSize", "texts per encoder call (>= 1)");
        features = new IntParam(this, "features", "D, random Fourier features (>= 1)");
        iterations = new IntParam(this, "iterations", "optimiser iterations at most (>= 1)");
        tolerance = new DoubleParam(this, "tolerance", "relative stopping tolerance (> 0)");
        maxWeightRatio = new DoubleParam(this, "maxWeightRatio", "B: no row gets more than B"
                + " times its label's uniform weight (>= 1)");
        bandwidth = new Param<>(this, "bandwidth", "auto (median heuristic per label) or sigma");
        seed = new LongParam(this, "seed", "seeds bandwidth samples, features and the optimiser");
        scope = new Param<>(this, "scope", "per-label or global");
        backend = new Param<>(this, "backend", "kernel backend: auto, cuda, nd4j, reference");
        partitions = new IntParam(this, "partitions", "partitions of the learner's row blocks"
                + " (0: Spark's default parallelism)");
        setDefault(syntheticCol, "is_synthetic");
        setDefault(idCol, "id");
        setDefault(textCol, "text");
        setDefault(labelCol, "label");
        setDefault(embeddingCol, "");
        setDefault(weightCol, SynAlignSparkJob.WEIGHT_FIELD);
        setDefault(encoder, "minilm");
        setDefault(device, "cpu");
        setDefault(batchSize, 32);
        setDefault(features, 1024);
        setDefault(iterations, 500);
        setDefault(tolerance, 1e-6);
        setDefault(maxWeightRatio, 10.0);
        setDefault(bandwidth, "auto");
        setDefault(seed, 0L);
        setDefault(scope, "per-label");
        setDefault(backend, "auto");
        setDefault(partitions, 0);
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark ML finds params through public no-argument methods returning them.
    public Param<String> syntheticCol() { return syntheticCol; }
    public Param<String> idCol() { return idCol; }
    public Param<String> textCol() { return textCol; }
    public Param<String> labelCol() { return labelCol; }
    public Param<String> embeddingCol() { return embeddingCol; }
    public Param<String> weightCol() { return weightCol; }
    public Param<String> encoder() { return encoder; }
    public Param<String> device() { return device; }
    public IntParam batchSize() { return batchSize; }
    public IntParam features() { return features; }
    public IntParam iterations() { return iterations; }
    public DoubleParam tolerance() { return tolerance; }
    public DoubleParam maxWeightRatio() { return maxWeightRatio; }
    public Param<String> bandwidth() { return bandwidth; }
    public LongParam seed() { return seed; }
    public Param<String> scope() { return scope; }
    public Param<String> backend() { return backend; }
    public IntParam partitions() { return partitions; }

    public SynAlignWeighter setSyntheticCol(String v) { set(syntheticCol, v); return this; }
    public SynAlignWeighter setIdCol(String v) { set(idCol, v); return this; }
    public SynAlignWeighter setTextCol(String v) { set(textCol, v); return this; }
    public SynAlignWeighter setLabelCol(String v) { set(labelCol, v); return this; }
    public SynAlignWeighter setEmbeddingCol(String v) { set(embeddingCol, v); return this; }
    public SynAlignWeighter setWeightCol(String v) { set(weightCol, v); return this; }
    public SynAlignWeighter setEncoder(String v) { set(encoder, v); return this; }
    public SynAlignWeighter setDevice(String v) { set(device, v); return this; }
    public SynAlignWeighter setBatchSize(int v) { set(batchSize, v); return this; }
    public SynAlignWeighter setFeatures(int v) { set(features, v); return this; }
    public SynAlignWeighter setIterations(int v) { set(iterations, v); return this; }
    public SynAlignWeighter setTolerance(double v) { set(tolerance, v); return this; }
    public SynAlignWeighter setMaxWeightRatio(double v) { set(maxWeightRatio, v); return this; }
    public SynAlignWeighter setBandwidth(String v) { set(bandwidth, v); return this; }
    public SynAlignWeighter setSeed(long v) { set(seed, v); return this; }
    public SynAlignWeighter setScope(String v) { set(scope, v); return this; }
    public SynAlignWeighter setBackend(String v) { set(backend, v); return this; }
    public SynAlignWeighter setPartitions(int v) { set(partitions, v); return this; }

    /** The learner's settings, checked (each message names the param). */
    SparkAlignmentConfig config() {
        LabelMode mode = switch (getOrDefault(scope).strip().toLowerCase(Locale.ROOT)) {
            case "per-label" -> LabelMode.PER_LABEL;
            case "global" -> LabelMode.GLOBAL;
            default -> throw new IllegalArgumentException("scope " + getOrDefault(scope)
                    + ": expected per-label or global");
        };
        int b = (Integer) getOrDefault(batchSize);
        if (b < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + b);
        }
        try {
            io.synalign.models.EncoderOptions.defaults().withDevice(getOrDefault(device));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device " + e.getMessage(), e);
        }
        AlignmentConfig alignment = AlignmentConfig.defaults().withMethod(AlignmentMethod.RFF)
                .withBandwidth(Bandwidth.parse(getOrDefault(bandwidth)))
                .withFeatures((Integer) getOrDefault(features))
                .withIterations((Integer) getOrDefault(iterations), (Double) getOrDefault(tolerance))
                .withMaxWeightRatio((Double) getOrDefault(maxWeightRatio))
                .withSeed((Long) getOrDefault(seed));
        return new SparkAlignmentConfig(alignment, mode, getOrDefault(backend),
                (Integer) getOrDefault(partitions));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        String synthetic = getOrDefault(syntheticCol);
        if (!names.contains(synthetic) || !(schema.apply(synthetic).dataType() instanceof BooleanType)) {
            throw new IllegalArgumentException("syntheticCol '" + synthetic + "' must be a boolean"
                    + " column, true on synthetic rows (columns: " + String.join(", ", names) + ")");
        }
        String id = getOrDefault(idCol);
        if (!names.contains(id)) {
            throw new IllegalArgumentException("idCol '" + id + "' is not a column (columns: "
                    + String.join(", ", names) + ")");
        }
        String embedding = getOrDefault(embeddingCol);
        String text = getOrDefault(textCol);
        if (embedding.isEmpty() ? !names.contains(text) : !names.contains(embedding)) {
            throw new IllegalArgumentException((embedding.isEmpty() ? "textCol '" + text
                    : "embeddingCol '" + embedding) + "' is not a column (columns: "
                    + String.join(", ", names) + ")");
        }
        if (!embedding.isEmpty()) {
            org.apache.spark.sql.types.DataType type = schema.apply(embedding).dataType();
            if (!isVector(type) && !(type instanceof org.apache.spark.sql.types.ArrayType array
                    && array.elementType() instanceof org.apache.spark.sql.types.NumericType)) {
                throw new IllegalArgumentException("embeddingCol '" + embedding + "' is "
                        + type.simpleString() + ", expected an array of numbers or an ML vector");
            }
        }
        String weight = getOrDefault(weightCol);
        if (names.contains(weight)) {
            throw new IllegalArgumentException("weightCol '" + weight + "' exists already; drop"
                    + " it or name another");
        }
        return schema.add(new StructField(weight, DataTypes.DoubleType, true,
                org.apache.spark.sql.types.Metadata.empty()));
    }

    /** Whether {@code type} is Spark ML's (or the older MLlib's) vector type. */
    private static boolean isVector(org.apache.spark.sql.types.DataType type) {
        return type instanceof org.apache.spark.sql.types.UserDefinedType<?> u
                && (org.apache.spark.ml.linalg.Vector.class.isAssignableFrom(u.userClass())
                        || org.apache.spark.mllib.linalg.Vector.class.isAssignableFrom(u.userClass()));
    }

    @Override
    public SynAlignWeighterModel fit(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        SparkAlignmentConfig config = config();
        SparkSession spark = dataset.sparkSession();
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Dataset<Row> rows = dataset.toDF();
        String synthetic = getOrDefault(syntheticCol);
        String id = getOrDefault(idCol);
        // A null in syntheticCol made a row neither real nor synthetic (both filters drop it),
        // and a null id one whose weight transform's join never finds: refused, counted.
        long unsorted = rows.filter(functions.col(synthetic).isNull()).count();
        if (unsorted > 0) {
            throw new IllegalArgumentException("syntheticCol '" + synthetic + "' is null in "
                    + unsorted + " row" + (unsorted == 1 ? "" : "s") + ": every row must say"
                    + " whether it is synthetic");
        }
        Dataset<Row> real = rows.filter(functions.not(functions.col(synthetic)));
        Dataset<Row> synth = rows.filter(functions.col(synthetic));
        long n = synth.count();
        long nullIds = synth.filter(functions.col(id).isNull()).count();
        if (nullIds > 0) {
            throw new IllegalArgumentException("idCol '" + id + "' is null in " + nullIds
                    + " synthetic row" + (nullIds == 1 ? "" : "s") + ": each needs an id to"
                    + " carry its weight");
        }
        long distinct = synth.select(id).distinct().count();
        if (distinct != n) {
            throw new IllegalArgumentException("idCol '" + id + "' must be unique on the synthetic"
                    + " rows: " + n + " rows, " + distinct + " distinct values");
        }
        String vector = getOrDefault(embeddingCol);
        if (!vector.isEmpty() && isVector(rows.schema().apply(vector).dataType())) {
            // An ML pipeline's vector column (VectorAssembler's, a model's output): read as
            // float32 arrays, as the learner reads every embedding (row.getList failed on it
            // with a ClassCastException).
            org.apache.spark.sql.Column asArray = org.apache.spark.ml.functions.vector_to_array(
                    functions.col(vector), "float32");
            real = real.withColumn(EMBEDDED, asArray);
            synth = synth.withColumn(EMBEDDED, asArray);
            vector = EMBEDDED;
        }
        if (vector.isEmpty()) {
            vector = EMBEDDED;
            real = DistributedEmbedding.embed(spark, real, getOrDefault(textCol), getOrDefault(encoder),
                    getOrDefault(device), (Integer) getOrDefault(batchSize), vector);
            synth = DistributedEmbedding.embed(spark, synth, getOrDefault(textCol),
                    getOrDefault(encoder), getOrDefault(device), (Integer) getOrDefault(batchSize), vector);
        }
        real = real.persist(StorageLevel.MEMORY_AND_DISK());
        synth = synth.persist(StorageLevel.MEMORY_AND_DISK());
        String label = getOrDefault(labelCol);
        boolean labelled = Arrays.asList(rows.columns()).contains(label);
        Broadcast<double[][]> shared = null;
        try (WeightFitting.Fitted fitted = WeightFitting.fit(sc, real, synth,
                labelled ? label : null, vector, config)) {
            SparkAlignmentResult result = fitted.result();
            JavaRDD<IndexedRow> si = fitted.indexed();
            Broadcast<double[][]> w = sc.broadcast(result.weights());
            shared = w;
            int idIndex = synth.schema().fieldIndex(id);
            StructType schema = new StructType().add(synth.schema().apply(id))
                    .add(getOrDefault(weightCol), DataTypes.DoubleType, false);
            JavaRDD<Row> pairs = synth.javaRDD().zip(si).map(t -> RowFactory.create(
                    t._1().get(idIndex), t._2().weight(w.value())));
            // Checkpointed eagerly: the weights outlive the broadcast and the indexed rows.
            Dataset<Row> weights = spark.createDataFrame(pairs, schema).localCheckpoint(true);
            SynAlignWeighterModel model = new SynAlignWeighterModel(uid, weights, result.fits());
            copyValues(model, extractParamMap());
            return model.setParent(this);
        } finally {
            if (shared != null) {
                shared.destroy();
            }
            real.unpersist();
            synth.unpersist();
        }
    }

    @Override
    public SynAlignWeighter copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Spark ML persistence: reads a saved weighter. */
    public static MLReader<SynAlignWeighter> read() {
        return new DefaultParamsReader<>();
    }

    public static SynAlignWeighter load(String path) {
        return read().load(path);
    }
}
