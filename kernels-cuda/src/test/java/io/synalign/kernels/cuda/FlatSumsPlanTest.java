package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The planner rule that picks how the kept triangle's product sums flat tiles, over injected
 * device attributes (no GPU): the driver's FP32 : FP64 throughput ratio
 * ({@code CU_DEVICE_ATTRIBUTE_SINGLE_TO_DOUBLE_PRECISION_PERF_RATIO}) of real cards, and the
 * {@code synalign.cuda.flatSums} override.
 */
class FlatSumsPlanTest {

    /**
     * Settings built from properties where {@code synalign.cuda.flatSums} is {@code override}
     * (unset when null): the value goes through {@code CudaSettings.from}'s parse into the
     * record, which is what {@code FlatSums.choose} reads.
     */
    private static CudaSettings overriding(String override) {
        Properties p = new Properties();
        p.setProperty("user.home", "/home/u");
        if (override != null) {
            p.setProperty(FlatSums.PROPERTY, override);
        }
        return CudaSettings.from(p, Map.of());
    }

    @Test
    void gpusWithFastFp64KeepTheDoublePartials() {
        // P100, V100, A100, H100 and B200 report 2; Kepler's GK110 (K20, K40, K80) 3.
        for (int ratio : new int[] {1, 2, 3, FlatSums.MAX_DOUBLE_RATIO}) {
            assertEquals(FlatSums.DOUBLE, FlatSums.choose(overriding(null), 0, ratio).form(),
                    "ratio " + ratio);
        }
    }

    @Test
    void gpusWithSlowFp64TakeTheCompensatedFloatPartials() {
        // GK104 24; Maxwell, GP102/104, T4 (sm_75) 32; A10, A40, RTX 30xx (sm_86), L4, L40,
        // RTX 40xx (sm_89) 64.
        for (int ratio : new int[] {FlatSums.MAX_DOUBLE_RATIO + 1, 8, 24, 32, 64, 128}) {
            assertEquals(FlatSums.COMPENSATED, FlatSums.choose(overriding(null), 0, ratio).form(),
                    "ratio " + ratio);
        }
    }

    @Test
    void aRatioTheDriverDoesNotGiveKeepsTheDoublePartials() {
        assertEquals(FlatSums.DOUBLE, FlatSums.choose(overriding(null), 0, 0).form());
        assertEquals(FlatSums.DOUBLE, FlatSums.choose(overriding("auto"), 0, -1).form());
    }

    /**
     * A driver that does not know the attribute answers an error (CUDA_ERROR_INVALID_VALUE, 1)
     * and writes nothing or garbage: the device still opens, with the double form; the override
     * still wins. Before helper review34a the failed read threw and the device did not open.
     */
    @Test
    void aDriverThatDoesNotKnowTheRatioKeepsTheDoublePartials() {
        FlatSums.Choice c = FlatSums.choose(overriding(null), 1, 64);
        assertEquals(FlatSums.DOUBLE, c.form());
        assertTrue(c.why().contains("cuDeviceGetAttribute returned 1"), c.why());
        assertEquals(FlatSums.COMPENSATED,
                FlatSums.choose(overriding("compensated"), 1, 0).form());
        assertTrue(FlatSums.choose(overriding(null), 0, 0).why().contains("it says 0"));
    }

    /** The log line names the form and its grounds: the ratio and the threshold, or the override. */
    @Test
    void theChoiceSaysWhy() {
        assertEquals("flat tiles summed compensated (FP32:FP64 throughput ratio 64 > "
                + FlatSums.MAX_DOUBLE_RATIO + ": FP64 too slow for the double partials)",
                FlatSums.choose(overriding(null), 0, 64).toString());
        assertEquals("flat tiles summed double (FP32:FP64 throughput ratio 2 <= "
                + FlatSums.MAX_DOUBLE_RATIO + ")",
                FlatSums.choose(overriding("auto"), 0, 2).toString());
        // The override as the settings hold it: the form's name, whatever case it was given in.
        assertEquals("flat tiles summed double (synalign.cuda.flatSums=double)",
                FlatSums.choose(overriding(" Double "), 0, 64).toString());
    }

    @Test
    void eachFormLaunchesItsOwnKernelWithTheSameArguments() {
        assertEquals("symk_fused", FlatSums.DOUBLE.kernel().entry());
        assertEquals("symk_fused_compensated", FlatSums.COMPENSATED.kernel().entry());
        assertEquals("symk.cu", FlatSums.COMPENSATED.kernel().file());
        // CudaSymmetricKernelOperator packs one argument list for either.
        assertEquals(FlatSums.DOUBLE.kernel().params(), FlatSums.COMPENSATED.kernel().params());
    }

    @Test
    void theOverrideWinsEitherWay() {
        assertEquals(FlatSums.DOUBLE, FlatSums.choose(overriding("double"), 0, 64).form());
        assertEquals(FlatSums.COMPENSATED,
                FlatSums.choose(overriding(" Compensated "), 0, 2).form());
        assertEquals(FlatSums.COMPENSATED, FlatSums.choose(overriding("auto"), 0, 64).form());
        assertEquals(FlatSums.DOUBLE, FlatSums.choose(overriding(""), 0, 2).form());
        assertEquals(FlatSums.COMPENSATED, FlatSums.choose(overriding("  "), 0, 32).form());
    }

    @Test
    void aBadOverrideIsRefusedNamingThePropertyAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FlatSums.parse("float"));
        assertTrue(e.getMessage().contains("synalign.cuda.flatSums"), e.getMessage());
        assertTrue(e.getMessage().contains("'float'"), e.getMessage());
        // CudaSettings checks it with the other diagnostics, before any device opens.
        Properties p = new Properties();
        p.setProperty("user.home", "/home/u");
        p.setProperty(FlatSums.PROPERTY, "fp64");
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> CudaSettings.from(p, Map.of()));
        assertTrue(s.getMessage().contains("synalign.cuda.flatSums")
                && s.getMessage().contains("'fp64'"), s.getMessage());
    }
}
