package io.synalign.engine.retrieval;

import io.synalign.kernels.FloatMatrix;

/**
 * A corpus for {@link InnerProductSearch} whose rows were checked finite once, when it was
 * made, so that searching it again and again checks only each call's queries.
 *
 * <p>Why: the kernel SPI lets a backend assume finite rows, so the search refuses a NaN or an
 * infinity before the backend sees it. Checking the corpus is O(c d), a small share of one
 * search's 2 q c d flops only when there are many queries: over 20,000 x 384 rows on nd4j it
 * took 2.3 to 2.9 ms, about a fifth of a search of 1 or 10 queries ({@code FiniteCorpusRun} in
 * the benchmarks). A caller that searches one corpus many times (a student scored against the
 * same passages every epoch) makes one of these and pays the check once.
 *
 * <p>The rows are held, not copied (a copy would double the corpus's memory): they must not be
 * changed after this is made.
 */
public final class FiniteCorpus {

    private final FloatMatrix rows;

    private FiniteCorpus(FloatMatrix rows) {
        this.rows = rows;
    }

    /**
     * The corpus {@code rows}, once every value is known to be finite.
     *
     * @throws IllegalArgumentException naming the first non-finite value's row and column:
     *     "corpus row 7 column 2 is NaN"
     */
    public static FiniteCorpus of(FloatMatrix rows) {
        if (rows == null) {
            throw new IllegalArgumentException("the corpus must not be null");
        }
        return new FiniteCorpus(rows.requireFinite("corpus"));
    }

    /** The corpus's rows (checked finite; not to be changed). */
    public FloatMatrix rows() {
        return rows;
    }
}
