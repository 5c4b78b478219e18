package io.synalign.models;

/**
 * How the texts of one batch are fed to the model.
 *
 * <p>Why this exists: the bundled quantised models contain {@code DynamicQuantizeLinear}
 * nodes, which pick one int8 scale from the min/max of the <em>whole</em> activation tensor.
 * In a padded batch that tensor holds every text of the batch (and the padding positions), so
 * each embedding shifts by up to ~3e-2 per coordinate depending on its batch-mates. Running such
 * models one text at a time makes every embedding a function of its own text only, and on CPU
 * it is no slower for short sentences (padding waste cancels the batching gain).
 */
public enum BatchMode {
    /** {@link #PER_TEXT} for graphs with dynamic quantisation, {@link #PADDED} otherwise. */
    AUTO,
    /**
     * One model call per batch, texts right-padded to the longest; padding is masked out of
     * attention and pooling. Batch-invariant only for models without dynamic quantisation.
     */
    PADDED,
    /** One model call per text, no padding: embeddings never depend on batch composition. */
    PER_TEXT
}
