package io.synalign.generation;

/**
 * The validator's rejection counts at one moment; {@link #since} names what was rejected
 * between two, so that a label that stops says why its samples were dropped (empty, the
 * length bounds, repeats, copies of real rows) rather than guessing one reason.
 */
record Rejections(int empty, int length, int duplicates, int copiesOfReal) {

    static Rejections of(SampleValidator v) {
        return new Rejections(v.rejectedEmpty(), v.rejectedLength(), v.rejectedDuplicates(),
                v.rejectedCopiesOfReal());
    }

    String since(Rejections start) {
        int copies = copiesOfReal - start.copiesOfReal;
        return (empty - start.empty) + " empty, " + (length - start.length)
                + " outside the length bounds (--min-chars/--max-chars), " + copies
                + " copies of real rows, " + (duplicates - start.duplicates - copies)
                + " repeats of earlier samples";
    }
}
