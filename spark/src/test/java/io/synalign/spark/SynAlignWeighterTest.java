package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.engine.alignment.AlignmentConfig;
import io.synalign.engine.labelled.LabelMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML estimator: its weights equal the single-machine per-label rff weights on the
 * same embeddings; the estimator and the fitted model survive save and load; bad columns are
 * named.
 */
class SynAlignWeighterTest {

    @TempDir
    Path dir;

    private static Dataset<Row> data(SparkSession spark, SparkWeightLearnerTest.Rows real,
            SparkWeightLearnerTest.Rows synthetic) {
        List<Row> rows = new ArrayList<>();
        int d = real.vectors().cols();
        for (int side = 0; side < 2; side++) {
            SparkWeightLearnerTest.Rows r = side == 0 ? real : synthetic;
            for (int i = 0; i < r.labels().size(); i++) {
                float[] v = new float[d];
                System.arraycopy(r.vectors().data(), i * d, v, 0, d);
                List<Float> emb = new ArrayList<>();
                for (float x : v) {
                    emb.add(x);
                }
                rows.add(RowFactory.create(side * 1000L + i, r.labels().get(i), emb, side == 1));
            }
        }
        StructType schema = new StructType().add("id", DataTypes.LongType)
                .add("label", DataTypes.StringType)
                .add("emb", DataTypes.createArrayType(DataTypes.FloatType, false))
                .add("is_synthetic", DataTypes.BooleanType);
        return spark.createDataFrame(rows, schema); // row order kept: it numbers the rows
    }

