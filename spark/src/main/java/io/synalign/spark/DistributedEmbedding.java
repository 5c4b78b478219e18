package io.synalign.spark;

import io.synalign.kernels.FloatMatrix;
import io.synalign.models.SentenceEncoder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Embeds a text column of a DataFrame on the executors: {@code mapPartitions}, each partition
 * encoded in batches by its JVM's {@link EncoderHolder} encoder (one per executor JVM and
 * model, loaded on first use and reused by every later task). Adds an
 * {@code array<float>} column; rows keep their order within partitions. Cost: the encoder's
 * per-text cost, spread over executors, plus one model load per executor JVM.
 */
public final class DistributedEmbedding {

    private DistributedEmbedding() {
    }

    /**
     * @param rows the input; must have the string column {@code textField}
     * @param textField the text column
     * @param model a built-in model name (minilm, bge-small) or a model directory readable by
     *     every executor
     * @param batchSize texts per encoder call, {@code >= 1}
     * @param outputField the new embedding column
     * @throws IllegalArgumentException when the text column is missing (naming the columns) or
     *     not a string column
     */
    public static Dataset<Row> embed(SparkSession spark, Dataset<Row> rows, String textField,
            String model, int batchSize, String outputField) {
        return embed(spark, rows, textField, model, "cpu", batchSize, outputField);
    }

    /**
     * {@link #embed(SparkSession, Dataset, String, String, int, String)} on an execution device,
     * with the model found as {@link ExecutorModels} says: a built-in name, a local directory,
     * {@code sparkfiles:NAME} or any Hadoop URI (copied to each executor's disk once).
     *
     * @param device {@code cpu}, {@code cuda} or {@code cuda:N} (ONNX Runtime's CUDA provider
     *     on the executors; needs the GPU build of ONNX Runtime there)
     */
    public static Dataset<Row> embed(SparkSession spark, Dataset<Row> rows, String textField,
            String model, String device, int batchSize, String outputField) {
        io.synalign.models.EncoderOptions.defaults().withDevice(device); // checked on the driver
        ExecutorModels models = ExecutorModels.of(model, spark.sparkContext().hadoopConfiguration());
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        StructType schema = rows.schema();
        if (!List.of(schema.fieldNames()).contains(textField)) {
            throw new IllegalArgumentException("no text field '" + textField + "' (columns: "
                    + String.join(", ", JsonLines.userColumns(rows)) + ")");
        }
        int textIndex = schema.fieldIndex(textField);
        if (!DataTypes.StringType.equals(schema.fields()[textIndex].dataType())) {
            // Each row's text is read with getString: a ClassCastException on an executor.
            throw new IllegalArgumentException("the text field '" + textField + "' is "
                    + schema.fields()[textIndex].dataType().simpleString() + ", expected string");
        }
        StructType out = schema.add(outputField,
                DataTypes.createArrayType(DataTypes.FloatType, false), false);
        JavaRDD<Row> embedded = rows.javaRDD().mapPartitions(
                it -> new BatchIterator(it, textIndex, textField, models, device, batchSize));
        return spark.createDataFrame(embedded, out);
    }

    /** Encodes rows batch by batch, appending the vector to each row. */
    private static final class BatchIterator implements Iterator<Row> {
        private final Iterator<Row> input;
        private final int textIndex;
        private final String textField;
        private final ExecutorModels models;
        private final String device;
        private final int batchSize;
        private final List<Row> batch = new ArrayList<>();
        private FloatMatrix vectors;
        private int position;

        BatchIterator(Iterator<Row> input, int textIndex, String textField, ExecutorModels models,
                String device, int batchSize) {
            this.input = input;
            this.textIndex = textIndex;
            this.textField = textField;
            this.models = models;
            this.device = device;
            this.batchSize = batchSize;
        }

        @Override
        public boolean hasNext() {
            return position < batch.size() || input.hasNext();
        }

        @Override
        public Row next() {
            if (position == batch.size()) {
                fill();
            }
            Row row = batch.get(position);
            int d = vectors.cols();
            float[] v = new float[d];
            System.arraycopy(vectors.data(), position * d, v, 0, d);
            position++;
            Object[] values = new Object[row.size() + 1];
            for (int i = 0; i < row.size(); i++) {
                values[i] = row.get(i);
            }
            values[row.size()] = v;
            return RowFactory.create(values);
        }

        private void fill() {
            batch.clear();
            position = 0;
            List<String> texts = new ArrayList<>();
            while (input.hasNext() && batch.size() < batchSize) {
                Row r = input.next();
                if (r.isNullAt(textIndex)) {
                    throw new IllegalArgumentException("a row has no text field '" + textField
                            + "': " + r);
                }
                batch.add(r);
                texts.add(r.getString(textIndex));
            }
            SentenceEncoder encoder = EncoderHolder.get(models.local(), device);
            synchronized (encoder) {
                vectors = encoder.encode(texts);
            }
        }
    }
}
