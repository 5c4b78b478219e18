package io.synalign.kernels;

/**
 * The sums one optimiser step reads, from one fused pass over five vectors (see
 * {@link VectorOps#stepStatistics}): with {@code d = x' - y},
 *
 * @param stepNorm2 {@code ||d||^2}
 * @param curvature {@code d . (Hx' - Hy)}, which equals {@code d^T H d}
 * @param curvatureScale {@code sum |d_i| (|Hx'_i| + |Hy_i|)}: the size of the terms that cancel in
 *     {@code curvature}, to tell float32 rounding of the products from real curvature
 * @param quadratic {@code x' . Hx'}
 * @param cross {@code h . x'}
 */
public record StepStatistics(double stepNorm2, double curvature, double curvatureScale,
        double quadratic, double cross) {
}
