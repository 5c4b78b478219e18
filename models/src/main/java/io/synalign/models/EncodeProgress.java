package io.synalign.models;

/**
 * Progress of a long {@link SentenceEncoder#encode} call, in texts: reported after every batch
 * (and, through a cache, after every batch of the texts it sends to the model).
 */
@FunctionalInterface
public interface EncodeProgress {

    /** Ignores all reports. */
    EncodeProgress NONE = (done, total) -> { };

    /**
     * Called on the encoding thread after each batch.
     *
     * @param textsDone  texts of this call encoded so far, {@code 1..textsTotal}
     * @param textsTotal the texts this call encodes (a cache: those it did not hold)
     */
    void onBatch(int textsDone, int textsTotal);
}
