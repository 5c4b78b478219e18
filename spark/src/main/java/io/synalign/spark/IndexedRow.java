package io.synalign.spark;

import java.io.Serializable;

/**
 * One embedded row of a distributed row set, with the indices the distributed learner needs.
 *
 * @param row global row index (0-based, in the input's partition order, as
 *     {@code zipWithIndex} numbers rows)
 * @param label the row's label id (index into {@link LabelGroups#labels()}); 0 when unlabelled
 *     or in global mode
 * @param local the row's index among the rows of its label on its side, in global row order:
 *     the index the single-machine per-label fit gives it ({@code LabelPlan.Group.syntheticRows})
 * @param vector the embedding
 */
@com.esotericsoftware.kryo.DefaultSerializer(KryoRecord.class)
public record IndexedRow(long row, int label, int local, float[] vector) implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * This row's weight in {@code weights} ({@code [label][local]}, the learner's result); 0 for
     * a row of no label the fit knows ({@code label < 0}).
     */
    double weight(double[][] weights) {
        return label < 0 ? 0.0 : weights[label][local];
    }
}
