package io.synalign.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The fit of embedded DataFrames, shared by the job and the Spark ML {@link SynAlignWeighter}:
 * every embedding checked (present, of the first synthetic record's length, no null values) and
 * read as floats, each label read as text, the rows numbered ({@link RowIndexer}) and the
 * weights learned ({@link SparkWeightLearner}).
 */
final class WeightFitting {

    private WeightFitting() {
    }

    /**
     * A fit and the numbered synthetic rows its weights refer to (in the synthetic DataFrame's
     * row order, so that {@code synthetic.javaRDD().zip(indexed)} pairs them). Close to
     * unpersist the numbered rows.
     */
    record Fitted(SparkAlignmentResult result, JavaRDD<IndexedRow> indexed,
            JavaRDD<IndexedRow> indexedReal) implements AutoCloseable {
        @Override
        public void close() {
            indexed.unpersist();
            indexedReal.unpersist();
        }
    }

    /**
     * Fits the weights of {@code synthetic} to {@code real}.
     *
     * @param labelField the label column when the data has one (null: no labels)
     * @param vectorField the embedding column of both
     */
    static Fitted fit(org.apache.spark.api.java.JavaSparkContext sc, Dataset<Row> real,
            Dataset<Row> synthetic, String labelField, String vectorField,
            SparkAlignmentConfig config) {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        if (env != null) {
            // All the classes to register at once, before the first is shipped and refused.
            KryoClasses.requireRegistered(env.serializer());
        }
        boolean labelled = labelField != null;
        // Labels are read only where they group the fit: with global scope they are ignored, so
        // a record without one is fine there (as in the single-machine CLI).
        String grouping = labelled && config.mode() == io.synalign.engine.labelled.LabelMode.PER_LABEL
                ? labelField : null;
        int dim = dimension(synthetic, vectorField);
        JavaRDD<EmbeddedRecord> r = records(real, grouping, vectorField, dim);
        JavaRDD<EmbeddedRecord> s = records(synthetic, grouping, vectorField, dim);
        LabelGroups groups = LabelGroups.of(config.mode(), labelled, RowIndexer.count(r),
                RowIndexer.count(s), config.alignment().seed());
        org.apache.spark.storage.StorageLevel level = org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK();
        JavaRDD<IndexedRow> ri = RowIndexer.index(r, groups).persist(level);
        JavaRDD<IndexedRow> si = RowIndexer.index(s, groups).persist(level);
        try {
            return new Fitted(new SparkWeightLearner(sc, config).fit(groups, ri, si), si, ri);
        } catch (RuntimeException e) {
            ri.unpersist();
            si.unpersist();
            throw e;
        }
    }

    /**
     * The length of the first non-null embedding of {@code rows} (-1 when there is none): every
     * record on both sides must have it. The learner takes each partition's width from its
     * first row, so a longer vector elsewhere would be cut short silently.
     */
    static int dimension(Dataset<Row> rows, String vectorField) {
        List<Row> first = rows.select(vectorField)
                .where(org.apache.spark.sql.functions.col(vectorField).isNotNull())
                .limit(1).collectAsList();
        return first.isEmpty() ? -1 : first.get(0).getList(0).size();
    }

    /**
     * (label, vector) per row; labels only when they group the fit ({@code labelField} null
     * otherwise). Checks every embedding:
     * present, {@code dim} values (the first synthetic record's count), none null; and every
     * label read: present and not blank (empty or only whitespace), as the CLI's reader.
     */
    static JavaRDD<EmbeddedRecord> records(Dataset<Row> rows, String labelField,
            String vectorField, int dim) {
        int v = rows.schema().fieldIndex(vectorField);
        int l = labelField != null ? rows.schema().fieldIndex(labelField) : -1;
        String labelName = labelField;
        String[] names = rows.schema().fieldNames();
        // Partition columns, whose folder values a message names over a line's (JsonLines).
        java.util.HashSet<String> fromFolders = new java.util.HashSet<>();
        for (org.apache.spark.sql.types.StructField f : rows.schema().fields()) {
            if (f.metadata().contains(JsonLines.FROM_FOLDERS)) {
                fromFolders.add(f.name());
            }
        }
        return rows.javaRDD().map(row -> {
            if (row.isNullAt(v)) {
                throw new IllegalArgumentException("a record has no embedding '" + vectorField
                        + "': " + describe(row, names, v, fromFolders));
            }
            List<Object> values = row.getList(v);
            if (values.isEmpty() || values.size() != dim) {
                throw new IllegalArgumentException("a record's embedding '" + vectorField
                        + "' has " + values.size() + " values, the first synthetic record's has "
                        + dim + ": " + describe(row, names, v, fromFolders));
            }
            float[] vector = new float[values.size()];
            for (int i = 0; i < vector.length; i++) {
                Object x = values.get(i);
                if (x == null) {
                    throw new IllegalArgumentException("a record's embedding '" + vectorField
                            + "' has a null at position " + i + ": "
                            + describe(row, names, v, fromFolders));
                }
                vector[i] = ((Number) x).floatValue();
                if (!Float.isFinite(vector[i])) {
                    // As the CLI refuses a NaN in a .npy: the solver cannot take one (it failed
                    // later with an unrelated exception, exit 1), nor one beyond float range.
                    throw new IllegalArgumentException("a record's embedding '" + vectorField
                            + "' has " + x + " at position " + i + ", not a finite float32: "
                            + describe(row, names, v, fromFolders));
                }
            }
            String label = null;
            if (l >= 0) {
                if (row.isNullAt(l)) {
                    throw new IllegalArgumentException("a record has no label field '"
                            + labelName + "': " + describe(row, names, v, fromFolders));
                }
                label = labelText(row.get(l));
                if (label.isBlank()) {
                    // As the CLI's reader: a blank label became a class of its own, with its
                    // own fit and share. Checked here, in the map that reads every label for
                    // the per-label count, so that it costs no pass of its own.
                    throw new IllegalArgumentException("a record's label field '" + labelName
                            + "' is " + (label.isEmpty() ? "empty" : "blank (only whitespace)")
                            + "; every label must name its class: "
                            + describe(row, names, v, fromFolders));
                }
            }
            return new EmbeddedRecord(label, vector);
        });
    }

    /**
     * A label as the CLI names it, the JSON text of a scalar: Spark widens a file's numeric
     * labels to one type, so where one label is {@code 2.5} every {@code 1} reads as the double
     * {@code 1.0}, and matched no label {@code 1} of the other file. An integral double (within
     * 2^53) is named as the integer; only a label written {@code 1.0} differs from the CLI's.
     */
    static String labelText(Object value) {
        if ((value instanceof Double || value instanceof Float)) {
            double d = ((Number) value).doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 0x1p53) {
                return Long.toString((long) d);
            }
        }
        return String.valueOf(value);
    }

    /**
     * A record for an error message: its fields other than the embedding, cut to 200 chars;
     * from its line as read where it has one (its other fields may not have been parsed), with
     * the columns that are not on the line (partition columns) after the line's fields.
     */
    private static String describe(Row row, String[] names, int embedding,
            java.util.Set<String> fromFolders) {
        int line = java.util.Arrays.asList(names).indexOf(JsonLines.LINE);
        if (line >= 0 && !row.isNullAt(line)) {
            java.util.Map<String, Object> values = new java.util.LinkedHashMap<>();
            for (int i = 0; i < row.size(); i++) {
                if (i != embedding && i != line && !row.isNullAt(i)) {
                    values.put(names[i], row.get(i));
                }
            }
            return JsonLines.describe(row.getString(line), names[embedding], values,
                    fromFolders);
        }
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < row.size(); i++) {
            if (i != embedding && !names[i].equals(JsonLines.LINE)) {
                sb.append(sb.length() == 1 ? "" : ", ").append(names[i])
                        .append('=').append(row.get(i));
            }
        }
        String text = sb.append('}').toString();
        return text.length() <= 200 ? text : text.substring(0, 200) + "...}";
    }
}