    @Test
    void weightsEqualTheSingleMachineAndSurviveSaveAndLoad() throws java.io.IOException {
        Random random = new Random(41);
        SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, 4, 0.0, "a", 23, "b", 31);
        SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, 4, 1.5, "a", 57, "b", 44);
        SparkSession spark = TestSpark.session();
        Dataset<Row> df = data(spark, real, synthetic);
        SynAlignWeighter weighter = new SynAlignWeighter().setEmbeddingCol("emb").setFeatures(32)
                .setIterations(40).setMaxWeightRatio(5).setSeed(3).setBackend("reference");
        SynAlignWeighterModel model = weighter.fit(df);

        AlignmentConfig config = SparkWeightLearnerTest.config(32, 40, 3);
        double[] expected = SparkWeightLearnerTest.singleMachine(LabelMode.PER_LABEL, config, real,
                synthetic, true).weights();
        double[] actual = new double[expected.length];
        for (Row r : model.transform(df).collectAsList()) {
            long id = r.getLong(0);
            if (id >= 1000) {
                actual[(int) (id - 1000)] = r.getDouble(r.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD));
            } else {
                assertTrue(r.isNullAt(r.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD)));
            }
        }
        SparkWeightLearnerTest.assertSameWeights(expected, actual, synthetic.labels(), 1e-12);
        assertEquals(2, model.fits().size());

        // The estimator's params and the model's weights come back from disk.
        weighter.save(dir.resolve("weighter").toString());
        SynAlignWeighter again = SynAlignWeighter.load(dir.resolve("weighter").toString());
        assertEquals(32, (int) again.getOrDefault(again.features()));
        assertEquals("emb", again.getOrDefault(again.embeddingCol()));
        assertEquals(weighter.uid(), again.uid());
        model.save(dir.resolve("model").toString());
        SynAlignWeighterModel loaded = SynAlignWeighterModel.load(dir.resolve("model").toString());
        double[] reloaded = new double[expected.length];
        for (Row r : loaded.transform(df).collectAsList()) {
            long id = r.getLong(0);
            if (id >= 1000) {
                reloaded[(int) (id - 1000)] = r.getDouble(r.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD));
            }
        }
        assertArrayEquals(actual, reloaded, 0.0);
    }

    /**
     * An ML pipeline's embedding column is a vector (VectorAssembler's, a model's output):
     * fit failed with a ClassCastException; now it gives the array column's weights. A column of
     * another type is named at once.
     */
    @Test
    void aVectorEmbeddingColumnGivesTheArrayColumnsWeights() {
        Random random = new Random(5);
        SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, 3, 0.0, "a", 17, "b", 9);
        SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, 3, 1.0, "a", 21, "b", 13);
        Dataset<Row> df = data(TestSpark.session(), real, synthetic);
        Dataset<Row> vectors = df.withColumn("vec", org.apache.spark.ml.functions.array_to_vector(
                org.apache.spark.sql.functions.col("emb"))).drop("emb");
        SynAlignWeighter weighter = new SynAlignWeighter().setFeatures(16).setIterations(30).setSeed(9)
                .setBackend("reference");
        java.util.Map<Long, Double> fromArray = weights(weighter.setEmbeddingCol("emb").fit(df).transform(df));
        java.util.Map<Long, Double> fromVector = weights(weighter.setEmbeddingCol("vec").fit(vectors)
                .transform(vectors));
        assertEquals(34, fromArray.size());
        assertEquals(fromArray, fromVector);
        Dataset<Row> text = df.withColumn("emb", org.apache.spark.sql.functions.lit("x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").fit(text));
        assertEquals("embeddingCol 'emb' is string, expected an array of numbers or an ML vector",
                e.getMessage());
    }

    private static java.util.Map<Long, Double> weights(Dataset<Row> transformed) {
        java.util.Map<Long, Double> out = new java.util.TreeMap<>();
        for (Row r : transformed.collectAsList()) {
            int w = r.fieldIndex(SynAlignSparkJob.WEIGHT_FIELD);
            if (!r.isNullAt(w)) {
                out.put(r.getLong(0), r.getDouble(w));
            }
        }
        return out;
    }

    @Test
    void badColumnsAndDuplicateIdsAreNamed() {
        Random random = new Random(2);
        SparkWeightLearnerTest.Rows real = SparkWeightLearnerTest.rows(random, 3, 0.0, "a", 5);
        SparkWeightLearnerTest.Rows synthetic = SparkWeightLearnerTest.rows(random, 3, 0.0, "a", 6);
        Dataset<Row> df = data(TestSpark.session(), real, synthetic);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").setSyntheticCol("fake").fit(df));
        assertTrue(missing.getMessage().startsWith("syntheticCol 'fake' must be a boolean column"),
                missing.getMessage());
        Dataset<Row> dup = df.withColumn("id", org.apache.spark.sql.functions.lit(1L));
        IllegalArgumentException ids = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").fit(dup));
        assertEquals("idCol 'id' must be unique on the synthetic rows: 6 rows, 1 distinct values",
                ids.getMessage());
        // A null id on a synthetic row: transform's join dropped its weight (the weights
        // summed to 0.996); a null in syntheticCol: the row was in neither set, silently.
        org.apache.spark.sql.Column first = org.apache.spark.sql.functions.col("is_synthetic")
                .and(org.apache.spark.sql.functions.col("id").equalTo(
                        df.filter("is_synthetic").agg(org.apache.spark.sql.functions.min("id"))
                                .first().get(0)));
        Dataset<Row> nullId = df.withColumn("id", org.apache.spark.sql.functions.when(first,
                org.apache.spark.sql.functions.lit(null)).otherwise(
                        org.apache.spark.sql.functions.col("id")));
        IllegalArgumentException noId = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").fit(nullId));
        assertEquals("idCol 'id' is null in 1 synthetic row: each needs an id to carry its"
                + " weight", noId.getMessage());
        Dataset<Row> nullSide = df.withColumn("is_synthetic", org.apache.spark.sql.functions
                .when(first, org.apache.spark.sql.functions.lit(null).cast("boolean"))
                .otherwise(org.apache.spark.sql.functions.col("is_synthetic")));
        IllegalArgumentException noSide = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").fit(nullSide));
        assertEquals("syntheticCol 'is_synthetic' is null in 1 row: every row must say whether"
                + " it is synthetic", noSide.getMessage());
        // A blank label: a class of its own before, as the CLI's reader refuses it now.
        Dataset<Row> blankLabel = df.withColumn("label", org.apache.spark.sql.functions.when(first,
                org.apache.spark.sql.functions.lit(" ")).otherwise(
                        org.apache.spark.sql.functions.col("label")));
        Exception blank = assertThrows(Exception.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").fit(blankLabel));
        Throwable bad = JobErrors.badInput(blank);
        assertTrue(bad != null && bad.getMessage().startsWith("a record's label field 'label' is"
                + " blank (only whitespace); every label must name its class: {id=1000, label= ,"),
                String.valueOf(bad == null ? blank : bad.getMessage()));
        IllegalArgumentException scope = assertThrows(IllegalArgumentException.class,
                () -> new SynAlignWeighter().setEmbeddingCol("emb").setScope("all").fit(df));
        assertEquals("scope all: expected per-label or global", scope.getMessage());
    }
}
