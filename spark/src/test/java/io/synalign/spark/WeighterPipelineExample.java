package io.synalign.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The README's Spark ML example, run by {@code WeighterPipelineExampleTest} in local mode: real
 * and synthetic review texts in one DataFrame, a {@code Pipeline} whose stage is a
 * {@link SynAlignWeighter}, the fitted pipeline saved, loaded and applied.
 */
public final class WeighterPipelineExample {

    private WeighterPipelineExample() {
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().master("local[2]").appName("synalign-ml")
                .getOrCreate();
        run(spark, args.length > 0 ? args[0] : "/tmp/synalign-pipeline").show(false);
    }

    // README:BEGIN
    static Dataset<Row> run(SparkSession spark, String modelPath) {
        List<Row> rows = new ArrayList<>();
        String[] real = {"The delivery was late again", "Great sound, fair price",
            "Refund took three weeks", "Battery lasts all day"};
        String[] synthetic = {"Shipping was slow this time", "Amazing audio for the money",
            "Still waiting on my refund", "The battery life is superb", "Buy now!!! Best deal!!!",
            "Click here for free gifts"};
        for (int i = 0; i < real.length; i++) {
            rows.add(RowFactory.create((long) i, real[i], i % 2 == 0 ? "complaint" : "praise", false));
        }
        for (int i = 0; i < synthetic.length; i++) {
            rows.add(RowFactory.create(100L + i, synthetic[i], i % 2 == 0 ? "complaint" : "praise", true));
        }
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("text", DataTypes.StringType).add("label", DataTypes.StringType)
                .add("is_synthetic", DataTypes.BooleanType);
        Dataset<Row> data = spark.createDataFrame(rows, schema);

        SynAlignWeighter weighter = new SynAlignWeighter()
                .setIdCol("id").setTextCol("text").setLabelCol("label")
                .setSyntheticCol("is_synthetic")  // true on synthetic rows
                .setFeatures(256).setSeed(7);     // encoder: the bundled MiniLM
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {weighter});
        PipelineModel model = pipeline.fit(data);
        try {
            model.write().overwrite().save(modelPath);  // Spark ML persistence
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return PipelineModel.load(modelPath).transform(data);  // + synalign_weight
    }
    // README:END
}
