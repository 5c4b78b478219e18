package io.synalign.models;

/** Progress of a long {@link SentenceEncoder#encode} call, reported after every batch. */
@FunctionalInterface
public interface EncodeProgress {

    /** Ignores all reports. */
    EncodeProgress NONE = (done, total) -> { };

    /**
     * Called on the encoding thread after each batch.
     *
     * @param batchesDone  batches finished so far, {@code 1..batchesTotal}
     * @param batchesTotal batches in this call
     */
    void onBatch(int batchesDone, int batchesTotal);
}
