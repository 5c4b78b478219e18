package io.synalign.kernels;

import io.synalign.kernels.nd4j.Nd4jPath;

/**
 * Every test of {@link Nd4jBackendTest} (the {@link BackendContractTest} against the reference,
 * same shapes, same tolerances) on the portable path: INDArray operations only, the path the
 * {@code nd4j} backend takes on a non-CPU ND4J backend such as nd4j-cuda-11.6.
 */
class Nd4jPortableBackendTest extends Nd4jBackendTest {

    @Override
    Nd4jPath path() {
        return Nd4jPath.PORTABLE;
    }
}
