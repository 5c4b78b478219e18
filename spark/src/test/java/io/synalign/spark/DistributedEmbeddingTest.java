package io.synalign.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
        List<Row> out = DistributedEmbedding.embed(spark, df, "text", "minilm", 4, "embedding")
                .collectAsList();
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
        assertEquals(1, EncoderHolder.loaded(), "one encoder per JVM and model");
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
}
