package io.synalign.models;

/**
 * The encoder's {@code maxLength} is more tokens than its model takes: a text of that many
 * tokens failed when the encoder was loaded (a BERT-style model has one position embedding per
 * token position, 512 for the bundled ones). Bad input, raised at load rather than in the middle
 * of a run at the first long text.
 */
public final class MaxLengthExceededException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final int maxLength;

    MaxLengthExceededException(int maxLength, String message, Throwable cause) {
        super(message, cause);
        this.maxLength = maxLength;
    }

    /** The refused maximum, in tokens. */
    public int maxLength() {
        return maxLength;
    }
}
