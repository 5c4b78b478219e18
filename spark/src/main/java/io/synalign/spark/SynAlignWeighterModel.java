package io.synalign.spark;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The weights a {@link SynAlignWeighter} learned, as a {@code Transformer}: {@link #transform}
 * adds {@link #weightCol()} to every row whose {@link #syntheticCol()} is true (all rows when the
 * data has no such column), the weight of the synthetic row with the same {@link #idCol()}
 * value (0 for a synthetic id the fit did not see); real rows get null. The input's columns and
 * their order are kept. Saved with {@code save(path)} as Spark ML metadata plus a Parquet table
 * of (id, weight) under {@code path/data}; {@link #load} reads it back. The per-label figures of
 * the fit ({@link #fits()}) are kept in memory only (empty after a load).
 */
public final class SynAlignWeighterModel extends Model<SynAlignWeighterModel> implements MLWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private final transient Dataset<Row> weights;
    private final transient List<LabelFit> fits;
    private final Param<String> syntheticCol;
    private final Param<String> idCol;
    private final Param<String> weightCol;

    SynAlignWeighterModel(String uid, Dataset<Row> weights, List<LabelFit> fits) {
        this.uid = uid;
        this.weights = weights;
        this.fits = List.copyOf(fits);
        syntheticCol = new Param<>(this, "syntheticCol", "boolean column, true on synthetic rows");
        idCol = new Param<>(this, "idCol", "column identifying each synthetic row");
        weightCol = new Param<>(this, "weightCol", "output column of the weights");
        setDefault(syntheticCol, "is_synthetic");
        setDefault(idCol, "id");
        setDefault(weightCol, SynAlignSparkJob.WEIGHT_FIELD);
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> syntheticCol() { return syntheticCol; }
    public Param<String> idCol() { return idCol; }
    public Param<String> weightCol() { return weightCol; }

    public SynAlignWeighterModel setWeightCol(String v) { set(weightCol, v); return this; }

    /** The learned (id, weight) pairs. */
    public Dataset<Row> weights() {
        return weights;
    }

    /** Per label, what the fit found (empty for a loaded model). */
    public List<LabelFit> fits() {
        return fits;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(getOrDefault(idCol))) {
            throw new IllegalArgumentException("idCol '" + getOrDefault(idCol) + "' is not a column"
                    + " (columns: " + String.join(", ", names) + ")");
        }
        if (names.contains(getOrDefault(weightCol))) {
            throw new IllegalArgumentException("weightCol '" + getOrDefault(weightCol)
                    + "' exists already; drop it or name another");
        }
        return schema.add(getOrDefault(weightCol), DataTypes.DoubleType, true);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema());
        String id = getOrDefault(idCol);
        String weight = getOrDefault(weightCol);
        String joined = "__synalign_learned";
        Dataset<Row> learned = weights.toDF(id, joined);
        Dataset<Row> rows = dataset.toDF();
        Column[] keep = Arrays.stream(rows.columns()).map(c -> rows.col(c)).toArray(Column[]::new);
        Dataset<Row> withWeights = rows.join(learned, rows.col(id).equalTo(learned.col(id)), "left");
        Column value = functions.coalesce(learned.col(joined), functions.lit(0.0));
        Column out = Arrays.asList(rows.columns()).contains(getOrDefault(syntheticCol))
                ? functions.when(rows.col(getOrDefault(syntheticCol)), value)
                        .otherwise(functions.lit(null).cast(DataTypes.DoubleType))
                : value;
        Column[] select = Arrays.copyOf(keep, keep.length + 1);
        select[keep.length] = out.as(weight);
        return withWeights.select(select);
    }

    @Override
    public SynAlignWeighterModel copy(ParamMap extra) {
        SynAlignWeighterModel copy = new SynAlignWeighterModel(uid, weights, fits);
        copyValues(copy, extra);
        return copy.setParent(parent());
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    /** Spark ML persistence: reads a saved model. */
    public static MLReader<SynAlignWeighterModel> read() {
        return new Reader();
    }

    public static SynAlignWeighterModel load(String path) {
        return read().load(path);
    }

    private static final class Writer extends MLWriter {
        private final SynAlignWeighterModel instance;

        Writer(SynAlignWeighterModel instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(instance, path, sparkSession());
            instance.weights.write().parquet(new org.apache.hadoop.fs.Path(path, "data").toString());
        }
    }

    private static final class Reader extends MLReader<SynAlignWeighterModel> {
        @Override
        public SynAlignWeighterModel load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path,
                    sparkSession(), SynAlignWeighterModel.class.getName());
            Dataset<Row> weights = sparkSession().read().parquet(
                    new org.apache.hadoop.fs.Path(path, "data").toString());
            SynAlignWeighterModel model = new SynAlignWeighterModel(metadata.uid(), weights, List.of());
            metadata.getAndSetParams(model, scala.Option.empty());
            return model;
        }
    }
}
