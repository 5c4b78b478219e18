package io.synalign.spark;

import java.io.Serializable;

/**
 * What the executors keep of the synthetic rows' random features between passes
 * ({@link ExecutorFeatureBudget}): blocks kept as feature matrices, blocks rebuilt from their
 * rows in every product, and the bytes of features kept, over all executors.
 *
 * @param kept blocks kept
 * @param rebuilt blocks rebuilt in every product
 * @param keptBytes float32 feature bytes kept
 */
@com.esotericsoftware.kryo.DefaultSerializer(KryoRecord.class)
public record FeatureKeep(long kept, long rebuilt, long keptBytes) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** No block. */
    public static final FeatureKeep NONE = new FeatureKeep(0, 0, 0);

    /** The two together. */
    public FeatureKeep plus(FeatureKeep other) {
        return new FeatureKeep(kept + other.kept, rebuilt + other.rebuilt,
                keptBytes + other.keptBytes);
    }
}
