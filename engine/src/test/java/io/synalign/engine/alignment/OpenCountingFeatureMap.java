package io.synalign.engine.alignment;

import io.synalign.kernels.DeviceVector;
import io.synalign.kernels.FeatureOperator;
import io.synalign.kernels.FloatMatrix;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A feature map for tests that counts the operators it has built and not yet seen closed: it
 * forwards every call to {@code inner}, and names itself "test features T" in descriptions.
 */
final class OpenCountingFeatureMap implements RowFeatureMap {

    private final RowFeatureMap inner;
    private final AtomicInteger open;
    private final AtomicInteger mostOpen;

    /**
     * @param open operators built and not closed, now
     * @param mostOpen the most that were open at once
     */
    OpenCountingFeatureMap(RowFeatureMap inner, AtomicInteger open, AtomicInteger mostOpen) {
        this.inner = inner;
        this.open = open;
        this.mostOpen = mostOpen;
    }

    @Override
    public int dim() {
        return inner.dim();
    }

    @Override
    public int features() {
        return inner.features();
    }

    @Override
    public FeatureOperator build(FloatMatrix rows) {
        FeatureOperator built = inner.build(rows);
        mostOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        return new FeatureOperator() {
            @Override
            public int rows() {
                return built.rows();
            }

            @Override
            public int features() {
                return built.features();
            }

            @Override
            public void transposeTimes(double[] w, double[] out) {
                built.transposeTimes(w, out);
            }

            @Override
            public void times(double[] z, double[] out) {
                built.times(z, out);
            }

            @Override
            public void transposeTimes(DeviceVector w, DeviceVector out) {
                built.transposeTimes(w, out);
            }

            @Override
            public void times(DeviceVector z, DeviceVector out) {
                built.times(z, out);
            }

            @Override
            public void close() {
                open.decrementAndGet();
                built.close();
            }
        };
    }

    @Override
    public String symbol() {
        return "T";
    }

    @Override
    public String kind() {
        return "test features";
    }
}
