package io.synalign.kernels;

import io.synalign.kernels.nd4j.Nd4jPath;

/** {@link Nd4jBackendUnderDoubleDefaultTest} on the portable path (INDArray operations only). */
class Nd4jPortableBackendUnderDoubleDefaultTest extends Nd4jBackendUnderDoubleDefaultTest {

    @Override
    Nd4jPath path() {
        return Nd4jPath.PORTABLE;
    }
}
