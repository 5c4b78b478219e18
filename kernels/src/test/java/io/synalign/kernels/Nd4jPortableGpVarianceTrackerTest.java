package io.synalign.kernels;

import io.synalign.kernels.nd4j.Nd4jPath;

/**
 * Every test of {@link Nd4jGpVarianceTrackerTest} (variances against the reference pivoted
 * Cholesky at 1e-5, ties, exclusions, reset, capacity, bad arguments) on the portable path.
 */
class Nd4jPortableGpVarianceTrackerTest extends Nd4jGpVarianceTrackerTest {

    @Override
    Nd4jPath path() {
        return Nd4jPath.PORTABLE;
    }
}
