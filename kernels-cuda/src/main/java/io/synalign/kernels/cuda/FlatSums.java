package io.synalign.kernels.cuda;

import java.util.Locale;

/**
 * How the kept triangle's product ({@code symk.cu}) sums a flat tile's partials, chosen per
 * device from its FP32 : FP64 throughput ratio
 * ({@code CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO}). Both keep a flat tile's
 * 32-term partials to about 2^-48 of {@code sum |g w|} (near a fit's optimum at 10 to 100 x the
 * median bandwidth, float partials moved the product by as much as nd4j's float sums, with which
 * its exact fits stopped at 1.1 times the reference's MMD^2: docs/RELIABILITY.md, helpers
 * cudaflat33 and cudaplan34); ordinary tiles are the same float work in both.
 *
 * <p>The rule, by counting a flat tile's arithmetic above the diagonal (32 lanes, two 32-term
 * partials each): {@link #DOUBLE} does 64 fma in double and 64 float-to-double conversions a
 * lane, {@link #COMPENSATED} 704 float operations a lane (11 a term). Where FP64 runs at half the
 * FP32 rate (ratio 2: P100, V100, A100, H100) the double fma cost about 128 float slots and stay
 * under the time to read the tile; where it runs at 1/32 or 1/64 (T4, A10, L4, L40, RTX) the
 * double form takes 1,024 to 2,048 SM clocks a tile, more than reading the tile from memory on
 * most of those cards (about 700 to 1,900 clocks in fp32, 380 to 1,060 in fp16), so a flat
 * kernel's product would be compute-bound there, while the compensated form takes about 176
 * clocks (352 on Turing, at 128 or 64 float operations a clock). By the fma count alone the two
 * cost the same at a ratio of 11 (704 float operations against 64 fma at 1/ratio of the float
 * rate; the conversions only add to the double form). GPUs have ratios of 2 or 3, or 24 and
 * above, so {@link #MAX_DOUBLE_RATIO} = 4 sits in the gap: above it the compensated form is
 * taken. No GPU has timed either (none was lent): the rule is arithmetic, not measurement.
 *
 * <p>The system property {@value #PROPERTY} ({@code auto}, {@code double} or
 * {@code compensated}) overrides the rule, for comparing the two on one card
 * ({@code CudaProductBench}); it is read when a device opens.
 */
enum FlatSums {

    /** {@code symk_fused}: fma in double of the float g and the double weight (cudaflat33). */
    DOUBLE(CudaKernel.SYMK_FUSED),

    /**
     * {@code symk_fused_compensated}: float arithmetic with exact error terms (Ogita, Rump and
     * Oishi's Dot2, w's low part folded into the compensation), for GPUs with slow FP64.
     */
    COMPENSATED(CudaKernel.SYMK_FUSED_COMPENSATED);

    /** System property that overrides the rule: auto (default), double or compensated. */
    static final String PROPERTY = "synalign.cuda.flatSums";

    /**
     * The largest FP32 : FP64 ratio at which the double form is kept: 4 keeps it on every
     * GPU with fast FP64 (ratio 2; Kepler's GK110, 3) and leaves it for 1/8 and slower.
     */
    static final int MAX_DOUBLE_RATIO = 4;

    private final CudaKernel kernel;

    FlatSums(CudaKernel kernel) {
        this.kernel = kernel;
    }

    /** The product's fused kernel for this form. */
    CudaKernel kernel() {
        return kernel;
    }

    /**
     * The form for a device whose FP32 : FP64 throughput ratio is {@code singleToDoubleRatio}
     * (the driver's attribute): {@link #COMPENSATED} above {@link #MAX_DOUBLE_RATIO}, else
     * {@link #DOUBLE}; a ratio the driver does not give (0 or less) keeps {@link #DOUBLE}, the
     * form measured longest. {@code override} (the value of {@value #PROPERTY}, may be null)
     * wins unless null, blank or {@code auto}.
     *
     * @throws IllegalArgumentException naming the property and the value when {@code override}
     *     is none of auto, double, compensated
     */
    static FlatSums plan(int singleToDoubleRatio, String override) {
        FlatSums forced = parse(override);
        if (forced != null) {
            return forced;
        }
        return singleToDoubleRatio > MAX_DOUBLE_RATIO ? COMPENSATED : DOUBLE;
    }

    /**
     * The form {@code value} names, or null for auto (null, blank or {@code auto}).
     *
     * @throws IllegalArgumentException naming the property and the value otherwise
     */
    static FlatSums parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "auto":
                return null;
            case "double":
                return DOUBLE;
            case "compensated":
                return COMPENSATED;
            default:
                throw new IllegalArgumentException(PROPERTY
                        + " must be auto, double or compensated, got '" + value + "'");
        }
    }
}
