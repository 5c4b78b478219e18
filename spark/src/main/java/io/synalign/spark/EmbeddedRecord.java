package io.synalign.spark;

import java.io.Serializable;

/**
 * An embedded input row before indexing.
 *
 * @param label the row's label, or null when the rows are unlabelled
 * @param vector the embedding
 */
@com.esotericsoftware.kryo.DefaultSerializer(KryoRecord.class)
public record EmbeddedRecord(String label, float[] vector) implements Serializable {
    private static final long serialVersionUID = 1L;
}
