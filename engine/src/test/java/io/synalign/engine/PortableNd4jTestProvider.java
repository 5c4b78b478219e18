package io.synalign.engine;

import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import io.synalign.kernels.FourierFeatures;
import io.synalign.kernels.GpVarianceTracker;
import io.synalign.kernels.KernelBackend;
import io.synalign.kernels.KernelBackendProvider;
import io.synalign.kernels.KernelOperator;
import io.synalign.kernels.TilePlan;
import io.synalign.kernels.nd4j.Nd4jBackend;
import io.synalign.kernels.nd4j.Nd4jBackendProvider;
import io.synalign.kernels.nd4j.Nd4jPath;
import java.util.Optional;

/**
 * Test-only backend {@code nd4j-portable}: the {@code nd4j} backend forced onto its portable path
 * ({@link Nd4jPath#PORTABLE}, INDArray operations only: what runs on an ND4J CUDA backend), so
 * every engine test parameterised by {@link AvailableBackends} covers that path too, here on the
 * CPU. Registered in this module's test resources only; priority below the reference, so
 * {@code auto} never picks it. The backend reports its name as {@value #NAME} (results record the
 * backend's name, and tests compare it with the one they asked for).
 */
public final class PortableNd4jTestProvider implements KernelBackendProvider {

    /** The test backend's name. */
    public static final String NAME = "nd4j-portable";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return -1;
    }

    @Override
    public Optional<String> unavailableReason() {
        return new Nd4jBackendProvider().unavailableReason();
    }

    @Override
    public KernelBackend create() {
        return new Named(new Nd4jBackend(Nd4jPath.PORTABLE));
    }

    /** The portable nd4j backend under this provider's name; everything else is delegated. */
    private record Named(Nd4jBackend backend) implements KernelBackend {

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return backend.description();
        }

        @Override
        public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
            backend.squaredDistances(x, y, out);
        }

        @Override
        public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
            backend.rbfBlock(x, y, sigma, out);
        }

        @Override
        public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
            backend.randomFourierFeatures(x, map, out);
        }

        @Override
        public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma,
                TilePlan plan) {
            return backend.rbfOperator(x, y, sigma, plan);
        }

        @Override
        public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
            return backend.fourierFeatureOperator(x, map);
        }

        @Override
        public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale,
                double noise, int maxRank) {
            return backend.gpVarianceTracker(x, lengthScale, noise, maxRank);
        }

        @Override
        public void close() {
            backend.close();
        }
    }
}
