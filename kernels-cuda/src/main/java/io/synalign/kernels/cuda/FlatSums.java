package io.synalign.kernels.cuda;

import java.util.Locale;

/**
 * How the kept triangle's product ({@code symk.cu}) sums a flat tile's partials, chosen per
 * device from its FP32 : FP64 throughput ratio
 * ({@code CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO}). Both keep a flat tile's
 * 32-term partials far below float's rounding: {@link #DOUBLE} to about 1e-16 of
 * {@code sum |g w|} r.m.s. (7e-16 at worst), {@link #COMPENSATED} to about 5e-15 (7e-14 at
 * worst; replayed on the CPU, helper review34a), against 1.9e-6 for float partials (near a
 * fit's optimum at 10 to 100 x the median bandwidth, float partials moved the product by as much
 * as nd4j's float sums, with which its exact fits stopped at 1.1 times the reference's MMD^2:
 * docs/RELIABILITY.md, helpers cudaflat33 and cudaplan34); ordinary tiles are the same float
 * work in both.
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
 * ({@code CudaProductBench}); it is read and checked once, into {@link CudaSettings#flatSums()},
 * and the device's choice ({@link #choose}) takes it from there.
 */
public enum FlatSums {

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
     * A device's form and why it was taken, one line for the log when the device opens (the
     * choice changes what a product costs, so a run says which it took and on what grounds).
     *
     * @param form the form taken
     * @param why the grounds: the override the settings hold, or the driver's ratio against
     *     {@link #MAX_DOUBLE_RATIO}, or that the driver gave none
     */
    record Choice(FlatSums form, String why) {
        @Override
        public String toString() {
            return "flat tiles summed " + form.name().toLowerCase(Locale.ROOT) + " (" + why + ")";
        }
    }

    /**
     * The form for a device whose FP32 : FP64 throughput ratio is {@code ratio} (the driver's
     * attribute): {@link #COMPENSATED} above {@link #MAX_DOUBLE_RATIO}, else {@link #DOUBLE};
     * the override {@code settings.flatSums()} ({@value #PROPERTY} as read when the settings
     * were built) wins unless null ({@code auto}). From the driver's answer as it came:
     * {@code attributeResult} is what {@code cuDeviceGetAttribute} returned for the ratio (0,
     * CUDA_SUCCESS, else an error: a driver that does not know the attribute answers
     * CUDA_ERROR_INVALID_VALUE) and {@code ratio} the value it wrote (meaningless unless the call
     * succeeded). The form is a performance choice, both as accurate: a driver that gives no
     * ratio (an error, or 0 or less) keeps {@link #DOUBLE} and opens the device all the same,
     * where a failed read used to fail the device's opening. Reads no system property (a value
     * set after the settings were built changes nothing). O(1).
     */
    static Choice choose(CudaSettings settings, int attributeResult, int ratio) {
        FlatSums forced = settings.flatSums();
        if (forced != null) {
            return new Choice(forced, PROPERTY + "=" + forced.name().toLowerCase(Locale.ROOT));
        }
        if (attributeResult != 0 || ratio <= 0) {
            return new Choice(DOUBLE, "the driver gives no FP32:FP64 throughput ratio ("
                    + (attributeResult != 0 ? "cuDeviceGetAttribute returned " + attributeResult
                            : "it says " + ratio) + "); the double form, measured longest");
        }
        return ratio > MAX_DOUBLE_RATIO
                ? new Choice(COMPENSATED, "FP32:FP64 throughput ratio " + ratio + " > "
                        + MAX_DOUBLE_RATIO + ": FP64 too slow for the double partials")
                : new Choice(DOUBLE, "FP32:FP64 throughput ratio " + ratio + " <= "
                        + MAX_DOUBLE_RATIO);
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
