package io.synalign.spark;

import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The distributed learner's weights, held on the driver per label in label-local order, and
 * the per-label report.
 *
 * @param groups the label groups
 * @param weights per label id, the weights of its synthetic rows (label-local order); all
 *     weights together are non-negative and sum to 1; zeros for labels not fitted
 * @param fits per label id, what its fit found
 * @param passes Spark passes run by the optimisation (two per product round)
 * @param setupSeconds bandwidths, feature maps, mean features and the feature blocks
 * @param optimiseSeconds the lockstep optimisation
 * @param featureBlocks what the executors kept of the features, and rebuilt in every product,
 *     as the set-up built them
 * @param featurePartitions the partitions of the features (each built once by the set-up)
 * @param featurePartitionRebuilds partition builds after the set-up's, in the whole fit: 0 when
 *     Spark kept every partition cached; each partition Spark evicted and the fit read again, or
 *     never cached (then one per pass), built again, with its kept blocks' features
 */
public record SparkAlignmentResult(LabelGroups groups, double[][] weights, List<LabelFit> fits,
        int passes, double setupSeconds, double optimiseSeconds, FeatureKeep featureBlocks,
        long featurePartitions, long featurePartitionRebuilds) {

    /** The weight of a synthetic row with the given label id and label-local index. */
    public double weight(int label, int local) {
        return label < 0 ? 0 : weights[label][local];
    }

    /** {@code (global row, weight)} of every synthetic row (the weights broadcast once). */
    public JavaPairRDD<Long, Double> weightsByRow(JavaRDD<IndexedRow> synthetic) {
        Broadcast<double[][]> shared = new JavaSparkContext(synthetic.context()).broadcast(weights);
        return synthetic.mapToPair(r -> new Tuple2<>(r.row(),
                r.weight(shared.value())));
    }
}
