package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.kernels.FloatMatrix;
import io.synalign.models.OnnxSentenceEncoder;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Embedding by mapPartitions against the local encoder, on the bundled MiniLM model. */
class DistributedEmbeddingTest {

    @Test
    void partitionVectorsEqualTheLocalEncodersVectors() {
        SparkSession spark = TestSpark.session();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            texts.add("synthetic review number " + i + (i % 3 == 0 ? " about a slow delivery"
                    : " praising the product"));
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType)
                .add("text", DataTypes.StringType);
        Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(3);
        int before = EncoderHolder.loaded();
        List<Row> out = DistributedEmbedding.embed(spark, df, "text", "minilm", 4, "embedding")
                .collectAsList();
        int after = EncoderHolder.loaded();
        assertEquals(texts.size(), out.size());
        FloatMatrix expected;
        try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load("minilm")) {
            expected = encoder.encode(texts);
        }
        int d = expected.cols();
        for (Row r : out) {
            int id = r.getInt(0);
            assertEquals(texts.get(id), r.getString(1));
            List<Float> v = r.getList(2);
            assertEquals(d, v.size());
            for (int j = 0; j < d; j++) {
                assertEquals(expected.get(id, j), v.get(j), 1e-5, "row " + id + " column " + j);
            }
        }
        assertTrue(after <= before + 1, "at most the one encoder of this model was loaded");
        DistributedEmbedding.embed(spark, df, "text", "minilm", 4, "embedding").count();
        assertEquals(after, EncoderHolder.loaded(), "one encoder per JVM and model, reused");
    }

    @Test
    void missingTextFieldIsNamed() {
        SparkSession spark = TestSpark.session();
        Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create("x")),
                new StructType().add("body", DataTypes.StringType));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistributedEmbedding.embed(spark, df, "text", "minilm", 4, "embedding"));
        assertEquals("no text field 'text' (columns: body)", e.getMessage());
    }

    @Test
    void aTextFieldThatIsNotAStringIsNamed() {
        SparkSession spark = TestSpark.session();
        Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(4L)),
                new StructType().add("text", DataTypes.LongType));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistributedEmbedding.embed(spark, df, "text", "minilm", 4, "embedding"));
        assertEquals("the text field 'text' is bigint, expected string", e.getMessage());
    }

    /**
     * A model directory named by a Hadoop URI ({@code file:} here; hdfs:// and s3a:// take the
     * same path) is copied to the executor's disk once and embeds like the built-in model it
     * holds; a bad device and a missing shipped directory are named.
     */
    @Test
    void aModelDirectoryGivenAsAHadoopUriIsCopiedToTheExecutorOnce(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws java.io.IOException {
        io.synalign.models.ModelSource bundled = io.synalign.models.ModelSpec.minilm().source();
        java.nio.file.Path model = java.nio.file.Files.createDirectories(dir.resolve("remote/minilm"));
        java.nio.file.Files.write(model.resolve("model.onnx"), bundled.readModel());
        java.nio.file.Files.write(model.resolve("tokenizer.json"), bundled.readTokenizer());
        String uri = model.toUri().toString(); // file:/...
        assertTrue(ExecutorModels.isRemote(uri) && !ExecutorModels.isRemote("minilm")
                && !ExecutorModels.isRemote(model.toString()));
        SparkSession spark = TestSpark.session();
        List<String> texts = List.of("a slow delivery", "praise for the product", "a refund request");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            rows.add(RowFactory.create(i, texts.get(i)));
        }
        Dataset<Row> df = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
                .add("text", DataTypes.StringType)).repartition(2);
        List<Row> out = DistributedEmbedding.embed(spark, df, "text", uri, "cpu", 2, "embedding")
                .collectAsList();
        FloatMatrix expected;
        try (OnnxSentenceEncoder encoder = OnnxSentenceEncoder.load("minilm")) {
            expected = encoder.encode(texts);
        }
        for (Row r : out) {
            List<Float> v = r.getList(2);
            for (int j = 0; j < expected.cols(); j++) {
                assertEquals(expected.get(r.getInt(0), j), v.get(j), 1e-5);
            }
        }
        String local = ExecutorModels.of(uri, spark.sparkContext().hadoopConfiguration()).local();
        assertTrue(local.startsWith(System.getProperty("java.io.tmpdir")) && !local.equals(model.toString()),
                "copied to local disk: " + local);
        assertTrue(java.nio.file.Files.exists(java.nio.file.Path.of(local, "model.onnx")));

        IllegalArgumentException device = assertThrows(IllegalArgumentException.class,
                () -> DistributedEmbedding.embed(spark, df, "text", "minilm", "gpu", 2, "embedding"));
        assertEquals("'gpu': expected cpu, cuda or cuda:N", device.getMessage());
        IllegalArgumentException shipped = assertThrows(IllegalArgumentException.class,
                () -> ExecutorModels.of("sparkfiles:absent", spark.sparkContext().hadoopConfiguration()).local());
        assertTrue(shipped.getMessage().startsWith("--encoder sparkfiles:absent: no directory absent"),
                shipped.getMessage());
        // A Hadoop URI that is no model directory is refused on the driver, before any task.
        String absent = dir.resolve("remote/absent").toUri().toString();
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DistributedEmbedding.embed(spark, df, "text", absent, "cpu", 2, "embedding"));
        assertEquals("--encoder " + absent + ": no such directory", missing.getMessage());
        java.nio.file.Files.delete(model.resolve("tokenizer.json"));
        IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
                () -> ExecutorModels.of(uri, spark.sparkContext().hadoopConfiguration()));
        assertEquals("--encoder " + uri + ": no tokenizer.json in it (a model directory holds"
                + " model.onnx and tokenizer.json)", half.getMessage());
    }
}
