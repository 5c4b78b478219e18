package io.synalign.kernels;

import java.util.Set;

/**
 * A test backend that passes every {@link KernelBackend} call to another, the interface's
 * default methods included, so that a test backend overrides only what it changes (a name, an
 * operator wrapper) and keeps every other answer of the backend it wraps: a wrapper that
 * forwarded the abstract methods only would answer the budgets, storages and vector operations
 * with the interface's defaults instead of its delegate's. {@code ForwardingKernelBackendTest}
 * holds this class to every method of the interface.
 */
public abstract class ForwardingKernelBackend implements KernelBackend {

    private final KernelBackend delegate;

    protected ForwardingKernelBackend(KernelBackend delegate) {
        this.delegate = delegate;
    }

    /** The backend every call goes to. */
    protected final KernelBackend delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public String description() {
        return delegate.description();
    }

    @Override
    public boolean threadSafe() {
        return delegate.threadSafe();
    }

    @Override
    public void squaredDistances(FloatMatrix x, FloatMatrix y, float[] out) {
        delegate.squaredDistances(x, y, out);
    }

    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, float[] out) {
        delegate.innerProducts(x, y, out);
    }

    @Override
    public void innerProducts(FloatMatrix x, FloatMatrix y, java.nio.FloatBuffer out) {
        delegate.innerProducts(x, y, out);
    }

    @Override
    public void rbfBlock(FloatMatrix x, FloatMatrix y, double sigma, float[] out) {
        delegate.rbfBlock(x, y, sigma, out);
    }

    @Override
    public void randomFourierFeatures(FloatMatrix x, FourierFeatures map, float[] out) {
        delegate.randomFourierFeatures(x, map, out);
    }

    @Override
    public KernelOperator rbfOperator(FloatMatrix x, FloatMatrix y, double sigma, TilePlan plan) {
        return delegate.rbfOperator(x, y, sigma, plan);
    }

    @Override
    public long keptKernelBytes(long rows, long cols, boolean symmetric, KernelStorage storage) {
        return delegate.keptKernelBytes(rows, cols, symmetric, storage);
    }

    @Override
    public boolean keepsKernelsOnHeap() {
        return delegate.keepsKernelsOnHeap();
    }

    @Override
    public Set<KernelStorage> keptStorages() {
        return delegate.keptStorages();
    }

    @Override
    public KernelStorage defaultStorage() {
        return delegate.defaultStorage();
    }

    @Override
    public long residentBudgetBytes(long hostBudgetBytes) {
        return delegate.residentBudgetBytes(hostBudgetBytes);
    }

    @Override
    public String residentBudgetReason() {
        return delegate.residentBudgetReason();
    }

    @Override
    public long featureBudgetBytes() {
        return delegate.featureBudgetBytes();
    }

    @Override
    public int featureChunkRows(int features) {
        return delegate.featureChunkRows(features);
    }

    @Override
    public Residency keepResident(FloatMatrix rows) {
        return delegate.keepResident(rows);
    }

    @Override
    public FeatureOperator fourierFeatureOperator(FloatMatrix x, FourierFeatures map) {
        return delegate.fourierFeatureOperator(x, map);
    }

    @Override
    public FeatureOperator fourierFeatureOperator(RowPieces x, FourierFeatures map) {
        return delegate.fourierFeatureOperator(x, map);
    }

    @Override
    public boolean featureRowsInPieces() {
        return delegate.featureRowsInPieces();
    }

    @Override
    public GpVarianceTracker gpVarianceTracker(FloatMatrix x, double lengthScale, double noise,
            int maxRank) {
        return delegate.gpVarianceTracker(x, lengthScale, noise, maxRank);
    }

    @Override
    public VectorOps vectors() {
        return delegate.vectors();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
